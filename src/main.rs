//! The `cairn` binary: everything lives in [`cairn::cli`].

fn main() {
    let code = cairn::cli::main();
    std::process::exit(code);
}
