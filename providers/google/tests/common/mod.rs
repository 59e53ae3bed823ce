//! What the provider's sandbox tests share: an in-process sandbox on port 0
//! whose request log is checked against Google's Discovery documents when
//! the test ends ([`cairn_sandbox::request_log::check`]), and a client
//! pointed at it.

use cairn_google::client::Client;
use cairn_google::ProviderConfig;
use cairn_sandbox::{Config, ServerHandle};

/// The project the tests use.
pub const PROJECT: &str = "test-project";

/// A running sandbox. Dropped at the end of a passing test, it asserts
/// that every request it received validates against Discovery.
pub struct Checked(ServerHandle);

impl std::ops::Deref for Checked {
    type Target = ServerHandle;
    fn deref(&self) -> &ServerHandle {
        &self.0
    }
}

impl Drop for Checked {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        if let Err(problems) = cairn_sandbox::request_log::verdict(&self.0.requests()) {
            panic!("{problems}");
        }
    }
}

/// Starts a sandbox with `config` and a client for it (project
/// [`PROJECT`]).
pub async fn sandbox(config: Config) -> (Checked, Client) {
    let handle = cairn_sandbox::serve(config, "127.0.0.1:0".parse().expect("address")).await.expect("start the sandbox");
    let client = Client::new(ProviderConfig {
        project: Some(PROJECT.into()),
        base_endpoint: Some(format!("http://{}/", handle.addr)),
        ..ProviderConfig::default()
    });
    (Checked(handle), client)
}
