//! cairn's Google Cloud provider.
//!
//! Owns: talking to Google's REST APIs ([`client`]: endpoints, credentials,
//! retries by named reason, long-running operations, operation deadlines),
//! one module per resource type under [`resources`], each implementing
//! [`GoogleResource`], and one per data source under [`data_sources`], each
//! implementing [`GoogleDataSource`], on plain JSON objects whose keys are
//! Terraform's argument names; and the `timeouts` block's terms
//! ([`timeouts`]: Go durations, per-type defaults).
//!
//! Does not own: HCL, expressions, graphs, plans or state. The engine
//! adapts each [`GoogleResource`] and [`GoogleDataSource`] to its own
//! `ResourceType`, turning [`TypeSchema`] into its schema and its values
//! into JSON, adds the `timeouts` block to every resource type and enforces
//! it. Values handed to `create`/`update` are fully known and never carry
//! `timeouts`.

pub mod client;
pub mod data_sources;
mod locks;
pub mod operations;
pub mod resources;
pub mod throttle;
pub mod timeouts;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

pub use client::{Client, Error};
pub use timeouts::{Operation, Timeouts};

/// The provider's name as it appears in resource type prefixes (`google_...`).
pub const PROVIDER_NAME: &str = "google";

/// Whether a resource type belongs to this provider.
pub fn owns_type(resource_type: &str) -> bool {
    resource_type.starts_with("google_")
}

/// A boxed future, so the trait stays object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// JSON values: objects keyed by Terraform's argument names.
pub type Json = serde_json::Value;

/// The evaluated `provider "google"` block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProviderConfig {
    pub project: Option<String>,
    pub region: Option<String>,
    pub zone: Option<String>,
    /// A service-account key: a file path or the JSON itself.
    pub credentials: Option<String>,
    pub access_token: Option<String>,
    pub default_labels: BTreeMap<String, String>,
    /// Per-service base URLs (`storage` -> `http://127.0.0.1:8765/storage/v1/`),
    /// from the `*_custom_endpoint` arguments.
    pub endpoints: BTreeMap<String, String>,
    /// One base URL for every service (`CAIRN_GOOGLE_ENDPOINT`, or the
    /// sandbox): an emulator that routes by path.
    pub base_endpoint: Option<String>,
    /// Which paths go under `base_endpoint`.
    pub base_layout: EndpointLayout,
}

/// How one base endpoint lays out the APIs it serves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EndpointLayout {
    /// Each API under its own name: `{base}secretmanager/v1/...`,
    /// `{base}storage/v1/...` (cairn's sandbox; unambiguous for any API).
    #[default]
    PerApi,
    /// Google's own paths, only the host replaced: `{base}v1/...`,
    /// `{base}storage/v1/...`, as Google's client libraries send them when
    /// their endpoint is overridden (third-party emulators route these).
    Google,
}

/// The type of an attribute, in the engine's type system's terms.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeSpec {
    String,
    Number,
    Bool,
    Any,
    List(Box<TypeSpec>),
    Set(Box<TypeSpec>),
    Map(Box<TypeSpec>),
    Object(Vec<(String, TypeSpec)>),
}

/// One attribute of a resource type.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrSpec {
    pub name: &'static str,
    pub ty: TypeSpec,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    /// Changing it replaces the object.
    pub force_new: bool,
}

impl AttrSpec {
    pub fn required(name: &'static str, ty: TypeSpec) -> AttrSpec {
        AttrSpec { name, ty, required: true, optional: false, computed: false, sensitive: false, force_new: false }
    }
    pub fn optional(name: &'static str, ty: TypeSpec) -> AttrSpec {
        AttrSpec { required: false, optional: true, ..AttrSpec::required(name, ty) }
    }
    pub fn computed(name: &'static str, ty: TypeSpec) -> AttrSpec {
        AttrSpec { required: false, optional: false, computed: true, ..AttrSpec::required(name, ty) }
    }
    pub fn optional_computed(name: &'static str, ty: TypeSpec) -> AttrSpec {
        AttrSpec { computed: true, ..AttrSpec::optional(name, ty) }
    }
    pub fn force_new(mut self) -> AttrSpec {
        self.force_new = true;
        self
    }
    pub fn sensitive(mut self) -> AttrSpec {
        self.sensitive = true;
        self
    }
}

/// How many of a nested block may appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    Single,
    List,
    Set,
}

/// A nested block of a resource type.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockSpec {
    pub name: &'static str,
    pub nesting: Nesting,
    pub min_items: usize,
    /// 0 = no limit.
    pub max_items: usize,
    pub schema: TypeSchema,
    pub force_new: bool,
}

/// The schema of a resource type.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TypeSchema {
    pub attributes: Vec<AttrSpec>,
    pub blocks: Vec<BlockSpec>,
}

/// One Google resource type. Values are JSON objects keyed by Terraform's
/// argument names (nested blocks as arrays of objects, or an object for a
/// single block).
pub trait GoogleResource: Send + Sync {
    /// `google_storage_bucket`
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> TypeSchema;

    /// How long each operation may take when the configuration's `timeouts`
    /// block does not say: Terraform's defaults for the type (20 minutes
    /// each unless the type says otherwise).
    fn default_timeouts(&self) -> Timeouts {
        Timeouts::default()
    }

    /// Adjusts a planned object: fills provider defaults (project from the
    /// provider block, labels merged with `default_labels`) so that they do
    /// not show as changes. `prior` is `None` on create.
    fn plan(&self, config: &ProviderConfig, prior: Option<&Json>, proposed: Json) -> Result<Json, String> {
        let _ = (config, prior);
        Ok(proposed)
    }

    /// Computed attributes that get a new value from every write (etags,
    /// fingerprints, update times): the engine plans them as unknown for an
    /// update, rather than as their prior values, so that a plan never
    /// promises what the API will change.
    fn changes_on_write(&self) -> &'static [&'static str] {
        &[]
    }

    /// Attributes whose planned change the API cannot make in place although
    /// the schema lets them change (a subnetwork's range may only grow),
    /// each with why: the engine plans a replacement for them, as for a
    /// `force_new` attribute. `planned` may hold nulls for unknown values.
    fn replace_reasons(&self, prior: &Json, planned: &Json) -> Vec<(&'static str, String)> {
        let _ = (prior, planned);
        Vec::new()
    }

    /// The object as Google has it now, or `None` when it is gone.
    fn read<'a>(&'a self, client: &'a Client, state: &'a Json) -> BoxFuture<'a, Result<Option<Json>, Error>>;

    fn create<'a>(&'a self, client: &'a Client, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>>;

    fn update<'a>(&'a self, client: &'a Client, prior: &'a Json, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>>;

    fn delete<'a>(&'a self, client: &'a Client, prior: &'a Json) -> BoxFuture<'a, Result<(), Error>>;

    /// Adopts an existing object by Terraform's import ID for the type.
    fn import<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Json, Error>>;
}

/// One Google data source: read at plan time when its configuration is
/// known (else at apply). `config` is a JSON object keyed by Terraform's
/// argument names; the answer is the whole object, computed attributes
/// filled.
pub trait GoogleDataSource: Send + Sync {
    /// `google_project`
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> TypeSchema;

    fn read<'a>(&'a self, client: &'a Client, config: &'a Json) -> BoxFuture<'a, Result<Json, Error>>;
}

/// Every resource type of this provider.
pub fn resources() -> Vec<Box<dyn GoogleResource>> {
    resources::all()
}

/// Every data source of this provider.
pub fn data_sources() -> Vec<Box<dyn GoogleDataSource>> {
    data_sources::all()
}

#[cfg(test)]
mod tests {
    #[test]
    fn owns_google_types() {
        assert!(super::owns_type("google_storage_bucket"));
        assert!(!super::owns_type("terraform_data"));
    }
}
