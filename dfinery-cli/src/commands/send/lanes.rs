//! Handing events to the Tracker from several threads at once. With a spool, each `track`
//! returns only once its event is synced to disk; the spool commits the writes of concurrent
//! callers together, so lanes turn one disk sync per event into one per group.
//!
//! An identity always goes to the same lane, so each user's events are queued in file order.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;

use dfinery_core::{EventRecord, Identity, Tracker};

/// Events waiting per lane before the reader waits.
const LANE_DEPTH: usize = 256;

/// One event for a lane.
struct Job {
    identity: Identity,
    record: EventRecord,
}

/// What the lanes report back.
#[derive(Default)]
struct Done {
    /// Events handed to the Tracker (or refused).
    count: u64,
    /// The first refusal, which stops the send.
    error: Option<String>,
}

/// The lanes: threads calling [`Tracker::track_wait`] on the runtime `handle`.
pub struct Lanes {
    senders: Vec<SyncSender<Job>>,
    threads: Vec<JoinHandle<()>>,
    done: Arc<(Mutex<Done>, Condvar)>,
    sent: u64,
}

impl Lanes {
    /// Starts `lanes` threads queuing into `tracker`.
    pub fn start(tracker: &Tracker, handle: &tokio::runtime::Handle, lanes: usize) -> Lanes {
        let done = Arc::new((Mutex::new(Done::default()), Condvar::new()));
        let mut senders = Vec::with_capacity(lanes);
        let mut threads = Vec::with_capacity(lanes);
        for _ in 0..lanes.max(1) {
            let (tx, rx) = sync_channel::<Job>(LANE_DEPTH);
            let tracker = tracker.clone();
            let handle = handle.clone();
            let done = Arc::clone(&done);
            threads.push(std::thread::spawn(move || {
                for job in rx {
                    let result = handle.block_on(tracker.track_wait(&job.identity, job.record));
                    let (lock, ready) = &*done;
                    let mut done = lock.lock().unwrap_or_else(PoisonError::into_inner);
                    done.count += 1;
                    if let Err(err) = result
                        && done.error.is_none()
                    {
                        done.error = Some(err.to_string());
                    }
                    ready.notify_all();
                }
            }));
            senders.push(tx);
        }
        Lanes {
            senders,
            threads,
            done,
            sent: 0,
        }
    }

    /// Hands an event to the lane of its identity; waits while that lane is full.
    ///
    /// # Errors
    ///
    /// The first refusal of the Tracker so far.
    pub fn send(&mut self, identity: Identity, record: EventRecord) -> Result<(), String> {
        if let Some(error) = self.error() {
            return Err(error);
        }
        let lane = lane_of(&identity, self.senders.len());
        self.senders[lane]
            .send(Job { identity, record })
            .map_err(|_| "a queuing thread stopped".to_owned())?;
        self.sent += 1;
        Ok(())
    }

    /// Waits until every event sent so far is in the Tracker (and so in the spool).
    ///
    /// # Errors
    ///
    /// The first refusal of the Tracker.
    pub fn wait(&self) -> Result<(), String> {
        let (lock, ready) = &*self.done;
        let mut done = lock.lock().unwrap_or_else(PoisonError::into_inner);
        while done.count < self.sent && done.error.is_none() {
            done = ready.wait(done).unwrap_or_else(PoisonError::into_inner);
        }
        done.error.clone().map_or(Ok(()), Err)
    }

    /// Waits for every event, then stops the threads.
    ///
    /// # Errors
    ///
    /// The first refusal of the Tracker.
    pub fn finish(self) -> Result<(), String> {
        let result = self.wait();
        drop(self.senders);
        for thread in self.threads {
            let _ = thread.join();
        }
        result
    }

    fn error(&self) -> Option<String> {
        let (lock, _) = &*self.done;
        lock.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .error
            .clone()
    }
}

/// The lane of `identity`: the same for the same identifiers.
fn lane_of(identity: &Identity, lanes: usize) -> usize {
    let mut hasher = DefaultHasher::new();
    (
        identity.external_id(),
        identity.phone_no(),
        identity.email(),
        identity.kakao_user_id(),
        identity.line_user_id(),
    )
        .hash(&mut hasher);
    (hasher.finish() % lanes as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identity_always_gets_the_same_lane() {
        let a = Identity::from_external_id("a").unwrap();
        let lanes: Vec<usize> = (0..5).map(|_| lane_of(&a, 16)).collect();
        assert!(lanes.iter().all(|l| *l == lanes[0] && *l < 16));
        let spread: std::collections::BTreeSet<usize> = (0..200)
            .map(|i| lane_of(&Identity::from_external_id(format!("u{i}")).unwrap(), 16))
            .collect();
        assert!(spread.len() > 8, "{spread:?}");
    }
}
