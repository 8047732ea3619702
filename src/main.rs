//! The `genseed` binary: parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: a large org is millions of small strings and
/// maps, which mimalloc keeps with less overhead per allocation and allocates faster
/// (glibc's malloc took a fifth of the CPU of validating 60,000 users).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's defaults favour speed over footprint: it returns freed memory to the OS
/// only after a delay, and asks for transparent huge pages, which make whole 2 MiB pages
/// resident at once. genseed allocates in bursts (a listing, a plan) and is judged by its
/// peak: memory goes back at once, and the process uses small pages. Peak of a no-op plan
/// of 10,000 users: 195 MiB with glibc, 207 MiB with mimalloc's defaults, 174 MiB so.
///
/// `validate` is the exception: it frees each file's entries once the file is checked,
/// and the next file reuses that memory. Returning it at once would only fault it in
/// again (up to a fifth more CPU for 60,000 users); holding it for a millisecond lets the next
/// file take it, while the peak stays within a few MiB of the live data (166 MiB rather
/// than 160 MiB; mimalloc's default of 10 ms held up to 225 MiB on a fast run).
fn tune_allocator(command: &genseed::cli::Command) {
    // The `mi_option_t` value from mimalloc.h (the same in its v2 and v3), which
    // libmimalloc-sys does not name.
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    let delay_ms = match command {
        genseed::cli::Command::Validate(_) => 1,
        _ => 0,
    };
    // SAFETY: a plain setter of a process-wide option, called before any thread starts.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, delay_ms) };
    // mimalloc's own switch (`allow_thp`) is read when it starts, before `main`; the
    // process-wide flag applies to every later page fault. A kernel without it refuses,
    // and nothing changes.
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with integer arguments only.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0)
    };
}

// The last resort for an error nothing else reported; all other output goes through
// the report layer.
#[allow(clippy::print_stderr)]
fn main() -> ExitCode {
    let cli = genseed::cli::Cli::parse();
    tune_allocator(&cli.command);
    genseed::logging::init(cli.verbose, cli.quiet);
    match genseed::commands::run(cli) {
        Ok(code) => code,
        Err(e) if e.is::<genseed::commands::Reported>() => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
