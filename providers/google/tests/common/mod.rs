//! What the sandbox tests share: an in-process `cairn_sandbox` on port 0
//! with a client pointed at it, and the engine's steps (plan, then create
//! or update) for one resource type.

#![allow(dead_code)] // each test file uses its own subset

use cairn_google::client::Client;
use cairn_google::{resources, GoogleResource, Json, ProviderConfig};
use cairn_sandbox::{Config, ServerHandle};
use std::time::Duration;

pub const PROJECT: &str = "test-project";

/// A sandbox with operations of at most 50 ms, and a client for [`PROJECT`].
pub async fn serve(mut config: Config) -> (ServerHandle, Client) {
    config.op_latency = config.op_latency.min(Duration::from_millis(50));
    serve_as_configured(config).await
}

/// A sandbox with `config`'s own operation latency.
pub async fn serve_as_configured(config: Config) -> (ServerHandle, Client) {
    let handle = cairn_sandbox::serve(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let client = Client::new(ProviderConfig {
        project: Some(PROJECT.into()),
        base_endpoint: Some(format!("http://{}/", handle.addr)),
        ..ProviderConfig::default()
    });
    (handle, client)
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
