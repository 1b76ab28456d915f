//! How the process gets its memory from the kernel.
//!
//! mimalloc asks for transparent huge pages on its arenas (`MADV_HUGEPAGE`),
//! so the first touch of each fresh 2 MiB of heap faults in and zeroes a
//! whole huge page at once. The state grows with every stored message, under
//! the world's lock, so that fault lands on one request and stalls every
//! connection behind it. On a virtual machine whose host backs guest memory
//! lazily (ballooning, free page reporting) one such fault was measured at
//! 4.5-8 ms; with 4 KiB pages the same cost is spread thinly over many
//! requests (README, Performance). A sandbox's heap is small, so huge pages
//! buy it nothing worth that.
//!
//! The setting is the process's (`prctl`), not the allocator's: mimalloc's
//! own option would come too late for the arena it reserves before `main`.
//! Children inherit it; the scenario runner gives the integration under test
//! its own setting back ([`restore_in_child`]). Chromium keeps ours.

use std::sync::atomic::{AtomicBool, Ordering};

/// Whether [`disable_huge_pages`] changed the setting (it was on before).
static CHANGED: AtomicBool = AtomicBool::new(false);

/// Turns transparent huge pages off for the whole process, advised regions
/// included (Linux `PR_SET_THP_DISABLE`). Elsewhere, and on kernels that
/// refuse it, memory behaves as before: it only costs latency.
pub fn disable_huge_pages() {
    #[cfg(target_os = "linux")]
    if thp_disabled() == Some(false) && set_thp_disabled(true) {
        CHANGED.store(true, Ordering::Relaxed);
    }
}

/// Whether children need [`restore_in_child`] to run as their user runs them.
pub fn changed() -> bool {
    CHANGED.load(Ordering::Relaxed)
}

/// Undoes [`disable_huge_pages`] in a child between `fork` and `exec`.
/// Async-signal-safe (one system call), as `pre_exec` requires; call it only
/// when [`changed`].
pub fn restore_in_child() {
    #[cfg(target_os = "linux")]
    set_thp_disabled(false);
}

/// `PR_GET_THP_DISABLE`: `None` where the kernel does not know it.
#[cfg(target_os = "linux")]
fn thp_disabled() -> Option<bool> {
    let zero: libc::c_ulong = 0;
    // SAFETY: prctl's get form takes integer arguments only and writes no
    // memory of ours; the unused ones must be 0, passed at their C width.
    let got = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, zero, zero, zero, zero) };
    (got >= 0).then_some(got == 1)
}

/// `PR_SET_THP_DISABLE`; true when the kernel took it.
#[cfg(target_os = "linux")]
fn set_thp_disabled(disabled: bool) -> bool {
    let zero: libc::c_ulong = 0;
    // SAFETY: as above; the flag is passed as an unsigned long too.
    let done = unsafe {
        libc::prctl(
            libc::PR_SET_THP_DISABLE,
            disabled as libc::c_ulong,
            zero,
            zero,
            zero,
        )
    };
    done == 0
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;
    use std::process::Command;

    /// `THP_enabled` of a `grep` child, started with or without the restore.
    fn child_thp(restore: bool) -> Option<String> {
        let mut cmd = Command::new("grep");
        cmd.args(["THP_enabled", "/proc/self/status"]);
        if restore {
            // SAFETY: one async-signal-safe system call.
            unsafe {
                cmd.pre_exec(|| {
                    restore_in_child();
                    Ok(())
                });
            }
        }
        let out = cmd.output().ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        text.split_whitespace().nth(1).map(str::to_string)
    }

    #[test]
    fn children_inherit_the_setting_unless_restored() {
        let (Some(before), Some(false)) = (child_thp(false), thp_disabled()) else {
            return; // no such field, or already off: nothing would change
        };
        disable_huge_pages();
        assert!(changed());
        assert_eq!(thp_disabled(), Some(true));
        assert_eq!(child_thp(false).as_deref(), Some("0"));
        assert_eq!(child_thp(true), Some(before));
        // Back as the test process had it (other tests share the process).
        set_thp_disabled(false);
    }
}
