//! cairn's sandbox: a loopback emulator of the Google REST APIs.
//!
//! Owns: the wire format of every API cairn supports (paths, JSON field
//! names, long-running operations, errors, etags), timing and fault injection,
//! and persistence of emulated resources in a data directory.
//!
//! Does not own: anything of the engine. It is a server; cairn's provider is
//! its client, exactly as it is Google's.
//!
//! # One port, every API
//!
//! [`serve`] answers every API on one address, by path, as Google's hosts do:
//!
//! | API | Google base URL | sandbox base URL |
//! |---|---|---|
//! | Cloud Storage | `https://storage.googleapis.com/storage/v1/` | `http://ADDR/storage/v1/` |
//! | Cloud Storage uploads | `https://storage.googleapis.com/upload/storage/v1/` | `http://ADDR/upload/storage/v1/` |
//! | Artifact Registry | `https://artifactregistry.googleapis.com/v1/` | `http://ADDR/artifactregistry/v1/` |
//! | Secret Manager | `https://secretmanager.googleapis.com/v1/` | `http://ADDR/secretmanager/v1/` |
//! | Service Usage | `https://serviceusage.googleapis.com/v1/` | `http://ADDR/serviceusage/v1/` |
//! | IAM | `https://iam.googleapis.com/v1/` | `http://ADDR/iam/v1/` |
//! | Resource Manager v1 | `https://cloudresourcemanager.googleapis.com/v1/` | `http://ADDR/cloudresourcemanager/v1/` |
//! | Resource Manager v3 | `https://cloudresourcemanager.googleapis.com/v3/` | `http://ADDR/cloudresourcemanager/v3/` |
//! | Cloud SQL Admin v1beta4 | `https://sqladmin.googleapis.com/sql/v1beta4/` | `http://ADDR/sql/v1beta4/` |
//! | Compute Engine | `https://compute.googleapis.com/compute/v1/` | `http://ADDR/compute/v1/` |
//! | Service Networking | `https://servicenetworking.googleapis.com/v1/` | `http://ADDR/servicenetworking/v1/` |
//! | Memorystore for Redis | `https://redis.googleapis.com/v1/` | `http://ADDR/redis/v1/` |
//! | BigQuery v2 | `https://bigquery.googleapis.com/bigquery/v2/` | `http://ADDR/bigquery/v2/` |
//! | Cloud Run Admin v2 | `https://run.googleapis.com/v2/` | `http://ADDR/run/v2/` |
//!
//! APIs whose Google paths start with `/v1/` share that prefix, so the
//! sandbox also takes `/{api}/v1/...`; a client points each service at
//! `http://ADDR/{api}/` and appends the same relative paths (`v1/projects/...`)
//! it would append to Google's base URL. Bare `/v1/...` works too, routed by
//! what the path names (`secrets`, `services`, `operations`,
//! `serviceAccounts`, `repositories`; `projects/p` and `projects/p:verb` are
//! Resource Manager; a leading `services/` is Service Networking), and so does bare `/v3/projects/...` (Resource Manager
//! v3). A long-running operation named `operations/x` is polled at
//! `GET {base}v1/operations/x`; one named
//! `projects/p/locations/l/operations/x` (Artifact Registry) at
//! `GET {base}v1/projects/p/locations/l/operations/x`.
//! Compute's operations are its own (`compute#operation`), polled through
//! their `selfLink`, which points at the sandbox.
//!
//! # What a request goes through
//!
//! 1. `Authorization: Bearer <anything>` must be present: otherwise 401
//!    UNAUTHENTICATED, as Google.
//! 2. Fault injection: with [`Config::error_rate`] > 0, that fraction of
//!    requests (deterministic with [`Config::seed`]) is answered 429 or 503
//!    with `Retry-After` ([`Config::fault_retry_after_secs`], 1 by default)
//!    before touching any state, so retrying is safe.
//! 3. Validation against Google's Discovery documents ([`discovery`]): unknown
//!    body fields, bad query parameters... are 400 INVALID_ARGUMENT.
//! 4. The API must be enabled in the project (Service Usage): otherwise 403
//!    SERVICE_DISABLED naming the service. [`Config::enabled_apis`] are
//!    enabled in every new project (Cloud Storage and Service Usage among
//!    them; IAM is not, as on Google). Resource Manager is not checked:
//!    Google checks it on the caller's quota project, which the sandbox
//!    does not know.
//! 5. The service answers; every change is on disk before the reply leaves.
//!
//! Every request (method, path, query, JSON body, status, the Discovery
//! method matched and any violations, and the `x-sandbox-record` header as
//! `tag`: a [`request_log::Entry`]) is logged in memory:
//! `GET /_sandbox/requests` returns `{"requests":[...]}`, `DELETE` clears
//! it. That path needs no auth. With [`Config::request_log`] set, each entry
//! is also appended to that file as a line of JSON. Bodies are kept as sent
//! (secret payloads included: the log is for tests of the sandbox's own
//! data).
//!
//! # Module map
//!
//! `server` (HTTP, pipeline), `services/*` (one file per API), `operation`
//! (google.longrunning), `store` (collections, persistence), `error`
//! (Google's error shape), `discovery` (request validation).

pub mod discovery;
pub mod error;
pub mod operation;
pub mod request_log;
pub mod server;
pub mod services;
pub mod store;

pub use server::ServerHandle;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Default directory (relative to a stack) where `--sandbox` keeps its data.
pub const DEFAULT_DATA_DIR: &str = ".cairn/sandbox";

/// How a sandbox behaves.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where resources are saved (one JSON file per collection). An empty
    /// path keeps everything in memory.
    pub data_dir: PathBuf,
    /// How long a long-running operation takes before a poll sees it done.
    pub op_latency: Duration,
    /// Fraction (0.0 to 1.0) of requests answered 429 or 503 with
    /// `Retry-After`.
    pub error_rate: f64,
    /// The `Retry-After` of those answers, in whole seconds (0: retry at
    /// once; tests that inject many faults use it to stay quick).
    pub fault_retry_after_secs: u64,
    /// Google's eventual consistency: a bucket GET within this time of its
    /// creation is 404, an API is usable only this long after its enabling
    /// operation is done, and a service account this young does not exist
    /// yet for IAM policies (projects' and buckets').
    pub consistency_delay: Duration,
    /// A project known from the start (its number can be used in paths).
    /// Any other well-formed project id is accepted on first use.
    pub default_project: String,
    /// Seed for fault injection and generated ids; `None` for a random one.
    pub seed: Option<u64>,
    /// APIs enabled in every project until Service Usage disables them.
    pub enabled_apis: Vec<String>,
    /// Project ids that do not exist here: Resource Manager answers 403
    /// PERMISSION_DENIED for them ("The caller does not have permission"),
    /// as Google does for a project that does not exist or that the caller
    /// may not see. The other APIs do not check this list.
    pub missing_projects: Vec<String>,
    /// A file that every request is appended to as a line of JSON
    /// ([`request_log::Entry`]), for a test to check afterwards
    /// ([`request_log::check`]).
    pub request_log: Option<PathBuf>,
    /// How long a deleted Cloud SQL instance's name stays taken (Google
    /// documents up to a week).
    pub sql_name_reuse_window: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            op_latency: Duration::from_millis(500),
            error_rate: 0.0,
            fault_retry_after_secs: 1,
            consistency_delay: Duration::ZERO,
            default_project: "sandbox-project".to_string(),
            seed: None,
            enabled_apis: services::serviceusage::DEFAULT_ENABLED.iter().map(|s| s.to_string()).collect(),
            missing_projects: Vec::new(),
            request_log: None,
            sql_name_reuse_window: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

impl Config {
    /// The defaults, saving to `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Config {
        Config { data_dir: data_dir.into(), ..Config::default() }
    }
}

/// Starts a sandbox on `addr` (port 0 picks a free port; see
/// [`ServerHandle::addr`]) on the current Tokio runtime, after loading what
/// `config.data_dir` holds.
pub async fn serve(config: Config, addr: SocketAddr) -> std::io::Result<ServerHandle> {
    server::serve(config, addr).await
}

/// Every resource saved in `data_dir`, as `(type, name)` sorted by type then
/// name: `("storage.buckets", "my-bucket")`,
/// `("secretmanager.secrets", "projects/123/secrets/s")`. Types are the
/// store's collections and include `longrunning.operations`,
/// `cloudresourcemanager.projects`, `cloudresourcemanager.policies`,
/// `iam.serviceaccounts`, `artifactregistry.repositories`,
/// `sqladmin.instances` (with `sqladmin.databases`, `sqladmin.users`,
/// `sqladmin.operations`), `compute.networks`, `compute.subnetworks`,
/// `compute.firewalls`, `compute.globaladdresses`, `compute.routes`,
/// `compute.operations`, `servicenetworking.connections`,
/// `redis.instances`, `bigquery.datasets`, `bigquery.tables` and
/// `run.services`. Empty when
/// there is nothing (or no directory).
pub fn list(data_dir: &Path) -> Vec<(String, String)> {
    store::list(data_dir)
}

/// Deletes every saved resource in `data_dir` (other files stay). Do it
/// while no server uses the directory.
pub fn reset(data_dir: &Path) -> std::io::Result<()> {
    store::reset(data_dir)
}
