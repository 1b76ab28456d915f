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

/// Turns transparent huge pages off for the whole process, advised regions
/// included (Linux `PR_SET_THP_DISABLE`). Elsewhere, and on kernels that
/// refuse it, memory behaves as before: it only costs latency.
pub fn disable_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE takes integer arguments only and
    // touches no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Undoes [`disable_huge_pages`] in a child between `fork` and `exec`: the
/// setting is inherited, and the integration under test should run as its
/// user runs it. Async-signal-safe (one system call), as `pre_exec` requires.
pub fn huge_pages_back_on() {
    #[cfg(target_os = "linux")]
    // SAFETY: as above.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 0, 0, 0, 0);
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;
    use std::process::Command;

    /// `THP_enabled` of a `grep` child, started with or without the undo.
    fn child_thp(undo: bool) -> Option<String> {
        let mut cmd = Command::new("grep");
        cmd.args(["THP_enabled", "/proc/self/status"]);
        if undo {
            // SAFETY: one async-signal-safe system call.
            unsafe {
                cmd.pre_exec(|| {
                    huge_pages_back_on();
                    Ok(())
                });
            }
        }
        let out = cmd.output().ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        text.split_whitespace().nth(1).map(str::to_string)
    }

    #[test]
    fn children_inherit_the_setting_unless_undone() {
        let Some(before) = child_thp(false) else {
            return; // a kernel without the field: nothing to check
        };
        disable_huge_pages();
        assert_eq!(child_thp(false).as_deref(), Some("0"));
        assert_eq!(child_thp(true), Some(before));
        huge_pages_back_on();
    }
}
