//! The `kommo-sandbox` command line: a thin layer over the library.

mod cli;

// Requests make many small, short-lived allocations on two or more threads;
// mimalloc serves them at a fraction of glibc's cost (README, Performance).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // First, before the state grows: huge pages stall it (src/memory.rs).
    kommo_sandbox::memory::disable_huge_pages();
    cli::main()
}
