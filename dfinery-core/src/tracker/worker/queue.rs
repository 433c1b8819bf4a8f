//! One user's queue: messages in the order queued, what is due, and the next batch to send
//! (consecutive events up to the event, item and byte limits, or one identity or profile
//! update).

use std::collections::VecDeque;

use crate::encode::identity::Identity;
use crate::ratelimit::Api;
use crate::tracker::message::Message;

/// A message in the worker's hands.
#[derive(Debug, Clone)]
pub(crate) struct Queued {
    /// Its sequence number (its spool key).
    pub(crate) seq: u64,
    /// The worker's arrival counter when it came in; 0 for a message recovered from the spool,
    /// which comes before every other.
    pub(crate) arrival: u64,
    pub(crate) message: Message,
    /// Its size as counted against the queue's byte cap.
    pub(crate) weight: usize,
    /// Its items (0 for an update), counted against the 100 items of one request.
    pub(crate) items: usize,
    /// Whether it holds room in the queue (messages recovered from the spool do not).
    pub(crate) held: bool,
    /// Sends made so far.
    pub(crate) attempts: u32,
    /// Of those, the sends that failed with an error worth retrying: what
    /// `give_up_after` counts (a send alone after its batch was refused is not one).
    pub(crate) failures: u32,
    /// Send it in a request of its own: its batch was refused as a whole, and only the bad
    /// events must be dead-lettered.
    pub(crate) alone: bool,
}

impl Queued {
    pub(crate) fn recovered(&self) -> bool {
        self.arrival == 0
    }

    fn is_event(&self) -> bool {
        matches!(self.message, Message::Event(_))
    }
}

/// The messages of one user not yet sent, in order.
#[derive(Debug)]
pub(crate) struct UserQueue {
    pub(crate) identity: Identity,
    ops: VecDeque<Queued>,
    /// A request of this user is on the wire.
    pub(crate) busy: bool,
    /// The user is in the worker's ready list.
    pub(crate) scheduled: bool,
    bytes: usize,
    events: usize,
    items: usize,
}

/// The limits of one request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_events: usize,
    pub(crate) max_bytes: usize,
    /// Items, all events together ([`MAX_ITEMS_PER_REQUEST`](crate::limits::MAX_ITEMS_PER_REQUEST)).
    pub(crate) max_items: usize,
}

impl UserQueue {
    pub(crate) fn new(identity: Identity) -> UserQueue {
        UserQueue {
            identity,
            ops: VecDeque::new(),
            busy: false,
            scheduled: false,
            bytes: 0,
            events: 0,
            items: 0,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The API the next request counts against: the Event API for events, the Identity or
    /// Profile API for an update; `None` when nothing is queued.
    pub(crate) fn next_api(&self) -> Option<Api> {
        self.ops.front().map(|op| op.message.api())
    }

    /// Adds a message queued in this process, at the back.
    pub(crate) fn push(&mut self, op: Queued) {
        self.count_in(&op);
        self.ops.push_back(op);
    }

    /// Adds a message recovered from the spool: after the other recovered ones, before every
    /// message queued in this process.
    pub(crate) fn push_recovered(&mut self, op: Queued) {
        self.count_in(&op);
        let at = self
            .ops
            .iter()
            .position(|o| !o.recovered())
            .unwrap_or(self.ops.len());
        self.ops.insert(at, op);
    }

    /// Puts a batch that was not delivered back at the front, in its order.
    pub(crate) fn put_back(&mut self, batch: Vec<Queued>) {
        for op in batch.into_iter().rev() {
            self.count_in(&op);
            self.ops.push_front(op);
        }
    }

    /// Whether a full request is waiting: as many events, items or bytes as one request takes.
    pub(crate) fn is_full(&self, limits: Limits) -> bool {
        self.events >= limits.max_events
            || self.items >= limits.max_items
            || self.bytes >= limits.max_bytes
    }

    /// Whether at least half a request is waiting, in events, items or bytes.
    pub(crate) fn is_half_full(&self, limits: Limits) -> bool {
        self.events * 2 >= limits.max_events
            || self.items * 2 >= limits.max_items
            || self.bytes * 2 >= limits.max_bytes
    }

    /// The next request's messages: one identity or profile update, one event marked
    /// [`alone`](Queued::alone), or consecutive events within `limits` (at least one; the
    /// items of all of them at most `limits.max_items`, in order). With
    /// `recovered_only`, only messages recovered from the spool are taken.
    pub(crate) fn take_batch(&mut self, limits: Limits, recovered_only: bool) -> Vec<Queued> {
        let sendable = |op: &Queued| !recovered_only || op.recovered();
        let Some(first) = self.ops.front() else {
            return Vec::new();
        };
        if !sendable(first) {
            return Vec::new();
        }
        let single = !first.is_event() || first.alone;
        // The messages that go are counted first, so the batch is allocated once, at its size
        // (pushed one by one, a request's twenty events took four allocations and three copies).
        let (mut count, mut bytes, mut items) = (0, 0, 0);
        for next in &self.ops {
            let fits = count == 0
                || (!single
                    && next.is_event()
                    && !next.alone
                    && sendable(next)
                    && count < limits.max_events
                    && bytes + next.weight <= limits.max_bytes
                    && items + next.items <= limits.max_items);
            if !fits {
                break;
            }
            count += 1;
            bytes += next.weight;
            items += next.items;
        }
        let mut batch = Vec::with_capacity(count);
        batch.extend(self.ops.drain(..count));
        for op in &batch {
            self.count_out(op);
        }
        batch
    }

    /// Every message left, in order (for shutdown).
    pub(crate) fn drain(&mut self) -> Vec<Queued> {
        self.bytes = 0;
        self.events = 0;
        self.items = 0;
        self.ops.drain(..).collect()
    }

    fn count_in(&mut self, op: &Queued) {
        self.bytes += op.weight;
        self.events += usize::from(op.is_event());
        self.items += op.items;
    }

    fn count_out(&mut self, op: &Queued) {
        self.bytes -= op.weight;
        self.events -= usize::from(op.is_event());
        self.items -= op.items;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Identifier;
    use crate::encode::record::EventRecord;
    use crate::encode::value::Datetime;

    fn event(seq: u64, arrival: u64, weight: usize) -> Queued {
        Queued {
            seq,
            arrival,
            message: Message::Event(EventRecord::builder("df_login").build().unwrap()),
            weight,
            items: 0,
            held: arrival != 0,
            attempts: 0,
            failures: 0,
            alone: false,
        }
    }

    fn identify(seq: u64) -> Queued {
        Queued {
            message: Message::Identify {
                request_datetime: Datetime::now(),
            },
            ..event(seq, seq, 10)
        }
    }

    fn queue() -> UserQueue {
        UserQueue::new(Identity::new(Identifier::ExternalId, "u").unwrap())
    }

    fn seqs(batch: &[Queued]) -> Vec<u64> {
        batch.iter().map(|q| q.seq).collect()
    }

    const LIMITS: Limits = Limits {
        max_events: 3,
        max_bytes: 1000,
        max_items: 100,
    };

    fn with_items(seq: u64, items: usize) -> Queued {
        Queued {
            items,
            ..event(seq, seq, 10)
        }
    }

    #[test]
    fn half_a_request_in_events_items_or_bytes_is_half_full() {
        let mut q = queue();
        assert!(!q.is_half_full(LIMITS));
        // Events: 2 of 3 (the count alone).
        q.push(event(1, 1, 10));
        assert!(!q.is_half_full(LIMITS));
        q.push(event(2, 2, 10));
        assert!(q.is_half_full(LIMITS));
        // Items: 50 of 100 in one event.
        let mut q = queue();
        q.push(with_items(1, 49));
        assert!(!q.is_half_full(LIMITS));
        let mut q = queue();
        q.push(with_items(1, 50));
        assert!(q.is_half_full(LIMITS));
        // Bytes: 500 of 1000 in one event.
        let mut q = queue();
        q.push(event(1, 1, 500));
        assert!(q.is_half_full(LIMITS));
        q.take_batch(LIMITS, false);
        assert!(!q.is_half_full(LIMITS));
    }

    #[test]
    fn items_cut_a_run_at_100_in_all_keeping_the_order() {
        let mut q = queue();
        q.push(with_items(1, 60));
        assert!(!q.is_full(LIMITS));
        q.push(with_items(2, 60));
        assert!(q.is_full(LIMITS));
        q.push(with_items(3, 40));
        q.push(with_items(4, 0));
        q.push(with_items(5, 100));
        assert_eq!(seqs(&q.take_batch(LIMITS, false)), [1]);
        assert_eq!(seqs(&q.take_batch(LIMITS, false)), [2, 3, 4]);
        assert_eq!(seqs(&q.take_batch(LIMITS, false)), [5]);
        assert!(q.is_empty());
        assert!(!q.is_full(LIMITS));
    }

    #[test]
    fn updates_go_alone_and_events_in_runs_up_to_the_count() {
        let mut q = queue();
        q.push(identify(1));
        for seq in 2..=6 {
            q.push(event(seq, seq, 10));
        }
        q.push(identify(7));
        q.push(event(8, 8, 10));
        let batches: Vec<_> = std::iter::from_fn(|| {
            let b = q.take_batch(LIMITS, false);
            (!b.is_empty()).then(|| seqs(&b))
        })
        .collect();
        assert_eq!(
            batches,
            [vec![1], vec![2, 3, 4], vec![5, 6], vec![7], vec![8]]
        );
        assert!(q.is_empty());
    }

    #[test]
    fn bytes_cut_a_run_but_an_oversized_event_still_goes_alone() {
        let mut q = queue();
        q.push(event(1, 1, 600));
        q.push(event(2, 2, 600));
        q.push(event(3, 3, 5000));
        q.push(event(4, 4, 10));
        assert!(q.is_full(LIMITS));
        assert_eq!(seqs(&q.take_batch(LIMITS, false)), [1]);
        assert_eq!(seqs(&q.take_batch(LIMITS, false)), [2]);
        assert_eq!(seqs(&q.take_batch(LIMITS, false)), [3]);
        assert!(!q.is_full(LIMITS));
        assert_eq!(seqs(&q.take_batch(LIMITS, false)), [4]);
    }

    #[test]
    fn recovered_messages_go_first_and_alone_ones_are_isolated() {
        let mut q = queue();
        q.push(event(10, 1, 10));
        q.push_recovered(event(3, 0, 10));
        q.push_recovered(event(4, 0, 10));
        assert_eq!(seqs(&q.take_batch(LIMITS, true)), [3, 4]);
        // Only new messages are left: nothing while recovery goes on.
        assert!(q.take_batch(LIMITS, true).is_empty());
        let mut batch = q.take_batch(LIMITS, false);
        assert_eq!(seqs(&batch), [10]);
        batch[0].alone = true;
        q.put_back(batch);
        q.push(event(11, 2, 10));
        assert_eq!(seqs(&q.take_batch(LIMITS, false)), [10]);
        assert_eq!(seqs(&q.take_batch(LIMITS, false)), [11]);
    }

    #[test]
    fn a_batch_put_back_keeps_its_order_before_later_messages() {
        let mut q = queue();
        for seq in 1..=5 {
            q.push(event(seq, seq, 10));
        }
        let batch = q.take_batch(LIMITS, false);
        q.put_back(batch);
        assert_eq!(seqs(&q.drain()), [1, 2, 3, 4, 5]);
        assert!(!q.is_full(LIMITS));
    }
}
