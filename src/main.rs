//! The `cairn` binary: everything lives in [`cairn::cli`].
//!
//! SIGPIPE keeps Rust's default (ignored): a closed stdout silences
//! output (`cairn::cli`'s `outln!`) instead of killing a run mid-apply.

fn main() {
    let code = cairn::cli::main();
    std::process::exit(code);
}
