//! `cairn_test`: a resource type for cairn's own integration tests. It is
//! registered only when `CAIRN_TEST_TYPES=1`, so operators never see it.
//!
//! Like `terraform_data` (`input` copied to `output`, a random `id`,
//! `triggers_replace` forces replacement), plus knobs to misbehave:
//!
//! - `fail_create = true`: create fails with "injected failure".
//! - `fail_delete = true`: delete fails with "injected failure".
//! - `delay_ms = N`: create, update and delete sleep N ms first (for
//!   Ctrl-C, lock and parallelism tests).
//!
//! Every create, update and delete counts as in flight while it runs; the
//! highest count seen in this process is written to the file named by
//! `CAIRN_TEST_MAX_INFLIGHT_FILE`, if set, so a test can check that
//! `-parallelism` is honoured.
//!
//! With `CAIRN_TEST_REMOTE_DIR=DIR`, objects also "exist" as files
//! `DIR/<id>.json` holding their `output` as JSON: create and update write
//! the file, delete removes it, and read (refresh) reports the object gone
//! when the file is missing and takes `output` from the file otherwise, so a
//! test can simulate changes made outside cairn (drift).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use super::{attr, with_attr, BoxFuture, ProviderError, ResourceType};
use crate::config::schema::{AttrSchema, Schema};
use crate::value::{Type, Value};

/// The environment variable that enables this type.
pub const ENABLE_VAR: &str = "CAIRN_TEST_TYPES";
/// The environment variable naming the file that receives the maximum number of operations in flight.
pub const MAX_INFLIGHT_FILE_VAR: &str = "CAIRN_TEST_MAX_INFLIGHT_FILE";
/// The environment variable naming the directory of simulated remote objects.
pub const REMOTE_DIR_VAR: &str = "CAIRN_TEST_REMOTE_DIR";

/// The remote file of object `id`, when `CAIRN_TEST_REMOTE_DIR` is set.
fn remote_file(id: &Value) -> Option<std::path::PathBuf> {
    let dir = std::env::var_os(REMOTE_DIR_VAR)?;
    let id = id.as_str()?;
    Some(std::path::Path::new(&dir).join(format!("{id}.json")))
}

/// Records `object` remotely (if a remote directory is set).
fn store_remote(object: &Value) -> Result<(), ProviderError> {
    if let Some(path) = remote_file(attr(object, "id")) {
        let json = attr(object, "output").to_json().to_string();
        std::fs::write(&path, json).map_err(|e| ProviderError::Failed(format!("writing {}: {e}", path.display())))?;
    }
    Ok(())
}

static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
static MAX_SEEN: Mutex<usize> = Mutex::new(0);

/// Whether `CAIRN_TEST_TYPES=1`.
pub fn enabled() -> bool {
    std::env::var(ENABLE_VAR).as_deref() == Ok("1")
}

pub struct TestData {
    schema: Schema,
}

impl TestData {
    pub fn new() -> TestData {
        TestData {
            schema: Schema::new()
                .attr("id", AttrSchema::computed(Type::String))
                .attr("input", AttrSchema::optional(Type::Any))
                .attr("output", AttrSchema::computed(Type::Any))
                .attr("fail_create", AttrSchema::optional(Type::Bool))
                .attr("fail_delete", AttrSchema::optional(Type::Bool))
                .attr("delay_ms", AttrSchema::optional(Type::Number))
                .attr("triggers_replace", AttrSchema::optional(Type::Any).force_new()),
        }
    }
}

impl Default for TestData {
    fn default() -> Self {
        Self::new()
    }
}

fn flag(v: &Value, name: &str) -> bool {
    attr(v, name).as_bool().unwrap_or(false)
}

/// Counts one operation in flight while alive.
struct InFlight;

impl InFlight {
    fn enter() -> InFlight {
        let now = IN_FLIGHT.fetch_add(1, Ordering::SeqCst) + 1;
        let mut max = MAX_SEEN.lock().unwrap_or_else(|e| e.into_inner());
        if now > *max {
            *max = now;
            if let Some(path) = std::env::var_os(MAX_INFLIGHT_FILE_VAR) {
                let _ = std::fs::write(path, max.to_string());
            }
        }
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Sleeps `delay_ms` of `v`, if set.
async fn delay(v: &Value) {
    if let Some(ms) = attr(v, "delay_ms").as_number() {
        if ms > 0.0 && ms.is_finite() {
            tokio::time::sleep(Duration::from_millis(ms as u64)).await;
        }
    }
}

impl ResourceType for TestData {
    fn name(&self) -> &str {
        "cairn_test"
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn plan(&self, prior: Option<&Value>, proposed: Value) -> Result<Value, String> {
        let input = attr(&proposed, "input").clone();
        let output = match prior {
            Some(p) if attr(p, "input").equals(&input) && input.is_wholly_known() => attr(p, "output").clone(),
            _ => Value::Unknown(Type::Any),
        };
        let mut planned = with_attr(&proposed, "output", output);
        if prior.is_none() {
            planned = with_attr(&planned, "id", Value::Unknown(Type::String));
        }
        Ok(planned)
    }

    fn read<'a>(&'a self, current: &'a Value) -> BoxFuture<'a, Result<Option<Value>, ProviderError>> {
        Box::pin(async move {
            let Some(path) = remote_file(attr(current, "id")) else { return Ok(Some(current.clone())) };
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    let json: serde_json::Value = serde_json::from_str(&text)
                        .map_err(|e| ProviderError::Failed(format!("{} is not JSON: {e}", path.display())))?;
                    Ok(Some(with_attr(current, "output", Value::from_json(&json))))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(ProviderError::Failed(format!("reading {}: {e}", path.display()))),
            }
        })
    }

    fn create<'a>(&'a self, planned: &'a Value) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let _guard = InFlight::enter();
            delay(planned).await;
            if flag(planned, "fail_create") {
                return Err(ProviderError::Failed("injected failure (fail_create = true)".into()));
            }
            let id = uuid::Uuid::new_v4().to_string();
            let input = attr(planned, "input").clone();
            let object = with_attr(&with_attr(planned, "id", Value::String(id)), "output", input);
            store_remote(&object)?;
            Ok(object)
        })
    }

    fn update<'a>(&'a self, prior: &'a Value, planned: &'a Value) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let _guard = InFlight::enter();
            delay(planned).await;
            let input = attr(planned, "input").clone();
            let object = with_attr(&with_attr(planned, "id", attr(prior, "id").clone()), "output", input);
            store_remote(&object)?;
            Ok(object)
        })
    }

    fn delete<'a>(&'a self, prior: &'a Value) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let _guard = InFlight::enter();
            delay(prior).await;
            if flag(prior, "fail_delete") {
                return Err(ProviderError::Failed("injected failure (fail_delete = true)".into()));
            }
            if let Some(path) = remote_file(attr(prior, "id")) {
                match std::fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ProviderError::NotFound),
                    Err(e) => return Err(ProviderError::Failed(format!("removing {}: {e}", path.display()))),
                }
            }
            Ok(())
        })
    }

    fn import<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            Ok(Value::object([
                ("id", Value::string(id)),
                ("input", Value::Null),
                ("output", Value::Null),
                ("fail_create", Value::Null),
                ("fail_delete", Value::Null),
                ("delay_ms", Value::Null),
                ("triggers_replace", Value::Null),
            ]))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_marks_computed_unknown_on_create() {
        let t = TestData::new();
        let planned = t.plan(None, Value::object([("input", Value::string("x"))])).expect("plan");
        assert!(!planned.is_wholly_known());
    }

    #[tokio::test]
    async fn create_fails_on_demand() {
        let t = TestData::new();
        let planned = Value::object([("fail_create", Value::Bool(true))]);
        let e = t.create(&planned).await.expect_err("injected");
        assert!(e.to_string().contains("injected failure"));
        let ok = t.create(&Value::object([("input", Value::string("x"))])).await.expect("create");
        assert_eq!(attr(&ok, "output").as_str(), Some("x"));
    }
}
