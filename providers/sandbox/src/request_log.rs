//! The request log: what the sandbox received, one [`Entry`] per request,
//! and the checker the test suite runs over it.
//!
//! Owns: the entry's shape (kept in memory for `GET /_sandbox/requests`,
//! and appended as JSON lines to [`Config::request_log`](crate::Config::request_log)
//! when set, so a sandbox that lives inside a `cairn` process leaves a
//! record for the test that ran it); reading such a file back; and
//! [`check`], which re-validates every recorded request against the
//! Discovery documents on its own, whatever the sandbox answered.
//!
//! Does not own: the Discovery rules themselves (`discovery`) or the HTTP
//! pipeline (`server`).
//!
//! # Why a second check
//!
//! The sandbox validates live, but it answers some requests without
//! validating them, and tolerates others: an injected fault (429/503) is
//! answered before validation; a path that no Discovery method has is left
//! to the service; a body that is not JSON is left to the service to refuse;
//! a missing body is never checked for required fields, and a request
//! message's fields that Discovery marks "Required." only in their
//! description are not enforced. [`check`] flags all of these: a request
//! cairn sends must match a Discovery method, with known and well-typed
//! query parameters, a JSON body (when not a media upload) whose fields the
//! method's schema knows, recursively, and every required parameter and
//! field present.

use crate::discovery::Discovery;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::Write;
use std::path::Path;

/// One request as the sandbox received it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The raw (percent-encoded) path, without the query.
    pub path: String,
    /// The raw query string, without `?`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub query: String,
    /// The status the sandbox answered.
    pub status: u16,
    /// The body, when it is JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// A body that is not JSON (and not media), as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_body: Option<String>,
    /// A media upload (`/upload/...`): its body is the object's bytes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub upload: bool,
    /// The Discovery method the sandbox matched (`storage.buckets.insert`),
    /// when it got that far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method_id: Option<String>,
    /// What the sandbox's own validation found (`location: message`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<String>,
    /// The `x-sandbox-record` header, when the client sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

impl Entry {
    /// `POST /storage/v1/b?project=p`.
    pub fn call(&self) -> String {
        if self.query.is_empty() {
            format!("{} {}", self.method, self.path)
        } else {
            format!("{} {}?{}", self.method, self.path, self.query)
        }
    }

    /// Records a body: JSON when it parses, else as text (media uploads
    /// keep no body).
    pub fn set_body(&mut self, body: &[u8]) {
        if self.upload || body.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(mut v) => {
                redact(&mut v);
                self.body = Some(v)
            }
            Err(_) => self.raw_body = Some("<not JSON: not recorded>".into()),
        }
    }
}

/// Fields whose values are secrets (a database password, a secret's
/// payload, a Redis AUTH string): a log keeps their presence and type,
/// never the value, so the Discovery check still sees them.
const SECRET_FIELDS: &[&str] = &["password", "rootPassword", "data", "authString", "privateKeyData"];

/// Replaces every string value of a [`SECRET_FIELDS`] field, at any depth.
fn redact(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if SECRET_FIELDS.contains(&k.as_str()) && x.is_string() {
                    // Base64 of "redacted": still a valid value where the
                    // field is bytes (a secret's payload).
                    *x = Value::String("cmVkYWN0ZWQ=".into());
                } else {
                    redact(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(redact),
        _ => {}
    }
}

/// Appends one entry as a line of JSON (one `write` call, so concurrent
/// writers in one process, serialized by the caller, and sequential
/// processes never interleave within a line).
pub fn append(path: &Path, entry: &Entry) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
    line.push(b'\n');
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    f.write_all(&line)
}

/// Reads a JSON-lines log back. A missing file is an empty log.
pub fn read(path: &Path) -> Result<Vec<Entry>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("reading {}: {e}", path.display())),
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("{}:{}: {e}", path.display(), i + 1)))
        .collect()
}

/// Every way the recorded requests break Google's Discovery documents, one
/// line each (`POST /storage/v1/b?project=p: body.foo: Unknown name ...`).
/// Empty when every request is one Google would accept.
pub fn check(entries: &[Entry]) -> Vec<String> {
    let discovery = Discovery::embedded();
    let mut out = Vec::new();
    for e in entries {
        for problem in check_one(discovery, e) {
            out.push(format!("{} (answered {}): {problem}", e.call(), e.status));
        }
    }
    out
}

/// [`check`] as a verdict for a test: `Err` with every violation, one a
/// line, under a count.
pub fn verdict(entries: &[Entry]) -> Result<(), String> {
    let problems = check(entries);
    if problems.is_empty() {
        return Ok(());
    }
    Err(format!("{} of {} requests break Google's Discovery documents:\n{}", problems.len(), entries.len(), problems.join("\n")))
}

/// APIs whose Discovery document Google does not publish in the set the
/// sandbox embeds: their requests are checked by their service's own
/// hand-written validation only.
const WITHOUT_DISCOVERY: &[&str] = &["/servicenetworking/", "/v1/services/"];

fn check_one(discovery: &Discovery, e: &Entry) -> Vec<String> {
    if WITHOUT_DISCOVERY.iter().any(|p| e.path.starts_with(p)) {
        return Vec::new();
    }
    let Some(m) = discovery.find(&e.method, &e.path) else {
        return vec!["no Discovery method has this HTTP method and path".to_string()];
    };
    let query: Vec<(String, String)> = form_urlencoded::parse(e.query.as_bytes()).into_owned().collect();
    let mut problems = Vec::new();
    if let Some(raw) = &e.raw_body {
        problems.push(format!("the body is not JSON: {:?}", raw.chars().take(80).collect::<String>()));
    }
    // A method with a request message gets its required fields checked
    // even when the body was left out.
    let empty = Value::Object(Default::default());
    let body = match (&e.body, discovery.request_schema(&m)) {
        (Some(b), _) => Some(b),
        (None, Some(_)) if !e.upload && e.raw_body.is_none() => Some(&empty),
        _ => None,
    };
    if let Err(violations) = discovery.validate(&m, &query, body) {
        problems.extend(violations.into_iter().map(|v| format!("{} ({}): {}", v.location, m.method_id, v.message)));
    }
    problems.extend(required_request_fields(discovery, &m, body));
    problems
}

/// Fields a `*Request` message marks "Required." in its description (newer
/// APIs say so there rather than in `annotations.required`), missing from
/// the body. Only request messages: a resource message (`Secret`) is also
/// the body of a patch, where its required fields may be left out.
fn required_request_fields(discovery: &Discovery, m: &crate::discovery::MethodMatch, body: Option<&Value>) -> Vec<String> {
    let Some(schema_name) = discovery.method(&m.api, &m.method_id).and_then(|x| x.request.as_ref()).map(|r| r.reference.as_str()) else {
        return Vec::new();
    };
    let (Some(schema), Some(Value::Object(fields))) = (discovery.schema(&m.api, schema_name), body) else { return Vec::new() };
    if !schema_name.ends_with("Request") {
        return Vec::new();
    }
    schema
        .properties
        .iter()
        .filter(|(name, p)| p.description.starts_with("Required.") && fields.get(*name).is_none_or(Value::is_null))
        .map(|(name, _)| format!("body.{name} ({}): Required field missing ({schema_name} marks it Required.).", m.method_id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(method: &str, path: &str, query: &str, body: Option<Value>) -> Entry {
        Entry { method: method.into(), path: path.into(), query: query.into(), status: 200, body, ..Entry::default() }
    }

    #[test]
    fn secrets_never_reach_the_log() {
        let mut e = Entry::default();
        e.set_body(br#"{"name":"u","password":"S3cret","payload":{"data":"c2VjcmV0"},"settings":{"tier":"t"}}"#);
        let text = serde_json::to_string(&e).unwrap();
        assert!(!text.contains("S3cret") && !text.contains("c2VjcmV0"), "{text}");
        assert_eq!(e.body.as_ref().unwrap()["password"], "cmVkYWN0ZWQ=");
        assert_eq!(e.body.as_ref().unwrap()["settings"]["tier"], "t");
        e.set_body(b"password=S3cret");
        assert!(!serde_json::to_string(&e).unwrap().contains("S3cret"));
    }

    #[test]
    fn valid_requests_pass() {
        let entries = vec![
            entry("POST", "/storage/v1/b", "project=p", Some(json!({ "name": "b", "location": "EU", "labels": { "a": "b" } }))),
            entry("GET", "/secretmanager/v1/projects/p/secrets/s", "", None),
            entry("POST", "/v1/projects/p/secrets", "secretId=s", Some(json!({ "replication": { "automatic": {} } }))),
            entry("POST", "/serviceusage/v1/projects/p/services/run.googleapis.com:enable", "", None),
        ];
        assert_eq!(check(&entries), Vec::<String>::new());
    }

    #[test]
    fn what_the_sandbox_tolerates_is_caught() {
        // A fault answered before validation is still checked.
        let mut fault = entry("POST", "/storage/v1/b", "project=p", Some(json!({ "name": "b", "colour": "red" })));
        fault.status = 503;
        let problems = check(&[fault]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("body.colour") && problems[0].contains("answered 503"), "{problems:?}");

        // No Discovery method at all.
        assert!(check(&[entry("GET", "/storage/v1/widgets", "", None)])[0].contains("no Discovery method"));

        // A body that is not JSON.
        let mut raw = entry("POST", "/storage/v1/b", "project=p", None);
        raw.set_body(b"name=b");
        assert!(check(&[raw]).iter().any(|p| p.contains("not JSON")));

        // Unknown and mistyped query parameters; a missing required one.
        let problems = check(&[entry("GET", "/storage/v1/b", "project=p&maxResults=many&colour=1", None)]);
        assert!(problems.iter().any(|p| p.contains("query.maxResults")), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("query.colour")), "{problems:?}");
        assert!(check(&[entry("GET", "/storage/v1/b", "", None)])[0].contains("query.project"));
        let verdict = verdict(&[entry("GET", "/storage/v1/b", "", None), entry("GET", "/storage/v1/b/x", "", None)]).unwrap_err();
        assert!(verdict.starts_with("1 of 2 requests break"), "{verdict}");

        // A required body field, with the body left out entirely.
        let problems = check(&[entry("POST", "/v1/projects/p/secrets/s:addVersion", "", None)]);
        assert!(problems.iter().any(|p| p.contains("payload")), "{problems:?}");

        // Nested unknown fields.
        let problems = check(&[entry(
            "POST",
            "/storage/v1/b",
            "project=p",
            Some(json!({ "name": "b", "lifecycle": { "rule": [{ "action": { "typ": "Delete" } }] } })),
        )]);
        assert!(problems.iter().any(|p| p.contains("body.lifecycle.rule[0].action.typ")), "{problems:?}");
    }

    #[test]
    fn uploads_keep_no_body_and_are_checked_by_query() {
        let mut up = entry("POST", "/upload/storage/v1/b/b/o", "uploadType=media&name=x", None);
        up.upload = true;
        up.set_body(b"not json at all");
        assert_eq!(up.body, None);
        assert_eq!(up.raw_body, None);
        assert_eq!(check(&[up]), Vec::<String>::new());
    }

    #[test]
    fn files_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        assert_eq!(read(&path).unwrap(), Vec::new());
        let a = entry("GET", "/storage/v1/b/x", "", None);
        let mut b = entry("POST", "/storage/v1/b", "project=p", Some(json!({ "name": "x" })));
        b.method_id = Some("storage.buckets.insert".into());
        append(&path, &a).unwrap();
        append(&path, &b).unwrap();
        assert_eq!(read(&path).unwrap(), vec![a, b]);
        std::fs::write(&path, "{not json\n").unwrap();
        assert!(read(&path).unwrap_err().contains(":1:"));
    }
}
