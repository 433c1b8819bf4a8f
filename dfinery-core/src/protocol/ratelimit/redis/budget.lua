-- The shared rate budget of one service's API (dfinery-core, ratelimit::RedisBudget).
--
-- KEYS[1]  the budget's hash: tat, wend, wlen, wcount, wcap, ext, block, limit, period, o0, t0
-- KEYS[2]  the export lease sorted set (member = holder, score = expiry in ms)
-- ARGV[1]  op: acquire | feedback | lease | unlease
-- ARGV[2]  limit (calls per period), ARGV[3] period in ms, ARGV[4] burst (permits at once),
-- ARGV[5]  headroom in permille, ARGV[6] idle ttl in ms
-- feedback: ARGV[7] remaining (-1: unknown), ARGV[8] ms until the reset (-1: unknown),
--           ARGV[9] window in ms (-1: unknown), ARGV[10] rate limited (1/0),
--           ARGV[11] latency in ms, ARGV[12] Retry-After in ms (-1: none)
--
-- Two rules, both evaluated on the Redis clock (TIME), so hosts need no common clock:
-- * GCRA: permits are spaced `interval` apart (period / (limit less the headroom)), at most
--   `burst` at once after a pause; `tat` is the theoretical arrival time of the next permit.
-- * A mirror of the server's window, learned from the rate-limit headers: `wend` (its reset on
--   the Redis clock), `wlen`, `wcount` (permits granted in it), `wcap` (the most it may grant).
--   Answers only ever lower `wcap` for the window they describe. What others spend is measured
--   as a pace (the growth of their share between answers, from `o0` at `t0`): the rest of the
--   window reserves it, and the next window starts with its cap lowered by it (`ext`).
local op = ARGV[1]
local limit = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local burst = tonumber(ARGV[4])
local headroom = tonumber(ARGV[5])
local ttl = tonumber(ARGV[6])

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

if op == 'lease' or op == 'unlease' then
  local zkey = KEYS[2]
  local member = ARGV[7]
  if op == 'unlease' then
    redis.call('ZREM', zkey, member)
    return {1, 0}
  end
  local lease_ttl = tonumber(ARGV[8])
  local max = tonumber(ARGV[9])
  -- A key of this name and another type (left by another tool) is replaced, not an error.
  local zkind = redis.call('TYPE', zkey).ok
  if zkind ~= 'zset' and zkind ~= 'none' then
    redis.call('UNLINK', zkey)
  end
  redis.call('ZREMRANGEBYSCORE', zkey, '-inf', now)
  -- No holder writes an expiry more than a day ahead (the longest lease): later ones (+inf
  -- included) were left by something else and would hold a slot for ever.
  local latest = now + math.max(lease_ttl, 86400000)
  redis.call('ZREMRANGEBYSCORE', zkey, '(' .. string.format('%.0f', latest), '+inf')
  if redis.call('ZSCORE', zkey, member) or redis.call('ZCARD', zkey) < max then
    redis.call('ZADD', zkey, now + lease_ttl, member)
    -- The set lives as long as its longest lease: a holder with a shorter one (another
    -- `export_lease_ttl`) set its own, and the set expired under the longer leases' holders.
    local last = redis.call('ZRANGE', zkey, -1, -1, 'WITHSCORES')
    redis.call('PEXPIRE', zkey, math.max(lease_ttl, math.ceil(tonumber(last[2]) - now)))
    return {1, 0}
  end
  local first = redis.call('ZRANGE', zkey, 0, 0, 'WITHSCORES')
  return {0, math.max(1, math.ceil(tonumber(first[2]) - now))}
end

local key = KEYS[1]
local effective = math.max(1, limit * (1000 - headroom) / 1000)
-- Never more at once than the period's limit, whatever lease a holder asks for.
burst = math.max(1, math.min(burst, math.floor(effective)))
local interval = period / effective
local tolerance = (burst - 1) * interval
local base_cap = math.floor(effective)
-- A window never starts with less than a tenth of the limit, so that answers keep coming and
-- an estimate of what others spend that has become too high is corrected.
local min_cap = math.max(1, math.floor(base_cap / 10))

-- A key of this name and another type (left by another tool) is replaced, not an error
-- (UNLINK: a large one is freed in the background, Redis is not held up).
local kind = redis.call('TYPE', key).ok
if kind ~= 'hash' and kind ~= 'none' then
  redis.call('UNLINK', key)
end

-- A stored number within [lo, hi]; anything else (garbage, NaN, an infinity, a time far
-- beyond what this script writes, as another tool or an old version may leave) reads as
-- absent, so the state starts afresh instead of stalling every holder.
local function stored(value, lo, hi)
  local n = tonumber(value)
  if n == nil or n ~= n or n < lo or n > hi then
    return nil
  end
  return n
end

local h = redis.call('HMGET', key, 'tat', 'wend', 'wlen', 'wcount', 'wcap', 'ext', 'block',
  'limit', 'period', 'o0', 't0', 'pm')
-- A server window is at most a day long (DFINERY's longest is an hour).
local day = 86400000
local max_window = math.max(period, day)
local wlen = stored(h[3], 1, max_window) or period
-- No state this script writes lies further ahead than two periods or windows (and bursts)...
local ahead = now + 2 * (math.max(period, wlen) + tolerance)
-- ...but a server's reset, up to a day ahead whatever the period (an answer without a window
-- header, whose window is taken for the period): the mirror's end and a block until it. Read
-- against `ahead` alone, a spent window's reset a minute ahead of a 10 s period was written,
-- then read back as garbage, and nobody was held back.
local reset_horizon = math.max(2 * (math.max(period, wlen) + tolerance), day)
local reset_ahead = now + reset_horizon
local tat = stored(h[1], 0, ahead) or 0
local wend = stored(h[2], 0, reset_ahead) or 0
local wcount = stored(h[4], 0, 1e15) or 0
local wcap = stored(h[5], 0, 1e15) or base_cap
local ext = stored(h[6], 0, base_cap) or 0
local block = stored(h[7], 0, reset_ahead) or 0
local o0 = stored(h[10], -1, 1e15) or -1
local t0 = stored(h[11], 0, ahead) or 0
-- Whether others' pace was measured in this window.
local pm = stored(h[12], 0, 1) or 0

-- A lower limit configured by any holder applies to the current window at once.
if tonumber(h[8]) ~= limit or tonumber(h[9]) ~= period then
  wcap = math.max(0, math.min(wcap, base_cap - math.ceil(ext)))
end

-- The mirrored window has passed: the next one starts with the base cap less what others
-- were seen to spend per window.
if wend > 0 and now >= wend then
  wend = wend + (math.floor((now - wend) / wlen) + 1) * wlen
  -- An estimate not confirmed by a measurement in the window that ended fades.
  if pm == 0 then
    ext = ext / 2
  end
  pm = 0
  wcount = 0
  wcap = math.max(min_cap, base_cap - math.ceil(ext))
  o0 = -1
end

local function save()
  redis.call('HSET', key, 'tat', tat, 'wend', wend, 'wlen', wlen, 'wcount', wcount,
    'wcap', wcap, 'ext', ext, 'block', block, 'limit', limit, 'period', period, 'o0', o0,
    't0', t0, 'pm', pm)
  local horizon = math.max(tat, block, wend) - now
  redis.call('PEXPIRE', key, math.ceil(ttl + math.max(0, horizon)))
end

if op == 'acquire' then
  local wanted = tonumber(ARGV[7])
  if block > now then
    save()
    return {0, math.ceil(block - now)}
  end
  local start = math.max(tat, now)
  local granted = 0
  if start <= now + tolerance then
    granted = math.min(wanted, math.floor((now + tolerance - start) / interval) + 1)
  end
  if wend > 0 and wcount + granted > wcap then
    granted = math.max(0, wcap - wcount)
  end
  if granted > 0 then
    tat = start + granted * interval
    wcount = wcount + granted
    save()
    return {granted, 0}
  end
  local wait
  if wend > 0 and wcount >= wcap then
    -- The window's cap is reached: nothing until it ends.
    wait = wend - now
  else
    wait = start - tolerance - now
  end
  save()
  return {0, math.max(1, math.ceil(wait))}
end

if op == 'feedback' then
  local remaining = tonumber(ARGV[7])
  local until_reset = tonumber(ARGV[8])
  local window = tonumber(ARGV[9])
  local limited = ARGV[10] == '1'
  local latency = tonumber(ARGV[11])
  -- The wait the answer's Retry-After asked for, in ms; -1 when it sent none.
  local retry_after = tonumber(ARGV[12]) or -1
  -- A refusal whose headers show calls left (remaining > 0) did not spend the window: for an
  -- export, most likely the limit of exports at once. It blocks no one; `remaining` counts.
  local spent = remaining == 0 or (limited and remaining < 0)
  if until_reset < 0 then
    -- Rate limited without a reset: hold everyone back as long as its Retry-After asked (at
    -- most what the next call reads back), or else for a while.
    if limited and remaining <= 0 then
      local hold = math.min(period, 1000)
      if retry_after >= 0 then
        hold = math.min(retry_after, reset_horizon)
      end
      block = math.max(block, now + hold)
    end
    save()
    return {1}
  end
  if window <= 0 then
    window = period
  end
  -- Within what the next call reads back (longer ones would read as garbage, blocking no one):
  -- a window of at most a day (or the period), a reset at most the horizon ahead.
  window = math.min(window, max_window)
  until_reset = math.min(until_reset, math.max(2 * (math.max(period, window) + tolerance), day))
  local reset = now + until_reset
  if wend == 0 or reset > wend + window / 2 then
    -- A window not seen yet: what the server counted so far is taken as spent by the fleet.
    wend = reset
    wlen = window
    if remaining >= 0 then
      wcount = math.max(0, limit - remaining)
    else
      wcount = 0
    end
    wcap = math.max(min_cap, base_cap - math.ceil(ext))
    o0 = -1
  elseif reset < wend - window / 2 then
    if reset <= now then
      -- An answer from a window that has passed: it cannot loosen anything.
      save()
      return {0}
    end
    -- The server's window is still open though the mirror rolled past it (a reset read on a
    -- clock a little ahead, or windows the mirror's guess did not align with): the server's
    -- reset stands, and what it says of its window counts (a spent one stops the fleet).
    wend = reset
  end
  if spent then
    -- Nothing left: no more permits until the reset.
    wcap = math.min(wcap, wcount)
    block = math.max(block, wend, reset)
    save()
    return {1}
  end
  if remaining > 0 then
    -- Permits granted within the answer's latency may not have reached the server yet.
    local in_flight = math.min(wcount, math.ceil(latency / interval))
    -- What the server counted beyond the fleet's own arrivals: other clients, or a limit
    -- lowered below the configured one (a constant offset, which `remaining` already shows).
    local spent_by_others = math.max(0, (limit - remaining) - (wcount - in_flight))
    -- Their pace, from how that grew since the window's first answer.
    local reserve = 0
    if o0 < 0 then
      o0 = spent_by_others
      t0 = now
    elseif now - t0 >= wlen / 10 then
      -- Growth within the uncertainty of the in-flight estimate (a lease's permits may still
      -- be on their way out) is not counted as a pace.
      local pace = math.max(0, spent_by_others - o0 - in_flight - burst - 1) / (now - t0)
      ext = math.min(base_cap, pace * wlen)
      pm = 1
      reserve = pace * until_reset
    end
    local cap = wcount + remaining - in_flight - math.ceil(reserve)
    wcap = math.max(0, math.min(wcap, cap))
  end
  save()
  return {1}
end

return redis.error_reply('dfinery budget script: unknown op ' .. tostring(op))
