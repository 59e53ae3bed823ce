//! One module per data source: objects read, never managed. Each
//! implements [`GoogleDataSource`]; the engine reads it at plan time when
//! its configuration is known, so what it exports (a project's number, the
//! provider's project) is known to the plan.
//!
//! Owns: the data sources' schemas and reads. Does not own: when they are
//! read or how their values reach expressions (the engine's planner), nor
//! the API wire formats they share with resources (the client, and the
//! helpers of [`crate::resources`]).

pub mod client_config;
pub mod project;

use crate::GoogleDataSource;

/// Every data source of this provider.
pub fn all() -> Vec<Box<dyn GoogleDataSource>> {
    vec![Box::new(client_config::ClientConfig), Box::new(project::Project)]
}
