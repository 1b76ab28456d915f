//! Which state of the sandbox a hook belongs to. `POST /_sandbox/reset` starts
//! a new generation; work of an older one is cut short wherever it is (waiting
//! in a queue, waiting for a connection, or in flight), so one test's hooks
//! never reach the next one's receiver or log.

use std::future::Future;
use tokio::sync::watch;

/// The current generation, watched by every delivery in progress. The world
/// keeps the same number (`World::generation`) so hooks queued in it can be
/// stamped under its lock.
#[derive(Debug)]
pub struct Generation(watch::Sender<u64>);

impl Default for Generation {
    fn default() -> Self {
        Generation(watch::channel(0).0)
    }
}

impl Generation {
    pub fn current(&self) -> u64 {
        *self.0.borrow()
    }

    /// Moves to `next`; every [`Generation::run`] of an older one ends at once.
    pub fn set(&self, next: u64) {
        self.0.send_replace(next);
    }

    /// Runs `work` for generation `of`; `None` when that generation is over
    /// before or while it runs (dropping `work` drops its connection).
    pub async fn run<T>(&self, of: u64, work: impl Future<Output = T>) -> Option<T> {
        let mut watcher = self.0.subscribe();
        if *watcher.borrow_and_update() != of {
            return None;
        }
        tokio::select! {
            done = work => Some(done),
            _ = watcher.wait_for(|now| *now != of) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_new_generation_cuts_work_of_the_old_one_short() {
        let generation = std::sync::Arc::new(Generation::default());
        let g = generation.clone();
        let hung = tokio::spawn(async move { g.run(0, std::future::pending::<()>()).await });
        tokio::task::yield_now().await;
        generation.set(1);
        assert_eq!(hung.await.unwrap(), None);
        assert_eq!(generation.run(0, async { 1 }).await, None);
        assert_eq!(generation.run(1, async { 2 }).await, Some(2));
    }
}
