//! Waiting for the status-style long-running operations of Compute Engine
//! (global, regional and zonal) and Cloud SQL, beside
//! [`Client::wait_operation`] for google.longrunning ones.
//!
//! Owns: starting one and waiting for it ([`Client::run_status_operation`]);
//! polling such an operation through its `selfLink` until `status` is
//! `DONE` (with the client's poll loop, bounded by the caller's timeout or
//! the resource's `timeouts`), and
//! turning the errors recorded inside a finished operation
//! (`error.errors[]`, `httpErrorStatusCode`) into one [`Error::Api`] that
//! names the operation and what it was doing (`operationType`,
//! `targetLink`).
//!
//! Does not own: retrying the GETs (the client does, by named reason) or
//! deciding which timeout applies (the resource type's `timeouts`).

use crate::client::Method;
use crate::{Client, Error, Json};
use std::time::Duration;

/// The error inside a finished Compute or Cloud SQL operation, if any.
pub fn status_operation_error(op: &Json) -> Option<Error> {
    let errors: Vec<&Json> = op.pointer("/error/errors").and_then(Json::as_array).map(|a| a.iter().collect()).unwrap_or_default();
    if errors.is_empty() {
        return None;
    }
    let name = op.get("name").and_then(Json::as_str).unwrap_or("?");
    let what = match (op.get("operationType").and_then(Json::as_str), op.get("targetLink").and_then(Json::as_str)) {
        (Some(t), Some(target)) => format!(" ({t} {target})"),
        (Some(t), None) => format!(" ({t})"),
        _ => String::new(),
    };
    let reason = errors[0].get("code").and_then(Json::as_str).unwrap_or("OPERATION_ERROR").to_string();
    // The first error's code is the reason already; later ones keep theirs.
    let message = errors
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let code = e.get("code").and_then(Json::as_str).unwrap_or("");
            let msg = e.get("message").and_then(Json::as_str).unwrap_or("");
            if code.is_empty() || i == 0 { msg.to_string() } else { format!("{code}: {msg}") }
        })
        .collect::<Vec<_>>()
        .join("; ");
    let status = op.get("httpErrorStatusCode").and_then(Json::as_u64).and_then(|s| u16::try_from(s).ok()).unwrap_or(400);
    Some(Error::Api { call: format!("operation {name}{what}"), status, reason, message })
}

impl Client {
    /// One call that starts a status-style operation (`service`'s
    /// `method url` with `body`), then [`Client::wait_status_operation`] on
    /// it: the finished operation.
    pub async fn run_status_operation(&self, service: &str, method: Method, url: &str, body: Option<&Json>, timeout: Duration) -> Result<Json, Error> {
        let op = self.call(method, url, body).await?;
        self.wait_status_operation(service, op, timeout).await
    }

    /// Polls a Compute (`compute#operation`) or Cloud SQL
    /// (`sql#operation`) operation until its `status` is `DONE` or
    /// `timeout` passes; the finished operation. `service` resolves a
    /// relative `selfLink`. An error inside it becomes [`Error::Api`].
    pub async fn wait_status_operation(&self, service: &str, op: Json, timeout: Duration) -> Result<Json, Error> {
        let name = op.get("name").and_then(Json::as_str).unwrap_or("?").to_string();
        let link = op
            .get("selfLink")
            .and_then(Json::as_str)
            .filter(|l| !l.is_empty())
            .ok_or_else(|| Error::Invalid(format!("{service}: operation {name} has no selfLink to poll")))?
            .to_string();
        let url = self.url(service, &link);
        self.poll_operation(&url, &name, op, timeout, |op| {
            (op.get("status").and_then(Json::as_str) == Some("DONE")).then(|| status_operation_error(op).map_or(Ok(()), Err))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_inside_a_done_operation_name_it() {
        let op = json!({
            "kind": "compute#operation", "name": "operation-1", "status": "DONE",
            "operationType": "insert", "targetLink": "https://compute.googleapis.com/compute/v1/projects/p/global/networks/n",
            "httpErrorStatusCode": 409,
            "error": {"errors": [{"code": "RESOURCE_ALREADY_EXISTS", "message": "The resource already exists"}]}
        });
        let Some(Error::Api { call, status, reason, message }) = status_operation_error(&op) else { panic!("no error") };
        assert_eq!(status, 409);
        assert_eq!(reason, "RESOURCE_ALREADY_EXISTS");
        assert!(call.contains("operation-1") && call.contains("insert") && call.contains("networks/n"), "{call}");
        assert!(message.contains("already exists"), "{message}");
        assert!(status_operation_error(&json!({"status": "DONE"})).is_none());
    }

    #[tokio::test]
    async fn done_operation_needs_no_poll_and_missing_link_is_clear() {
        let c = Client::new(crate::ProviderConfig { base_endpoint: Some("http://127.0.0.1:9/".into()), ..Default::default() });
        let done = json!({"name": "op", "status": "DONE", "selfLink": "http://127.0.0.1:9/x"});
        assert_eq!(c.wait_status_operation("compute", done.clone(), Duration::from_secs(1)).await.unwrap(), done);
        let err = c.wait_status_operation("sqladmin", json!({"name": "op", "status": "RUNNING"}), Duration::from_secs(1)).await;
        assert!(matches!(err, Err(Error::Invalid(m)) if m.contains("selfLink")));
    }
}
