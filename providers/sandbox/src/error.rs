//! Google's error replies.
//!
//! Owns: the JSON shape every Google API uses for an error,
//! `{"error":{"code","message","status","errors":[{"message","domain","reason"}],"details"?}}`,
//! and one constructor per kind of error the sandbox answers (400, 401, 403,
//! 404, 409, 412, 429, 500, 503), plus Compute Engine's variant of the shape
//! (no `status`, its own reasons). `Retry-After` is carried here too.
//!
//! Does not own: when an error happens (the services and the server decide)
//! nor how the reply is written to the wire (`server.rs`).

use serde_json::{json, Value};

/// An error reply, ready to be written as Google writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status code.
    pub code: u16,
    /// The canonical status name: `NOT_FOUND`, `PERMISSION_DENIED`...; empty
    /// for Compute Engine's errors, which carry none.
    pub status: &'static str,
    pub message: String,
    /// `errors[0].reason`: `notFound`, `conflict`...
    pub reason: &'static str,
    /// `errors[0].domain`: `global`, `usageLimits`.
    pub domain: &'static str,
    /// `details[]` (google.rpc.ErrorInfo and friends), when there are any.
    pub details: Vec<Value>,
    /// Seconds for a `Retry-After` header.
    pub retry_after: Option<u64>,
}

impl ApiError {
    fn new(code: u16, status: &'static str, reason: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { code, status, message: message.into(), reason, domain: "global", details: Vec::new(), retry_after: None }
    }

    /// 400 INVALID_ARGUMENT / `badRequest`.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "INVALID_ARGUMENT", "badRequest", message)
    }

    /// 400 INVALID_ARGUMENT / `required`: a required parameter is missing.
    pub fn required(what: &str) -> ApiError {
        ApiError::new(400, "INVALID_ARGUMENT", "required", format!("Required parameter: {what}"))
    }

    /// 400 INVALID_ARGUMENT / `invalid`: a value is malformed.
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "INVALID_ARGUMENT", "invalid", message)
    }

    /// 400 FAILED_PRECONDITION: the resource is in the wrong state for the
    /// call (e.g. accessing a disabled secret version).
    pub fn failed_precondition(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "FAILED_PRECONDITION", "failedPrecondition", message)
    }

    /// 401 UNAUTHENTICATED: no usable `Authorization` header.
    pub fn unauthenticated() -> ApiError {
        let mut e = ApiError::new(
            401,
            "UNAUTHENTICATED",
            "required",
            "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
        );
        e.details.push(json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "CREDENTIALS_MISSING",
            "domain": "googleapis.com",
        }));
        e
    }

    /// 403 PERMISSION_DENIED / `forbidden`.
    pub fn permission_denied(message: impl Into<String>) -> ApiError {
        ApiError::new(403, "PERMISSION_DENIED", "forbidden", message)
    }

    /// 403 PERMISSION_DENIED with an ErrorInfo of reason SERVICE_DISABLED:
    /// the API `service` (`secretmanager.googleapis.com`) is not enabled in
    /// the project with number `project_number`.
    pub fn service_disabled(service: &str, project_number: &str) -> ApiError {
        let title = crate::services::serviceusage::title(service);
        let message = format!(
            "{title} has not been used in project {project_number} before or it is disabled. Enable it by visiting \
             https://console.developers.google.com/apis/api/{service}/overview?project={project_number} then retry. \
             If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry."
        );
        let mut e = ApiError::new(403, "PERMISSION_DENIED", "accessNotConfigured", message);
        e.domain = "usageLimits";
        e.details.push(json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "SERVICE_DISABLED",
            "domain": "googleapis.com",
            "metadata": {
                "service": service,
                "consumer": format!("projects/{project_number}"),
                "serviceTitle": title,
            },
        }));
        e
    }

    /// 404 NOT_FOUND / `notFound`.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(404, "NOT_FOUND", "notFound", message)
    }

    /// 409 ALREADY_EXISTS / `conflict`: the name is taken.
    pub fn already_exists(message: impl Into<String>) -> ApiError {
        ApiError::new(409, "ALREADY_EXISTS", "conflict", message)
    }

    /// 409 FAILED_PRECONDITION / `conflict`: e.g. deleting a bucket that is
    /// not empty.
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(409, "FAILED_PRECONDITION", "conflict", message)
    }

    /// 409 ABORTED: an `etag` in the request does not match (AIP-154).
    pub fn aborted(message: impl Into<String>) -> ApiError {
        ApiError::new(409, "ABORTED", "aborted", message)
    }

    /// 412 FAILED_PRECONDITION / `conditionNotMet`: an `if*Match` condition
    /// or an IAM policy etag does not hold.
    pub fn condition_not_met() -> ApiError {
        ApiError::new(412, "FAILED_PRECONDITION", "conditionNotMet", "Precondition Failed")
    }

    /// 429 RESOURCE_EXHAUSTED / `rateLimitExceeded`, with `Retry-After`.
    pub fn rate_limited(retry_after: u64) -> ApiError {
        let mut e = ApiError::new(
            429,
            "RESOURCE_EXHAUSTED",
            "rateLimitExceeded",
            "The sandbox injected a rate limit: too many requests. Please retry.",
        );
        e.domain = "usageLimits";
        e.retry_after = Some(retry_after);
        e
    }

    /// 503 UNAVAILABLE / `backendError`, with `Retry-After`.
    pub fn unavailable(retry_after: u64) -> ApiError {
        let mut e = ApiError::new(503, "UNAVAILABLE", "backendError", "The service is currently unavailable.");
        e.retry_after = Some(retry_after);
        e
    }

    /// 500 INTERNAL / `backendError`: the sandbox itself failed (e.g. its
    /// data directory is not writable).
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(500, "INTERNAL", "backendError", message)
    }

    /// An error as Compute Engine writes it: no canonical `status`, and its
    /// own reasons (`alreadyExists`, `resourceInUseByAnotherResource`,
    /// `conditionNotMet`...).
    pub fn compute(code: u16, reason: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(code, "", reason, message)
    }

    /// 405-style answer Google gives to a path it knows with a verb it does
    /// not: it says 404 for unknown URLs, so does the sandbox.
    pub fn unknown_route(method: &str, path: &str) -> ApiError {
        ApiError::not_found(format!("The requested URL {path} was not found on this server (method {method})."))
    }

    /// The JSON body: `{"error":{...}}`.
    pub fn body(&self) -> Value {
        let mut error = json!({
            "code": self.code,
            "message": self.message,
            "errors": [{ "message": self.message, "domain": self.domain, "reason": self.reason }],
        });
        if !self.status.is_empty() {
            error["status"] = json!(self.status);
        }
        if !self.details.is_empty() {
            error["details"] = Value::Array(self.details.clone());
        }
        json!({ "error": error })
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> ApiError {
        ApiError::internal(format!("sandbox storage failed: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_is_googles() {
        let b = ApiError::not_found("The specified bucket does not exist.").body();
        assert_eq!(b["error"]["code"], 404);
        assert_eq!(b["error"]["status"], "NOT_FOUND");
        assert_eq!(b["error"]["errors"][0]["reason"], "notFound");
        assert_eq!(b["error"]["errors"][0]["domain"], "global");
        assert!(b["error"].get("details").is_none());
        let c = ApiError::compute(409, "alreadyExists", "The resource 'x' already exists").body();
        assert!(c["error"].get("status").is_none());
        assert_eq!(c["error"]["errors"][0]["reason"], "alreadyExists");
    }

    #[test]
    fn service_disabled_names_the_service() {
        let b = ApiError::service_disabled("secretmanager.googleapis.com", "123").body();
        assert_eq!(b["error"]["code"], 403);
        assert_eq!(b["error"]["details"][0]["reason"], "SERVICE_DISABLED");
        assert_eq!(b["error"]["details"][0]["metadata"]["service"], "secretmanager.googleapis.com");
        assert!(b["error"]["message"].as_str().unwrap_or("").contains("secretmanager.googleapis.com"));
    }
}
