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
