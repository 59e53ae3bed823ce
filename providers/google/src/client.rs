//! The REST client: endpoints, credentials, retries, long-running operations.

use crate::ProviderConfig;

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// 404: the object does not exist.
    #[error("not found")]
    NotFound,
    /// Google answered with an error; `call` is `METHOD URL`.
    #[error("{call}: {status} {reason}: {message}")]
    Api { call: String, status: u16, reason: String, message: String },
    /// No usable credentials.
    #[error("{0}")]
    Credentials(String),
    /// The resource's timeout ran out (while retrying or polling).
    #[error("{0}")]
    Timeout(String),
    /// The connection failed.
    #[error("{0}")]
    Transport(String),
    /// A value is missing or malformed (configuration or response).
    #[error("{0}")]
    Invalid(String),
}

/// A configured client. Cheap to share (`Arc`).
#[derive(Debug)]
pub struct Client {
    config: ProviderConfig,
}

impl Client {
    /// A client for a provider block. Credentials are looked up when needed.
    pub fn new(config: ProviderConfig) -> Client {
        Client { config }
    }

    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }
}
