//! `data "google_client_config"`: the provider block as the client uses
//! it: `project`, `region`, `zone`, `default_labels`, and the OAuth
//! `access_token` its calls carry (sensitive; the stand-in token against the
//! sandbox). `id` is `projects/{project}/regions/{region}/zones/{zone}`, as
//! Terraform spells it, with empty parts for what the provider leaves unset.
//!
//! No API call: only the token lookup (credentials, once per process).

use crate::{AttrSpec, BoxFuture, Client, Error, GoogleDataSource, Json, TypeSchema, TypeSpec};
use serde_json::json;

pub struct ClientConfig;

impl GoogleDataSource for ClientConfig {
    fn type_name(&self) -> &'static str {
        "google_client_config"
    }

    fn schema(&self) -> TypeSchema {
        TypeSchema {
            attributes: vec![
                AttrSpec::computed("id", TypeSpec::String),
                AttrSpec::computed("project", TypeSpec::String),
                AttrSpec::computed("region", TypeSpec::String),
                AttrSpec::computed("zone", TypeSpec::String),
                AttrSpec::computed("access_token", TypeSpec::String).sensitive(),
                AttrSpec::computed("default_labels", TypeSpec::Map(Box::new(TypeSpec::String))),
            ],
            blocks: Vec::new(),
        }
    }

    fn read<'a>(&'a self, client: &'a Client, _config: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let config = client.config();
            let part = |v: &Option<String>| v.clone().unwrap_or_default();
            let (project, region, zone) = (part(&config.project), part(&config.region), part(&config.zone));
            let token = client.access_token().await?;
            Ok(json!({
                "id": format!("projects/{project}/regions/{region}/zones/{zone}"),
                "project": project,
                "region": region,
                "zone": zone,
                "access_token": token,
                "default_labels": config.default_labels,
            }))
        })
    }
}
