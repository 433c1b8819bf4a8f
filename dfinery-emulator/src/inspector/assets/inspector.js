// The DFINERY emulator inspector: one EventSource on this origin, nothing fetched elsewhere.
(function () {
  "use strict";

  var APIS = ["Event", "Identity", "Profile", "Export"];
  var BUCKET_MS = 2000, BUCKETS = 30;
  var RETRY_MS = 3000; // EventSource's own delay before it reconnects, in Chromium and Firefox
  var state = {
    instance: null, resets: null, capacity: 500, records: [], lastId: 0, paused: false, pending: [],
    rates: {}, samples: {}, expanded: {}, registryTimer: null,
  };
  APIS.forEach(function (api) { state.samples[api] = []; });

  function $(id) { return document.getElementById(id); }
  // Builds an element; strings become text nodes (never HTML).
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") node.textContent = v;
      else if (k === "class") node.className = v;
      else if (k === "width") node.style.width = v; // CSSOM: allowed by the page's CSP, unlike style=""
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    });
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) child.forEach(function (c) { append(node, c); });
    else node.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
  function svg(tag, attrs) {
    var node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }
  function pad(n, w) { n = String(n); while (n.length < (w || 2)) n = "0" + n; return n; }
  function clock(ms) {
    var d = new Date(ms);
    return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + "." + pad(d.getMilliseconds(), 3);
  }
  function short(value) {
    var text = JSON.stringify(value);
    if (text === undefined) text = String(value);
    return cut(text);
  }
  function cut(text) {
    return text.length > 300 ? text.slice(0, 300) + "…" : text;
  }
  // A property's value as it was sent (its JSON text, which a number parsed here would lose
  // digits of past 2^53), or re-serialised where the server sent no text.
  function valueText(p) {
    return typeof p.text === "string" ? cut(p.text) : short(p.value);
  }
  function identityText(identity) {
    if (!identity || typeof identity !== "object") return "—";
    var keys = ["external_id", "email", "phone_no", "kakao_user_id", "line_user_id"];
    for (var i = 0; i < keys.length; i++) if (typeof identity[keys[i]] === "string") return identity[keys[i]];
    return "—";
  }
  function eventNames(r) { return (r.events || []).map(function (e) { return e.name || "?"; }); }

  // ---- filters ----
  function filters() {
    return {
      event: $("filter-event").value.trim().toLowerCase(),
      identity: $("filter-identity").value.trim().toLowerCase(),
      failures: $("filter-failures").checked,
    };
  }
  function visible(r, f) {
    if (f.failures && r.ok) return false;
    if (f.event && !eventNames(r).some(function (n) { return n.toLowerCase().indexOf(f.event) >= 0; })) return false;
    if (f.identity) {
      var id = r.identity || {};
      var hit = Object.keys(id).some(function (k) { var v = id[k]; return (typeof v === "string" ? v : JSON.stringify(v) || "").toLowerCase().indexOf(f.identity) >= 0; });
      if (!hit) return false;
    }
    return true;
  }

  // ---- the request stream ----
  function resultBadge(r) {
    var cls = r.ok ? "ok" : r.limited ? "limited" : "bad";
    var label = r.status + " · " + r.code;
    if (!r.ok && r.violation_count) label += " · " + r.violation_count + (r.violation_count === 1 ? " violation" : " violations");
    return el("span", { "class": "badge " + cls, text: label });
  }
  // On a property the path is the property itself, so it is left out.
  function violationLine(v, onProperty) {
    return el("p", { "class": "violation" },
      el("span", { "class": "rule", text: v.rule }), onProperty === true ? null : [" at ", el("code", { text: v.path })],
      ": expected " + v.expected.replace(/; did you mean `[^`]*`\?$/, ""),
      v.suggestion ? el("span", { "class": "suggest", text: " — did you mean " + v.suggestion + "?" }) : null);
  }
  function propTable(props, caption) {
    if (!props.length) return el("p", { "class": "muted small", text: "no properties" });
    return el("table", { "class": "props" },
      caption ? el("caption", { "class": "sr-only", text: caption }) : null,
      el("thead", null, el("tr", null, el("th", { scope: "col", text: "Property" }), el("th", { scope: "col", text: "Type" }), el("th", { scope: "col", text: "Value" }))),
      el("tbody", null, props.map(function (p) {
        var bad = p.violations && p.violations.length;
        return el("tr", { "class": "prop" + (bad ? " bad" : ""), "data-name": p.name },
          el("td", null, el("code", { text: p.name })),
          el("td", null, p.type === "unregistered"
            ? el("span", { "class": "badge unreg", text: "unregistered (" + p.json + ")" })
            : el("span", { "class": "badge type", text: p.type })),
          el("td", { "class": "value" }, valueText(p), bad ? p.violations.map(function (v) { return violationLine(v, true); }) : null));
      })));
  }
  function details(r) {
    var parts = [];
    if (r.note) parts.push(el("p", { "class": "muted", text: r.note }));
    (r.violations || []).forEach(function (v) { parts.push(violationLine(v)); });
    (r.events || []).forEach(function (e) {
      // Of a record over the server's cap, an event is an outline: no properties, no ids.
      var outline = !e.properties;
      parts.push(el("div", { "class": "event", "data-event": e.name || "" },
        el("h3", null, el("code", { text: e.name || "(no name)" }), " ",
          e.registered ? null : el("span", { "class": "badge unreg", text: "unregistered event" }),
          el("span", { "class": "muted small", text: "  events[" + e.index + "]" + (outline ? "" : " · " + (e.log_id || "no event_log_id") + " · " + (e.datetime || "")) })),
        (e.violations || []).map(function (v) { return violationLine(v); }),
        outline ? null : propTable(e.properties, "Properties of " + (e.name || "the event")),
        (e.items && e.items.length) ? el("div", { "class": "items" }, e.items.map(function (item, i) {
          return [el("h4", { text: "Item " + (i + 1) + " of " + (e.item_count || e.items.length) }), propTable(item, "Item " + (i + 1))];
        }), e.item_count > e.items.length
          ? el("p", { "class": "muted small", text: (e.item_count - e.items.length) + " more items not shown (the first " + e.items.length + " are)" })
          : null) : null));
    });
    if (r.user_properties && r.user_properties.length) {
      parts.push(el("h3", { text: "User properties" }), propTable(r.user_properties, "User properties"));
    }
    if (!parts.length) parts.push(el("p", { "class": "muted", text: "Nothing more to show: " + r.method + " " + r.endpoint + " answered " + r.status + " " + r.code + "." }));
    return parts;
  }
  function rowsFor(r, fresh) {
    var detailId = "req-" + r.id;
    var open = !!state.expanded[r.id];
    var names = eventNames(r);
    var button = el("button", { type: "button", "class": "expand", "aria-expanded": open ? "true" : "false", "aria-controls": detailId, text: clock(r.at) });
    var summary = el("tr", { "class": "req" + (r.ok ? "" : " fail") + (fresh ? " fresh" : ""), "data-id": r.id, "data-ok": r.ok ? "true" : "false" },
      el("td", null, button),
      el("td", null, el("code", { text: r.endpoint.replace("/api/v1", "") })),
      el("td", { title: JSON.stringify(r.identity) }, identityText(r.identity)),
      el("td", { title: names.join(", ") }, r.api === "Event" ? (r.event_count + " · " + (r.sunk ? "sunk" : names.slice(0, 3).join(", ") + (names.length > 3 ? "…" : ""))) : "—"),
      el("td", null, resultBadge(r)),
      el("td", { "class": "num" }, r.latency_ms.toFixed(1) + " ms"));
    var detail = el("tr", { "class": "details", id: detailId, hidden: !open }, el("td", { colspan: "6" }, open ? details(r) : null));
    button.addEventListener("click", function () {
      var now = !state.expanded[r.id];
      if (now) state.expanded[r.id] = true; else delete state.expanded[r.id];
      button.setAttribute("aria-expanded", now ? "true" : "false");
      detail.hidden = !now;
      var cell = detail.firstChild;
      cell.textContent = "";
      if (now) append(cell, details(r));
    });
    return [summary, detail];
  }
  function applyFilters() {
    var f = filters(), shown = 0;
    var rows = $("request-rows").querySelectorAll("tr.req");
    for (var i = 0; i < rows.length; i++) {
      var r = byId[rows[i].getAttribute("data-id")];
      var show = r && visible(r, f);
      rows[i].hidden = !show;
      var d = rows[i].nextSibling;
      if (d) d.hidden = !show || !state.expanded[r.id];
      if (show) shown++;
    }
    $("empty").hidden = state.records.length > 0;
    $("stream-count").textContent = state.records.length
      ? "(" + shown + " shown of " + state.records.length + " kept, at most " + state.capacity + ")" : "";
  }
  var byId = {};
  function renderAll() {
    var body = $("request-rows");
    body.textContent = "";
    var f = filters();
    for (var i = state.records.length - 1; i >= 0; i--) body.appendChild(frag(rowsFor(state.records[i], false)));
    applyFilters();
  }
  function frag(nodes) { var f = document.createDocumentFragment(); append(f, nodes); return f; }
  function addRecord(r) {
    if (r.id <= state.lastId) return;
    state.lastId = r.id;
    state.records.push(r);
    byId[r.id] = r;
    var body = $("request-rows");
    body.insertBefore(frag(rowsFor(r, true)), body.firstChild);
    while (state.records.length > state.capacity) {
      var old = state.records.shift();
      delete byId[old.id]; delete state.expanded[old.id];
      var row = body.querySelector('tr.req[data-id="' + old.id + '"]');
      if (row) { if (row.nextSibling) body.removeChild(row.nextSibling); body.removeChild(row); }
    }
    applyFilters();
    noteRate(r);
    scheduleRegistry();
  }

  // ---- rate limits ----
  function noteRate(r) {
    if (r.rate) state.rates[r.rate.api] = r.rate;
    var list = state.samples[r.api];
    if (list) {
      list.push({ t: r.at, limited: !!r.limited });
      var cutoff = Date.now() - BUCKET_MS * BUCKETS * 2;
      while (list.length && (list[0].t < cutoff || list.length > 5000)) list.shift();
    }
    renderRates();
  }
  function renderRates() {
    var box = $("rates");
    box.textContent = "";
    var now = Date.now();
    APIS.forEach(function (api) {
      var rate = state.rates[api] || { window: "?", limit: 0, limited: 0 };
      var remaining = rate.remaining;
      if (remaining === null || remaining === undefined || (rate.reset_ms && now >= rate.reset_ms)) remaining = rate.limit;
      var buckets = [];
      for (var i = 0; i < BUCKETS; i++) buckets.push({ ok: 0, refused: 0 });
      var start = now - BUCKET_MS * BUCKETS;
      (state.samples[api] || []).forEach(function (s) {
        if (s.t < start) return;
        var b = Math.min(BUCKETS - 1, Math.floor((s.t - start) / BUCKET_MS));
        if (s.limited) buckets[b].refused++; else buckets[b].ok++;
      });
      var max = 1;
      buckets.forEach(function (b) { max = Math.max(max, b.ok + b.refused); });
      var chart = svg("svg", { viewBox: "0 0 160 34", role: "img", "aria-label": api + " requests over the last minute" });
      buckets.forEach(function (b, i) {
        var x = i * (160 / BUCKETS) + 0.5, w = 160 / BUCKETS - 1;
        var hOk = 32 * b.ok / max, hBad = 32 * b.refused / max;
        if (hOk) chart.appendChild(svg("rect", { "class": "admitted", x: x, y: 33 - hOk - hBad, width: w, height: hOk }));
        if (hBad) chart.appendChild(svg("rect", { "class": "refused", x: x, y: 33 - hBad, width: w, height: hBad }));
      });
      box.appendChild(el("div", { "class": "rate", id: "rate-" + api, "data-api": api },
        el("span", { "class": "name", text: api }),
        el("span", { "class": "figures" },
          el("strong", { "class": "remaining", text: Number(remaining).toLocaleString("en-US") }), " of " + Number(rate.limit).toLocaleString("en-US") + " left per " + rate.window, el("br"),
          el("span", { "class": rate.limited ? "limited" : "" }, "429s: ", el("span", { "class": "count-429", text: String(rate.limited) })),
          " · admitted " + (rate.admitted || 0)),
        chart));
    });
  }

  // ---- registry ----
  function scheduleRegistry() {
    if ($("panel-registry").hidden) return;
    if (state.registryTimer) return;
    state.registryTimer = setTimeout(function () { state.registryTimer = null; loadRegistry(); }, 400);
  }
  function loadRegistry() {
    fetch("inspector/registry", { cache: "no-store" }).then(function (res) { return res.json(); })
      .then(renderRegistry, function () { $("registry").textContent = "The registry view could not be loaded."; });
  }
  function renderRegistry(view) {
    var box = $("registry");
    box.textContent = "";
    var events = view.events.slice().sort(function (a, b) { return (b.received - a.received) || (a.name < b.name ? -1 : 1); });
    var received = events.filter(function (e) { return e.received > 0; }).length;
    var props = 0, seen = 0;
    events.forEach(function (e) { e.properties.concat(e.items).forEach(function (p) { props++; if (p.seen) seen++; }); });
    box.appendChild(el("p", { "class": "summary" }, el("strong", { text: received + " of " + events.length }), " registered events received · ",
      el("strong", { text: seen + " of " + props }), " event and item properties seen"));
    var unlisted = view.unregistered_not_listed || 0;
    if (view.unregistered.length || unlisted) {
      box.appendChild(el("h3", { text: "Unregistered names attempted" }));
      // The server lists the first distinct names only; the attempts of later ones are counted.
      if (unlisted) box.appendChild(el("p", { "class": "muted small", text: unlisted.toLocaleString("en-US") + " more " + (unlisted === 1 ? "attempt" : "attempts") + " of names not listed (the first " + view.unregistered.length + " names are)" }));
      box.appendChild(el("table", { "class": "registry" },
        el("thead", null, el("tr", null, ["Name", "Attempts", "Did you mean"].map(function (h) { return el("th", { scope: "col", text: h }); }))),
        el("tbody", null, view.unregistered.map(function (u) {
          return el("tr", { "data-name": u.name }, el("td", null, el("code", { text: u.name }), el("br"),
              el("span", { "class": "muted small", text: u.kind + (u.event ? " of " + u.event : "") })),
            el("td", { "class": "num", text: String(u.attempts) }),
            el("td", null, u.suggestion ? el("code", { "class": "suggest", text: u.suggestion }) : "—"));
        }))));
    }
    box.appendChild(el("h3", { text: "Events" }));
    box.appendChild(el("table", { "class": "registry" },
      el("thead", null, el("tr", null, ["Event · properties never seen", "Received", "Coverage"].map(function (h) { return el("th", { scope: "col", text: h }); }))),
      el("tbody", null, events.map(function (e) {
        var all = e.properties.concat(e.items);
        var unseen = all.filter(function (p) { return !p.seen; }).map(function (p) { return p.name; });
        var pct = all.length ? Math.round(100 * (all.length - unseen.length) / all.length) : 100;
        return el("tr", { "class": e.received ? "" : "none", "data-event": e.name },
          el("td", null, el("code", { text: e.name }),
            e.received && all.length ? el("div", { "class": "names", text: unseen.length ? "never seen: " + unseen.join(", ") : "every property seen" }) : null),
          el("td", { "class": "num", text: String(e.received) }),
          el("td", { "class": "num cover" }, el("span", { "class": "bar", "aria-hidden": "true" }, el("span", { width: pct + "%" })), (all.length - unseen.length) + "/" + all.length));
      }))));
    box.appendChild(el("h3", { text: "User properties" }));
    box.appendChild(el("table", { "class": "registry" },
      el("thead", null, el("tr", null, ["Property", "Type", "Seen"].map(function (h) { return el("th", { scope: "col", text: h }); }))),
      el("tbody", null, view.user_properties.map(function (p) {
        return el("tr", { "class": p.seen ? "" : "none" }, el("td", null, el("code", { text: p.name })), el("td", { text: p.type }), el("td", { "class": "num", text: String(p.seen) }));
      }))));
  }

  // ---- profiles ----
  function searchProfiles(event) {
    if (event) event.preventDefault();
    var q = $("profile-q").value.trim();
    var out = $("profile-results");
    if (!q) { out.textContent = "Type an external_id (or part of one)."; return; }
    fetch("inspector/profiles?q=" + encodeURIComponent(q), { cache: "no-store" }).then(function (res) { return res.json(); })
      .then(function (found) {
        out.textContent = "";
        if (!found.matches.length) { out.appendChild(el("p", { "class": "muted", text: "No profile has an external_id containing “" + q + "”." })); return; }
        found.matches.forEach(function (m) {
          var p = m.profile;
          var texts = m.texts || {};
          var props = Object.keys(p.properties).map(function (k) { return { name: k, type: "", value: p.properties[k], text: texts[k] }; });
          out.appendChild(el("div", { "class": "profile", "data-external-id": p.identity.external_id || "" },
            el("h3", null, el("code", { text: p.identity.external_id || "" }), el("span", { "class": "muted small", text: "  df_unified_id " + p.df_unified_id })),
            el("p", { "class": "small muted", text: Object.keys(p.identity).map(function (k) { return k + " = " + p.identity[k]; }).join(" · ") }),
            props.length ? el("table", { "class": "props" }, el("caption", { "class": "sr-only", text: "Current user properties" }),
              el("thead", null, el("tr", null, el("th", { scope: "col", text: "User property" }), el("th", { scope: "col", text: "Current value" }))),
              el("tbody", null, props.map(function (pr) { return el("tr", null, el("td", null, el("code", { text: pr.name })), el("td", { "class": "value", text: valueText(pr) })); })))
              : el("p", { "class": "muted small", text: "No user properties set." }),
            el("h4", { text: "Identity and profile requests kept (" + m.history.length + "), oldest first" }),
            el("ol", { "class": "history small" }, m.history.map(function (r) {
              var set = (r.user_properties || []).map(function (u) { return u.name + "=" + valueText(u); }).join(", ");
              return el("li", null, clock(r.at) + " ", el("code", { text: r.endpoint.replace("/api/v1", "") }), " ", resultBadge(r), set ? " " + set : "");
            }))));
        });
        if (found.more) out.appendChild(el("p", { "class": "muted small", text: "More profiles match; type more of the id." }));
      }, function () { out.textContent = "The search failed: is the emulator still running?"; });
  }

  // ---- tabs ----
  function selectTab(tab) {
    var tabs = document.querySelectorAll("[role=tab]");
    for (var i = 0; i < tabs.length; i++) {
      var on = tabs[i] === tab;
      tabs[i].setAttribute("aria-selected", on ? "true" : "false");
      tabs[i].tabIndex = on ? 0 : -1;
      $(tabs[i].getAttribute("aria-controls")).hidden = !on;
    }
    if (tab.id === "tab-registry") loadRegistry();
    if (tab.id === "tab-profiles") $("profile-q").focus();
  }
  function tabKeys(event) {
    var tabs = Array.prototype.slice.call(document.querySelectorAll("[role=tab]"));
    var i = tabs.indexOf(event.target);
    if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      var next = tabs[(i + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
      next.focus(); selectTab(next); event.preventDefault();
    }
  }

  // ---- the stream connection ----
  function setConnection(text, cls) { var c = $("connection"); c.textContent = text; c.className = "connection " + (cls || ""); }
  // Forgets every request shown or held back, the chart's samples and the profiles found;
  // the last id seen too when ids start again (another emulator).
  function forget(idsRestart) {
    state.records = []; state.pending = []; byId = {}; state.expanded = {};
    if (idsRestart) state.lastId = 0;
    APIS.forEach(function (api) { state.samples[api] = []; });
    if (state.paused) $("pause").textContent = "Resume (0 new)";
    $("profile-results").textContent = "";
  }
  function onSnapshot(message) {
    var snap = JSON.parse(message.data);
    if (snap.instance !== state.instance) {
      // Another emulator on this address (restarted): its ids start again, forget the old one's.
      state.instance = snap.instance;
      forget(true);
    } else if (snap.resets !== state.resets) {
      // A "Clear" this page missed (disconnected, or behind): what it shows was forgotten.
      forget(false);
    }
    state.resets = snap.resets;
    state.capacity = snap.capacity;
    snap.rates.forEach(function (r) { state.rates[r.api] = r; });
    // New: past the last shown and the last held back. Paused, they are held back too.
    var known = state.lastId;
    if (state.pending.length) known = Math.max(known, state.pending[state.pending.length - 1].id);
    snap.records.forEach(function (r) {
      if (r.id <= known) return;
      if (state.paused) hold(r);
      else { state.records.push(r); byId[r.id] = r; state.lastId = r.id; noteSample(r); }
    });
    while (state.records.length > state.capacity) { var old = state.records.shift(); delete byId[old.id]; }
    renderAll(); renderRates(); scheduleRegistry();
  }
  function noteSample(r) { var list = state.samples[r.api]; if (list) list.push({ t: r.at, limited: !!r.limited }); }
  // Paused: `r` waits for "Resume", with the last `capacity` others.
  function hold(r) {
    state.pending.push(r);
    if (state.pending.length > state.capacity) state.pending.shift();
    $("pause").textContent = "Resume (" + state.pending.length + " new)";
  }
  function onRecord(message) {
    var r = JSON.parse(message.data);
    if (state.paused) hold(r);
    else addRecord(r);
  }
  function onReset(message) {
    state.resets = JSON.parse(message.data).resets;
    forget(false);
    APIS.forEach(function (api) { var r = state.rates[api]; if (r) { r.remaining = null; r.limited = 0; r.admitted = 0; } });
    renderAll(); renderRates(); scheduleRegistry();
  }
  function connect() {
    var source = new EventSource("inspector/stream");
    source.addEventListener("open", function () { setConnection(state.paused ? "paused" : "live", state.paused ? "paused" : "live"); });
    source.addEventListener("error", function () {
      // A dropped stream or a refused connection is retried by EventSource itself; an answer
      // that is not a stream (a 404 from an emulator restarted without --inspect, a proxy's
      // 502) closes it for good, so a new one is opened here, as long as the page is open.
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        setTimeout(connect, RETRY_MS);
      }
      setConnection("disconnected, retrying…", "");
    });
    source.addEventListener("snapshot", onSnapshot);
    source.addEventListener("request", onRecord);
    source.addEventListener("reset", onReset);
  }
  function togglePause() {
    state.paused = !state.paused;
    var button = $("pause");
    button.setAttribute("aria-pressed", state.paused ? "true" : "false");
    if (!state.paused) {
      var pending = state.pending; state.pending = [];
      pending.forEach(addRecord);
      button.textContent = "Pause";
      setConnection("live", "live");
    } else {
      button.textContent = "Resume (0 new)";
      setConnection("paused", "paused");
    }
  }
  function clearAll() {
    fetch("reset", { method: "POST" }).then(function (res) {
      if (!res.ok) setConnection("clear failed: HTTP " + res.status, "");
    }, function () { setConnection("clear failed: the emulator did not answer", ""); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    ["filter-event", "filter-identity", "filter-failures"].forEach(function (id) { $(id).addEventListener("input", applyFilters); $(id).addEventListener("change", applyFilters); });
    $("filters").addEventListener("submit", function (e) { e.preventDefault(); });
    $("pause").addEventListener("click", togglePause);
    $("clear").addEventListener("click", clearAll);
    $("profile-search").addEventListener("submit", searchProfiles);
    var tabs = document.querySelectorAll("[role=tab]");
    for (var i = 0; i < tabs.length; i++) {
      tabs[i].addEventListener("click", function (e) { selectTab(e.currentTarget); });
      tabs[i].addEventListener("keydown", tabKeys);
    }
    renderRates();
    setInterval(renderRates, 2000); // redraws the chart's time axis; asks the server nothing
    loadRegistry();
    connect();
  });
})();
