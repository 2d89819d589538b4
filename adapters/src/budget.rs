//! The memory a mailbox's messages may hold at once: each message reserves what reading and
//! decoding it takes before its body is read (a ZorgMail Retrieve, a dropped file), and the
//! reservation is held until the message is recorded, so that many large messages cannot
//! exhaust the memory whatever their sizes.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Reservations are counted in KiB, so that a budget of terabytes fits the semaphore's `u32`.
const UNIT: u64 = 1024;

/// A budget of bytes in flight, shared by one mailbox's calls.
#[derive(Debug, Clone)]
pub struct MemoryBudget {
    units: Arc<Semaphore>,
    total_units: u32,
}

/// Bytes reserved from a [`MemoryBudget`]; given back when dropped.
#[derive(Debug)]
pub struct Reservation {
    _permit: Option<OwnedSemaphorePermit>,
}

impl MemoryBudget {
    /// A budget of `bytes` (at least 1 KiB).
    pub fn new(bytes: u64) -> Self {
        let total_units = u32::try_from((bytes / UNIT).max(1)).unwrap_or(u32::MAX);
        Self {
            units: Arc::new(Semaphore::new(total_units as usize)),
            total_units,
        }
    }

    /// Waits until `bytes` are free and reserves them. A reservation larger than the whole
    /// budget takes the whole budget: one message always gets through, alone.
    pub async fn reserve(&self, bytes: u64) -> Reservation {
        let units = u32::try_from(bytes.div_ceil(UNIT))
            .unwrap_or(u32::MAX)
            .clamp(1, self.total_units);
        Reservation {
            _permit: Arc::clone(&self.units).acquire_many_owned(units).await.ok(),
        }
    }

    /// The bytes free now.
    pub fn free_bytes(&self) -> u64 {
        self.units.available_permits() as u64 * UNIT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reservations_wait_for_room_and_give_it_back() {
        let budget = MemoryBudget::new(10 * 1024);
        let first = budget.reserve(6 * 1024).await;
        assert_eq!(budget.free_bytes(), 4 * 1024);
        let waiting = tokio::spawn({
            let budget = budget.clone();
            async move { budget.reserve(6 * 1024).await }
        });
        tokio::task::yield_now().await;
        assert!(
            !waiting.is_finished(),
            "no room until the first is given back"
        );
        drop(first);
        let second = waiting.await.unwrap();
        assert_eq!(budget.free_bytes(), 4 * 1024);
        drop(second);
        let whole = budget.reserve(1 << 40).await;
        assert_eq!(
            budget.free_bytes(),
            0,
            "one larger than the budget takes it all"
        );
        drop(whole);
    }
}
