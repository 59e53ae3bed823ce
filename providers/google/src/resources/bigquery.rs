//! What the BigQuery types share (API v2, synchronous): their URLs, the
//! project of an import ID, plain fields copied to and from the API, and
//! writes conditional on the object's etag.
//!
//! A write ([`write_if_match`]) sends `If-Match` with the etag the prior
//! state holds; when the object changed since (412), the whole write is
//! redone by [`Client::read_modify_write`] with the etag of a fresh read.
//!
//! Does not own: the types themselves (`bigquery_dataset.rs`,
//! `bigquery_table.rs`).

use super::{encode, int_of, opt_str};
use crate::client::Method;
use crate::{Client, Error, Json};
use serde_json::{json, Map};
use std::sync::atomic::{AtomicBool, Ordering};

pub(crate) const SERVICE: &str = "bigquery";

pub(crate) fn dataset_url(client: &Client, project: &str, dataset: &str) -> String {
    client.url(SERVICE, &format!("projects/{}/datasets/{}", encode(project), encode(dataset)))
}

pub(crate) fn table_url(client: &Client, project: &str, dataset: &str, table: &str) -> String {
    format!("{}/tables/{}", dataset_url(client, project, dataset), encode(table))
}

/// Copies API fields into a Terraform object: `strings` as they are
/// (`null` when absent or empty), `ints` (int64s the API writes as strings)
/// as numbers; each pair is `(terraform name, API name)`.
pub(crate) fn from_api(o: &Map<String, Json>, out: &mut Map<String, Json>, strings: &[(&str, &str)], ints: &[(&str, &str)]) {
    for (tf, api) in strings {
        out.insert((*tf).into(), o.get(*api).and_then(Json::as_str).filter(|s| !s.is_empty()).map(|s| json!(s)).unwrap_or(Json::Null));
    }
    for (tf, api) in ints {
        out.insert((*tf).into(), o.get(*api).and_then(int_of).map(|i| json!(i)).unwrap_or(Json::Null));
    }
}

/// The reverse of [`from_api`] for a write: unset arguments as `null`
/// (which a PATCH takes as "remove"), ints as strings.
pub(crate) fn to_api(v: &Json, body: &mut Map<String, Json>, strings: &[(&str, &str)], ints: &[(&str, &str)]) {
    for (tf, api) in strings {
        body.insert((*api).into(), opt_str(v, tf).map(|s| json!(s)).unwrap_or(Json::Null));
    }
    for (tf, api) in ints {
        body.insert((*api).into(), v.get(*tf).and_then(int_of).map(|i| json!(i.to_string())).unwrap_or(Json::Null));
    }
}

/// The project an import ID named, else the provider's.
pub(crate) fn import_project(client: &Client, parts: &std::collections::BTreeMap<String, String>) -> Result<String, Error> {
    match parts.get("project") {
        Some(p) => Ok(p.clone()),
        None => Ok(client.default_project()?.to_string()),
    }
}

/// `method` on `url` with `body`, conditional on the etag: first the one
/// `prior` holds, then (after a 412) that of a fresh GET. The answer.
pub(crate) async fn write_if_match(client: &Client, method: Method, url: &str, body: &Json, prior: &Json) -> Result<Json, Error> {
    let first = AtomicBool::new(true);
    let prior_etag = opt_str(prior, "etag").map(str::to_string);
    client
        .read_modify_write(|| {
            let (first, prior_etag, method) = (&first, &prior_etag, method.clone());
            async move {
                let etag = match prior_etag.as_deref().filter(|_| first.swap(false, Ordering::SeqCst)) {
                    Some(e) => e.to_string(),
                    None => {
                        let now = client.call(Method::GET, url, None).await?;
                        now.get("etag").and_then(Json::as_str).unwrap_or_default().to_string()
                    }
                };
                client.call_if_match(method, url, Some(body), &etag).await
            }
        })
        .await
}
