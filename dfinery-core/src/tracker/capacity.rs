//! The queue cap: room for a number of messages and a number of bytes, taken when a message is
//! accepted and given back when it is delivered or dead-lettered: taken at once or refused
//! (the `try_` calls), or waited for (the awaited calls).
//!
//! When the queue is full and requests come back quickly, the room of delivered messages is
//! given back in steps rather than request by request (see [`Capacity::give_back_settled`]):
//! callers waiting for room then wake once and each queue several messages, instead of every
//! caller waking for every message. Waking a task costs about as much as queueing its message,
//! so under a full queue this takes about a third off the tracker's CPU per event
//! (`BENCHMARKS.md`); a waiting caller waits at most [`HOLD_FOR`] longer for room: the worker
//! gives held room back at [`Capacity::held_until`] whether or not another delivery comes.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{Semaphore, TryAcquireError};
// Tokio's clock: the worker sleeps until `held_until` on it, and tests pause it.
use tokio::time::Instant;

use super::error::TrackError;

/// Room in the queue, in messages and in bytes.
#[derive(Debug)]
pub(crate) struct Capacity {
    messages: Semaphore,
    bytes: Semaphore,
    cap: usize,
    cap_bytes: usize,
    /// Room of delivered messages not given back yet.
    held: Mutex<Held>,
    /// [`HOLD_FOR`], but in tests.
    hold_for: Duration,
}

/// The longest the room of delivered messages is held back while the queue is full.
pub(crate) const HOLD_FOR: Duration = Duration::from_millis(10);

/// Room of settled messages held back while the queue is full.
#[derive(Debug, Default)]
struct Held {
    messages: usize,
    bytes: usize,
    /// When the first of the held messages settled.
    since: Option<Instant>,
    /// When the last settled batch was handed to [`Capacity::give_back_settled`].
    last: Option<Instant>,
}

impl Capacity {
    pub(crate) fn new(cap: usize, cap_bytes: usize) -> Capacity {
        Capacity {
            messages: Semaphore::new(cap),
            bytes: Semaphore::new(cap_bytes),
            cap,
            cap_bytes,
            held: Mutex::new(Held::default()),
            hold_for: HOLD_FOR,
        }
    }

    /// Takes room for one message of `bytes` now, or says why not.
    pub(crate) fn try_take(&self, bytes: usize) -> Result<(), TrackError> {
        let weight = self.weight(bytes)?;
        let refused = |error| match error {
            TryAcquireError::Closed => TrackError::Closed,
            TryAcquireError::NoPermits => self.full(),
        };
        let message = self.messages.try_acquire().map_err(refused)?;
        let bytes = match self.bytes.try_acquire_many(weight) {
            Ok(bytes) => bytes,
            Err(error) => {
                drop(message);
                return Err(refused(error));
            }
        };
        message.forget();
        bytes.forget();
        Ok(())
    }

    /// Whether a message of `bytes` can ever fit.
    pub(crate) fn fits(&self, bytes: usize) -> Result<(), TrackError> {
        self.weight(bytes).map(|_| ())
    }

    /// Takes room for one message of `bytes`, waiting for it.
    pub(crate) async fn take(&self, bytes: usize) -> Result<(), TrackError> {
        let weight = self.weight(bytes)?;
        let message = self
            .messages
            .acquire()
            .await
            .map_err(|_| TrackError::Closed)?;
        let bytes = self
            .bytes
            .acquire_many(weight)
            .await
            .map_err(|_| TrackError::Closed)?;
        message.forget();
        bytes.forget();
        Ok(())
    }

    /// Gives back the room of one message of `bytes`.
    pub(crate) fn give_back(&self, bytes: usize) {
        self.give_back_many(1, bytes);
    }

    /// Gives back the room of `messages` messages of `bytes` in all.
    pub(crate) fn give_back_many(&self, messages: usize, bytes: usize) {
        self.messages.add_permits(messages);
        self.bytes.add_permits(bytes.min(self.cap_bytes));
    }

    /// Gives back the room of `messages` messages of `bytes` in all that were delivered, in
    /// steps while the queue is full: their room is held back until half the cap is delivered,
    /// or until the first call [`HOLD_FOR`] or more after the first of them, then given back
    /// at once. Room is given back at once when the queue is not full (nobody waits for it),
    /// and when the deliveries come slower than [`HOLD_FOR`] apart (holding would only delay
    /// the callers).
    ///
    /// No later delivery may come to give held room back: the queue can be at its message cap
    /// with nothing queued (callers waiting for bytes hold the room of a message each), or the
    /// next request can take seconds. So the worker also gives it back at
    /// [`held_until`](Capacity::held_until), with [`give_back_held`](Capacity::give_back_held).
    pub(crate) fn give_back_settled(&self, messages: usize, bytes: usize) {
        let now = Instant::now();
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let slow = held.last.is_none_or(|last| now - last >= self.hold_for);
        held.last = Some(now);
        let since = *held.since.get_or_insert(now);
        held.messages += messages;
        held.bytes += bytes;
        let full = self.messages.available_permits() == 0;
        if full && !slow && held.messages < self.cap / 2 && now - since < self.hold_for {
            return;
        }
        let (messages, bytes) = (held.messages, held.bytes);
        *held = Held {
            last: held.last,
            ..Held::default()
        };
        drop(held);
        self.give_back_many(messages, bytes);
    }

    /// When the room held by [`give_back_settled`](Capacity::give_back_settled) is due back:
    /// [`HOLD_FOR`] after the first of it settled. `None` when nothing is held.
    pub(crate) fn held_until(&self) -> Option<Instant> {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.since.map(|since| since + self.hold_for)
    }

    /// Gives back the room held by [`give_back_settled`](Capacity::give_back_settled): its
    /// hold is over ([`held_until`](Capacity::held_until) came). Deliveries that keep coming
    /// quickly go on being given back in steps.
    pub(crate) fn give_back_held(&self) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let (messages, bytes) = (held.messages, held.bytes);
        *held = Held {
            last: held.last,
            ..Held::default()
        };
        drop(held);
        if messages > 0 {
            self.give_back_many(messages, bytes);
        }
    }

    /// Gives back the room held by [`give_back_settled`](Capacity::give_back_settled) now:
    /// when a send failed (the messages still queued may not come back soon).
    pub(crate) fn release_held(&self) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let (messages, bytes) = (held.messages, held.bytes);
        *held = Held::default();
        drop(held);
        if messages > 0 {
            self.give_back_many(messages, bytes);
        }
    }

    /// Whether more than half the room is taken, in messages or in bytes: the worker then sends
    /// what is queued without waiting for a full request or the interval, so callers waiting
    /// for room are not held up by the interval (many users, each with less than a request's
    /// worth, can fill the queue between two ticks). Counted as taken against the cap, not
    /// as free against half of it rounded down: a cap of 1 holding its one message is pressed.
    pub(crate) fn pressed(&self) -> bool {
        let taken = self.cap.saturating_sub(self.messages.available_permits());
        let taken_bytes = self
            .cap_bytes
            .saturating_sub(self.bytes.available_permits());
        taken * 2 > self.cap || taken_bytes * 2 > self.cap_bytes
    }

    /// Wakes every waiter with [`TrackError::Closed`].
    pub(crate) fn close(&self) {
        self.messages.close();
        self.bytes.close();
    }

    /// `bytes` as a permit count, when a message that big can ever fit.
    fn weight(&self, bytes: usize) -> Result<u32, TrackError> {
        match u32::try_from(bytes) {
            Ok(weight) if bytes <= self.cap_bytes => Ok(weight),
            _ => Err(TrackError::TooLarge {
                bytes,
                cap_bytes: self.cap_bytes,
            }),
        }
    }

    /// The error of a full queue. Room held back by
    /// [`give_back_settled`](Capacity::give_back_settled) counts as taken: the caller could
    /// not have it.
    fn full(&self) -> TrackError {
        TrackError::QueueFull {
            queued: self.cap - self.messages.available_permits().min(self.cap),
            queued_bytes: self.cap_bytes - self.bytes.available_permits().min(self.cap_bytes),
            cap: self.cap,
            cap_bytes: self.cap_bytes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_is_taken_up_to_either_cap_and_given_back() {
        let capacity = Capacity::new(3, 100);
        capacity.try_take(40).unwrap();
        capacity.try_take(40).unwrap();
        // Bytes run out first: 40 + 40 + 40 > 100. The failed try keeps nothing.
        let error = capacity.try_take(40).unwrap_err();
        assert!(
            matches!(
                error,
                TrackError::QueueFull {
                    queued: 2,
                    queued_bytes: 80,
                    cap: 3,
                    cap_bytes: 100
                }
            ),
            "{error:?}"
        );
        capacity.try_take(20).unwrap();
        // Messages run out next.
        assert!(matches!(
            capacity.try_take(0),
            Err(TrackError::QueueFull { queued: 3, .. })
        ));
        capacity.give_back(40);
        capacity.try_take(40).unwrap();
    }

    /// More than half the room taken, in messages or bytes, is pressed, whatever the cap: a
    /// cap of 1 holding one message, 2 of 3. Before, a cap of 1 was never pressed (fewer than
    /// `1 / 2 = 0` free) and a cap of 3 only when full.
    #[test]
    fn more_than_half_taken_is_pressed_for_odd_and_tiny_caps() {
        for (cap, pressed_from) in [(1, 1), (2, 2), (3, 2), (4, 3), (5, 3), (10, 6)] {
            let capacity = Capacity::new(cap, 1 << 20);
            for taken in 1..=cap {
                capacity.try_take(10).unwrap();
                assert_eq!(
                    capacity.pressed(),
                    taken >= pressed_from,
                    "cap {cap}, {taken} taken"
                );
            }
        }
        // Bytes alike: 51 of 101 is more than half, 50 is not.
        let capacity = Capacity::new(100, 101);
        capacity.try_take(50).unwrap();
        assert!(!capacity.pressed());
        capacity.try_take(1).unwrap();
        assert!(capacity.pressed());
    }

    #[test]
    fn a_message_larger_than_the_cap_can_never_fit() {
        let capacity = Capacity::new(10, 100);
        assert!(matches!(
            capacity.try_take(101),
            Err(TrackError::TooLarge {
                bytes: 101,
                cap_bytes: 100
            })
        ));
        let error = capacity.try_take(usize::MAX).unwrap_err();
        assert!(error.to_string().contains("queue_cap"), "{error}");
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_takes_room_once_it_is_given_back() {
        let capacity = std::sync::Arc::new(Capacity::new(1, 100));
        capacity.take(10).await.unwrap();
        let waiter = {
            let capacity = capacity.clone();
            tokio::spawn(async move { capacity.take(10).await })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        capacity.give_back(10);
        waiter.await.unwrap().unwrap();
        capacity.close();
        assert!(matches!(capacity.take(1).await, Err(TrackError::Closed)));
    }

    /// A capacity that holds room back for `hold_for` at most: an hour where a test checks
    /// what is held (the calls of a test on a loaded machine may be milliseconds apart).
    fn holding(cap: usize, cap_bytes: usize, hold_for: Duration) -> Capacity {
        Capacity {
            hold_for,
            ..Capacity::new(cap, cap_bytes)
        }
    }

    const AN_HOUR: Duration = Duration::from_secs(3600);

    /// Fills `capacity` (of `cap` messages) with messages of `bytes` each.
    fn fill(capacity: &Capacity, cap: usize, bytes: usize) {
        for _ in 0..cap {
            capacity.try_take(bytes).unwrap();
        }
        assert!(capacity.try_take(bytes).is_err(), "the queue is full");
    }

    #[test]
    fn delivered_room_comes_back_at_once_when_the_queue_is_not_full() {
        let capacity = Capacity::new(10, 1000);
        for _ in 0..4 {
            capacity.try_take(10).unwrap();
        }
        capacity.give_back_settled(2, 20);
        capacity.give_back_settled(2, 20);
        // All 10 free again, at once: room was left, so nothing was held.
        fill(&capacity, 10, 10);
    }

    #[test]
    fn while_full_delivered_room_comes_back_once_half_the_cap_is_delivered() {
        let capacity = holding(10, 1000, AN_HOUR);
        fill(&capacity, 10, 10);
        // The first delivery after a quiet spell comes back at once (holding would only delay).
        capacity.give_back_settled(1, 10);
        capacity.try_take(10).unwrap();
        assert!(capacity.try_take(10).is_err());
        // Deliveries in quick succession while full: held until half the cap (5) came back.
        for _ in 0..4 {
            capacity.give_back_settled(1, 10);
            let error = capacity.try_take(10).unwrap_err();
            // The room held counts as queued: nobody can have it yet.
            assert!(
                matches!(
                    error,
                    TrackError::QueueFull {
                        queued: 10,
                        queued_bytes: 100,
                        ..
                    }
                ),
                "{error:?}"
            );
        }
        capacity.give_back_settled(1, 10);
        for _ in 0..5 {
            capacity.try_take(10).unwrap();
        }
        assert!(capacity.try_take(10).is_err());
    }

    #[test]
    fn held_room_comes_back_at_once_when_released() {
        let capacity = holding(100, 10_000, AN_HOUR);
        fill(&capacity, 100, 10);
        capacity.give_back_settled(1, 10); // after a quiet spell: back at once
        capacity.try_take(10).unwrap();
        capacity.give_back_settled(2, 20); // held
        assert!(capacity.try_take(10).is_err());
        // A send failed: what is held goes back now.
        capacity.release_held();
        capacity.try_take(10).unwrap();
        capacity.try_take(10).unwrap();
        assert!(capacity.try_take(10).is_err());
    }

    #[test]
    fn held_room_comes_back_with_the_first_delivery_after_hold_for() {
        let capacity = holding(100, 10_000, Duration::from_millis(5));
        fill(&capacity, 100, 10);
        capacity.give_back_settled(1, 10); // after a quiet spell: back at once
        capacity.try_take(10).unwrap();
        // Held, or back at once if this machine paused 5 ms between the two calls.
        capacity.give_back_settled(3, 30);
        std::thread::sleep(Duration::from_millis(5));
        // The next delivery comes `hold_for` later: everything held goes back with it.
        capacity.give_back_settled(1, 10);
        for _ in 0..4 {
            capacity.try_take(10).unwrap();
        }
        assert!(capacity.try_take(10).is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn callers_waiting_for_room_get_it_when_the_held_room_comes_back() {
        let capacity = std::sync::Arc::new(holding(4, 100, AN_HOUR));
        fill(&capacity, 4, 10);
        capacity.give_back_settled(1, 10);
        capacity.try_take(10).unwrap();
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let capacity = capacity.clone();
                tokio::spawn(async move { capacity.take(10).await })
            })
            .collect();
        tokio::task::yield_now().await;
        capacity.give_back_settled(1, 10); // held: 1 of the 2 (half the cap)
        tokio::task::yield_now().await;
        assert!(waiters.iter().all(|w| !w.is_finished()));
        capacity.give_back_settled(1, 10); // half the cap: both come back at once
        for waiter in waiters {
            waiter.await.unwrap().unwrap();
        }
    }

    #[tokio::test(start_paused = true)]
    async fn held_room_is_due_back_hold_for_after_the_first_of_it_and_comes_back_then() {
        let capacity = holding(100, 10_000, HOLD_FOR);
        fill(&capacity, 100, 10);
        capacity.give_back_settled(1, 10); // after a quiet spell: back at once
        capacity.try_take(10).unwrap();
        assert_eq!(capacity.held_until(), None, "nothing held");
        let first = Instant::now();
        capacity.give_back_settled(2, 20); // held (the paused clock stands still)
        tokio::time::advance(Duration::from_millis(4)).await;
        capacity.give_back_settled(1, 10); // held too, due back with the first
        assert_eq!(capacity.held_until(), Some(first + HOLD_FOR));
        assert!(capacity.try_take(10).is_err());
        // The worker gives it back then, whether or not another delivery came.
        capacity.give_back_held();
        assert_eq!(capacity.held_until(), None);
        for _ in 0..3 {
            capacity.try_take(10).unwrap();
        }
        assert!(capacity.try_take(10).is_err());
        // Deliveries still coming quickly are held again, in the next step.
        capacity.give_back_settled(1, 10);
        assert!(capacity.try_take(10).is_err());
        assert_eq!(capacity.held_until(), Some(Instant::now() + HOLD_FOR));
    }

    /// One step of the property test: take room for a message of `bytes`, deliver the oldest
    /// `count` messages held, give one back directly (a refused call), release what is held
    /// (a failed send), or give it back at the end of its hold (the worker's timer).
    #[derive(Debug, Clone)]
    enum Op {
        Take(usize),
        Deliver(usize),
        GiveBack,
        Release,
        HoldOver,
        Pause,
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            4 => (1..40usize).prop_map(Op::Take),
            3 => (1..6usize).prop_map(Op::Deliver),
            1 => Just(Op::GiveBack),
            1 => Just(Op::Release),
            1 => Just(Op::HoldOver),
            1 => Just(Op::Pause),
        ]
    }

    proptest::proptest! {
        /// Whatever the order of takes, deliveries in steps, direct give-backs, releases and
        /// holds ending, no room is made or lost: free + held + taken is the cap, in messages
        /// and in bytes; a take fails only when the free room is short; and once everything is
        /// delivered and released, all the room is free again.
        #[test]
        fn room_is_neither_made_nor_lost(ops in proptest::collection::vec(op(), 1..200)) {
            const CAP: usize = 8;
            const CAP_BYTES: usize = 200;
            // A 1 ms hold: some steps hold, some give back at once, as `Pause` lets time pass.
            let capacity = holding(CAP, CAP_BYTES, Duration::from_millis(1));
            let mut taken: std::collections::VecDeque<usize> = Default::default();
            let check = |capacity: &Capacity, taken: &std::collections::VecDeque<usize>| {
                let held = capacity.held.lock().unwrap();
                let (messages, bytes) = (held.messages, held.bytes);
                drop(held);
                assert_eq!(capacity.messages.available_permits() + messages + taken.len(), CAP);
                assert_eq!(
                    capacity.bytes.available_permits() + bytes + taken.iter().sum::<usize>(),
                    CAP_BYTES
                );
            };
            for op in ops {
                match op {
                    Op::Take(bytes) => {
                        let free = capacity.messages.available_permits() > 0
                            && capacity.bytes.available_permits() >= bytes;
                        match capacity.try_take(bytes) {
                            Ok(()) => taken.push_back(bytes),
                            Err(error) => {
                                assert!(!free, "refused with room free: {error:?}");
                                assert!(matches!(error, TrackError::QueueFull { .. }));
                            }
                        }
                    }
                    Op::Deliver(count) => {
                        let settled: Vec<usize> =
                            (0..count).map_while(|_| taken.pop_front()).collect();
                        if !settled.is_empty() {
                            capacity.give_back_settled(settled.len(), settled.iter().sum());
                        }
                    }
                    Op::GiveBack => {
                        if let Some(bytes) = taken.pop_back() {
                            capacity.give_back(bytes);
                        }
                    }
                    Op::Release => capacity.release_held(),
                    Op::HoldOver => capacity.give_back_held(),
                    Op::Pause => std::thread::sleep(Duration::from_millis(1)),
                }
                check(&capacity, &taken);
            }
            let all = taken.len();
            capacity.give_back_settled(all, taken.drain(..).sum());
            capacity.release_held();
            check(&capacity, &taken);
            assert_eq!(capacity.messages.available_permits(), CAP);
            assert_eq!(capacity.bytes.available_permits(), CAP_BYTES);
        }
    }
}
