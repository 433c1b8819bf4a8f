//! The queue cap: room for a number of messages and a number of bytes, taken when a message is
//! accepted and given back when it is delivered or dead-lettered: taken at once or refused
//! (the `try_` calls), or waited for (the awaited calls).

use tokio::sync::Semaphore;

use super::error::TrackError;

/// Room in the queue, in messages and in bytes.
#[derive(Debug)]
pub(crate) struct Capacity {
    messages: Semaphore,
    bytes: Semaphore,
    cap: usize,
    cap_bytes: usize,
}

impl Capacity {
    pub(crate) fn new(cap: usize, cap_bytes: usize) -> Capacity {
        Capacity {
            messages: Semaphore::new(cap),
            bytes: Semaphore::new(cap_bytes),
            cap,
            cap_bytes,
        }
    }

    /// Takes room for one message of `bytes` now, or says why not.
    pub(crate) fn try_take(&self, bytes: usize) -> Result<(), TrackError> {
        let weight = self.weight(bytes)?;
        let message = self.messages.try_acquire().map_err(|_| self.full())?;
        let Ok(bytes) = self.bytes.try_acquire_many(weight) else {
            drop(message);
            return Err(self.full());
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

    /// Whether less than half the room is left, in messages or in bytes: the worker then sends
    /// what is queued without waiting for a full request or the interval, so callers waiting
    /// for room are not held up by the interval (many users, each with less than a request's
    /// worth, can fill the queue between two ticks).
    pub(crate) fn pressed(&self) -> bool {
        self.messages.available_permits() < self.cap / 2
            || self.bytes.available_permits() < self.cap_bytes / 2
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
}
