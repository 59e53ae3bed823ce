//! `google_compute_network`: a VPC network (Compute v1, global operations).
//!
//! Create = `POST projects/{p}/global/networks`, then, with
//! `delete_default_routes_on_create`, the network's default routes
//! (`0.0.0.0/0` to the internet gateway) are listed and deleted; read =
//! `GET .../networks/{n}`; update = `PATCH` with `routingConfig` and `mtu`,
//! the only arguments Compute changes in place (the others force a new
//! network); delete = `DELETE`, which Compute refuses inside its operation
//! while subnetworks, firewalls, addresses or peerings use the network: the
//! error names the first of them. Every write waits for its operation
//! (`compute::write`, 20 minutes). `id` = `projects/{p}/global/networks/{n}`;
//! import IDs: that, `{p}/{n}`, `{n}`.

use super::compute::{self, global_path, int_of};
use super::{api_object, complete, fill_from_prior, fill_project, object, opt_bool, opt_str, project_of, req_str};
use crate::client::Method;
use crate::{AttrSpec, BoxFuture, Client, Error, GoogleResource, Json, ProviderConfig, TypeSchema, TypeSpec};
use serde_json::{json, Map};

pub struct ComputeNetwork;

/// The Terraform object for an API network; `base` (planned or prior) gives
/// what the API does not hold.
fn to_state(api: &Json, base: Option<&Json>, project: &str) -> Result<Json, Error> {
    let o = api_object(api, "network")?;
    let name = o.get("name").and_then(Json::as_str).ok_or_else(|| Error::Invalid("network: answer without a name".into()))?;
    let mut out = Map::new();
    out.insert("id".into(), json!(format!("projects/{project}/global/networks/{name}")));
    out.insert("name".into(), json!(name));
    out.insert("project".into(), json!(project));
    out.insert("description".into(), o.get("description").filter(|d| d.as_str().is_some_and(|s| !s.is_empty())).cloned().unwrap_or(Json::Null));
    out.insert("auto_create_subnetworks".into(), json!(o.get("autoCreateSubnetworks").and_then(Json::as_bool).unwrap_or(false)));
    out.insert("routing_mode".into(), o.get("routingConfig").and_then(|r| r.get("routingMode")).cloned().unwrap_or(Json::Null));
    out.insert("mtu".into(), o.get("mtu").and_then(int_of).map(|m| json!(m)).unwrap_or(Json::Null));
    out.insert("delete_default_routes_on_create".into(), json!(base.and_then(|b| opt_bool(b, "delete_default_routes_on_create")).unwrap_or(false)));
    out.insert("self_link".into(), o.get("selfLink").cloned().unwrap_or(Json::Null));
    out.insert("gateway_ipv4".into(), o.get("gatewayIPv4").cloned().unwrap_or(Json::Null));
    out.insert("network_id".into(), compute::id_string(o.get("id")));
    Ok(Json::Object(out))
}

/// `routingConfig` and `mtu` as the API takes them, for the arguments set.
fn updatable_api(v: &Json) -> Map<String, Json> {
    let mut m = Map::new();
    if let Some(mode) = opt_str(v, "routing_mode") {
        m.insert("routingConfig".into(), json!({ "routingMode": mode }));
    }
    if let Some(mtu) = v.get("mtu").and_then(int_of) {
        m.insert("mtu".into(), json!(mtu));
    }
    m
}

/// Deletes the network's default routes to the internet (Terraform's
/// `delete_default_routes_on_create`).
async fn delete_default_routes(client: &Client, project: &str, network: &str) -> Result<(), Error> {
    let mut token: Option<String> = None;
    let mut doomed = Vec::new();
    loop {
        let mut path = format!("projects/{}/global/routes?maxResults=500", super::encode(project));
        if let Some(t) = &token {
            path.push_str(&format!("&pageToken={}", super::encode(t)));
        }
        let page = client.call(Method::GET, &client.url(compute::SERVICE, &path), None).await?;
        for r in page.get("items").and_then(Json::as_array).into_iter().flatten() {
            let ours = r.get("network").and_then(Json::as_str).is_some_and(|n| compute::same_ref(n, network, "networks", project));
            let default = r.get("destRange").and_then(Json::as_str) == Some("0.0.0.0/0") && r.get("nextHopGateway").is_some();
            if let (true, true, Some(name)) = (ours, default, r.get("name").and_then(Json::as_str)) {
                doomed.push(name.to_string());
            }
        }
        match page.get("nextPageToken").and_then(Json::as_str) {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    for name in doomed {
        compute::delete(client, &global_path(project, "routes", &name), &format!("deleting default route {name} of network {network}")).await?;
    }
    Ok(())
}

impl GoogleResource for ComputeNetwork {
    fn type_name(&self) -> &'static str {
        "google_compute_network"
    }

    fn schema(&self) -> TypeSchema {
        let s = || TypeSpec::String;
        TypeSchema {
            attributes: vec![
                AttrSpec::computed("id", s()),
                AttrSpec::required("name", s()).force_new(),
                AttrSpec::optional("description", s()).force_new(),
                AttrSpec::optional_computed("auto_create_subnetworks", TypeSpec::Bool).force_new(),
                AttrSpec::optional_computed("routing_mode", s()),
                AttrSpec::optional_computed("mtu", TypeSpec::Number),
                AttrSpec::optional_computed("delete_default_routes_on_create", TypeSpec::Bool),
                AttrSpec::optional_computed("project", s()).force_new(),
                AttrSpec::computed("self_link", s()),
                AttrSpec::computed("gateway_ipv4", s()),
                AttrSpec::computed("network_id", s()),
            ],
            blocks: Vec::new(),
        }
    }

    fn plan(&self, config: &ProviderConfig, prior: Option<&Json>, proposed: Json) -> Result<Json, String> {
        let mut m = object(proposed, self.type_name())?;
        fill_project(config, prior, &mut m)?;
        fill_from_prior(
            prior,
            &mut m,
            &[
                ("auto_create_subnetworks", Some(json!(true))),
                ("delete_default_routes_on_create", Some(json!(false))),
                ("routing_mode", None),
                ("mtu", None),
                ("self_link", None),
                ("gateway_ipv4", None),
                ("network_id", None),
            ],
        );
        compute::plan_global_id(&mut m, "networks");
        complete(&self.schema(), &mut m);
        Ok(Json::Object(m))
    }

    fn read<'a>(&'a self, client: &'a Client, state: &'a Json) -> BoxFuture<'a, Result<Option<Json>, Error>> {
        Box::pin(compute::read_global(client, state, "networks", to_state))
    }

    fn create<'a>(&'a self, client: &'a Client, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let project = project_of(client, planned)?;
            let name = req_str(planned, "name")?;
            let mut body = updatable_api(planned);
            body.insert("name".into(), json!(name));
            body.insert("autoCreateSubnetworks".into(), json!(opt_bool(planned, "auto_create_subnetworks").unwrap_or(true)));
            if let Some(d) = opt_str(planned, "description") {
                body.insert("description".into(), json!(d));
            }
            let what = format!("creating network {name}");
            let path = format!("projects/{}/global/networks", super::encode(project));
            compute::insert(client, &path, &Json::Object(body), &what, &format!("the project {project}")).await?;
            let self_path = global_path(project, "networks", name);
            if opt_bool(planned, "delete_default_routes_on_create") == Some(true) {
                delete_default_routes(client, project, &self_path).await?;
            }
            to_state(&compute::get_written(client, &self_path, &what).await?, Some(planned), project)
        })
    }

    fn update<'a>(&'a self, client: &'a Client, prior: &'a Json, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let project = project_of(client, planned)?;
            let name = req_str(planned, "name")?;
            let path = global_path(project, "networks", name);
            let what = format!("updating network {name}");
            let (old, new) = (updatable_api(prior), updatable_api(planned));
            let patch: Map<String, Json> = new.into_iter().filter(|(k, v)| old.get(k) != Some(v)).collect();
            if !patch.is_empty() {
                compute::write(client, Method::PATCH, &path, Some(&Json::Object(patch)), &what).await?;
            }
            to_state(&compute::get_written(client, &path, &what).await?, Some(planned), project)
        })
    }

    fn delete<'a>(&'a self, client: &'a Client, prior: &'a Json) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            compute::delete_global(client, prior, "networks", "network").await.map_err(|e| match e {
                Error::Api { call, status, reason, message } if reason.eq_ignore_ascii_case("RESOURCE_IN_USE_BY_ANOTHER_RESOURCE") => {
                    let message = format!("{message} (delete what uses the network first, or let cairn delete it in the same run)");
                    Error::Api { call, status, reason, message }
                }
                other => other,
            })
        })
    }

    fn import<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(compute::import_global(client, id, "networks", "network", to_state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_to_state() {
        let api = json!({
            "kind": "compute#network", "id": "8123456789012345678", "name": "vpc", "autoCreateSubnetworks": false,
            "routingConfig": { "routingMode": "GLOBAL" }, "mtu": 1500,
            "selfLink": "https://www.googleapis.com/compute/v1/projects/p/global/networks/vpc",
        });
        let s = to_state(&api, Some(&json!({ "delete_default_routes_on_create": true })), "p").unwrap();
        assert_eq!(s["id"], "projects/p/global/networks/vpc");
        assert_eq!(s["routing_mode"], "GLOBAL");
        assert_eq!(s["mtu"], 1500);
        assert_eq!(s["network_id"], "8123456789012345678");
        assert_eq!(s["delete_default_routes_on_create"], true);
        assert_eq!(s["auto_create_subnetworks"], false);
        assert_eq!(s["description"], Json::Null);
        assert!(to_state(&json!([]), None, "p").is_err());
        assert!(to_state(&json!({}), None, "p").is_err());
    }

    #[test]
    fn only_set_routing_and_mtu_are_sent() {
        assert_eq!(Json::Object(updatable_api(&json!({ "routing_mode": "REGIONAL", "mtu": 1460.0 }))), json!({ "routingConfig": { "routingMode": "REGIONAL" }, "mtu": 1460 }));
        assert!(updatable_api(&json!({ "routing_mode": null })).is_empty());
    }

    #[test]
    fn plan_defaults_and_id() {
        let config = ProviderConfig { project: Some("p".into()), ..Default::default() };
        let planned = ComputeNetwork.plan(&config, None, json!({ "name": "vpc" })).unwrap();
        assert_eq!(planned["auto_create_subnetworks"], true);
        assert_eq!(planned["delete_default_routes_on_create"], false);
        assert_eq!(planned["id"], "projects/p/global/networks/vpc");
    }
}
