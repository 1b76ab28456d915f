//! Warm memory ahead of the state's growth.
//!
//! The world grows with every stored message, and it grows while its lock is
//! held. On a virtual machine whose host backs guest memory lazily (free page
//! reporting, ballooning), the first touch of fresh memory can take
//! milliseconds, once per couple of megabytes; paid under the world's lock it
//! stalls every connection. So while requests are coming in, a background
//! thread touches a block of memory and frees it again: the allocator reuses
//! that warm memory for the next allocations, and the slow first touch is
//! paid here, off the lock. (The JVM's `AlwaysPreTouch` answers the same
//! problem by touching the whole heap up front, which an idle sandbox cannot
//! afford.) When no request comes, the thread touches nothing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;
use std::time::Duration;

/// How much memory is kept warm ahead of use.
const RESERVE: usize = 8 << 20;
const PAGE: usize = 4096;
/// Between rounds while busy; doubled on every quiet round up to `IDLE`.
const BUSY: Duration = Duration::from_micros(500);
const IDLE: Duration = Duration::from_millis(50);

static ACTIVITY: AtomicU64 = AtomicU64::new(0);
static STARTED: Once = Once::new();

/// Called on every access to the world: the thread warms memory only while
/// the sandbox is in use.
pub fn note_activity() {
    ACTIVITY.fetch_add(1, Ordering::Relaxed);
}

/// Starts the warming thread, once per process.
pub fn start() {
    STARTED.call_once(|| {
        let spawned = std::thread::Builder::new()
            .name("prefault".into())
            .spawn(run);
        // Without it the sandbox works the same, only with slower growth.
        drop(spawned);
    });
}

fn run() {
    let mut seen = ACTIVITY.load(Ordering::Relaxed);
    let mut pause = IDLE;
    let mut last_block = 0;
    loop {
        std::thread::sleep(pause);
        let now = ACTIVITY.load(Ordering::Relaxed);
        if now == seen {
            pause = (pause * 2).min(IDLE);
            continue;
        }
        seen = now;
        pause = BUSY;
        last_block = touch_and_free(RESERVE, last_block);
    }
}

/// Allocates `len` bytes, writes one byte per page so the kernel (and the
/// host) back them, and gives them back to the allocator, which keeps them
/// for its next allocations. When the allocator hands back the block of the
/// last round (`last`), nobody used it since and it is still warm: touching
/// it again would only cost a TLB miss per page. Returns the block's address.
fn touch_and_free(len: usize, last: usize) -> usize {
    let mut block: Vec<u8> = Vec::with_capacity(len);
    let base = block.as_mut_ptr();
    if base as usize == last {
        return last;
    }
    for offset in (0..len).step_by(PAGE) {
        // SAFETY: `offset < len` lies inside the block's allocation; a
        // volatile write keeps the compiler from dropping the touch.
        unsafe { base.add(offset).write_volatile(0) };
    }
    drop(block);
    base as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touching_a_block_leaves_the_allocator_usable() {
        let at = touch_and_free(3 * PAGE + 1, 0);
        assert_ne!(at, 0);
        let v = vec![1u8; 1 << 16];
        assert_eq!(v.iter().map(|&b| b as usize).sum::<usize>(), 1 << 16);
    }
}
