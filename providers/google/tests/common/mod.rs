//! What the provider's sandbox tests share: an in-process sandbox on port 0
//! whose request log is checked against Google's Discovery documents when
//! the test ends ([`cairn_sandbox::request_log::check`]), a client pointed
//! at it, and the engine's steps (plan, then create or update) for one
//! resource type.

#![allow(dead_code)] // each test file uses its own subset

use cairn_google::client::Client;
use cairn_google::{resources, GoogleResource, Json, ProviderConfig};
use cairn_sandbox::{Config, ServerHandle};
use std::time::Duration;

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

/// A sandbox with operations of at most 50 ms, and a client for [`PROJECT`].
pub async fn serve(mut config: Config) -> (Checked, Client) {
    config.op_latency = config.op_latency.min(Duration::from_millis(50));
    serve_as_configured(config).await
}

/// A sandbox with `config`'s own operation latency, and a client for it.
pub async fn serve_as_configured(config: Config) -> (Checked, Client) {
    let handle = cairn_sandbox::serve(config, "127.0.0.1:0".parse().expect("address")).await.expect("start the sandbox");
    let client = Client::new(ProviderConfig {
        project: Some(PROJECT.into()),
        base_endpoint: Some(format!("http://{}/", handle.addr)),
        ..ProviderConfig::default()
    });
    (Checked(handle), client)
}

pub fn rtype(name: &str) -> Box<dyn GoogleResource> {
    resources().into_iter().find(|r| r.type_name() == name).unwrap()
}

/// plan (as the engine would) then create.
pub async fn create(r: &dyn GoogleResource, client: &Client, config: Json) -> Json {
    let planned = r.plan(client.config(), None, config).unwrap();
    r.create(client, &planned).await.unwrap()
}

/// plan against `prior` (as the engine would) then update.
pub async fn update(r: &dyn GoogleResource, client: &Client, prior: &Json, config: Json) -> Json {
    let planned = r.plan(client.config(), Some(prior), config).unwrap();
    r.update(client, prior, &planned).await.unwrap()
}
