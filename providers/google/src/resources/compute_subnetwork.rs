//! `google_compute_subnetwork`: a regional subnetwork of a VPC network
//! (Compute v1, regional operations).
//!
//! Create = `POST projects/{p}/regions/{r}/subnetworks` (a network that does
//! not exist is a clear error); read = `GET .../subnetworks/{n}`; update, in
//! Terraform's order of calls: one `PATCH` per group of fields
//! (`secondary_ip_range`; `purpose` with `role`; `stack_type`;
//! `log_config`), each carrying the current `fingerprint` (the state's
//! first, then re-read: a stale one is 412 and the read-modify-write is
//! retried); then `expandIpCidrRange` to widen `ip_cidr_range` (narrowing
//! or moving it is a replacement, with the reason, through
//! `replace_reasons`); then `setPrivateIpGoogleAccess`. Delete = `DELETE`.
//! Every write waits for its operation (`compute::write`, 20 minutes).
//!
//! `network` accepts a name, a relative path or a self link, and keeps the
//! spelling it was given as long as it names the same network. An absent
//! `secondary_ip_range` means none (Terraform needs
//! `send_secondary_ip_range_if_empty` for that); an absent `log_config`
//! turns flow logs off. `id` = `projects/{p}/regions/{r}/subnetworks/{n}`;
//! import IDs: that, `{p}/{r}/{n}`, `{r}/{n}`, `{n}`.

use super::compute::{self, regional_path};
use super::{api_object, complete, block, blocks, fill_from_prior, fill_project, object, opt_bool, opt_str, project_of, req_str};
use crate::client::Method;
use crate::{AttrSpec, BlockSpec, BoxFuture, Client, Error, GoogleResource, Json, Nesting, ProviderConfig, TypeSchema, TypeSpec};
use serde_json::{json, Map};

pub struct ComputeSubnetwork;

/// Terraform's `log_config` defaults.
const LOG_DEFAULTS: &[(&str, &str)] = &[("aggregation_interval", "INTERVAL_5_SEC"), ("metadata", "INCLUDE_ALL_METADATA"), ("filter_expr", "true")];
const DEFAULT_FLOW_SAMPLING: f64 = 0.5;

/// `(terraform name, API name)` of the `log_config` fields.
const LOG_FIELDS: &[(&str, &str)] = &[
    ("aggregation_interval", "aggregationInterval"),
    ("flow_sampling", "flowSampling"),
    ("metadata", "metadata"),
    ("metadata_fields", "metadataFields"),
    ("filter_expr", "filterExpr"),
];

/// Whether `wide` is `narrow` widened: a shorter prefix that contains it.
fn widens(narrow: &str, wide: &str) -> bool {
    let parse = |s: &str| -> Option<(u32, u32)> {
        let (ip, len) = s.split_once('/')?;
        let ip: std::net::Ipv4Addr = ip.parse().ok()?;
        Some((u32::from(ip), len.parse().ok().filter(|l| *l <= 32)?))
    };
    let (Some((a, la)), Some((b, lb))) = (parse(narrow), parse(wide)) else { return false };
    let mask = u32::MAX.checked_shl(32 - lb).unwrap_or(0);
    lb < la && a & mask == b & mask
}

/// `secondary_ip_range` blocks as the API's `secondaryIpRanges`.
fn secondary_api(v: &Json) -> Json {
    Json::Array(
        blocks(v, "secondary_ip_range")
            .into_iter()
            .map(|r| json!({ "rangeName": opt_str(r, "range_name"), "ipCidrRange": opt_str(r, "ip_cidr_range") }))
            .collect(),
    )
}

/// The API's `secondaryIpRanges` as blocks.
fn secondary_tf(api: Option<&Json>) -> Json {
    Json::Array(
        api.and_then(Json::as_array)
            .into_iter()
            .flatten()
            .map(|r| json!({ "range_name": r.get("rangeName"), "ip_cidr_range": r.get("ipCidrRange") }))
            .collect(),
    )
}

/// A `log_config` block with Terraform's defaults filled, sorted sets.
fn log_config_tf(b: &Json) -> Json {
    let mut out = Map::new();
    for (tf, _) in LOG_FIELDS {
        out.insert((*tf).into(), b.get(*tf).filter(|v| !v.is_null()).cloned().unwrap_or(Json::Null));
    }
    for (k, d) in LOG_DEFAULTS {
        if out.get(*k).is_none_or(Json::is_null) {
            out.insert((*k).into(), json!(d));
        }
    }
    if out.get("flow_sampling").is_none_or(Json::is_null) {
        out.insert("flow_sampling".into(), json!(DEFAULT_FLOW_SAMPLING));
    }
    let mut fields: Vec<String> =
        out.get("metadata_fields").and_then(Json::as_array).into_iter().flatten().filter_map(Json::as_str).map(str::to_string).collect();
    fields.sort();
    out.insert("metadata_fields".into(), if fields.is_empty() { Json::Null } else { json!(fields) });
    Json::Object(out)
}

/// The API's `logConfig` for a planned object: present block = on.
fn log_config_api(v: &Json) -> Json {
    match block(v, "log_config") {
        None => json!({ "enable": false }),
        Some(b) => {
            let full = log_config_tf(b);
            let mut api = Map::new();
            api.insert("enable".into(), json!(true));
            for (tf, name) in LOG_FIELDS {
                if let Some(x) = full.get(*tf).filter(|x| !x.is_null()) {
                    api.insert((*name).into(), x.clone());
                }
            }
            Json::Object(api)
        }
    }
}

/// The API's `logConfig` as blocks (none when flow logs are off).
fn log_config_from_api(api: Option<&Json>) -> Json {
    match api.filter(|c| c.get("enable").and_then(Json::as_bool) == Some(true)) {
        None => json!([]),
        Some(c) => {
            let mut b = Map::new();
            for (tf, name) in LOG_FIELDS {
                b.insert((*tf).into(), c.get(*name).cloned().unwrap_or(Json::Null));
            }
            json!([log_config_tf(&Json::Object(b))])
        }
    }
}

/// The field groups Terraform patches one call each, as the API takes them.
fn patch_groups(v: &Json) -> Vec<Json> {
    vec![
        json!({ "secondaryIpRanges": secondary_api(v) }),
        json!({ "purpose": opt_str(v, "purpose").unwrap_or("PRIVATE"), "role": opt_str(v, "role") }),
        json!({ "stackType": opt_str(v, "stack_type").unwrap_or("IPV4_ONLY") }),
        json!({ "logConfig": log_config_api(v) }),
    ]
}

fn to_state(api: &Json, base: Option<&Json>, project: &str) -> Result<Json, Error> {
    let o = api_object(api, "subnetwork")?;
    let name = o.get("name").and_then(Json::as_str).ok_or_else(|| Error::Invalid("subnetwork: answer without a name".into()))?;
    let region = match o.get("region").and_then(Json::as_str) {
        Some(r) => compute::last_segment(r).to_string(),
        None => base.and_then(|b| opt_str(b, "region")).unwrap_or_default().to_string(),
    };
    let text = |k: &str| o.get(k).filter(|v| v.as_str().is_some_and(|s| !s.is_empty())).cloned().unwrap_or(Json::Null);
    let mut out = Map::new();
    out.insert("id".into(), json!(format!("projects/{project}/regions/{region}/subnetworks/{name}")));
    out.insert("name".into(), json!(name));
    out.insert("project".into(), json!(project));
    out.insert("region".into(), json!(region));
    out.insert("network".into(), compute::read_ref(o.get("network").and_then(Json::as_str), base, "network", "networks", project));
    out.insert("ip_cidr_range".into(), text("ipCidrRange"));
    out.insert("description".into(), text("description"));
    out.insert("private_ip_google_access".into(), json!(o.get("privateIpGoogleAccess").and_then(Json::as_bool).unwrap_or(false)));
    out.insert("purpose".into(), text("purpose"));
    out.insert("role".into(), text("role"));
    out.insert("stack_type".into(), text("stackType"));
    out.insert("secondary_ip_range".into(), secondary_tf(o.get("secondaryIpRanges")));
    out.insert("log_config".into(), log_config_from_api(o.get("logConfig")));
    out.insert("fingerprint".into(), text("fingerprint"));
    out.insert("gateway_address".into(), text("gatewayAddress"));
    out.insert("self_link".into(), text("selfLink"));
    out.insert("creation_timestamp".into(), text("creationTimestamp"));
    Ok(Json::Object(out))
}

/// `(project, region, name)` of a planned or prior object.
fn coordinates<'a>(client: &'a Client, v: &'a Json) -> Result<(&'a str, String, &'a str), Error> {
    Ok((project_of(client, v)?, compute::default_region(client, Some(v))?, req_str(v, "name")?))
}

impl GoogleResource for ComputeSubnetwork {
    fn type_name(&self) -> &'static str {
        "google_compute_subnetwork"
    }

    fn changes_on_write(&self) -> &'static [&'static str] {
        &["fingerprint"]
    }

    fn schema(&self) -> TypeSchema {
        let s = || TypeSpec::String;
        let range = TypeSchema { attributes: vec![AttrSpec::required("range_name", s()), AttrSpec::required("ip_cidr_range", s())], blocks: Vec::new() };
        let log = TypeSchema {
            attributes: vec![
                AttrSpec::optional_computed("aggregation_interval", s()),
                AttrSpec::optional_computed("flow_sampling", TypeSpec::Number),
                AttrSpec::optional_computed("metadata", s()),
                AttrSpec::optional("metadata_fields", TypeSpec::Set(Box::new(s()))),
                AttrSpec::optional_computed("filter_expr", s()),
            ],
            blocks: Vec::new(),
        };
        TypeSchema {
            attributes: vec![
                AttrSpec::computed("id", s()),
                AttrSpec::required("name", s()).force_new(),
                AttrSpec::required("network", s()).force_new(),
                AttrSpec::required("ip_cidr_range", s()),
                AttrSpec::optional_computed("region", s()).force_new(),
                AttrSpec::optional("description", s()).force_new(),
                AttrSpec::optional_computed("private_ip_google_access", TypeSpec::Bool),
                AttrSpec::optional_computed("purpose", s()),
                AttrSpec::optional("role", s()),
                AttrSpec::optional_computed("stack_type", s()),
                AttrSpec::optional_computed("project", s()).force_new(),
                AttrSpec::computed("fingerprint", s()),
                AttrSpec::computed("gateway_address", s()),
                AttrSpec::computed("self_link", s()),
                AttrSpec::computed("creation_timestamp", s()),
            ],
            blocks: vec![
                BlockSpec { name: "secondary_ip_range", nesting: Nesting::List, min_items: 0, max_items: 0, schema: range, force_new: false },
                BlockSpec { name: "log_config", nesting: Nesting::List, min_items: 0, max_items: 1, schema: log, force_new: false },
            ],
        }
    }

    fn plan(&self, config: &ProviderConfig, prior: Option<&Json>, proposed: Json) -> Result<Json, String> {
        let mut m = object(proposed, self.type_name())?;
        fill_project(config, prior, &mut m)?;
        let region = config.region.clone().filter(|r| !r.is_empty()).map(|r| json!(r));
        fill_from_prior(prior, &mut m, &[("region", region)]);
        if m.get("region").is_none_or(Json::is_null) {
            return Err("no region: set `region` on the resource or the provider block".into());
        }
        let project = m.get("project").and_then(Json::as_str).unwrap_or_default().to_string();
        compute::keep_ref_spelling(prior, &mut m, "network", "networks", &project);
        fill_from_prior(
            prior,
            &mut m,
            &[
                ("private_ip_google_access", Some(json!(false))),
                ("purpose", Some(json!("PRIVATE"))),
                ("stack_type", Some(json!("IPV4_ONLY"))),
                ("fingerprint", None),
                ("gateway_address", None),
                ("self_link", None),
                ("creation_timestamp", None),
            ],
        );
        // Blocks in the canonical form a read gives back.
        let whole = Json::Object(m.clone());
        m.insert("secondary_ip_range".into(), secondary_tf(Some(&secondary_api(&whole))));
        m.insert("log_config".into(), block(&whole, "log_config").map(|b| json!([log_config_tf(b)])).unwrap_or(json!([])));
        if let (Some(r), Some(n)) = (m.get("region").and_then(Json::as_str), m.get("name").and_then(Json::as_str)) {
            let id = format!("projects/{project}/regions/{r}/subnetworks/{n}");
            m.insert("id".into(), json!(id));
        }
        complete(&self.schema(), &mut m);
        Ok(Json::Object(m))
    }

    fn replace_reasons(&self, prior: &Json, planned: &Json) -> Vec<(&'static str, String)> {
        match (opt_str(prior, "ip_cidr_range"), opt_str(planned, "ip_cidr_range")) {
            (Some(old), Some(new)) if old != new && !widens(old, new) => vec![(
                "ip_cidr_range",
                format!(
                    "{old} -> {new}: Compute can only widen a subnetwork's range in place (expandIpCidrRange, to a shorter prefix \
                     that contains it); narrowing or moving it needs a new subnetwork"
                ),
            )],
            _ => Vec::new(),
        }
    }

    fn read<'a>(&'a self, client: &'a Client, state: &'a Json) -> BoxFuture<'a, Result<Option<Json>, Error>> {
        Box::pin(async move {
            let (project, region, name) = coordinates(client, state)?;
            match compute::get(client, &regional_path(project, &region, "subnetworks", name)).await? {
                Some(api) => to_state(&api, Some(state), project).map(Some),
                None => Ok(None),
            }
        })
    }

    fn create<'a>(&'a self, client: &'a Client, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let (project, region, name) = coordinates(client, planned)?;
            let network = compute::network_path(req_str(planned, "network")?, project)?;
            let mut body = json!({
                "name": name,
                "network": network,
                "ipCidrRange": req_str(planned, "ip_cidr_range")?,
                "privateIpGoogleAccess": opt_bool(planned, "private_ip_google_access").unwrap_or(false),
                "purpose": opt_str(planned, "purpose").unwrap_or("PRIVATE"),
                "stackType": opt_str(planned, "stack_type").unwrap_or("IPV4_ONLY"),
            });
            for (key, value) in [("description", opt_str(planned, "description")), ("role", opt_str(planned, "role"))] {
                if let Some(v) = value {
                    body[key] = json!(v);
                }
            }
            if !blocks(planned, "secondary_ip_range").is_empty() {
                body["secondaryIpRanges"] = secondary_api(planned);
            }
            if block(planned, "log_config").is_some() {
                body["logConfig"] = log_config_api(planned);
            }
            let what = format!("creating subnetwork {name} in {region}");
            let path = format!("projects/{}/regions/{}/subnetworks", super::encode(project), super::encode(&region));
            compute::insert(client, &path, &body, &what, &format!("the network {network} (or the region {region})")).await?;
            let self_path = regional_path(project, &region, "subnetworks", name);
            to_state(&compute::get_written(client, &self_path, &what).await?, Some(planned), project)
        })
    }

    fn update<'a>(&'a self, client: &'a Client, prior: &'a Json, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let (project, region, name) = coordinates(client, planned)?;
            let path = regional_path(project, &region, "subnetworks", name);
            let what = format!("updating subnetwork {name} in {region}");
            // The state's fingerprint serves the first write; later ones read it again.
            let mut known = opt_str(prior, "fingerprint");
            for (old, new) in patch_groups(prior).into_iter().zip(patch_groups(planned)) {
                if old != new {
                    compute::write_fingerprinted(client, &path, None, "fingerprint", known.take(), &new, &what).await?;
                }
            }
            if let (Some(old), Some(new)) = (opt_str(prior, "ip_cidr_range"), opt_str(planned, "ip_cidr_range")) {
                if old != new {
                    if !widens(old, new) {
                        let why = self.replace_reasons(prior, planned).into_iter().map(|(_, w)| w).collect::<Vec<_>>().join("; ");
                        return Err(Error::Invalid(format!("{what}: `ip_cidr_range` {why}: plan a replacement")));
                    }
                    let body = json!({ "ipCidrRange": new });
                    compute::write(client, Method::POST, &format!("{path}/expandIpCidrRange"), Some(&body), &what).await?;
                }
            }
            let access = opt_bool(planned, "private_ip_google_access").unwrap_or(false);
            if opt_bool(prior, "private_ip_google_access").unwrap_or(false) != access {
                let body = json!({ "privateIpGoogleAccess": access });
                compute::write(client, Method::POST, &format!("{path}/setPrivateIpGoogleAccess"), Some(&body), &what).await?;
            }
            to_state(&compute::get_written(client, &path, &what).await?, Some(planned), project)
        })
    }

    fn delete<'a>(&'a self, client: &'a Client, prior: &'a Json) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let (project, region, name) = coordinates(client, prior)?;
            let path = regional_path(project, &region, "subnetworks", name);
            compute::delete(client, &path, &format!("deleting subnetwork {name} in {region}")).await
        })
    }

    fn import<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let (project, region, name) = compute::parse_regional_id(client, id, "subnetworks")?;
            match compute::get(client, &regional_path(&project, &region, "subnetworks", &name)).await? {
                Some(api) => to_state(&api, None, &project),
                None => Err(Error::Invalid(format!("subnetwork {id} does not exist"))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widening_only() {
        assert!(widens("10.0.0.0/24", "10.0.0.0/16"));
        assert!(widens("10.0.1.0/24", "10.0.0.0/23"));
        assert!(!widens("10.0.0.0/16", "10.0.0.0/24"), "narrowing");
        assert!(!widens("10.0.0.0/24", "10.1.0.0/24"), "moving");
        assert!(!widens("10.0.0.0/24", "10.1.0.0/16"), "moving while widening");
        assert!(!widens("10.0.0.0/24", "garbage"));
        assert!(widens("10.0.0.0/24", "0.0.0.0/0"));
    }

    #[test]
    fn replacement_names_its_reason() {
        let r = ComputeSubnetwork.replace_reasons(&json!({ "ip_cidr_range": "10.0.0.0/16" }), &json!({ "ip_cidr_range": "10.0.0.0/24" }));
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].0, "ip_cidr_range");
        assert!(r[0].1.contains("only widen"), "{}", r[0].1);
        assert!(ComputeSubnetwork.replace_reasons(&json!({ "ip_cidr_range": "10.0.0.0/24" }), &json!({ "ip_cidr_range": "10.0.0.0/20" })).is_empty());
        assert!(ComputeSubnetwork.replace_reasons(&json!({ "ip_cidr_range": "10.0.0.0/24" }), &json!({ "ip_cidr_range": null })).is_empty());
    }

    #[test]
    fn log_config_both_ways() {
        let planned = json!({ "log_config": [{ "metadata": "CUSTOM_METADATA", "metadata_fields": ["b", "a"] }] });
        let api = log_config_api(&planned);
        assert_eq!(api["enable"], true);
        assert_eq!(api["aggregationInterval"], "INTERVAL_5_SEC");
        assert_eq!(api["flowSampling"], 0.5);
        assert_eq!(api["metadataFields"], json!(["a", "b"]));
        let back = log_config_from_api(Some(&api));
        assert_eq!(back[0], log_config_tf(&planned["log_config"][0]));
        assert_eq!(log_config_api(&json!({})), json!({ "enable": false }));
        assert_eq!(log_config_from_api(Some(&json!({ "enable": false }))), json!([]));
        assert_eq!(log_config_from_api(None), json!([]));
    }

    #[test]
    fn api_to_state() {
        let api = json!({
            "name": "s", "region": "https://www.googleapis.com/compute/v1/projects/p/regions/us-central1",
            "network": "https://www.googleapis.com/compute/v1/projects/p/global/networks/vpc",
            "ipCidrRange": "10.0.0.0/24", "gatewayAddress": "10.0.0.1", "fingerprint": "abc=", "purpose": "PRIVATE", "stackType": "IPV4_ONLY",
            "secondaryIpRanges": [{ "rangeName": "pods", "ipCidrRange": "10.4.0.0/14" }],
        });
        let s = to_state(&api, Some(&json!({ "network": "vpc" })), "p").unwrap();
        assert_eq!(s["id"], "projects/p/regions/us-central1/subnetworks/s");
        assert_eq!(s["network"], "vpc", "the planned spelling of the same network stays");
        assert_eq!(s["secondary_ip_range"], json!([{ "range_name": "pods", "ip_cidr_range": "10.4.0.0/14" }]));
        assert_eq!(s["private_ip_google_access"], false);
        assert_eq!(s["log_config"], json!([]));
        assert_eq!(s["role"], Json::Null);
        let imported = to_state(&api, None, "p").unwrap();
        assert_eq!(imported["network"], api["network"]);
        assert!(to_state(&json!("x"), None, "p").is_err());
    }

    #[test]
    fn patch_groups_differ_only_where_changed() {
        let a = json!({ "secondary_ip_range": [{ "range_name": "x", "ip_cidr_range": "10.1.0.0/24" }] });
        let b = json!({ "secondary_ip_range": [], "log_config": [{}] });
        let changed: Vec<bool> = patch_groups(&a).iter().zip(patch_groups(&b)).map(|(x, y)| *x != y).collect();
        assert_eq!(changed, vec![true, false, false, true]);
    }
}
