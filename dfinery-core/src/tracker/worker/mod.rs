//! The worker task: receives messages and control commands over one channel, keeps a queue per
//! user, sends due batches (on count, bytes, the interval, a flush or the shutdown drain), and
//! settles what comes back. It is the only owner of the queues, so no lock guards them.

mod backoff;
mod finish;
mod queue;
mod recovery;
mod send;
mod waiters;

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::hash::{BuildHasherDefault, Hasher};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, MissedTickBehavior};

use super::Core;
use super::builder::Settings;
use super::dead_letter::DeadLetter;
use super::error::SpoolError;
use super::message::Message;
use super::metrics::Counters;
use super::report::{FlushReport, ShutdownReport};
use super::spool::Rows;
use crate::client::Client;
use crate::encode::identity::Identity;
use crate::ratelimit::{Api, Gate};
use backoff::Backoff;
use queue::{Limits, Queued, UserQueue};
use recovery::Recovery;
use send::{Outcome, send};
use waiters::Waiter;

/// A message handed over by a call.
#[derive(Debug)]
pub(crate) struct Incoming {
    pub(crate) seq: u64,
    pub(crate) identity: Identity,
    pub(crate) message: Message,
    pub(crate) weight: usize,
}

/// What the handles tell the worker.
#[derive(Debug)]
pub(crate) enum Command {
    /// Queue messages, in order.
    Messages(Vec<Incoming>),
    /// Queue one message (an awaited or `try_` call's: no list to allocate).
    Message(Incoming),
    /// Send everything now and report.
    Flush(oneshot::Sender<FlushReport>),
    /// Tell the dead-letter callback that a `try_` message could not be made durable (it is
    /// still delivered: not counted as dead-lettered, not written to the dead-letter table).
    NotDurable(Box<DeadLetter>),
    /// Drain within `timeout`, then stop.
    Shutdown {
        timeout: Duration,
        reply: oneshot::Sender<ShutdownReport>,
    },
}

/// An identity as the key of the worker's map of users: hashed by its cached key
/// ([`Identity::key`], a keyed SipHash made once per identity and shared by its clones), so a
/// message's identity is not hashed again on every message; compared in full.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct IdKey(pub(crate) Identity);

impl std::hash::Hash for IdKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0.key());
    }
}

/// A map keyed by the worker's own ids (users, batches).
type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;

/// Hashes the worker's own ids: handed out in sequence by the worker, never chosen by a caller,
/// so one multiplication by an odd constant spreads them (the high bits, which the table
/// compares, mix every bit of the id; the low bits, which pick the bucket, stay distinct for
/// consecutive ids), and SipHash's defence against chosen keys would buy nothing. It is used
/// once or twice per message.
#[derive(Debug, Default, Clone, Copy)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(self.0.rotate_left(8) ^ u64::from(byte));
        }
    }

    fn write_u64(&mut self, id: u64) {
        self.0 = id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// The [`DeadLetter::kind`] of a message lost because the runtime running the worker stopped
/// under a live tracker without a spool.
const RUNTIME_STOPPED: &str = "runtime_stopped";

/// The worker dropped before its drain finished: its runtime shut down (a program that drops
/// its runtime, or returns from `main`, while a `Tracker` handle is still alive and was never
/// shut down). What it held is lost without a spool, so that is never silent: each message is
/// dead-lettered (kind [`RUNTIME_STOPPED`]) and the loss logged; with a spool it is counted as
/// left there. Not while a panic unwinds (the worker's own, or the app's through the runtime it
/// drops): the app's callback is not called then, and the log line alone says what is lost.
impl Drop for Worker {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        // Nobody gives room back from now on: a call waiting for room (the queue full when the
        // runtime stopped) would wait forever. Closed, it returns `TrackError::Closed`.
        self.core.capacity.close();
        let panicking = std::thread::panicking();
        if !panicking {
            // What calls handed over and the worker did not receive yet was accepted too.
            self.receive_the_rest_now();
        }
        let metrics = self.core.metrics();
        let undelivered = metrics.queued + metrics.in_flight;
        if undelivered == 0 {
            return;
        }
        // A panic of the worker's own (a bug of dfinery's: the callback's are caught) also
        // ends here, during its poll, and must not be blamed on the runtime; nor the app's own
        // panic, unwinding through a runtime it drops, on the worker.
        let stopped = if panicking_in_a_poll() {
            "the tracker's worker panicked"
        } else {
            "the Tokio runtime running the tracker's worker stopped"
        };
        if !panicking {
            let unsent = match &self.last_error {
                Some(error) => format!(
                    "not delivered: {stopped} under a live tracker without a spool; last error: {error}"
                ),
                None => format!("not delivered: {stopped} under a live tracker without a spool"),
            };
            let unanswered = format!(
                "its request was under way when {stopped} (sent and not answered, or waiting \
                 for a rate-limit permit or a retry): DFINERY may have stored it (an event sent \
                 again with its event_log_id is dropped as a duplicate)"
            );
            self.give_up(RUNTIME_STOPPED, &unsent, &unanswered);
        }
        let messages = dfinery_schema::names::counted(undelivered, "message", "messages");
        match &self.core.spool {
            None if panicking => tracing::error!(
                undelivered,
                "{stopped} with {messages} undelivered; they are lost: keep the runtime running until `tracker.shutdown().await` returns"
            ),
            None => tracing::error!(
                undelivered,
                kind = RUNTIME_STOPPED,
                "{stopped} with {messages} undelivered; they are lost, and dead-lettered with kind `{RUNTIME_STOPPED}` (kept only where `on_dead_letter` keeps them): keep the runtime running until `tracker.shutdown().await` returns"
            ),
            Some(spool) => tracing::info!(
                undelivered,
                spool = %spool.path().display(),
                "{stopped} with {messages} undelivered; they stay in the spool `{}` for the next start (call `tracker.shutdown().await` before the runtime stops to send them now)",
                spool.path().display()
            ),
        }
    }
}

thread_local! {
    /// Set while this thread polls a tracker's worker ([`Worker::task`]). A panic in the
    /// worker drops it while unwinding through that poll, so a [`Worker`] dropped during a
    /// panic with this unset was stopped by a panic elsewhere (the app's, unwinding through a
    /// runtime it drops).
    static POLLING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Restores [`POLLING`] when a poll of the worker ends, by a return or a panic.
struct Polling(bool);

impl Polling {
    fn enter() -> Polling {
        Polling(POLLING.replace(true))
    }
}

impl Drop for Polling {
    fn drop(&mut self) {
        POLLING.set(self.0);
    }
}

/// `future`, each of its polls marked in [`POLLING`].
async fn polled<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(|cx| {
        let _polling = Polling::enter();
        future.as_mut().poll(cx)
    })
    .await
}

/// Whether this thread unwinds a panic raised inside a poll of [`polled`].
fn panicking_in_a_poll() -> bool {
    std::thread::panicking() && POLLING.get()
}

/// A wake-up that brought fewer messages than this lingers once (see [`Worker::run`]).
const LINGER_BELOW: u64 = 64;

/// Messages taken from the channel in one go before sending.
const BURST: usize = 1024;

type Sending = FuturesUnordered<Pin<Box<dyn Future<Output = (u64, Outcome)> + Send>>>;

/// A batch on the wire: whose, and its messages.
struct Batch {
    user: u64,
    /// The user's identity, to dead-letter with.
    identity: Identity,
    /// The API its call counts against.
    api: Api,
    ops: Vec<Queued>,
}

/// The drain of a shutdown.
struct Drain {
    deadline: Instant,
    /// Every shutdown call waiting for the report (a later call may bring the deadline
    /// forward: see `Tracker::shutdown_within`).
    replies: Vec<oneshot::Sender<ShutdownReport>>,
    timed_out: bool,
    /// Messages dead-lettered at the deadline (no spool to keep them).
    lost_at_deadline: u64,
}

pub(crate) struct Worker {
    client: Client,
    settings: Settings,
    limits: Limits,
    core: Arc<Core>,
    rx: mpsc::UnboundedReceiver<Command>,
    /// The channel is closed and empty.
    rx_done: bool,
    ids: HashMap<IdKey, u64, BuildHasherDefault<IdHasher>>,
    users: IdMap<UserQueue>,
    next_user: u64,
    /// Users due to send, in order.
    ready: VecDeque<u64>,
    sending: Sending,
    batches: IdMap<Batch>,
    next_batch: u64,
    /// Messages received so far (the arrival counter).
    arrivals: u64,
    /// Messages not settled: queued, in flight, or still in the spool from a previous process.
    live: u64,
    recovery: Option<Recovery>,
    /// A recovery page being read by the spool's writer thread.
    reading: Option<oneshot::Receiver<Result<Rows, SpoolError>>>,
    backoff: Backoff,
    /// Per API ([`Api::index`]), while the client paces its calls to it: no batch of it (events,
    /// or an identity or profile update) is taken before then (see
    /// [`dispatch`](Worker::dispatch)).
    paced_until: [Option<Instant>; Api::ALL.len()],
    /// Per API ([`Api::index`]), the identity and profile updates in the users' queues (not on
    /// the wire; events are not counted): while the gate holds the Event API,
    /// [`dispatch`](Worker::dispatch) looks past the users it holds only when an update of an
    /// API it does not hold could go.
    updates_queued: [usize; Api::ALL.len()],
    /// How many users at the front of the ready list the last [`dispatch`](Worker::dispatch)
    /// passed over, their API holding their batch: not due users that have yet to go, so a
    /// pressed queue schedules the others all the same.
    held_back: usize,
    waiters: Vec<Waiter>,
    drain: Option<Drain>,
    last_error: Option<String>,
    /// Why the last dead letter was refused, for the shutdown's report.
    last_dead_letter: Option<String>,
    /// The kind and reason of the last group of dead letters logged, until a message is
    /// delivered: the same refusal again (a refused token, batch after batch) is not logged
    /// again.
    last_buried_logged: Option<(&'static str, String)>,
    /// [`finish`](Worker::finish) has begun: dropped before it, the worker was stopped from
    /// outside (its runtime shut down) and says what it leaves undelivered.
    finished: bool,
}

impl Worker {
    /// A worker; `last_seq` is the highest sequence number a previous process may have left in
    /// the spool.
    pub(crate) fn new(
        client: Client,
        settings: Settings,
        core: Arc<Core>,
        rx: mpsc::UnboundedReceiver<Command>,
        last_seq: u64,
    ) -> Worker {
        let limits = Limits {
            max_events: settings.max_batch_events,
            max_bytes: settings.max_batch_bytes,
            max_items: crate::limits::MAX_ITEMS_PER_REQUEST,
        };
        let mut worker = Worker {
            client,
            settings,
            limits,
            core,
            rx,
            rx_done: false,
            ids: HashMap::default(),
            users: IdMap::default(),
            next_user: 0,
            ready: VecDeque::new(),
            sending: FuturesUnordered::new(),
            batches: IdMap::default(),
            next_batch: 0,
            arrivals: 0,
            live: 0,
            recovery: None,
            reading: None,
            backoff: Backoff::default(),
            paced_until: [None; Api::ALL.len()],
            updates_queued: [0; Api::ALL.len()],
            held_back: 0,
            waiters: Vec::new(),
            drain: None,
            last_error: None,
            last_dead_letter: None,
            last_buried_logged: None,
            finished: false,
        };
        worker.start_recovery(last_seq);
        worker
    }

    /// The worker's task: [`run`](Worker::run), each poll marked in [`POLLING`] so that a drop
    /// while panicking can tell a panic of the worker's own from one elsewhere.
    pub(crate) async fn task(self) {
        polled(self.run()).await;
    }

    /// Runs until the shutdown drain ends (or every handle is dropped and the drain ends).
    async fn run(mut self) {
        let period = self.settings.flush_interval;
        let mut tick = tokio::time::interval_at(Instant::now() + period, period);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut linger = false;
        // The end of the hold of delivered room (see `Capacity::held_until`): one timer, reset
        // only when a new hold starts, not registered again on every pass of the loop.
        let hold = tokio::time::sleep_until(Instant::now());
        tokio::pin!(hold);
        let mut hold_armed: Option<Instant> = None;
        loop {
            if std::mem::take(&mut linger) {
                // Woken for a few messages: let the tasks that are ready to run (callers
                // handing over more) go first, then take everything they handed over, so the
                // worker runs once per many messages rather than once per message (a caller
                // that wakes it would otherwise have it run right after, for one message).
                // Tokio runs a yielded task again once its thread has nothing else to run,
                // or after a few dozen other tasks: no wait when the runtime is idle, and
                // nothing is sent later than it would be, as no message makes a user due on
                // its own except a full request, which waits for those few tasks at most.
                tokio::task::yield_now().await;
                self.receive_burst();
            }
            self.load_recovered();
            // The users at the front that their API holds back are no due users still to go:
            // counted as such, an update waiting for its Identity slot (up to a minute) kept
            // every other user's events from going before the interval, and callers waiting.
            // Only while some user could be scheduled: every user with a queue is in the ready
            // list, on the wire (one batch each) or neither; with none of the third kind the
            // scan of every user below finds nothing (and while the users the pacing gate
            // holds fill the list, this runs on every turn).
            let schedulable = self.users.len() > self.ready.len() + self.batches.len();
            if self.ready.len() <= self.held_back && schedulable && self.core.capacity.pressed() {
                // More than half the room is taken and every due user went: send now rather
                // than make callers wait for the interval (many users, each with less than a
                // request's worth, fill the queue between two ticks). The users holding at
                // least half a request go first, so requests stay full and few; when no
                // user holds that much (not even one on the wire now, whose next request
                // goes once this one is answered), every user with something queued. Each
                // goes with what it holds when its turn comes.
                if !self.schedule_half_full() {
                    self.schedule_all();
                }
            }
            self.dispatch();
            self.settle_waiters();
            if self.drain.is_some() && self.live == 0 {
                if self.rx_done {
                    break;
                }
                // Stragglers already in the channel are still received, then `None`.
                self.rx.close();
            }
            let deadline = self.drain.as_ref().map(|d| d.deadline);
            let pause = self.backoff.until;
            let paced = self.paced_until.iter().flatten().min().copied();
            // A failed read of the recovery is tried again then (by `load_recovered`).
            let read_again = self.recovery.as_ref().and_then(|r| r.read_again_at);
            // Room of delivered messages held back for the callers waiting for room (see
            // `Capacity::give_back_settled`) goes back at the end of its hold, even when no
            // delivery follows to give it back.
            let held_until = self.core.capacity.held_until();
            if held_until != hold_armed {
                if let Some(at) = held_until {
                    hold.as_mut().reset(at);
                }
                hold_armed = held_until;
            }
            tokio::select! {
                biased;
                () = sleep_until(deadline), if deadline.is_some() => {
                    self.receive_the_rest().await;
                    self.expire();
                    break;
                }
                () = &mut hold, if hold_armed.is_some() => {
                    hold_armed = None;
                    self.core.capacity.give_back_held();
                }
                command = self.rx.recv(), if !self.rx_done => {
                    let before = self.arrivals;
                    self.on_command(command);
                    let received = self.arrivals - before;
                    linger = received > 0 && received < LINGER_BELOW;
                }
                Some((id, outcome)) = self.sending.next(), if !self.sending.is_empty() => {
                    self.complete(id, outcome);
                }
                page = read(&mut self.reading), if self.reading.is_some() => {
                    self.on_recovered(page);
                }
                () = sleep_until(pause), if pause.is_some() => self.backoff.until = None,
                () = sleep_until(paced), if paced.is_some() => {
                    let now = Instant::now();
                    for until in &mut self.paced_until {
                        *until = until.filter(|&at| at > now);
                    }
                }
                () = sleep_until(read_again), if read_again.is_some() => {
                    if let Some(recovery) = &mut self.recovery {
                        recovery.read_again_at = None;
                    }
                }
                _ = tick.tick() => self.schedule_all(),
            }
        }
        self.finish().await;
    }

    fn on_command(&mut self, command: Option<Command>) {
        match command {
            None => {
                self.rx_done = true;
                if self.drain.is_none() {
                    self.start_drain(self.settings.shutdown_timeout, None);
                }
            }
            Some(Command::Message(incoming)) => {
                self.receive(incoming);
                self.receive_burst();
            }
            Some(Command::Messages(incoming)) => {
                incoming.into_iter().for_each(|m| self.receive(m));
                self.receive_burst();
            }
            Some(Command::NotDurable(letter)) => {
                if let Some(hook) = &self.settings.on_dead_letter {
                    hook.call(*letter);
                }
            }
            Some(Command::Flush(reply)) => self.start_flush(reply),
            Some(Command::Shutdown { timeout, reply }) => self.start_drain(timeout, Some(reply)),
        }
    }

    /// Closes the channel and handles every command still in it, up to its end. A call that
    /// returned `Ok` handed its message over, and the worker must see it: `try_recv` after
    /// `close` is not enough, as a sender counts its message (refused once the channel is
    /// closed) before it writes it, and one between the two makes `try_recv` say "empty"
    /// rather than "closed"; only `recv` waits for that write (as Tokio's documentation of
    /// `close` says).
    async fn receive_the_rest(&mut self) {
        self.rx.close();
        while !self.rx_done {
            let command = self.rx.recv().await;
            self.on_command(command);
        }
    }

    /// [`receive_the_rest`](Worker::receive_the_rest) without awaiting, for a worker dropped
    /// with its runtime. A sender between counting its message and writing it is in the middle
    /// of a call on another thread, which never waits there: this yields the thread until it
    /// has written. Flushes and shutdowns found are answered `Closed` (their replies dropped
    /// with the worker).
    fn receive_the_rest_now(&mut self) {
        self.rx.close();
        while !self.rx_done {
            match self.rx.try_recv() {
                Ok(command) => self.on_command(Some(command)),
                Err(mpsc::error::TryRecvError::Disconnected) => self.rx_done = true,
                Err(mpsc::error::TryRecvError::Empty) => std::thread::yield_now(),
            }
        }
    }

    /// Takes the messages already in the channel (up to [`BURST`] commands) before sending,
    /// so a due batch goes with what arrived together; stops at a control command, which it
    /// handles.
    fn receive_burst(&mut self) {
        for _ in 0..BURST {
            match self.rx.try_recv() {
                Ok(Command::Message(incoming)) => self.receive(incoming),
                Ok(Command::Messages(incoming)) => {
                    incoming.into_iter().for_each(|m| self.receive(m));
                }
                Ok(other) => {
                    self.on_command(Some(other));
                    break;
                }
                Err(_) => break,
            }
        }
    }

    /// Queues a message from a call.
    fn receive(&mut self, incoming: Incoming) {
        self.arrivals += 1;
        self.live += 1;
        let items = incoming.message.item_count();
        let op = Queued {
            seq: incoming.seq,
            arrival: self.arrivals,
            message: incoming.message,
            weight: incoming.weight,
            items,
            held: true,
            attempts: 0,
            failures: 0,
            alone: false,
        };
        let user = self.user_of(incoming.identity);
        let forcing = self.forcing();
        let limits = self.limits;
        if let Some(queue) = self.users.get_mut(&user) {
            count_updates(&mut self.updates_queued, std::slice::from_ref(&op), true);
            queue.push(op);
            if forcing || queue.is_full(limits) {
                self.schedule(user);
            }
        }
    }

    /// The id of `identity`'s queue, made when it has none.
    fn user_of(&mut self, identity: Identity) -> u64 {
        let key = IdKey(identity);
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let id = self.next_user;
        self.next_user += 1;
        self.users.insert(id, UserQueue::new(key.0.clone()));
        self.ids.insert(key, id);
        id
    }

    /// Whether everything is due now: a flush or the drain is on.
    fn forcing(&self) -> bool {
        self.drain.is_some() || !self.waiters.is_empty()
    }

    /// Puts `user` in the ready list, unless it is there or busy.
    fn schedule(&mut self, user: u64) {
        if let Some(queue) = self.users.get_mut(&user)
            && !queue.scheduled
            && !queue.busy
            && !queue.is_empty()
        {
            queue.scheduled = true;
            self.ready.push_back(user);
        }
    }

    /// Schedules the users that hold at least half a request (those on the wire go again
    /// once answered); says whether any user holds that much.
    fn schedule_half_full(&mut self) -> bool {
        let limits = self.limits;
        let mut any = false;
        let users: Vec<u64> = self
            .users
            .iter()
            .filter(|(_, queue)| queue.is_half_full(limits))
            .inspect(|_| any = true)
            .filter(|(_, queue)| !queue.busy && !queue.scheduled)
            .map(|(&user, _)| user)
            .collect();
        for user in users {
            self.schedule(user);
        }
        any
    }

    /// Every user with something queued is due (the interval, a flush, the drain).
    fn schedule_all(&mut self) {
        let users: Vec<u64> = self.users.keys().copied().collect();
        for user in users {
            self.schedule(user);
        }
    }

    /// Sends due batches while fewer than `max_in_flight` are on the wire and no backoff runs.
    ///
    /// While the client paces its calls to an API (few calls left in the rate limit's window),
    /// a batch of that API (events, or an identity or profile update) is taken only when its
    /// call can go: taken at once, a batch of events would wait for its slot with the events its
    /// user held then, while those queued during the wait go in a later call of their own, and
    /// every batch would hold a place on the wire while it waits (the users of other APIs,
    /// with room, waiting behind it). Before the first answer of an API, when its limit is not
    /// known yet, one batch of it goes at a time. A user whose API holds its batch keeps its
    /// place in the ready list, and the users behind it whose API has room go. The drain goes
    /// through the same gate: handed to the client at once, more batches than a window allows
    /// would wait past the client's `max_wait` for their slots, and so go at once, into a spent
    /// window.
    fn dispatch(&mut self) {
        if self.backoff.until.is_some() {
            return;
        }
        let recovering = self.recovery.is_some();
        let now = Instant::now();
        // Per API, the batches taken here while its gate was open: the pacer counts them only
        // once their calls are planned (when first polled), so past its `at_once` the gate is
        // asked again on the next turn, when it has.
        let mut opened = [0u64; Api::ALL.len()];
        // Per API, whether its gate holds its batches for the rest of this turn.
        let mut held = [false; Api::ALL.len()];
        // Users whose API held their batch, in order: back at the front of the list after.
        let mut passed_over = Vec::new();
        while self.sending.len() < self.settings.max_in_flight {
            let Some(user) = self.ready.pop_front() else {
                break;
            };
            let Some(queue) = self.users.get_mut(&user) else {
                continue;
            };
            // When the call after this one may go, once this one is taken.
            let mut next_slot = None;
            let api = queue.next_api();
            if let Some(api) = api.filter(|_| !queue.busy) {
                let i = api.index();
                let go = !held[i]
                    // Asked and answered at the same instant as the comparison below: a slot
                    // due at once is `at: now`. (Read at a later instant than `now`, it always
                    // lay ahead, and on real time the worker waited for it again and again,
                    // sending nothing.)
                    && match self.client.pacing_gate(api, now) {
                        Gate::Open { at_once } if opened[i] >= at_once => false,
                        Gate::Open { .. } => {
                            self.paced_until[i] = None;
                            opened[i] += 1;
                            true
                        }
                        // The first answer says what the limit is; until then, one call at once.
                        Gate::Probe => !self.batches.values().any(|b| b.api == api),
                        Gate::At { at, then } => {
                            // The call taken before, whose slot the pacer may not have counted
                            // yet.
                            let at = self.paced_until[i].map_or(at, |until| until.max(at));
                            if now < at {
                                self.paced_until[i] = Some(at);
                                false
                            } else {
                                next_slot = Some(then);
                                true
                            }
                        }
                    };
                if !go {
                    held[i] = true;
                    passed_over.push(user);
                    // Looking further only pays while a user behind may go: one of events
                    // while their API is not held, or an update while its API is not (the
                    // list can hold thousands of users a held API keeps back).
                    let events_may_go = !held[Api::Event.index()];
                    // Per API: an identity update waiting for its slot is no reason to look for
                    // a profile update when none is queued.
                    let updates_may_go = [Api::Identity, Api::Profile]
                        .iter()
                        .any(|api| !held[api.index()] && self.updates_queued[api.index()] > 0);
                    if !events_may_go && !updates_may_go {
                        break;
                    }
                    continue;
                }
            }
            queue.scheduled = false;
            if queue.busy {
                continue;
            }
            let mut ops = queue.take_batch(self.limits, recovering);
            count_updates(&mut self.updates_queued, &ops, false);
            if ops.is_empty() {
                continue;
            }
            if let (Some(api), Some(then)) = (api, next_slot) {
                self.paced_until[api.index()] = Some(then);
            }
            queue.busy = true;
            let identity = queue.identity.clone();
            let counters = &self.core.counters;
            Counters::sub(&counters.queued, ops.len() as u64);
            Counters::add(&counters.in_flight, ops.len() as u64);
            // Messages sent before (a failure put them back, or their batch was refused as a
            // whole): counted in `retried` when this send begins, so one the deadline stops
            // first is not.
            let mut resent = 0u64;
            let messages = ops
                .iter_mut()
                .map(|op| {
                    resent += u64::from(op.attempts > 0);
                    op.attempts += 1;
                    op.message.clone()
                })
                .collect();
            let id = self.next_batch;
            self.next_batch += 1;
            self.batches.insert(
                id,
                Batch {
                    user,
                    identity: identity.clone(),
                    api: ops.first().map_or(Api::Event, |op| op.message.api()),
                    ops,
                },
            );
            let client = self.client.clone();
            let core = (resent > 0).then(|| Arc::clone(&self.core));
            self.sending.push(Box::pin(async move {
                if let Some(core) = core {
                    Counters::add(&core.counters.retried, resent);
                }
                (id, send(client, identity, messages).await)
            }));
        }
        self.held_back = passed_over.len();
        for user in passed_over.into_iter().rev() {
            self.ready.push_front(user);
        }
    }

    fn start_drain(&mut self, timeout: Duration, reply: Option<oneshot::Sender<ShutdownReport>>) {
        let deadline = Instant::now() + timeout;
        match &mut self.drain {
            // A shutdown under way: an earlier deadline brings its own forward (a second
            // Ctrl-C, say), and this caller gets the same report.
            Some(drain) => {
                drain.deadline = drain.deadline.min(deadline);
                drain.replies.extend(reply);
            }
            None => {
                self.drain = Some(Drain {
                    deadline,
                    replies: reply.into_iter().collect(),
                    timed_out: false,
                    lost_at_deadline: 0,
                });
            }
        }
        // As a flush does: a pause after failed sends (up to `max_backoff`, longer than the
        // default deadline) would otherwise leave the drain no attempt at all.
        self.backoff.until = None;
        self.schedule_all();
    }
}

/// Counts the identity and profile updates of `ops` in `queued`, per API, as come into the
/// users' queues (`added`) or taken out of them.
fn count_updates(queued: &mut [usize; Api::ALL.len()], ops: &[Queued], added: bool) {
    for op in ops {
        let api = op.message.api();
        if api != Api::Event {
            let count = &mut queued[api.index()];
            *count = if added { *count + 1 } else { *count - 1 };
        }
    }
}

/// The page being read, once it arrives (a stopped writer thread is an error).
async fn read(
    reading: &mut Option<oneshot::Receiver<Result<Rows, SpoolError>>>,
) -> Result<Rows, SpoolError> {
    match reading {
        Some(answer) => answer.await.unwrap_or_else(|_| {
            Err(SpoolError::Storage {
                path: std::path::PathBuf::new(),
                reason: "the spool's writer thread has stopped".to_owned(),
            })
        }),
        None => std::future::pending().await,
    }
}

/// Sleeps until `at`, or forever without one.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use std::hash::{BuildHasher, RandomState};

    use super::*;

    /// Records, when dropped, whether it was dropped unwinding a panic of a polled future.
    struct Probe(Arc<std::sync::Mutex<Option<bool>>>);

    impl Drop for Probe {
        fn drop(&mut self) {
            *self.0.lock().unwrap() = Some(panicking_in_a_poll());
        }
    }

    #[test]
    fn a_panic_is_the_polled_futures_own_only_when_raised_in_its_poll() {
        use std::panic::{AssertUnwindSafe, catch_unwind};
        let runtime = || {
            tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap()
        };
        // Raised in the future's poll: its own (what the worker logs as its panic).
        let seen = Arc::new(std::sync::Mutex::new(None));
        let probe = Probe(Arc::clone(&seen));
        let unwound = catch_unwind(AssertUnwindSafe(|| {
            runtime().block_on(polled(async move {
                let _probe = probe;
                tokio::task::yield_now().await;
                panic!("the future's own");
            }));
        }));
        assert!(unwound.is_err());
        assert_eq!(*seen.lock().unwrap(), Some(true));
        // Raised elsewhere, while a runtime holding the future as a task is dropped: not its
        // own (the worker logs that its runtime stopped).
        let seen = Arc::new(std::sync::Mutex::new(None));
        let probe = Probe(Arc::clone(&seen));
        let unwound = catch_unwind(AssertUnwindSafe(|| {
            let runtime = runtime();
            runtime.spawn(polled(async move {
                let _probe = probe;
                std::future::pending::<()>().await;
            }));
            runtime.block_on(tokio::task::yield_now());
            panic!("the app's own");
        }));
        assert!(unwound.is_err());
        assert_eq!(*seen.lock().unwrap(), Some(false));
        assert!(!POLLING.get(), "reset after the polls");
    }

    fn key(identity: &Identity) -> IdKey {
        IdKey(identity.clone())
    }

    #[test]
    fn equal_identities_are_one_key_however_long_and_different_ones_are_not() {
        use crate::Identifier;
        let state = RandomState::new();
        let long = "x".repeat(200);
        let identities = [
            Identity::new(Identifier::ExternalId, "ab").unwrap(),
            Identity::new(Identifier::ExternalId, "a").unwrap(),
            Identity::new(Identifier::KakaoUserId, "ab").unwrap(),
            Identity::new(Identifier::ExternalId, "a")
                .unwrap()
                .with(Identifier::KakaoUserId, "b")
                .unwrap(),
            Identity::new(Identifier::ExternalId, long.clone()).unwrap(),
            Identity::new(Identifier::Email, format!("{long}@example.com")).unwrap(),
            Identity::new(Identifier::ExternalId, long)
                .unwrap()
                .with(Identifier::LineUserId, "l")
                .unwrap(),
        ];
        let mut users: HashMap<IdKey, usize, BuildHasherDefault<IdHasher>> = HashMap::default();
        for (n, identity) in identities.iter().enumerate() {
            // A clone hashes alike, and so does an equal identity made on its own (its key is
            // made again, under the same process-wide key).
            let remade: Identity =
                serde_json::from_str(&serde_json::to_string(identity).unwrap()).unwrap();
            assert_eq!(
                state.hash_one(key(identity)),
                state.hash_one(key(&identity.clone())),
                "{identity:?}"
            );
            assert_eq!(identity.key(), remade.key(), "{identity:?}");
            users.insert(key(identity), n);
        }
        // Seven different identities, seven users, each found again from a copy.
        assert_eq!(users.len(), identities.len());
        for (n, identity) in identities.iter().enumerate() {
            assert_eq!(users.get(&key(identity)), Some(&n), "{identity:?}");
        }
        // Identifiers that run together alike still hash apart (the markers differ).
        let hashes: std::collections::HashSet<u64> =
            identities[..4].iter().map(Identity::key).collect();
        assert_eq!(hashes.len(), 4);
        // A changed clone is another identity, with its own key; the original keeps its own.
        let changed = identities[1]
            .clone()
            .with(Identifier::ExternalId, "ab")
            .unwrap();
        assert_eq!(changed, identities[0]);
        assert_eq!(changed.key(), identities[0].key());
        assert_ne!(identities[1].key(), identities[0].key());
    }
}
