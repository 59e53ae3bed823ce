//! The `cairn` binary: everything lives in [`cairn::cli`].

fn main() {
    // Die quietly on a closed pipe (`cairn plan | head`), as command-line
    // tools do, instead of panicking in `print!`.
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to the default before any
    // threads start has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let code = cairn::cli::main();
    std::process::exit(code);
}
