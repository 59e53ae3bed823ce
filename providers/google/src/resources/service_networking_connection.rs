//! `google_service_networking_connection`: private services access, the
//! VPC peering between a network and Google's service producers (Service
//! Networking v1, google.longrunning operations).
//!
//! The API names the network by project *number*
//! (`projects/{number}/global/networks/{n}`), so each call first asks
//! Resource Manager v1 for it (`GET projects/{p}`). Create = `POST
//! services/{service}/connections` with `{network, reservedPeeringRanges}`;
//! read = `GET services/{service}/connections?network=...`, the connection
//! of that network; update = `PATCH
//! services/{service}/connections/-?updateMask=reservedPeeringRanges&force=true`
//! (the ranges are the only argument that changes in place); delete =
//! `POST services/{service}/connections/{peering}:deleteConnection` with
//! `{consumerNetwork}`, or nothing at all with `deletion_policy =
//! "ABANDON"` (the connection stays, as Terraform's). Writes wait for their
//! operation (`Client::wait_operation`, 20 minutes); errors name the
//! connection.
//!
//! `network` accepts a name, a relative path or a self link (its project,
//! else the provider's) and keeps its spelling while it names the same
//! network. `id` and import ID: `{network}:{service}`.

use super::compute::{self, TIMEOUT};
use super::{api_object, complete, encode, fill_from_prior, object, opt_str, req_str};
use crate::client::Method;
use crate::{AttrSpec, BoxFuture, Client, Error, GoogleResource, Json, ProviderConfig, TypeSchema, TypeSpec};
use serde_json::{json, Map};

const SERVICE: &str = "servicenetworking";

pub struct ServiceNetworkingConnection;

/// `(project, network name)` of the `network` argument.
fn network_of<'a>(client: &'a Client, v: &'a Json) -> Result<(&'a str, &'a str), Error> {
    let network = req_str(v, "network")?;
    match compute::parse_global_ref(network, "networks") {
        Some((Some(p), n)) => Ok((p, n)),
        Some((None, n)) => Ok((client.default_project()?, n)),
        None => Err(Error::Invalid(format!(
            "`network` {network:?} is not a network: use its name, `projects/{{project}}/global/networks/{{name}}` or its self link"
        ))),
    }
}

/// The network as Service Networking names it, with the project's number.
async fn api_network(client: &Client, project: &str, network: &str) -> Result<String, Error> {
    let url = client.url("cloudresourcemanager", &format!("projects/{}", encode(project)));
    let p = client.call(Method::GET, &url, None).await.map_err(|e| match e {
        Error::NotFound => Error::Invalid(format!("project {project} does not exist (looking up its number for Service Networking)")),
        other => compute::context(&format!("looking up the number of project {project}"), other),
    })?;
    let number = match p.get("projectNumber") {
        Some(Json::String(s)) if !s.is_empty() => s.clone(),
        Some(Json::Number(n)) => n.to_string(),
        _ => return Err(Error::Invalid(format!("project {project}: Resource Manager answered without a projectNumber"))),
    };
    Ok(format!("projects/{number}/global/networks/{network}"))
}

fn to_state(api: &Json, base: &Json) -> Result<Json, Error> {
    let o = api_object(api, "service networking connection")?;
    let network = req_str(base, "network")?;
    let service = req_str(base, "service")?;
    let mut out = Map::new();
    out.insert("id".into(), json!(format!("{network}:{service}")));
    out.insert("network".into(), json!(network));
    out.insert("service".into(), json!(service));
    out.insert("reserved_peering_ranges".into(), o.get("reservedPeeringRanges").cloned().unwrap_or(json!([])));
    out.insert("peering".into(), o.get("peering").cloned().unwrap_or(Json::Null));
    out.insert("deletion_policy".into(), base.get("deletion_policy").cloned().unwrap_or(Json::Null));
    Ok(Json::Object(out))
}

/// The connection of the network `api_network` to `service`, if any.
async fn find(client: &Client, service: &str, api_network: &str) -> Result<Option<Json>, Error> {
    let path = format!("services/{}/connections?network={}", encode(service), encode(api_network));
    let page = match client.call(Method::GET, &client.url(SERVICE, &path), None).await {
        Err(Error::NotFound) => return Ok(None),
        other => other?,
    };
    let name = compute::last_segment(api_network);
    Ok(page
        .get("connections")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .find(|c| c.get("network").and_then(Json::as_str).is_some_and(|n| compute::last_segment(n) == name))
        .cloned())
}

/// Sends a write and waits for its operation; errors name the connection.
async fn write(client: &Client, method: Method, path: &str, body: &Json, what: &str) -> Result<(), Error> {
    let op = client.call(method, &client.url(SERVICE, path), Some(body)).await.map_err(|e| compute::context(what, e))?;
    client.wait_operation(SERVICE, op, TIMEOUT).await.map_err(|e| compute::context(what, e))?;
    Ok(())
}

/// Reads the connection after a write; it must be there.
async fn read_back(client: &Client, v: &Json, api_network: &str, what: &str) -> Result<Json, Error> {
    match find(client, req_str(v, "service")?, api_network).await? {
        Some(api) => to_state(&api, v),
        None => Err(Error::Invalid(format!("{what}: the connection is not listed after the operation finished"))),
    }
}

fn ranges(v: &Json) -> Json {
    v.get("reserved_peering_ranges").cloned().filter(Json::is_array).unwrap_or(json!([]))
}

impl GoogleResource for ServiceNetworkingConnection {
    fn type_name(&self) -> &'static str {
        "google_service_networking_connection"
    }

    fn schema(&self) -> TypeSchema {
        let s = || TypeSpec::String;
        TypeSchema {
            attributes: vec![
                AttrSpec::computed("id", s()),
                AttrSpec::required("network", s()).force_new(),
                AttrSpec::required("service", s()).force_new(),
                AttrSpec::required("reserved_peering_ranges", TypeSpec::List(Box::new(s()))),
                AttrSpec::optional("deletion_policy", s()),
                AttrSpec::computed("peering", s()),
            ],
            blocks: Vec::new(),
        }
    }

    fn plan(&self, config: &ProviderConfig, prior: Option<&Json>, proposed: Json) -> Result<Json, String> {
        let mut m = object(proposed, self.type_name())?;
        if let Some(p) = m.get("deletion_policy").and_then(Json::as_str) {
            if !matches!(p, "" | "ABANDON" | "DELETE") {
                return Err(format!("deletion_policy {p:?}: use \"ABANDON\" (forget the connection on destroy) or leave it unset"));
            }
        }
        let project = config.project.clone().unwrap_or_default();
        compute::keep_ref_spelling(prior, &mut m, "network", "networks", &project);
        fill_from_prior(prior, &mut m, &[("peering", None)]);
        if let (Some(n), Some(s)) = (m.get("network").and_then(Json::as_str), m.get("service").and_then(Json::as_str)) {
            let id = format!("{n}:{s}");
            m.insert("id".into(), json!(id));
        }
        complete(&self.schema(), &mut m);
        Ok(Json::Object(m))
    }

    fn read<'a>(&'a self, client: &'a Client, state: &'a Json) -> BoxFuture<'a, Result<Option<Json>, Error>> {
        Box::pin(async move {
            let (project, network) = network_of(client, state)?;
            let api_network = api_network(client, project, network).await?;
            match find(client, req_str(state, "service")?, &api_network).await? {
                Some(api) => to_state(&api, state).map(Some),
                None => Ok(None),
            }
        })
    }

    fn create<'a>(&'a self, client: &'a Client, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let (project, network) = network_of(client, planned)?;
            let service = req_str(planned, "service")?;
            let api_network = api_network(client, project, network).await?;
            let what = format!("creating the connection of network {network} to {service}");
            let body = json!({ "network": api_network, "reservedPeeringRanges": ranges(planned) });
            write(client, Method::POST, &format!("services/{}/connections", encode(service)), &body, &what).await?;
            read_back(client, planned, &api_network, &what).await
        })
    }

    fn update<'a>(&'a self, client: &'a Client, prior: &'a Json, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let (project, network) = network_of(client, planned)?;
            let service = req_str(planned, "service")?;
            let api_network = api_network(client, project, network).await?;
            let what = format!("updating the connection of network {network} to {service}");
            if ranges(prior) != ranges(planned) {
                let body = json!({ "network": api_network, "reservedPeeringRanges": ranges(planned) });
                let path = format!("services/{}/connections/-?updateMask=reservedPeeringRanges&force=true", encode(service));
                write(client, Method::PATCH, &path, &body, &what).await?;
            }
            read_back(client, planned, &api_network, &what).await
        })
    }

    fn delete<'a>(&'a self, client: &'a Client, prior: &'a Json) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            if opt_str(prior, "deletion_policy") == Some("ABANDON") {
                return Ok(());
            }
            let (project, network) = network_of(client, prior)?;
            let service = req_str(prior, "service")?;
            let api_network = api_network(client, project, network).await?;
            let peering = opt_str(prior, "peering").map(str::to_string).unwrap_or_else(|| service.replace('.', "-"));
            let path = format!("services/{}/connections/{}:deleteConnection", encode(service), encode(&peering));
            let what = format!("deleting the connection of network {network} to {service}");
            match write(client, Method::POST, &path, &json!({ "consumerNetwork": api_network }), &what).await {
                Ok(()) | Err(Error::NotFound) => Ok(()),
                Err(e) => Err(e),
            }
        })
    }

    fn import<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let (network, service) = id
                .rsplit_once(':')
                .filter(|(n, s)| !n.is_empty() && !s.is_empty() && !s.contains('/'))
                .ok_or_else(|| Error::Invalid(format!("import ID {id:?}: expected `{{network}}:{{service}}`")))?;
            let base = json!({ "network": network, "service": service });
            match self.read(client, &base).await? {
                Some(state) => Ok(state),
                None => Err(Error::Invalid(format!("network {network} has no connection to {service}"))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_keeps_the_configured_network() {
        let api = json!({ "network": "projects/123/global/networks/vpc", "reservedPeeringRanges": ["psa"], "peering": "servicenetworking-googleapis-com", "service": "services/servicenetworking.googleapis.com" });
        let base = json!({ "network": "projects/p/global/networks/vpc", "service": "servicenetworking.googleapis.com", "deletion_policy": "ABANDON" });
        let s = to_state(&api, &base).unwrap();
        assert_eq!(s["id"], "projects/p/global/networks/vpc:servicenetworking.googleapis.com");
        assert_eq!(s["reserved_peering_ranges"], json!(["psa"]));
        assert_eq!(s["peering"], "servicenetworking-googleapis-com");
        assert_eq!(s["deletion_policy"], "ABANDON");
    }

    #[test]
    fn plan_checks_the_deletion_policy() {
        let config = ProviderConfig { project: Some("p".into()), ..Default::default() };
        let planned = ServiceNetworkingConnection
            .plan(&config, None, json!({ "network": "vpc", "service": "servicenetworking.googleapis.com", "reserved_peering_ranges": ["r"] }))
            .unwrap();
        assert_eq!(planned["id"], "vpc:servicenetworking.googleapis.com");
        let bad = json!({ "network": "vpc", "service": "s", "reserved_peering_ranges": [], "deletion_policy": "KEEP" });
        assert!(ServiceNetworkingConnection.plan(&config, None, bad).is_err());
    }
}
