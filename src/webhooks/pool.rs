//! Connections for account events: subscribers are served concurrently, but a
//! destination that hangs can hold at most [`PER_DESTINATION`] connections,
//! and all destinations together at most [`TOTAL`], so a hung subscriber can
//! neither exhaust the sandbox's file descriptors nor delay a healthy one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// In-flight account events to one host:port.
pub const PER_DESTINATION: usize = 4;
/// In-flight account events in all.
pub const TOTAL: usize = 64;

#[derive(Debug)]
pub struct Pool {
    total: Arc<Semaphore>,
    destinations: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl Default for Pool {
    fn default() -> Self {
        Pool {
            total: Arc::new(Semaphore::new(TOTAL)),
            destinations: Mutex::default(),
        }
    }
}

/// A place in the pool, given back when dropped.
#[derive(Debug)]
pub struct Slot {
    _destination: OwnedSemaphorePermit,
    _total: OwnedSemaphorePermit,
}

impl Pool {
    /// Waits for a connection to `url`'s destination. The destination's own
    /// place comes first, so events queued for a hung host do not sit on
    /// places other hosts need.
    pub async fn slot(&self, url: &str) -> Slot {
        let destination = self.destination(url);
        let own = destination.acquire_owned().await.expect("never closed");
        let total = self
            .total
            .clone()
            .acquire_owned()
            .await
            .expect("never closed");
        Slot {
            _destination: own,
            _total: total,
        }
    }

    /// Forgets the destinations; a reset ends every slot holder anyway.
    pub fn clear(&self) {
        self.destinations.lock().unwrap().clear();
    }

    fn destination(&self, url: &str) -> Arc<Semaphore> {
        let key = url::Url::parse(url)
            .ok()
            .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
            .unwrap_or_else(|| url.to_string());
        self.destinations
            .lock()
            .unwrap()
            .entry(key)
            .or_insert_with(|| Arc::new(Semaphore::new(PER_DESTINATION)))
            .clone()
    }
}
