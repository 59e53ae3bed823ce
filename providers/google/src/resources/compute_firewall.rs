//! `google_compute_firewall`: a VPC firewall rule (Compute v1, global
//! operations).
//!
//! Create = `POST projects/{p}/global/firewalls`; read = `GET
//! .../firewalls/{n}`; update = `PATCH` with the whole rule (a JSON merge
//! patch, so cleared lists are sent empty); delete = `DELETE`. Every write
//! waits for its operation (`compute::write`, 20 minutes).
//!
//! Exactly one of `allow` / `deny` blocks `{protocol, ports}` is sent as
//! `allowed[]` / `denied[]` (`IPProtocol`, `ports`); protocols are compared
//! in lower case, as Compute stores them. Set arguments are kept sorted.
//! `source_ranges` and `destination_ranges` take Compute's default
//! (`0.0.0.0/0` on the side the direction needs) when unset. `name`,
//! `direction` and (unlike Terraform's schema, because Compute refuses to
//! move a rule) `network` force a new rule; everything else changes in
//! place. `network` accepts a name, a relative path or a self link.
//! `id` = `projects/{p}/global/firewalls/{n}`; import IDs: that, `{p}/{n}`,
//! `{n}`.

use super::compute::{self, global_path, int_of};
use super::{api_object, complete, block, blocks, fill_from_prior, fill_project, object, opt_bool, opt_str, project_of, req_str};
use crate::client::Method;
use crate::{AttrSpec, BlockSpec, BoxFuture, Client, Error, GoogleResource, Json, Nesting, ProviderConfig, TypeSchema, TypeSpec};
use serde_json::{json, Map};

pub struct ComputeFirewall;

/// `(terraform name, API name)` of the string-set arguments.
const SETS: &[(&str, &str)] = &[
    ("source_ranges", "sourceRanges"),
    ("destination_ranges", "destinationRanges"),
    ("source_tags", "sourceTags"),
    ("target_tags", "targetTags"),
    ("source_service_accounts", "sourceServiceAccounts"),
    ("target_service_accounts", "targetServiceAccounts"),
];

/// A string set, sorted; `None` when empty or unset.
fn sorted_set(v: Option<&Json>) -> Option<Vec<String>> {
    let mut items: Vec<String> = v.and_then(Json::as_array).into_iter().flatten().filter_map(Json::as_str).map(str::to_string).collect();
    items.sort();
    items.dedup();
    (!items.is_empty()).then_some(items)
}

/// A rule in the form both the plan and a read give: lower-case protocol,
/// ports or null.
fn rule(protocol: Option<&str>, ports: Option<&Json>) -> Json {
    let ports: Vec<&str> = ports.and_then(Json::as_array).into_iter().flatten().filter_map(Json::as_str).collect();
    json!({
        "protocol": protocol.map(str::to_ascii_lowercase),
        "ports": if ports.is_empty() { Json::Null } else { json!(ports) },
    })
}

/// Sorted rules, for a set of blocks.
fn sorted_rules(mut rules: Vec<Json>) -> Json {
    rules.sort_by_key(|r| r.to_string());
    Json::Array(rules)
}

/// `allow` or `deny` blocks of a planned object, canonical.
fn rules_tf(v: &Json, key: &str) -> Json {
    sorted_rules(blocks(v, key).into_iter().map(|b| rule(opt_str(b, "protocol"), b.get("ports"))).collect())
}

/// The API's `allowed` / `denied` as blocks.
fn rules_from_api(api: Option<&Json>) -> Json {
    sorted_rules(api.and_then(Json::as_array).into_iter().flatten().map(|r| rule(r.get("IPProtocol").and_then(Json::as_str), r.get("ports"))).collect())
}

fn rules_api(v: &Json, key: &str) -> Json {
    Json::Array(
        blocks(v, key)
            .into_iter()
            .map(|b| {
                let mut r = json!({ "IPProtocol": opt_str(b, "protocol").map(str::to_ascii_lowercase) });
                if let Some(p) = b.get("ports").filter(|p| p.as_array().is_some_and(|a| !a.is_empty())) {
                    r["ports"] = p.clone();
                }
                r
            })
            .collect(),
    )
}

/// The whole rule as the API takes it (every list present, so a patch
/// clears what the configuration no longer has).
fn firewall_api(v: &Json, network: &str) -> Json {
    let mut body = json!({
        "name": opt_str(v, "name"),
        "network": network,
        "description": opt_str(v, "description").unwrap_or(""),
        "direction": opt_str(v, "direction").unwrap_or("INGRESS"),
        "priority": v.get("priority").and_then(int_of).unwrap_or(1000),
        "disabled": opt_bool(v, "disabled").unwrap_or(false),
        "allowed": rules_api(v, "allow"),
        "denied": rules_api(v, "deny"),
        "logConfig": match block(v, "log_config") {
            Some(l) => json!({ "enable": true, "metadata": opt_str(l, "metadata") }),
            None => json!({ "enable": false }),
        },
    });
    for (tf, api) in SETS {
        body[*api] = json!(sorted_set(v.get(*tf)).unwrap_or_default());
    }
    body
}

fn to_state(api: &Json, base: Option<&Json>, project: &str) -> Result<Json, Error> {
    let o = api_object(api, "firewall")?;
    let name = o.get("name").and_then(Json::as_str).ok_or_else(|| Error::Invalid("firewall: answer without a name".into()))?;
    let text = |k: &str| o.get(k).filter(|v| v.as_str().is_some_and(|s| !s.is_empty())).cloned().unwrap_or(Json::Null);
    let mut out = Map::new();
    out.insert("id".into(), json!(format!("projects/{project}/global/firewalls/{name}")));
    out.insert("name".into(), json!(name));
    out.insert("project".into(), json!(project));
    out.insert("network".into(), compute::read_ref(o.get("network").and_then(Json::as_str), base, "network", "networks", project));
    out.insert("description".into(), text("description"));
    out.insert("direction".into(), text("direction"));
    out.insert("priority".into(), o.get("priority").and_then(int_of).map(|p| json!(p)).unwrap_or(json!(1000)));
    out.insert("disabled".into(), json!(o.get("disabled").and_then(Json::as_bool).unwrap_or(false)));
    for (tf, api) in SETS {
        out.insert((*tf).into(), sorted_set(o.get(*api)).map(|s| json!(s)).unwrap_or(Json::Null));
    }
    out.insert("allow".into(), rules_from_api(o.get("allowed")));
    out.insert("deny".into(), rules_from_api(o.get("denied")));
    let log = o.get("logConfig").filter(|l| l.get("enable").and_then(Json::as_bool) == Some(true));
    out.insert("log_config".into(), log.map(|l| json!([{ "metadata": l.get("metadata") }])).unwrap_or(json!([])));
    out.insert("self_link".into(), text("selfLink"));
    out.insert("creation_timestamp".into(), text("creationTimestamp"));
    Ok(Json::Object(out))
}

impl GoogleResource for ComputeFirewall {
    fn type_name(&self) -> &'static str {
        "google_compute_firewall"
    }

    fn schema(&self) -> TypeSchema {
        let s = || TypeSpec::String;
        let set = || TypeSpec::Set(Box::new(TypeSpec::String));
        let rule = || TypeSchema {
            attributes: vec![AttrSpec::required("protocol", s()), AttrSpec::optional("ports", TypeSpec::List(Box::new(s())))],
            blocks: Vec::new(),
        };
        let rules = |name| BlockSpec { name, nesting: Nesting::Set, min_items: 0, max_items: 0, schema: rule(), force_new: false };
        let log = TypeSchema { attributes: vec![AttrSpec::required("metadata", s())], blocks: Vec::new() };
        TypeSchema {
            attributes: vec![
                AttrSpec::computed("id", s()),
                AttrSpec::required("name", s()).force_new(),
                AttrSpec::required("network", s()).force_new(),
                AttrSpec::optional("description", s()),
                AttrSpec::optional_computed("direction", s()).force_new(),
                AttrSpec::optional_computed("priority", TypeSpec::Number),
                AttrSpec::optional_computed("source_ranges", set()),
                AttrSpec::optional_computed("destination_ranges", set()),
                AttrSpec::optional("source_tags", set()),
                AttrSpec::optional("target_tags", set()),
                AttrSpec::optional("source_service_accounts", set()),
                AttrSpec::optional("target_service_accounts", set()),
                AttrSpec::optional_computed("disabled", TypeSpec::Bool),
                AttrSpec::optional_computed("project", s()).force_new(),
                AttrSpec::computed("self_link", s()),
                AttrSpec::computed("creation_timestamp", s()),
            ],
            blocks: vec![
                rules("allow"),
                rules("deny"),
                BlockSpec { name: "log_config", nesting: Nesting::List, min_items: 0, max_items: 1, schema: log, force_new: false },
            ],
        }
    }

    fn plan(&self, config: &ProviderConfig, prior: Option<&Json>, proposed: Json) -> Result<Json, String> {
        let mut m = object(proposed, self.type_name())?;
        fill_project(config, prior, &mut m)?;
        let project = m.get("project").and_then(Json::as_str).unwrap_or_default().to_string();
        compute::keep_ref_spelling(prior, &mut m, "network", "networks", &project);
        let whole = Json::Object(m.clone());
        // Neither may still be blocks unknown until apply; Compute refuses it then.
        if !blocks(&whole, "allow").is_empty() && !blocks(&whole, "deny").is_empty() {
            return Err("set `allow` blocks or `deny` blocks, not both".into());
        }
        for (tf, _) in SETS {
            m.insert((*tf).into(), sorted_set(whole.get(*tf)).map(|s| json!(s)).unwrap_or(Json::Null));
        }
        fill_from_prior(
            prior,
            &mut m,
            &[
                ("direction", Some(json!("INGRESS"))),
                ("priority", Some(json!(1000))),
                ("disabled", Some(json!(false))),
                ("source_ranges", None),
                ("destination_ranges", None),
                ("self_link", None),
                ("creation_timestamp", None),
            ],
        );
        m.insert("allow".into(), rules_tf(&whole, "allow"));
        m.insert("deny".into(), rules_tf(&whole, "deny"));
        m.insert("log_config".into(), block(&whole, "log_config").map(|l| json!([{ "metadata": opt_str(l, "metadata") }])).unwrap_or(json!([])));
        compute::plan_global_id(&mut m, "firewalls");
        complete(&self.schema(), &mut m);
        Ok(Json::Object(m))
    }

    fn read<'a>(&'a self, client: &'a Client, state: &'a Json) -> BoxFuture<'a, Result<Option<Json>, Error>> {
        Box::pin(compute::read_global(client, state, "firewalls", to_state))
    }

    fn create<'a>(&'a self, client: &'a Client, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let project = project_of(client, planned)?;
            let name = req_str(planned, "name")?;
            let network = compute::network_path(req_str(planned, "network")?, project)?;
            let what = format!("creating firewall {name}");
            let path = format!("projects/{}/global/firewalls", super::encode(project));
            compute::insert(client, &path, &firewall_api(planned, &network), &what, &format!("the network {network}")).await?;
            to_state(&compute::get_written(client, &global_path(project, "firewalls", name), &what).await?, Some(planned), project)
        })
    }

    fn update<'a>(&'a self, client: &'a Client, prior: &'a Json, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let project = project_of(client, planned)?;
            let name = req_str(planned, "name")?;
            let network = compute::network_path(req_str(planned, "network")?, project)?;
            let path = global_path(project, "firewalls", name);
            let what = format!("updating firewall {name}");
            if firewall_api(prior, &network) != firewall_api(planned, &network) {
                compute::write(client, Method::PATCH, &path, Some(&firewall_api(planned, &network)), &what).await?;
            }
            to_state(&compute::get_written(client, &path, &what).await?, Some(planned), project)
        })
    }

    fn delete<'a>(&'a self, client: &'a Client, prior: &'a Json) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(compute::delete_global(client, prior, "firewalls", "firewall"))
    }

    fn import<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(compute::import_global(client, id, "firewalls", "firewall", to_state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ProviderConfig {
        ProviderConfig { project: Some("p".into()), ..Default::default() }
    }

    #[test]
    fn plan_and_read_agree() {
        let planned = ComputeFirewall
            .plan(
                &config(),
                None,
                json!({ "name": "fw", "network": "vpc", "source_ranges": ["10.0.0.0/8", "0.0.0.0/0"], "target_tags": [],
                        "allow": [{ "protocol": "TCP", "ports": ["22"] }, { "protocol": "icmp" }] }),
            )
            .unwrap();
        assert_eq!(planned["source_ranges"], json!(["0.0.0.0/0", "10.0.0.0/8"]));
        assert_eq!(planned["target_tags"], Json::Null);
        assert_eq!(planned["priority"], 1000);
        let body = firewall_api(&planned, "projects/p/global/networks/vpc");
        assert_eq!(body["allowed"], json!([{ "IPProtocol": "icmp" }, { "IPProtocol": "tcp", "ports": ["22"] }]));
        assert_eq!(body["logConfig"], json!({ "enable": false }));
        assert_eq!(body["targetTags"], json!([]));
        // What Compute answers for that body reads back as planned.
        let mut api = body.clone();
        api["selfLink"] = json!("https://www.googleapis.com/compute/v1/projects/p/global/firewalls/fw");
        api["network"] = json!("https://www.googleapis.com/compute/v1/projects/p/global/networks/vpc");
        let read = to_state(&api, Some(&planned), "p").unwrap();
        for k in ["allow", "deny", "source_ranges", "target_tags", "priority", "direction", "network", "log_config", "id"] {
            assert_eq!(read[k], planned[k], "{k}");
        }
    }

    #[test]
    fn not_both_allow_and_deny() {
        let both = json!({ "name": "fw", "network": "vpc", "allow": [{ "protocol": "tcp" }], "deny": [{ "protocol": "udp" }] });
        assert!(ComputeFirewall.plan(&config(), None, both).is_err());
    }
}
