//! Comparison 5, the emulator: requests per second it answers for 100-event batches over
//! loopback HTTP, set against DFINERY's default Event API limit.

use std::io;
use std::time::{Duration, Instant};

use bytes::Bytes;
use dfinery::{Event, Identifier, Identity};
use futures_util::future::try_join_all;

use crate::fixtures::fresh_purchase;
use crate::lab::Lab;
use crate::report::{Comparison, Figure, Goal, Ratio};

/// Events in each request: DFINERY's maximum.
pub const EVENTS_PER_REQUEST: usize = 100;

/// DFINERY's default Event API limit, per second (1,000,000 requests a minute).
pub const DFINERY_EVENT_REQUESTS_PER_SECOND: f64 = 1_000_000.0 / 60.0;

/// `count` request bodies of [`EVENTS_PER_REQUEST`] purchases each, every event with its own id
/// and one item: DFINERY takes at most 100 items per request, all events together, so a full
/// request of 100 events has one item per event.
///
/// # Errors
///
/// When an event does not validate (it always does).
pub fn batch_bodies(count: usize) -> io::Result<Vec<Bytes>> {
    let mut purchase = fresh_purchase();
    purchase.items.truncate(1);
    let identity = Identity::new(Identifier::ExternalId, "bench-user").map_err(io::Error::other)?;
    (0..count)
        .map(|_| {
            let events = (0..EVENTS_PER_REQUEST)
                .map(|_| purchase.to_record())
                .collect::<Result<Vec<_>, _>>()
                .map_err(io::Error::other)?;
            // The body of `POST /api/v1/events` (`docs/protocol.md` §3.2), written here: the
            // client builds its bodies itself, and this drives the emulator without one.
            let request = serde_json::json!({"common": {"identity": identity}, "events": events});
            serde_json::to_vec(&request)
                .map(Bytes::from)
                .map_err(io::Error::other)
        })
        .collect()
}

/// Requests answered in a measurement window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throughput {
    /// Requests answered `20000`.
    pub requests: u64,
    /// How long the window lasted.
    pub elapsed: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
}

impl Throughput {
    /// Requests per second.
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(f64::MIN_POSITIVE)
    }
}

/// Posts `bodies` to the emulator from `concurrency` connections for `window`. Each connection
/// posts bodies of its own (`bodies` split in `concurrency` equal parts), in turn, and resets
/// the emulator, awaited, before it starts over on them: a body is never posted again before a
/// reset forgot it, so every event is stored, never skipped as a duplicate, and memory stays
/// flat. (A reset by another connection only forgets more.)
///
/// # Errors
///
/// When there are fewer bodies than connections, a request fails or is not answered `20000`,
/// or the emulator counted a duplicate event.
pub fn measure(
    lab: &Lab,
    bodies: &[Bytes],
    window: Duration,
    concurrency: usize,
) -> io::Result<Throughput> {
    let concurrency = concurrency.max(1);
    let per_connection = bodies.len() / concurrency;
    if per_connection == 0 {
        return Err(io::Error::other(format!(
            "{} request bodies for {concurrency} connections: each connection needs bodies of \
             its own",
            bodies.len()
        )));
    }
    let http = crate::lab::http_client()?;
    let url = lab.url("/api/v1/events?service_id=emulator");
    let start = Instant::now();
    let deadline = start + window;
    let answered = lab.runtime().block_on(try_join_all(
        bodies
            .chunks_exact(per_connection)
            .take(concurrency)
            .map(|own| connection(lab, &http, &url, own, deadline)),
    ))?;
    let elapsed = start.elapsed();
    let counts = lab.counts()?;
    lab.reset()?;
    if counts.duplicates > 0 {
        return Err(io::Error::other(format!(
            "the emulator skipped {} events as already stored: the figure would not be of \
             stored events",
            counts.duplicates
        )));
    }
    Ok(Throughput {
        requests: answered.iter().sum(),
        elapsed,
        concurrency,
    })
}

/// One connection of [`measure`]: posts `own` in turn until `deadline`, resetting the
/// emulator before each start over; the requests answered.
async fn connection(
    lab: &Lab,
    http: &reqwest::Client,
    url: &str,
    own: &[Bytes],
    deadline: Instant,
) -> io::Result<u64> {
    let mut answered = 0u64;
    while Instant::now() < deadline {
        let i = (answered % own.len() as u64) as usize;
        if answered > 0 && i == 0 {
            lab.reset_async().await?;
        }
        post(http, url, lab.import_token(), own[i].clone()).await?;
        answered += 1;
    }
    Ok(answered)
}

/// One request, checked for `20000`.
async fn post(http: &reqwest::Client, url: &str, token: &str, body: Bytes) -> io::Result<()> {
    let response = http
        .post(url)
        .header("access_token", token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(io::Error::other)?;
    let status = response.status();
    let text = response.text().await.map_err(io::Error::other)?;
    if status.is_success() && text.contains("\"20000\"") {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "the emulator answered {status}: {text}"
        )))
    }
}

/// Measures with fresh bodies and returns the report's rows for comparison 5.
///
/// # Errors
///
/// As [`measure`].
pub fn compare(lab: &Lab, window: Duration, concurrency: usize) -> io::Result<Comparison> {
    // 16 bodies per connection: one reset per 16 requests.
    let bodies = batch_bodies(16 * concurrency.max(1))?;
    lab.reset()?;
    let t = measure(lab, &bodies, window, concurrency)?;
    let per_second = t.per_second();
    Ok(Comparison {
        title: format!(
            "5. emulator: {EVENTS_PER_REQUEST}-event `df_purchase` batches (one item each) over loopback"
        ),
        figures: vec![
            Figure::new(
                &format!("emulator, {} connections", t.concurrency),
                per_second,
                "requests/s",
            )
            .with_extra(format!(
                "{:.0} events/s, {} bytes per request",
                per_second * EVENTS_PER_REQUEST as f64,
                bodies.first().map_or(0, Bytes::len)
            )),
            Figure::new(
                "DFINERY default Event API limit (1,000,000/min)",
                DFINERY_EVENT_REQUESTS_PER_SECOND,
                "requests/s",
            ),
        ],
        ratios: vec![Ratio::new(
            "emulator requests/s / DFINERY's limit",
            per_second / DFINERY_EVENT_REQUESTS_PER_SECOND,
            Goal::None,
        )],
        notes: vec![
            "client and emulator share the machine's cores; each request carries 100 events \
             of 1 item each (DFINERY takes at most 100 items per request), validated against \
             the registry and stored"
                .to_owned(),
        ],
    })
}
