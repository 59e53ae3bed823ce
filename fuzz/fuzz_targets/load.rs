//! Any bytes, as a `.tf` file, through the whole front end: the lexer, the
//! parser (native and JSON), the formatter, loading and validation.
//! Nothing may panic, hang or overflow the stack.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let id = cairn::diag::FileId(0);
    let _ = cairn::syntax::parse(&text, id);
    let _ = cairn::syntax::json::parse(&text, id);
    let _ = cairn::syntax::fmt::format(&text);
    // The full validate path on a one-file stack.
    thread_local! {
        static DIR: tempfile_dir::Dir = tempfile_dir::Dir::new();
    }
    DIR.with(|dir| {
        let _ = std::fs::write(dir.path.join("main.tf"), data);
        let sources = cairn::diag::SourceMap::new();
        let _ = cairn::cli::validate_dir(&dir.path, &sources);
    });
});

mod tempfile_dir {
    pub struct Dir {
        pub path: std::path::PathBuf,
    }
    impl Dir {
        pub fn new() -> Dir {
            let path = std::env::temp_dir().join(format!("cairn-fuzz-{}", std::process::id()));
            let _ = std::fs::create_dir_all(&path);
            Dir { path }
        }
    }
}
