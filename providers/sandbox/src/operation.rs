//! Long-running operations in the `google.longrunning` style:
//! `{name, metadata?, done?, response | error}`, polled with `GET {base}v1/{name}`.
//!
//! Owns: creating an operation that finishes `op_latency` after it starts,
//! storing it (collection `longrunning.operations`) and rendering it as of a
//! given time. Nothing runs in the background: an operation is done when a
//! poll arrives after its finish time, so a restarted server agrees with the
//! one before it.
//!
//! Does not own: the effect of an operation. The service that starts one
//! records its effect right away, with the same finish time, and shows it only
//! from then on (see `services/serviceusage.rs`). Compute and Cloud SQL
//! operation styles are not here.
//!
//! As Google does (proto3 JSON), an unfinished operation has no `done` field
//! at all; a client must read a missing `done` as false.

use crate::error::ApiError;
use crate::store::{Record, Store};
use serde_json::{json, Value};

/// The store collection of every operation.
pub const COLLECTION: &str = "longrunning.operations";

/// Records a new operation named `name` (`operations/...` or
/// `projects/p/locations/l/operations/...`) that finishes at `done_at_ms`
/// with `outcome` as its `response` (Ok) or `error` (Err). Returns the
/// operation as of `now_ms`.
pub fn start(
    store: &mut Store,
    name: &str,
    now_ms: i64,
    done_at_ms: i64,
    metadata: Option<Value>,
    outcome: Result<Value, ApiError>,
) -> Result<Value, ApiError> {
    let mut resource = json!({ "name": name });
    if let Some(m) = metadata {
        resource["metadata"] = m;
    }
    let mut record = Record::new(resource, now_ms);
    record.hidden.insert("doneAtMs".into(), json!(done_at_ms));
    match outcome {
        Ok(response) => {
            record.hidden.insert("response".into(), response);
        }
        Err(e) => {
            record.hidden.insert("error".into(), json!({ "code": grpc_code(e.status), "message": e.message }));
        }
    }
    let out = render(&record, now_ms);
    store.put(COLLECTION, name, record)?;
    Ok(out)
}

/// The operation `name` as of `now_ms`; 404 if there is none.
pub fn get(store: &Store, name: &str, now_ms: i64) -> Result<Value, ApiError> {
    match store.get(COLLECTION, name) {
        Some(r) => Ok(render(r, now_ms)),
        None => Err(ApiError::not_found(format!("Operation {name} not found."))),
    }
}

/// The JSON of an operation as of `now_ms`.
pub fn render(record: &Record, now_ms: i64) -> Value {
    let mut op = record.resource.clone();
    if now_ms >= record.hidden_i64("doneAtMs") {
        op["done"] = json!(true);
        if let Some(e) = record.hidden.get("error") {
            op["error"] = e.clone();
        } else if let Some(r) = record.hidden.get("response") {
            op["response"] = r.clone();
        }
    }
    op
}

/// The numeric google.rpc.Code of a canonical status name.
pub fn grpc_code(status: &str) -> i64 {
    match status {
        "CANCELLED" => 1,
        "UNKNOWN" => 2,
        "INVALID_ARGUMENT" => 3,
        "DEADLINE_EXCEEDED" => 4,
        "NOT_FOUND" => 5,
        "ALREADY_EXISTS" => 6,
        "PERMISSION_DENIED" => 7,
        "RESOURCE_EXHAUSTED" => 8,
        "FAILED_PRECONDITION" => 9,
        "ABORTED" => 10,
        "OUT_OF_RANGE" => 11,
        "UNIMPLEMENTED" => 12,
        "INTERNAL" => 13,
        "UNAVAILABLE" => 14,
        "DATA_LOSS" => 15,
        "UNAUTHENTICATED" => 16,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn done_only_after_its_time() {
        let mut s = Store::in_memory();
        let op = start(&mut s, "operations/x", 100, 200, None, Ok(json!({"a":1}))).unwrap();
        assert!(op.get("done").is_none());
        assert!(op.get("response").is_none());
        let later = get(&s, "operations/x", 200).unwrap();
        assert_eq!(later["done"], true);
        assert_eq!(later["response"]["a"], 1);
        assert_eq!(get(&s, "operations/y", 0).unwrap_err().code, 404);
    }

    #[test]
    fn failed_operation_carries_rpc_status() {
        let mut s = Store::in_memory();
        let op = start(&mut s, "operations/e", 0, 0, None, Err(ApiError::not_found("gone"))).unwrap();
        assert_eq!(op["error"]["code"], 5);
        assert!(op.get("response").is_none());
    }
}
