//! What the Compute Engine types share (`google_compute_network`,
//! `google_compute_subnetwork`, `google_compute_firewall`,
//! `google_compute_global_address`); not a resource type itself.
//!
//! Owns: the paths of global and regional resources; a write that waits
//! for the `compute#operation` it answers with ([`write`]: polled through
//! its `selfLink` by [`Client::wait_status_operation`], under the types'
//! 20-minute timeout) and errors that name the resource, with the inserts,
//! deletes and reads-after-write built on it, and the read, import and
//! delete of a global resource whole (the type gives its JSON mapping); a
//! write carrying
//! a fingerprint ([`write_fingerprinted`]: a stale one is 412, so the
//! fingerprint is read again and the write retried); references to other
//! resources (a network by name, relative path or URL of any host),
//! compared so that equivalent spellings never show as a change; and
//! Terraform's import ID forms for global and regional resources.
//!
//! Does not own: any type's arguments or JSON mapping (each type's file),
//! nor retries of single calls (the client's).

use super::encode;
use crate::client::Method;
use crate::{Client, Error, Json};
use serde_json::{json, Map};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub(crate) const SERVICE: &str = "compute";

/// Terraform's default create, update and delete timeout for these types.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// `projects/{p}/global/{collection}/{name}`.
pub(crate) fn global_path(project: &str, collection: &str, name: &str) -> String {
    format!("projects/{}/global/{collection}/{}", encode(project), encode(name))
}

/// `projects/{p}/regions/{r}/{collection}/{name}`.
pub(crate) fn regional_path(project: &str, region: &str, collection: &str, name: &str) -> String {
    format!("projects/{}/regions/{}/{collection}/{}", encode(project), encode(region), encode(name))
}

/// Puts `what` (`creating subnetwork s`) in front of an error. 404 stays
/// [`Error::NotFound`], so deletes can take it as "already gone".
pub(crate) fn context(what: &str, e: Error) -> Error {
    match e {
        Error::Api { call, status, reason, message } => Error::Api { call: format!("{what}: {call}"), status, reason, message },
        Error::Timeout(m) => Error::Timeout(format!("{what}: {m}")),
        Error::Invalid(m) => Error::Invalid(format!("{what}: {m}")),
        Error::Transport(m) => Error::Transport(format!("{what}: {m}")),
        other => other,
    }
}

/// The resource at `path`, or `None` when it is gone.
pub(crate) async fn get(client: &Client, path: &str) -> Result<Option<Json>, Error> {
    client.get_opt(&client.url(SERVICE, path)).await
}

/// Sends a write to `path` and waits until its operation is done; the
/// finished operation. Errors (of the call or inside the operation) name
/// `what`.
pub(crate) async fn write(client: &Client, method: Method, path: &str, body: Option<&Json>, what: &str) -> Result<Json, Error> {
    let op = client.call(method, &client.url(SERVICE, path), body).await.map_err(|e| context(what, e))?;
    client.wait_status_operation(SERVICE, op, TIMEOUT).await.map_err(|e| context(what, e))
}

/// Inserts a resource by `POST` to its collection at `path` and waits. A
/// 404 there means what the resource refers to does not exist: `missing`
/// says what (`the network projects/p/global/networks/n`).
pub(crate) async fn insert(client: &Client, path: &str, body: &Json, what: &str, missing: &str) -> Result<(), Error> {
    match write(client, Method::POST, path, Some(body), what).await {
        Ok(_) => Ok(()),
        Err(Error::NotFound) => Err(Error::Invalid(format!("{what}: Compute answered 404: {missing} does not exist; create it first or fix the reference"))),
        Err(e) => Err(e),
    }
}

/// The resource at `path` right after a write of `what`: it must be there.
pub(crate) async fn get_written(client: &Client, path: &str, what: &str) -> Result<Json, Error> {
    get(client, path).await?.ok_or_else(|| Error::Invalid(format!("{what}: the resource is gone right after the write (deleted outside cairn?)")))
}

/// Deletes the resource at `path` and waits; one already gone is fine.
pub(crate) async fn delete(client: &Client, path: &str, what: &str) -> Result<(), Error> {
    match write(client, Method::DELETE, path, None, what).await {
        Ok(_) | Err(Error::NotFound) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Plans the `id` of a global resource of `collection`
/// (`projects/{p}/global/{collection}/{n}`), once `project` and `name` are known.
pub(crate) fn plan_global_id(m: &mut Map<String, Json>, collection: &str) {
    if let (Some(p), Some(n)) = (m.get("project").and_then(Json::as_str), m.get("name").and_then(Json::as_str)) {
        let id = format!("projects/{p}/global/{collection}/{n}");
        m.insert("id".into(), json!(id));
    }
}

/// How a global type turns an API object into state: `(api, base, project)`.
pub(crate) trait ToState: Fn(&Json, Option<&Json>, &str) -> Result<Json, Error> + Sync {}
impl<F: Fn(&Json, Option<&Json>, &str) -> Result<Json, Error> + Sync> ToState for F {}

/// Reads the global resource of `collection` a state names (by `project`
/// and `name`); `None` when it is gone.
pub(crate) async fn read_global(client: &Client, state: &Json, collection: &str, to_state: impl ToState) -> Result<Option<Json>, Error> {
    let project = super::project_of(client, state)?;
    let name = super::req_str(state, "name")?;
    match get(client, &global_path(project, collection, name)).await? {
        Some(api) => to_state(&api, Some(state), project).map(Some),
        None => Ok(None),
    }
}

/// Deletes the global resource of `collection` a prior state names;
/// `kind` names it in errors (`firewall`).
pub(crate) async fn delete_global(client: &Client, prior: &Json, collection: &str, kind: &str) -> Result<(), Error> {
    let project = super::project_of(client, prior)?;
    let name = super::req_str(prior, "name")?;
    delete(client, &global_path(project, collection, name), &format!("deleting {kind} {name}")).await
}

/// Adopts a global resource of `collection` by import ID (see
/// [`parse_global_id`]); `kind` names it in errors (`network`).
pub(crate) async fn import_global(client: &Client, id: &str, collection: &str, kind: &str, to_state: impl ToState) -> Result<Json, Error> {
    let (project, name) = parse_global_id(client, id, collection)?;
    match get(client, &global_path(&project, collection, &name)).await? {
        Some(api) => to_state(&api, None, &project),
        None => Err(Error::Invalid(format!("{kind} {id} does not exist"))),
    }
}

/// A write whose body must carry the resource's current `field`
/// (`fingerprint`, `labelFingerprint`): a `PATCH` of the resource at
/// `path`, or with `custom` a `POST {path}/{custom}` (`setLabels`). The
/// first attempt uses `known` (the state's) when given; a 412 (stale) or a
/// later attempt reads the resource again, and the whole read-modify-write
/// is retried.
pub(crate) async fn write_fingerprinted(
    client: &Client,
    path: &str,
    custom: Option<&str>,
    field: &str,
    known: Option<&str>,
    body: &Json,
    what: &str,
) -> Result<Json, Error> {
    let (method, write_path) = match custom {
        Some(verb) => (Method::POST, format!("{path}/{verb}")),
        None => (Method::PATCH, path.to_string()),
    };
    let first = AtomicBool::new(true);
    client
        .read_modify_write(|| {
            let (first, method, write_path) = (&first, method.clone(), &write_path);
            async move {
                let fingerprint = match known.filter(|_| first.swap(false, Ordering::SeqCst)) {
                    Some(f) => f.to_string(),
                    None => {
                        let current = get(client, path).await?.ok_or(Error::NotFound)?;
                        current
                            .get(field)
                            .and_then(Json::as_str)
                            .ok_or_else(|| Error::Invalid(format!("{what}: the resource has no `{field}` to send back")))?
                            .to_string()
                    }
                };
                let mut body = body.clone();
                body[field] = json!(fingerprint);
                write(client, method, write_path, Some(&body), what).await
            }
        })
        .await
}

/// A reference to a global resource of `collection` (`networks`): its
/// project (when the reference names one) and name. Accepts a name,
/// `global/{c}/{n}`, `projects/{p}/global/{c}/{n}` and URLs of those on any
/// host (`https://www.googleapis.com/compute/v1/...`, the sandbox's).
pub(crate) fn parse_global_ref<'a>(value: &'a str, collection: &str) -> Option<(Option<&'a str>, &'a str)> {
    let rel = match value.find("/compute/") {
        Some(i) => value[i + "/compute/".len()..].split_once('/').map(|(_, r)| r)?,
        None => value,
    };
    let segs: Vec<&'a str> = rel.trim_matches('/').split('/').collect();
    match segs.as_slice() {
        ["projects", p, "global", c, n] if *c == collection && !p.is_empty() && !n.is_empty() => Some((Some(*p), *n)),
        ["global", c, n] if *c == collection && !n.is_empty() => Some((None, *n)),
        [n] if !n.is_empty() && !n.contains(':') => Some((None, *n)),
        _ => None,
    }
}

/// `projects/{p}/global/networks/{n}` for a network reference (`project`
/// when it names none), or an error saying what is accepted.
pub(crate) fn network_path(value: &str, project: &str) -> Result<String, Error> {
    match parse_global_ref(value, "networks") {
        Some((p, n)) => Ok(format!("projects/{}/global/networks/{n}", p.unwrap_or(project))),
        None => Err(Error::Invalid(format!(
            "`network` {value:?} is not a network: use its name, `projects/{{project}}/global/networks/{{name}}` or its self link"
        ))),
    }
}

/// Whether two references name the same global resource (`project` for
/// those that name none).
pub(crate) fn same_ref(a: &str, b: &str, collection: &str, project: &str) -> bool {
    match (parse_global_ref(a, collection), parse_global_ref(b, collection)) {
        (Some((pa, na)), Some((pb, nb))) => pa.unwrap_or(project) == pb.unwrap_or(project) && na == nb,
        _ => a == b,
    }
}

/// Plans a reference argument: when it names what the prior state names,
/// the prior spelling stays (a name and a self link are no change).
pub(crate) fn keep_ref_spelling(prior: Option<&Json>, m: &mut Map<String, Json>, key: &str, collection: &str, project: &str) {
    let Some(before) = prior.and_then(|p| p.get(key)).and_then(Json::as_str) else { return };
    let same = m.get(key).and_then(Json::as_str).is_some_and(|now| same_ref(now, before, collection, project));
    if same {
        m.insert(key.into(), json!(before));
    }
}

/// A reference as read: the API's (a self link), unless `base` (the prior
/// or planned object) spells the same resource otherwise.
pub(crate) fn read_ref(api: Option<&str>, base: Option<&Json>, key: &str, collection: &str, project: &str) -> Json {
    let Some(api) = api.filter(|a| !a.is_empty()) else { return Json::Null };
    match base.and_then(|b| b.get(key)).and_then(Json::as_str) {
        Some(b) if same_ref(b, api, collection, project) => json!(b),
        _ => json!(api),
    }
}

/// The last segment of a link (`.../regions/us-central1` -> `us-central1`).
pub(crate) fn last_segment(link: &str) -> &str {
    link.rsplit('/').next().unwrap_or(link)
}

/// An integer the API may write as a number or a string.
pub(crate) fn int_of(v: &Json) -> Option<i64> {
    match v {
        Json::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Json::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A numeric id (`uint64`, which JSON may carry as a string or a number) as
/// a string.
pub(crate) fn id_string(v: Option<&Json>) -> Json {
    match v {
        Some(Json::String(s)) => json!(s),
        Some(Json::Number(n)) => json!(n.to_string()),
        _ => Json::Null,
    }
}

/// `(project, name)` of a global resource's import ID:
/// `projects/{p}/global/{collection}/{n}`, `{p}/{n}` or `{n}`.
pub(crate) fn parse_global_id(client: &Client, id: &str, collection: &str) -> Result<(String, String), Error> {
    let parts: Vec<&str> = id.split('/').collect();
    match parts.as_slice() {
        ["projects", p, "global", c, n] if *c == collection && !p.is_empty() && !n.is_empty() => Ok((p.to_string(), n.to_string())),
        [p, n] if !p.is_empty() && !n.is_empty() => Ok((p.to_string(), n.to_string())),
        [n] if !n.is_empty() => Ok((client.default_project()?.to_string(), n.to_string())),
        _ => Err(Error::Invalid(format!(
            "import ID {id:?}: expected `projects/{{project}}/global/{collection}/{{name}}`, `{{project}}/{{name}}` or `{{name}}`"
        ))),
    }
}

/// `(project, region, name)` of a regional resource's import ID:
/// `projects/{p}/regions/{r}/{collection}/{n}`, `{p}/{r}/{n}`, `{r}/{n}` or
/// `{n}` (the provider's project and region fill what is left out).
pub(crate) fn parse_regional_id(client: &Client, id: &str, collection: &str) -> Result<(String, String, String), Error> {
    let parts: Vec<&str> = id.split('/').collect();
    let project = || client.default_project().map(str::to_string);
    let region = || default_region(client, None);
    let owned = |s: &&str| s.to_string();
    match parts.as_slice() {
        ["projects", p, "regions", r, c, n] if *c == collection && ![p, r, n].iter().any(|s| s.is_empty()) => Ok((owned(p), owned(r), owned(n))),
        [p, r, n] if ![p, r, n].iter().any(|s| s.is_empty()) => Ok((owned(p), owned(r), owned(n))),
        [r, n] if !r.is_empty() && !n.is_empty() => Ok((project()?, owned(r), owned(n))),
        [n] if !n.is_empty() => Ok((project()?, region()?, owned(n))),
        _ => Err(Error::Invalid(format!(
            "import ID {id:?}: expected `projects/{{project}}/regions/{{region}}/{collection}/{{name}}`, `{{project}}/{{region}}/{{name}}`, \
             `{{region}}/{{name}}` or `{{name}}`"
        ))),
    }
}

/// The region of an object (`region` of a planned or prior one), else the
/// provider's.
pub(crate) fn default_region(client: &Client, v: Option<&Json>) -> Result<String, Error> {
    v.and_then(|v| super::opt_str(v, "region"))
        .or(client.config().region.as_deref().filter(|r| !r.is_empty()))
        .map(str::to_string)
        .ok_or_else(|| Error::Invalid("no region: set `region` on the resource or the provider block".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProviderConfig;

    #[test]
    fn references_in_every_spelling() {
        for v in [
            "vpc",
            "global/networks/vpc",
            "projects/p/global/networks/vpc",
            "https://www.googleapis.com/compute/v1/projects/p/global/networks/vpc",
            "http://127.0.0.1:8765/compute/v1/projects/p/global/networks/vpc",
        ] {
            assert_eq!(network_path(v, "p").unwrap(), "projects/p/global/networks/vpc", "{v}");
            assert!(same_ref(v, "https://compute.googleapis.com/compute/beta/projects/p/global/networks/vpc", "networks", "p"), "{v}");
        }
        assert!(!same_ref("vpc", "projects/other/global/networks/vpc", "networks", "p"));
        assert!(!same_ref("vpc", "vpc2", "networks", "p"));
        assert!(network_path("projects/p/global/firewalls/x", "p").is_err());
        let prior = json!({ "network": "https://www.googleapis.com/compute/v1/projects/p/global/networks/vpc" });
        let mut m = json!({ "network": "vpc" }).as_object().cloned().unwrap();
        keep_ref_spelling(Some(&prior), &mut m, "network", "networks", "p");
        assert_eq!(m["network"], prior["network"]);
        assert_eq!(read_ref(Some("http://x/compute/v1/projects/p/global/networks/vpc"), Some(&json!({"network": "vpc"})), "network", "networks", "p"), json!("vpc"));
        assert_eq!(read_ref(Some("http://x/compute/v1/projects/p/global/networks/b"), Some(&json!({"network": "a"})), "network", "networks", "p"), json!("http://x/compute/v1/projects/p/global/networks/b"));
    }

    #[test]
    fn import_ids() {
        let c = Client::new(ProviderConfig { project: Some("p".into()), region: Some("us-east1".into()), ..Default::default() });
        for id in ["projects/p/global/networks/n", "p/n", "n"] {
            assert_eq!(parse_global_id(&c, id, "networks").unwrap(), ("p".to_string(), "n".to_string()), "{id}");
        }
        assert!(parse_global_id(&c, "a/b/c", "networks").is_err());
        let want = ("p".to_string(), "us-east1".to_string(), "s".to_string());
        for id in ["projects/p/regions/us-east1/subnetworks/s", "p/us-east1/s", "us-east1/s", "s"] {
            assert_eq!(parse_regional_id(&c, id, "subnetworks").unwrap(), want, "{id}");
        }
        assert!(parse_regional_id(&c, "projects/p/regions/r/firewalls/s", "subnetworks").is_err());
    }

    #[test]
    fn context_keeps_the_status() {
        let e = Error::Api { call: "PATCH u".into(), status: 412, reason: "conditionNotMet".into(), message: "m".into() };
        let Error::Api { call, status, .. } = context("updating subnetwork s", e) else { panic!("not an API error") };
        assert_eq!((call.as_str(), status), ("updating subnetwork s: PATCH u", 412));
        assert_eq!(context("x", Error::NotFound), Error::NotFound);
    }
}
