//! `google_compute_global_address`: a reserved global IP address or range
//! (Compute v1, global operations): an external address, or an internal
//! range for private services access (`purpose = "VPC_PEERING"`, with
//! `prefix_length` and `network`) or Private Service Connect.
//!
//! Create = `POST projects/{p}/global/addresses` (without labels), then, when
//! there are labels, `setLabels`; read = `GET .../addresses/{n}`; update =
//! labels only, through `POST .../addresses/{n}/setLabels` with the current
//! `labelFingerprint` (the state's first, then re-read: a stale one is 412
//! and the read-modify-write is retried); every other argument forces a new
//! address. Delete = `DELETE`. Every write waits for its operation
//! (`compute::write`, 20 minutes). Labels follow the provider's
//! `default_labels` as everywhere (`labels`, `terraform_labels`,
//! `effective_labels`). `network` accepts a name, a relative path or a self
//! link. `id` = `projects/{p}/global/addresses/{n}`; import IDs: that,
//! `{p}/{n}`, `{n}`.

use super::compute::{self, global_path, int_of};
use super::{
    api_object, complete, effective_labels, fill_from_prior, fill_project, label_attrs, object, opt_str, plan_labels, project_of, read_labels, req_str,
    string_map, to_json_map,
};
use crate::{AttrSpec, BoxFuture, Client, Error, GoogleResource, Json, ProviderConfig, TypeSchema, TypeSpec};
use serde_json::{json, Map};

pub struct ComputeGlobalAddress;

fn to_state(client: &Client, api: &Json, base: Option<&Json>, project: &str) -> Result<Json, Error> {
    let o = api_object(api, "global address")?;
    let name = o.get("name").and_then(Json::as_str).ok_or_else(|| Error::Invalid("global address: answer without a name".into()))?;
    let text = |k: &str| o.get(k).filter(|v| v.as_str().is_some_and(|s| !s.is_empty())).cloned().unwrap_or(Json::Null);
    // Compute may answer the default IPV4 for an address created without one.
    let ip_version = match base {
        Some(b) if b.get("ip_version").is_none_or(Json::is_null) && o.get("ipVersion").and_then(Json::as_str) == Some("IPV4") => Json::Null,
        _ => text("ipVersion"),
    };
    let mut out = Map::new();
    out.insert("id".into(), json!(format!("projects/{project}/global/addresses/{name}")));
    out.insert("name".into(), json!(name));
    out.insert("project".into(), json!(project));
    out.insert("address".into(), text("address"));
    out.insert("address_type".into(), o.get("addressType").cloned().unwrap_or(json!("EXTERNAL")));
    out.insert("purpose".into(), text("purpose"));
    out.insert("prefix_length".into(), o.get("prefixLength").and_then(int_of).map(|p| json!(p)).unwrap_or(Json::Null));
    out.insert("network".into(), compute::read_ref(o.get("network").and_then(Json::as_str), base, "network", "networks", project));
    out.insert("ip_version".into(), ip_version);
    out.insert("description".into(), text("description"));
    read_labels(client, o.get("labels"), base, &mut out);
    out.insert("label_fingerprint".into(), text("labelFingerprint"));
    out.insert("self_link".into(), text("selfLink"));
    out.insert("creation_timestamp".into(), text("creationTimestamp"));
    Ok(Json::Object(out))
}

/// Sets the address's labels to `labels` (`known`: the state's fingerprint).
async fn set_labels(client: &Client, path: &str, labels: Json, known: Option<&str>, what: &str) -> Result<(), Error> {
    let body = json!({ "labels": labels });
    compute::write_fingerprinted(client, path, Some("setLabels"), "labelFingerprint", known, &body, what).await?;
    Ok(())
}

impl GoogleResource for ComputeGlobalAddress {
    fn type_name(&self) -> &'static str {
        "google_compute_global_address"
    }

    fn changes_on_write(&self) -> &'static [&'static str] {
        &["label_fingerprint"]
    }

    fn schema(&self) -> TypeSchema {
        let s = || TypeSpec::String;
        let mut attributes = vec![
            AttrSpec::computed("id", s()),
            AttrSpec::required("name", s()).force_new(),
            AttrSpec::optional_computed("address", s()).force_new(),
            AttrSpec::optional_computed("address_type", s()).force_new(),
            AttrSpec::optional("purpose", s()).force_new(),
            AttrSpec::optional_computed("prefix_length", TypeSpec::Number).force_new(),
            AttrSpec::optional("network", s()).force_new(),
            AttrSpec::optional("ip_version", s()).force_new(),
            AttrSpec::optional("description", s()).force_new(),
            AttrSpec::optional_computed("project", s()).force_new(),
            AttrSpec::computed("label_fingerprint", s()),
            AttrSpec::computed("self_link", s()),
            AttrSpec::computed("creation_timestamp", s()),
        ];
        attributes.extend(label_attrs());
        TypeSchema { attributes, blocks: Vec::new() }
    }

    fn plan(&self, config: &ProviderConfig, prior: Option<&Json>, proposed: Json) -> Result<Json, String> {
        let mut m = object(proposed, self.type_name())?;
        fill_project(config, prior, &mut m)?;
        let project = m.get("project").and_then(Json::as_str).unwrap_or_default().to_string();
        compute::keep_ref_spelling(prior, &mut m, "network", "networks", &project);
        fill_from_prior(
            prior,
            &mut m,
            &[
                ("address_type", Some(json!("EXTERNAL"))),
                ("address", None),
                ("prefix_length", None),
                ("label_fingerprint", None),
                ("self_link", None),
                ("creation_timestamp", None),
            ],
        );
        plan_labels(config, &mut m);
        compute::plan_global_id(&mut m, "addresses");
        complete(&self.schema(), &mut m);
        Ok(Json::Object(m))
    }

    fn read<'a>(&'a self, client: &'a Client, state: &'a Json) -> BoxFuture<'a, Result<Option<Json>, Error>> {
        Box::pin(compute::read_global(client, state, "addresses", move |api, base, project| to_state(client, api, base, project)))
    }

    fn create<'a>(&'a self, client: &'a Client, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let project = project_of(client, planned)?;
            let name = req_str(planned, "name")?;
            let mut body = json!({ "name": name, "addressType": opt_str(planned, "address_type").unwrap_or("EXTERNAL") });
            for (api, tf) in [("address", "address"), ("purpose", "purpose"), ("ipVersion", "ip_version"), ("description", "description")] {
                if let Some(v) = opt_str(planned, tf) {
                    body[api] = json!(v);
                }
            }
            if let Some(p) = planned.get("prefix_length").and_then(int_of) {
                body["prefixLength"] = json!(p);
            }
            let network = match opt_str(planned, "network") {
                Some(n) => Some(compute::network_path(n, project)?),
                None => None,
            };
            if let Some(n) = &network {
                body["network"] = json!(n);
            }
            let what = format!("creating global address {name}");
            let path = format!("projects/{}/global/addresses", super::encode(project));
            let missing = network.map(|n| format!("the network {n}")).unwrap_or_else(|| format!("the project {project}"));
            compute::insert(client, &path, &body, &what, &missing).await?;
            let self_path = global_path(project, "addresses", name);
            let labels = effective_labels(client, planned);
            if !labels.is_empty() {
                set_labels(client, &self_path, to_json_map(&labels), None, &format!("labelling global address {name}")).await?;
            }
            to_state(client, &compute::get_written(client, &self_path, &what).await?, Some(planned), project)
        })
    }

    fn update<'a>(&'a self, client: &'a Client, prior: &'a Json, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let project = project_of(client, planned)?;
            let name = req_str(planned, "name")?;
            let path = global_path(project, "addresses", name);
            let labels = effective_labels(client, planned);
            if labels != string_map(prior, "effective_labels") {
                let known = opt_str(prior, "label_fingerprint");
                set_labels(client, &path, to_json_map(&labels), known, &format!("updating the labels of global address {name}")).await?;
            }
            to_state(client, &compute::get_written(client, &path, &format!("updating global address {name}")).await?, Some(planned), project)
        })
    }

    fn delete<'a>(&'a self, client: &'a Client, prior: &'a Json) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(compute::delete_global(client, prior, "addresses", "global address"))
    }

    fn import<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(compute::import_global(client, id, "addresses", "global address", move |api, base, project| to_state(client, api, base, project)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_to_state() {
        let client = Client::new(ProviderConfig { project: Some("p".into()), ..Default::default() });
        let api = json!({
            "name": "psa", "address": "10.10.0.0", "prefixLength": 16, "addressType": "INTERNAL", "purpose": "VPC_PEERING",
            "network": "https://www.googleapis.com/compute/v1/projects/p/global/networks/vpc", "ipVersion": "IPV4",
            "labels": { "env": "dev" }, "labelFingerprint": "xyz=",
        });
        let base = json!({ "network": "projects/p/global/networks/vpc", "labels": { "env": "dev" }, "ip_version": null });
        let s = to_state(&client, &api, Some(&base), "p").unwrap();
        assert_eq!(s["id"], "projects/p/global/addresses/psa");
        assert_eq!(s["prefix_length"], 16);
        assert_eq!(s["network"], "projects/p/global/networks/vpc");
        assert_eq!(s["ip_version"], Json::Null, "the API's default stays unset");
        assert_eq!(s["labels"], json!({ "env": "dev" }));
        assert_eq!(s["label_fingerprint"], "xyz=");
        let imported = to_state(&client, &api, None, "p").unwrap();
        assert_eq!(imported["ip_version"], "IPV4");
        assert_eq!(imported["network"], api["network"]);
    }
}
