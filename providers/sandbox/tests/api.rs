//! End-to-end tests of the sandbox over HTTP: a real server on port 0, a
//! real client, Google's wire format.

use cairn_sandbox::{serve, Config, ServerHandle};
use reqwest::Method;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

const PROJECT: &str = "test-project";

struct Reply {
    status: u16,
    retry_after: Option<String>,
    body: Value,
}

struct Sandbox {
    handle: ServerHandle,
    base: String,
    client: reqwest::Client,
}

impl Sandbox {
    async fn start(config: Config) -> Sandbox {
        let handle = serve(config, "127.0.0.1:0".parse().unwrap()).await.expect("server starts");
        let base = format!("http://{}", handle.addr);
        Sandbox { handle, base, client: reqwest::Client::new() }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        self.raw(method, path, body.map(|b| b.to_string().into_bytes()), true).await
    }

    async fn raw(&self, method: &str, path: &str, body: Option<Vec<u8>>, auth: bool) -> Reply {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if auth {
            req = req.bearer_auth("test-token");
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status().as_u16();
        let retry_after = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
        let text = resp.text().await.unwrap();
        let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        Reply { status, retry_after, body }
    }

    async fn create_bucket(&self, name: &str) -> Reply {
        self.call("POST", &format!("/storage/v1/b?project={PROJECT}"), Some(json!({"name": name, "location": "us-central1"}))).await
    }

    async fn upload(&self, bucket: &str, name: &str, data: &str) -> Reply {
        self.raw("POST", &format!("/upload/storage/v1/b/{bucket}/o?uploadType=media&name={name}"), Some(data.as_bytes().to_vec()), true)
            .await
    }
}

fn config(dir: &Path) -> Config {
    Config { op_latency: Duration::from_millis(200), seed: Some(1), ..Config::new(dir) }
}

fn reason(r: &Reply) -> &str {
    r.body["error"]["errors"][0]["reason"].as_str().unwrap_or("")
}

#[tokio::test]
async fn bucket_lifecycle() {
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::start(config(dir.path())).await;

    let r = sb.create_bucket("lifecycle-bucket").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let b = &r.body;
    assert_eq!(b["kind"], "storage#bucket");
    assert_eq!(b["id"], "lifecycle-bucket");
    assert_eq!(b["selfLink"], "https://www.googleapis.com/storage/v1/b/lifecycle-bucket");
    assert_eq!(b["location"], "US-CENTRAL1");
    assert_eq!(b["locationType"], "region");
    assert_eq!(b["storageClass"], "STANDARD");
    assert_eq!(b["metageneration"], "1");
    assert_eq!(b["etag"], "CAE=");
    assert_eq!(b["iamConfiguration"]["uniformBucketLevelAccess"]["enabled"], false);
    assert_eq!(b["iamConfiguration"]["publicAccessPrevention"], "inherited");
    assert_eq!(b["projectNumber"].as_str().unwrap().len(), 12);
    assert!(b["timeCreated"].as_str().unwrap().ends_with('Z'));
    assert!(b.get("acl").is_none());

    // Names are global: taken by us, or by another project.
    let dup = sb.create_bucket("lifecycle-bucket").await;
    assert_eq!((dup.status, reason(&dup)), (409, "conflict"));
    let other = sb.call("POST", "/storage/v1/b?project=other-project", Some(json!({"name": "lifecycle-bucket"}))).await;
    assert_eq!(other.status, 409);
    assert!(other.body["error"]["message"].as_str().unwrap().contains("not available"));

    let full = sb.call("GET", "/storage/v1/b/lifecycle-bucket?projection=full", None).await;
    assert_eq!(full.status, 200);
    assert!(full.body["acl"].is_array());

    // Patch bumps the metageneration; a stale precondition is 412.
    let p = sb.call("PATCH", "/storage/v1/b/lifecycle-bucket?ifMetagenerationMatch=1", Some(json!({"labels": {"env": "dev"}}))).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(p.body["metageneration"], "2");
    assert_eq!(p.body["etag"], "CAI=");
    assert_eq!(p.body["labels"]["env"], "dev");
    let stale = sb.call("PATCH", "/storage/v1/b/lifecycle-bucket?ifMetagenerationMatch=1", Some(json!({"labels": {}}))).await;
    assert_eq!((stale.status, reason(&stale)), (412, "conditionNotMet"));
    let loc = sb.call("PATCH", "/storage/v1/b/lifecycle-bucket", Some(json!({"location": "EU"}))).await;
    assert_eq!(loc.status, 400);

    let list = sb.call("GET", &format!("/storage/v1/b?project={PROJECT}"), None).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);

    // A bucket with an object cannot be deleted.
    let up = sb.upload("lifecycle-bucket", "dir%2Fhello.txt", "hello").await;
    assert_eq!(up.status, 200, "{}", up.body);
    assert_eq!(up.body["name"], "dir/hello.txt");
    assert_eq!(up.body["size"], "5");
    let objs = sb.call("GET", "/storage/v1/b/lifecycle-bucket/o", None).await;
    assert_eq!(objs.body["items"][0]["name"], "dir/hello.txt");
    let media = sb.raw("GET", "/storage/v1/b/lifecycle-bucket/o/dir%2Fhello.txt?alt=media", None, true).await;
    assert_eq!(media.body, Value::String("hello".into()));
    let del = sb.call("DELETE", "/storage/v1/b/lifecycle-bucket", None).await;
    assert_eq!((del.status, reason(&del)), (409, "conflict"));

    let del_obj = sb.call("DELETE", "/storage/v1/b/lifecycle-bucket/o/dir%2Fhello.txt", None).await;
    assert_eq!(del_obj.status, 204);
    let del = sb.call("DELETE", "/storage/v1/b/lifecycle-bucket", None).await;
    assert_eq!(del.status, 204);
    let gone = sb.call("GET", "/storage/v1/b/lifecycle-bucket", None).await;
    assert_eq!((gone.status, reason(&gone)), (404, "notFound"));
    assert_eq!(gone.body["error"]["status"], "NOT_FOUND");
    sb.handle.shutdown();
}

#[tokio::test]
async fn bad_bucket_requests_are_400() {
    let sb = Sandbox::start(config(Path::new(""))).await;
    let no_project = sb.call("POST", "/storage/v1/b", Some(json!({"name": "x-bucket"}))).await;
    assert_eq!((no_project.status, reason(&no_project)), (400, "required"));
    let bad_name = sb.create_bucket("Bad_Name").await;
    assert_eq!(bad_name.status, 400);
    let bad_loc = sb.call("POST", &format!("/storage/v1/b?project={PROJECT}"), Some(json!({"name": "ok-bucket", "location": "MARS"}))).await;
    assert_eq!(bad_loc.status, 400);
    let not_json = sb.raw("POST", &format!("/storage/v1/b?project={PROJECT}"), Some(b"{nope".to_vec()), true).await;
    assert_eq!(not_json.status, 400);
    let unknown = sb.call("GET", "/storage/v1/nothing/here", None).await;
    assert_eq!(unknown.status, 404);
    sb.handle.shutdown();
}

#[tokio::test]
async fn requests_without_bearer_token_are_401() {
    let sb = Sandbox::start(config(Path::new(""))).await;
    let r = sb.raw("GET", &format!("/storage/v1/b?project={PROJECT}"), None, false).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["error"]["status"], "UNAUTHENTICATED");
    let log = sb.call("GET", "/_sandbox/requests", None).await;
    let entries = log.body["requests"].as_array().unwrap();
    assert_eq!(entries.last().unwrap()["status"], 401);
    assert_eq!(entries.last().unwrap()["method"], "GET");
    assert_eq!(entries.last().unwrap()["path"], "/storage/v1/b");
    sb.handle.shutdown();
}

/// Polls a Service Usage operation until `done`.
async fn wait_op(sb: &Sandbox, op: &Value) -> Value {
    wait_op_of(sb, "serviceusage", op["name"].as_str().unwrap()).await
}

/// Polls operation `name` of `api` until `done`, through the per-service
/// base URL.
async fn wait_op_of(sb: &Sandbox, api: &str, name: &str) -> Value {
    for _ in 0..50 {
        let r = sb.call("GET", &format!("/{api}/v1/{name}"), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        if r.body["done"] == true {
            return r.body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("operation {name} never finished");
}

#[tokio::test]
async fn secret_manager_needs_enabling_then_works() {
    let sb = Sandbox::start(config(Path::new(""))).await;
    let secrets = format!("/secretmanager/v1/projects/{PROJECT}/secrets");

    let denied = sb.call("POST", &format!("{secrets}?secretId=db-pass"), Some(json!({"replication": {"automatic": {}}}))).await;
    assert_eq!(denied.status, 403, "{}", denied.body);
    assert_eq!(denied.body["error"]["status"], "PERMISSION_DENIED");
    assert_eq!(denied.body["error"]["details"][0]["reason"], "SERVICE_DISABLED");
    assert_eq!(denied.body["error"]["details"][0]["metadata"]["service"], "secretmanager.googleapis.com");

    let svc = format!("/serviceusage/v1/projects/{PROJECT}/services/secretmanager.googleapis.com");
    let before = sb.call("GET", &svc, None).await;
    assert_eq!(before.body["state"], "DISABLED");
    let op = sb.call("POST", &format!("{svc}:enable"), Some(json!({}))).await;
    assert_eq!(op.status, 200, "{}", op.body);
    assert!(op.body["name"].as_str().unwrap().starts_with("operations/"));
    assert!(op.body.get("done").is_none(), "a fresh operation is not done: {}", op.body);
    let done = wait_op(&sb, &op.body).await;
    assert_eq!(done["response"]["service"]["state"], "ENABLED");
    let after = sb.call("GET", &svc, None).await;
    assert_eq!(after.body["state"], "ENABLED");
    let enabled = sb.call("GET", &format!("/serviceusage/v1/projects/{PROJECT}/services?filter=state:ENABLED"), None).await;
    let names: Vec<&str> = enabled.body["services"].as_array().unwrap().iter().map(|s| s["config"]["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"secretmanager.googleapis.com") && names.contains(&"storage.googleapis.com"));

    // Secrets: create, duplicate, get, patch.
    let created = sb.call("POST", &format!("{secrets}?secretId=db-pass"), Some(json!({"replication": {"automatic": {}}, "labels": {"a": "b"}}))).await;
    assert_eq!(created.status, 200, "{}", created.body);
    let name = created.body["name"].as_str().unwrap().to_string();
    assert!(name.starts_with("projects/") && name.ends_with("/secrets/db-pass"));
    assert!(!name.contains(PROJECT), "names use the project number: {name}");
    let dup = sb.call("POST", &format!("{secrets}?secretId=db-pass"), Some(json!({"replication": {"automatic": {}}}))).await;
    assert_eq!(dup.status, 409);
    assert_eq!(dup.body["error"]["status"], "ALREADY_EXISTS");
    let no_repl = sb.call("POST", &format!("{secrets}?secretId=other"), Some(json!({}))).await;
    assert_eq!(no_repl.status, 400);
    let no_mask = sb.call("PATCH", &format!("{secrets}/db-pass"), Some(json!({"labels": {"x": "y"}}))).await;
    assert_eq!(no_mask.status, 400);
    let patched = sb.call("PATCH", &format!("{secrets}/db-pass?updateMask=labels"), Some(json!({"labels": {"x": "y"}}))).await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["labels"], json!({"x": "y"}));
    assert_ne!(patched.body["etag"], created.body["etag"]);
    let stale = sb.call("PATCH", &format!("{secrets}/db-pass?updateMask=labels"), Some(json!({"labels": {}, "etag": created.body["etag"]}))).await;
    assert_eq!(stale.status, 409);

    // Versions: add, access (base64), destroy.
    let v1 = sb.call("POST", &format!("{secrets}/db-pass:addVersion"), Some(json!({"payload": {"data": "czNjcjN0"}}))).await;
    assert_eq!(v1.status, 200, "{}", v1.body);
    assert_eq!(v1.body["name"], format!("{name}/versions/1"));
    assert_eq!(v1.body["state"], "ENABLED");
    let bad = sb.call("POST", &format!("{secrets}/db-pass:addVersion"), Some(json!({"payload": {"data": "not base64!"}}))).await;
    assert_eq!(bad.status, 400);
    let acc = sb.call("GET", &format!("{secrets}/db-pass/versions/latest:access"), None).await;
    assert_eq!(acc.status, 200, "{}", acc.body);
    assert_eq!(acc.body["payload"]["data"], "czNjcjN0");
    assert!(acc.body["payload"]["dataCrc32c"].is_string());
    let dis = sb.call("POST", &format!("{secrets}/db-pass/versions/1:disable"), Some(json!({}))).await;
    assert_eq!(dis.body["state"], "DISABLED");
    let acc = sb.call("GET", &format!("{secrets}/db-pass/versions/1:access"), None).await;
    assert_eq!((acc.status, acc.body["error"]["status"].as_str()), (400, Some("FAILED_PRECONDITION")));
    let en = sb.call("POST", &format!("{secrets}/db-pass/versions/1:enable"), Some(json!({}))).await;
    assert_eq!(en.body["state"], "ENABLED");
    let destroyed = sb.call("POST", &format!("{secrets}/db-pass/versions/1:destroy"), Some(json!({}))).await;
    assert_eq!(destroyed.status, 200);
    assert_eq!(destroyed.body["state"], "DESTROYED");
    assert!(destroyed.body["destroyTime"].is_string());
    let acc = sb.call("GET", &format!("{secrets}/db-pass/versions/1:access"), None).await;
    assert_eq!(acc.status, 400);
    let again = sb.call("POST", &format!("{secrets}/db-pass/versions/1:enable"), Some(json!({}))).await;
    assert_eq!(again.status, 400);
    let versions = sb.call("GET", &format!("{secrets}/db-pass/versions"), None).await;
    assert_eq!(versions.body["versions"].as_array().unwrap().len(), 1);

    // The bare /v1/ form reaches the same secret.
    let bare = sb.call("GET", &format!("/v1/projects/{PROJECT}/secrets/db-pass"), None).await;
    assert_eq!(bare.status, 200);
    let del = sb.call("DELETE", &format!("{secrets}/db-pass"), None).await;
    assert_eq!(del.status, 200);
    let gone = sb.call("GET", &format!("{secrets}/db-pass"), None).await;
    assert_eq!(gone.status, 404);

    // Disabling again: 403 once the operation is done.
    let op = sb.call("POST", &format!("{svc}:disable"), Some(json!({}))).await;
    wait_op(&sb, &op.body).await;
    let denied = sb.call("GET", &secrets, None).await;
    assert_eq!(denied.status, 403);
    sb.handle.shutdown();
}

#[tokio::test]
async fn bucket_iam_stale_etag_is_412() {
    let sb = Sandbox::start(config(Path::new(""))).await;
    assert_eq!(sb.create_bucket("iam-bucket").await.status, 200);
    let p0 = sb.call("GET", "/storage/v1/b/iam-bucket/iam?optionsRequestedPolicyVersion=3", None).await;
    assert_eq!(p0.status, 200);
    assert_eq!(p0.body["kind"], "storage#policy");
    assert_eq!(p0.body["resourceId"], "projects/_/buckets/iam-bucket");
    let etag0 = p0.body["etag"].clone();

    let mut bindings = p0.body["bindings"].as_array().unwrap().clone();
    bindings.push(json!({"role": "roles/storage.objectViewer", "members": ["user:a@example.com"]}));
    let set = sb.call("PUT", "/storage/v1/b/iam-bucket/iam", Some(json!({"bindings": bindings, "etag": etag0}))).await;
    assert_eq!(set.status, 200, "{}", set.body);
    assert_ne!(set.body["etag"], etag0);

    let stale = sb.call("PUT", "/storage/v1/b/iam-bucket/iam", Some(json!({"bindings": [], "etag": etag0}))).await;
    assert_eq!((stale.status, reason(&stale)), (412, "conditionNotMet"));
    assert_eq!(stale.body["error"]["status"], "FAILED_PRECONDITION");
    let now = sb.call("GET", "/storage/v1/b/iam-bucket/iam", None).await;
    assert_eq!(now.body, set.body, "a refused set changes nothing");

    let bad = sb.call("PUT", "/storage/v1/b/iam-bucket/iam", Some(json!({"bindings": [{"role": "roles/x", "members": ["bob"]}]}))).await;
    assert_eq!(bad.status, 400);
    sb.handle.shutdown();
}

#[tokio::test]
async fn injected_faults_touch_no_state() {
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::start(Config { error_rate: 1.0, ..config(dir.path()) }).await;
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..8 {
        let r = sb.create_bucket(&format!("faulty-bucket-{i}")).await;
        assert!(r.status == 429 || r.status == 503, "{}", r.status);
        assert_eq!(r.retry_after.as_deref(), Some("1"));
        let want = if r.status == 429 { "RESOURCE_EXHAUSTED" } else { "UNAVAILABLE" };
        assert_eq!(r.body["error"]["status"], want);
        seen.insert(r.status);
    }
    assert_eq!(seen.len(), 2, "both 429 and 503 appear");
    sb.handle.shutdown();
    let quick = Sandbox::start(Config { error_rate: 1.0, fault_retry_after_secs: 0, ..config(Path::new("")) }).await;
    assert_eq!(quick.create_bucket("quick-fault").await.retry_after.as_deref(), Some("0"));
    quick.handle.shutdown();
    let stored = cairn_sandbox::list(dir.path());
    assert!(stored.iter().all(|(t, _)| t != "storage.buckets"), "{stored:?}");

    // Same seed, same faults.
    let a = Sandbox::start(Config { error_rate: 0.5, ..config(Path::new("")) }).await;
    let b = Sandbox::start(Config { error_rate: 0.5, ..config(Path::new("")) }).await;
    for _ in 0..10 {
        let path = format!("/storage/v1/b?project={PROJECT}");
        assert_eq!(a.call("GET", &path, None).await.status, b.call("GET", &path, None).await.status);
    }
    a.handle.shutdown();
    b.handle.shutdown();
}

#[tokio::test]
async fn state_survives_restart_then_list_and_reset() {
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::start(config(dir.path())).await;
    assert_eq!(sb.create_bucket("kept-bucket").await.status, 200);
    assert_eq!(sb.upload("kept-bucket", "a.txt", "abc").await.status, 200);
    let op = sb.call("POST", &format!("/serviceusage/v1/projects/{PROJECT}/services/secretmanager.googleapis.com:enable"), None).await;
    assert_eq!(op.status, 200);
    sb.handle.shutdown_and_wait().await;

    let sb = Sandbox::start(config(dir.path())).await;
    let b = sb.call("GET", "/storage/v1/b/kept-bucket", None).await;
    assert_eq!(b.status, 200);
    assert_eq!(b.body["name"], "kept-bucket");
    let media = sb.raw("GET", "/storage/v1/b/kept-bucket/o/a.txt?alt=media", None, true).await;
    assert_eq!(media.body, Value::String("abc".into()));
    // The operation started before the restart finishes after it.
    wait_op(&sb, &op.body).await;
    let s = sb.call("POST", &format!("/secretmanager/v1/projects/{PROJECT}/secrets?secretId=s1"), Some(json!({"replication": {"automatic": {}}}))).await;
    assert_eq!(s.status, 200, "{}", s.body);
    sb.handle.shutdown_and_wait().await;

    let listed = cairn_sandbox::list(dir.path());
    let has = |t: &str, n: &str| listed.iter().any(|(lt, ln)| lt == t && ln.ends_with(n));
    assert!(has("storage.buckets", "kept-bucket"), "{listed:?}");
    assert!(has("storage.objects", "kept-bucket/a.txt"));
    assert!(has("secretmanager.secrets", "/secrets/s1"));
    cairn_sandbox::reset(dir.path()).unwrap();
    assert!(cairn_sandbox::list(dir.path()).is_empty());

    let sb = Sandbox::start(config(dir.path())).await;
    assert_eq!(sb.call("GET", "/storage/v1/b/kept-bucket", None).await.status, 404);
    sb.handle.shutdown();
}

#[tokio::test]
async fn consistency_delay_hides_new_buckets_briefly() {
    let sb = Sandbox::start(Config { consistency_delay: Duration::from_millis(300), ..config(Path::new("")) }).await;
    assert_eq!(sb.create_bucket("slow-bucket").await.status, 200);
    assert_eq!(sb.call("GET", "/storage/v1/b/slow-bucket", None).await.status, 404);
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(sb.call("GET", "/storage/v1/b/slow-bucket", None).await.status, 200);
    sb.handle.shutdown();
}

#[tokio::test]
async fn odd_requests_get_answers_not_crashes() {
    let sb = Sandbox::start(config(Path::new(""))).await;
    assert_eq!(sb.create_bucket("odd-bucket").await.status, 200);
    let odd: &[(&str, &str, &[u8])] = &[
        ("GET", "/", b""),
        ("GET", "/v1/", b""),
        ("GET", "/storage/v1/", b""),
        ("POST", "/storage/v1/b?project=test-project", b"[1,2]"),
        ("POST", "/storage/v1/b?project=test-project", b"{\"name\":7}"),
        ("POST", "/storage/v1/b?project=test-project", b"{\"name\":\"odd-2\",\"iamConfiguration\":5,\"labels\":[]}"),
        ("POST", "/storage/v1/b?project=test-project", b"{\"name\":\"odd-3\",\"lifecycle\":{\"rule\":[{\"action\":{}}]}}"),
        ("POST", "/storage/v1/b?project=test-project", b"{\"name\":\"odd-4\",\"retentionPolicy\":{\"retentionPeriod\":\"x\"}}"),
        ("PATCH", "/storage/v1/b/odd-bucket?ifMetagenerationMatch=abc", b"{}"),
        ("PATCH", "/storage/v1/b/odd-bucket", b"\"str\""),
        ("PUT", "/storage/v1/b/odd-bucket/iam", b"{\"bindings\":\"no\",\"version\":\"x\"}"),
        ("GET", "/storage/v1/b/odd-bucket/o/%FF%FE", b""),
        ("GET", "/storage/v1/b/odd-bucket/o?maxResults=abc&pageToken=zzz", b""),
        ("POST", "/upload/storage/v1/b/odd-bucket/o?uploadType=multipart&name=x", b"x"),
        ("POST", "/upload/storage/v1/b/odd-bucket/o?uploadType=media", b"x"),
        ("POST", "/upload/storage/v1/b/nope-bucket/o?uploadType=media&name=x", b"x"),
        ("GET", "/serviceusage/v1/projects/123/services", b""),
        ("GET", "/serviceusage/v1/projects/test-project/services?pageSize=0&filter=bogus", b""),
        ("POST", "/serviceusage/v1/projects/test-project/services/nothing.googleapis.com:enable", b"{}"),
        ("POST", "/serviceusage/v1/projects/test-project/services:batchEnable", b"{\"serviceIds\":[1,null]}"),
        ("GET", "/serviceusage/v1/operations/none", b""),
        ("GET", "/secretmanager/v1/projects/UPPER/secrets", b""),
        ("GET", "/secretmanager/v1/projects/test-project/secrets/x/versions/0:access", b""),
        ("POST", "/secretmanager/v1/projects/test-project/secrets:weird", b"{}"),
    ];
    for (method, path, body) in odd {
        let r = sb.raw(method, path, Some(body.to_vec()), true).await;
        assert!((400..500).contains(&r.status), "{method} {path}: {} {}", r.status, r.body);
        assert!(r.body["error"]["code"].is_u64(), "{method} {path}: {}", r.body);
    }
    // Still serving.
    assert_eq!(sb.call("GET", "/storage/v1/b/odd-bucket", None).await.status, 200);
    // A batch of known services is one operation.
    let op = sb
        .call("POST", "/serviceusage/v1/projects/test-project/services:batchEnable", Some(json!({"serviceIds": ["iam.googleapis.com", "run.googleapis.com"]})))
        .await;
    assert_eq!(op.status, 200, "{}", op.body);
    let done = wait_op(&sb, &op.body).await;
    assert_eq!(done["response"]["services"].as_array().unwrap().len(), 2);
    sb.handle.shutdown();
}

#[tokio::test]
async fn unknown_fields_are_rejected_as_google_does() {
    let sb = Sandbox::start(config(Path::new(""))).await;
    let r = sb
        .call("POST", &format!("/storage/v1/b?project={PROJECT}"), Some(json!({"name": "strict-bucket", "lifecycle": {"rule": [{"action": {"typ": "Delete"}}]}})))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["error"]["status"], "INVALID_ARGUMENT");
    let message = r.body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("Unknown name \"typ\""), "{message}");
    // Nothing was created.
    let get = sb.call("GET", "/storage/v1/b/strict-bucket", None).await;
    assert_eq!(get.status, 404);
    sb.handle.shutdown();
}

#[tokio::test]
async fn artifact_registry_repositories_over_http() {
    let sb = Sandbox::start(config(Path::new(""))).await;
    let parent = format!("/artifactregistry/v1/projects/{PROJECT}/locations/us-central1");
    let repos = format!("{parent}/repositories");
    let body = json!({
        "format": "DOCKER", "description": "images", "labels": { "env": "dev" },
        "cleanupPolicyDryRun": false,
        "cleanupPolicies": { "old": { "action": "DELETE", "condition": { "olderThan": "2592000.000s", "tagState": "UNTAGGED" } } },
    });

    let denied = sb.call("POST", &format!("{repos}?repositoryId=images"), Some(body.clone())).await;
    assert_eq!(denied.status, 403, "{}", denied.body);
    assert_eq!(denied.body["error"]["details"][0]["reason"], "SERVICE_DISABLED");
    assert_eq!(denied.body["error"]["details"][0]["metadata"]["service"], "artifactregistry.googleapis.com");
    let op = sb.call("POST", &format!("/serviceusage/v1/projects/{PROJECT}/services/artifactregistry.googleapis.com:enable"), Some(json!({}))).await;
    wait_op(&sb, &op.body).await;

    // Bad requests: 400 before anything is created.
    for (query, bad) in [
        ("repositoryId=Images", body.clone()),
        ("repositoryId=images-", body.clone()),
        ("", body.clone()),
        ("repositoryId=x", json!({ "format": "WHEELS" })),
        ("repositoryId=x", json!({ "description": "no format" })),
        ("repositoryId=x", json!({ "format": "NPM", "mode": "VIRTUAL_REPOSITORY" })),
        ("repositoryId=x", json!({ "format": "NPM", "cleanupPolicies": { "p": { "action": "DELETE", "mostRecentVersions": { "keepCount": 1 } } } })),
        ("repositoryId=x", json!({ "format": "NPM", "cleanupPolicies": { "p": { "action": "KEEP", "condition": { "olderThan": "30d" } } } })),
        ("repositoryId=x", json!({ "format": "NPM", "kmsKeyName": "my-key" })),
    ] {
        let r = sb.call("POST", &format!("{repos}?{query}"), Some(bad.clone())).await;
        assert_eq!(r.status, 400, "{query} {bad}: {}", r.body);
        assert_eq!(r.body["error"]["status"], "INVALID_ARGUMENT", "{}", r.body);
    }

    // Create: an operation; the repository shows when it is done.
    let op = sb.call("POST", &format!("{repos}?repositoryId=images"), Some(body.clone())).await;
    assert_eq!(op.status, 200, "{}", op.body);
    let op_name = op.body["name"].as_str().unwrap().to_string();
    assert!(op_name.starts_with(&format!("projects/{PROJECT}/locations/us-central1/operations/")), "{op_name}");
    assert!(op.body.get("done").is_none());
    assert_eq!(sb.call("GET", &format!("{repos}/images"), None).await.status, 404, "not before the operation is done");
    let dup = sb.call("POST", &format!("{repos}?repositoryId=images"), Some(body.clone())).await;
    assert_eq!((dup.status, dup.body["error"]["status"].as_str()), (409, Some("ALREADY_EXISTS")));
    let done = wait_ar_op(&sb, &op_name).await;
    let repo = &done["response"];
    assert_eq!(repo["@type"], "type.googleapis.com/google.devtools.artifactregistry.v1.Repository");
    assert_eq!(repo["name"], format!("projects/{PROJECT}/locations/us-central1/repositories/images"));
    assert_eq!(repo["mode"], "STANDARD_REPOSITORY");
    assert_eq!(repo["registryUri"], format!("us-central1-docker.pkg.dev/{PROJECT}/images"));
    assert_eq!(repo["cleanupPolicies"]["old"], json!({ "id": "old", "action": "DELETE", "condition": { "olderThan": "2592000s", "tagState": "UNTAGGED" } }));
    assert!(repo.get("cleanupPolicyDryRun").is_none(), "false is left out: {repo}");
    let got = sb.call("GET", &format!("{repos}/images"), None).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["createTime"], repo["createTime"]);

    // List, with a name filter.
    assert_eq!(sb.call("POST", &format!("{repos}?repositoryId=charts"), Some(json!({ "format": "GENERIC" }))).await.status, 200);
    tokio::time::sleep(Duration::from_millis(250)).await;
    let all = sb.call("GET", &repos, None).await;
    let names: Vec<&str> = all.body["repositories"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names[0].ends_with("/charts") && names[1].ends_with("/images"));
    let filtered = sb.call("GET", &format!("{repos}?filter=name%3D%22*%2Fim*%22"), None).await;
    assert_eq!(filtered.body["repositories"].as_array().map(Vec::len), Some(1), "{}", filtered.body);
    let paged = sb.call("GET", &format!("{repos}?pageSize=1"), None).await;
    assert!(paged.body["nextPageToken"].is_string());

    // Patch: what the mask names, and nothing immutable.
    let p = sb
        .call("PATCH", &format!("{repos}/images?updateMask=description,dockerConfig"), Some(json!({ "dockerConfig": { "immutableTags": true }, "labels": { "x": "y" } })))
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.get("description").is_none(), "cleared: {}", p.body);
    assert_eq!(p.body["dockerConfig"]["immutableTags"], true);
    assert_eq!(p.body["labels"], json!({ "env": "dev" }), "labels were not in the mask");
    assert_ne!(p.body["updateTime"], repo["updateTime"]);
    for mask in ["format", "kmsKeyName", "mode", "sizeBytes"] {
        let r = sb.call("PATCH", &format!("{repos}/images?updateMask={mask}"), Some(json!({}))).await;
        assert_eq!(r.status, 400, "{mask}: {}", r.body);
    }
    let unmasked = sb.call("PATCH", &format!("{repos}/images"), Some(json!({ "format": "DOCKER", "description": "again" }))).await;
    assert_eq!((unmasked.status, unmasked.body["description"].as_str()), (200, Some("again")), "{}", unmasked.body);

    // A KMS key elsewhere fails the operation: nothing is created.
    let sealed = json!({ "format": "MAVEN", "kmsKeyName": format!("projects/{PROJECT}/locations/europe-west1/keyRings/r/cryptoKeys/k") });
    let op = sb.call("POST", &format!("{repos}?repositoryId=sealed"), Some(sealed)).await;
    assert_eq!(op.status, 200, "{}", op.body);
    let failed = wait_ar_op(&sb, op.body["name"].as_str().unwrap()).await;
    assert_eq!(failed["error"]["code"], 9, "{failed}");
    assert_eq!(sb.call("GET", &format!("{repos}/sealed"), None).await.status, 404);

    // Delete: an operation; the repository goes when it is done.
    let op = sb.call("DELETE", &format!("{repos}/images"), None).await;
    assert_eq!(op.status, 200, "{}", op.body);
    assert_eq!(sb.call("DELETE", &format!("{repos}/images"), None).await.status, 400, "already being deleted");
    wait_ar_op(&sb, op.body["name"].as_str().unwrap()).await;
    assert_eq!(sb.call("GET", &format!("{repos}/images"), None).await.status, 404);
    assert_eq!(sb.call("DELETE", &format!("{repos}/images"), None).await.status, 404);
    sb.handle.shutdown();
}

/// Polls an Artifact Registry operation until `done`.
async fn wait_ar_op(sb: &Sandbox, name: &str) -> Value {
    wait_op_of(sb, "artifactregistry", name).await
}

#[tokio::test]
async fn bucket_sub_objects_round_trip() {
    let sb = Sandbox::start(config(Path::new(""))).await;
    let body = json!({
        "name": "subs-bucket", "location": "US",
        "cors": [{"origin": ["https://example.com"], "method": ["GET", "HEAD"], "responseHeader": ["Content-Type"], "maxAgeSeconds": 3600}],
        "website": {"mainPageSuffix": "index.html", "notFoundPage": "404.html"},
        "softDeletePolicy": {"retentionDurationSeconds": "0"},
        "autoclass": {"enabled": true},
        "retentionPolicy": {"retentionPeriod": 60, "isLocked": true, "effectiveTime": "2000-01-01T00:00:00Z"},
    });
    let b = sb.call("POST", &format!("/storage/v1/b?project={PROJECT}"), Some(body)).await;
    assert_eq!(b.status, 200, "{}", b.body);
    assert_eq!(b.body["cors"][0]["maxAgeSeconds"], 3600);
    assert_eq!(b.body["website"]["notFoundPage"], "404.html");
    assert_eq!(b.body["softDeletePolicy"]["retentionDurationSeconds"], "0");
    assert_eq!(b.body["autoclass"]["terminalStorageClass"], "NEARLINE");
    assert!(b.body["autoclass"]["toggleTime"].is_string());
    assert_eq!(b.body["retentionPolicy"]["retentionPeriod"], "60");
    assert!(b.body["retentionPolicy"].get("isLocked").is_none(), "only lockRetentionPolicy locks");
    assert_ne!(b.body["retentionPolicy"]["effectiveTime"], "2000-01-01T00:00:00Z", "the server's");

    // Soft delete: 0 or 7 to 90 days; a change moves effectiveTime.
    for bad in [json!("86400"), json!("99999999"), json!("-1")] {
        let r = sb.call("PATCH", "/storage/v1/b/subs-bucket", Some(json!({"softDeletePolicy": {"retentionDurationSeconds": bad}}))).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
    }
    let sd = sb.call("PATCH", "/storage/v1/b/subs-bucket", Some(json!({"softDeletePolicy": {"retentionDurationSeconds": "864000"}}))).await;
    assert_eq!(sd.body["softDeletePolicy"]["retentionDurationSeconds"], "864000");
    // Autoclass keeps the storage class STANDARD.
    let class = sb.call("PATCH", "/storage/v1/b/subs-bucket", Some(json!({"storageClass": "NEARLINE"}))).await;
    assert_eq!(class.status, 400, "{}", class.body);
    // Removing sub-objects with null.
    let gone = sb.call("PATCH", "/storage/v1/b/subs-bucket", Some(json!({"cors": null, "website": null}))).await;
    assert!(gone.body.get("cors").is_none() && gone.body.get("website").is_none(), "{}", gone.body);
    sb.handle.shutdown();
}

#[tokio::test]
async fn locked_retention_is_one_way_and_holds_objects() {
    let sb = Sandbox::start(config(Path::new(""))).await;
    let body = json!({"name": "kept-for-good", "location": "US", "retentionPolicy": {"retentionPeriod": "3600"}});
    assert_eq!(sb.call("POST", &format!("/storage/v1/b?project={PROJECT}"), Some(body)).await.status, 200);
    assert_eq!(sb.upload("kept-for-good", "a.txt", "abc").await.status, 200);
    let obj = sb.call("GET", "/storage/v1/b/kept-for-good/o/a.txt", None).await;
    assert!(obj.body["retentionExpirationTime"].is_string(), "{}", obj.body);

    // An object under retention can be neither deleted nor overwritten.
    let del = sb.call("DELETE", "/storage/v1/b/kept-for-good/o/a.txt", None).await;
    assert_eq!((del.status, reason(&del)), (403, "forbidden"), "{}", del.body);
    assert!(del.body["error"]["message"].as_str().unwrap().contains("retention policy"));
    assert_eq!(sb.upload("kept-for-good", "a.txt", "new").await.status, 403);

    // Unlocked, it may still be shortened; locking needs the metageneration.
    let short = sb.call("PATCH", "/storage/v1/b/kept-for-good", Some(json!({"retentionPolicy": {"retentionPeriod": "1800"}}))).await;
    assert_eq!(short.status, 200, "{}", short.body);
    let mg = short.body["metageneration"].as_str().unwrap().to_string();
    assert_eq!(sb.call("POST", "/storage/v1/b/kept-for-good/lockRetentionPolicy?ifMetagenerationMatch=1", None).await.status, 412);
    let locked = sb.call("POST", &format!("/storage/v1/b/kept-for-good/lockRetentionPolicy?ifMetagenerationMatch={mg}"), None).await;
    assert_eq!(locked.status, 200, "{}", locked.body);
    assert_eq!(locked.body["retentionPolicy"]["isLocked"], true);

    // Locked: longer is fine; shorter, removed or unlocked is refused.
    let longer = sb.call("PATCH", "/storage/v1/b/kept-for-good", Some(json!({"retentionPolicy": {"retentionPeriod": "7200"}}))).await;
    assert_eq!(longer.status, 200, "{}", longer.body);
    assert_eq!(longer.body["retentionPolicy"]["isLocked"], true);
    for patch in [json!({"retentionPolicy": {"retentionPeriod": "60"}}), json!({"retentionPolicy": null})] {
        let r = sb.call("PATCH", "/storage/v1/b/kept-for-good", Some(patch.clone())).await;
        assert_eq!(r.status, 403, "{patch}: {}", r.body);
    }
    let unlock = sb.call("PATCH", "/storage/v1/b/kept-for-good", Some(json!({"retentionPolicy": {"retentionPeriod": "7200", "isLocked": false}}))).await;
    assert_eq!(unlock.body["retentionPolicy"]["isLocked"], true, "{}", unlock.body);
    let plain = sb.call("POST", &format!("/storage/v1/b?project={PROJECT}"), Some(json!({"name": "no-retention"}))).await;
    assert_eq!(plain.status, 200);
    assert_eq!(sb.call("POST", "/storage/v1/b/no-retention/lockRetentionPolicy?ifMetagenerationMatch=1", None).await.status, 400);
    sb.handle.shutdown();
}

#[tokio::test]
async fn cloud_sql_survives_restart_and_odd_requests() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.op_latency = Duration::from_millis(5);
    cfg.enabled_apis.push("sqladmin.googleapis.com".into());
    let sb = Sandbox::start(cfg.clone()).await;
    let base = format!("/sql/v1beta4/projects/{PROJECT}");
    let body = json!({"name": "kept-db", "databaseVersion": "POSTGRES_15", "settings": {"tier": "db-f1-micro"}});
    let op = sb.call("POST", &format!("{base}/instances"), Some(body)).await;
    assert_eq!(op.status, 200, "{}", op.body);
    assert_eq!(op.body["status"], "PENDING");
    sb.handle.shutdown_and_wait().await;

    let sb = Sandbox::start(cfg).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let polled = sb.call("GET", &format!("{base}/operations/{}", op.body["name"].as_str().unwrap()), None).await;
    assert_eq!((polled.status, polled.body["status"].as_str()), (200, Some("DONE")));
    let i = sb.call("GET", &format!("{base}/instances/kept-db"), None).await;
    assert_eq!((i.body["state"].as_str(), i.body["region"].as_str()), (Some("RUNNABLE"), Some("us-central1")));
    assert_eq!(i.body["connectionName"], format!("{PROJECT}:us-central1:kept-db"));
    assert_eq!(i.body["settings"]["settingsVersion"], "1");
    let dbs = sb.call("GET", &format!("{base}/instances/kept-db/databases"), None).await;
    assert_eq!(dbs.body["items"][0]["name"], "postgres");

    let odd: &[(&str, &str, &[u8])] = &[
        ("POST", "/sql/v1beta4/projects/test-project/instances", b"[1]"),
        ("POST", "/sql/v1beta4/projects/test-project/instances", b"{\"name\":\"x1\",\"databaseVersion\":\"ORACLE\",\"settings\":{\"tier\":\"db-f1-micro\"}}"),
        ("POST", "/sql/v1beta4/projects/test-project/instances", b"{\"name\":\"x2\",\"databaseVersion\":\"POSTGRES_15\"}"),
        ("POST", "/sql/v1beta4/projects/test-project/instances", b"{\"name\":\"Bad_Name\",\"databaseVersion\":\"POSTGRES_15\",\"settings\":{\"tier\":\"db-f1-micro\"}}"),
        ("POST", "/sql/v1beta4/projects/test-project/instances", b"{\"name\":\"x3\",\"databaseVersion\":\"POSTGRES_16\",\"settings\":{\"tier\":\"db-f1-micro\"}}"),
        ("POST", "/sql/v1beta4/projects/test-project/instances", b"{\"name\":\"x4\",\"databaseVersion\":\"POSTGRES_15\",\"settings\":{\"tier\":\"db-f1-micro\",\"dataDiskSizeGb\":\"5\"}}"),
        ("POST", "/sql/v1beta4/projects/test-project/instances", b"{\"name\":\"x5\",\"databaseVersion\":\"POSTGRES_15\",\"settings\":{\"tier\":\"db-f1-micro\",\"ipConfiguration\":{\"ipv4Enabled\":false}}}"),
        ("POST", "/sql/v1beta4/projects/test-project/instances", b"{\"name\":\"kept-db\",\"databaseVersion\":\"POSTGRES_15\",\"settings\":{\"tier\":\"db-f1-micro\"}}"),
        ("PUT", "/sql/v1beta4/projects/test-project/instances/kept-db", b"{\"settings\":{\"tier\":\"db-f1-micro\"}}"),
        ("PATCH", "/sql/v1beta4/projects/test-project/instances/kept-db", b"{\"region\":\"europe-west1\"}"),
        ("PATCH", "/sql/v1beta4/projects/test-project/instances/kept-db", b"{\"databaseVersion\":\"MYSQL_8_0\"}"),
        ("PATCH", "/sql/v1beta4/projects/test-project/instances/kept-db", b"{\"settings\":{\"settingsVersion\":\"7\"}}"),
        ("GET", "/sql/v1beta4/projects/test-project/instances/none", b""),
        ("POST", "/sql/v1beta4/projects/test-project/instances/kept-db/databases", b"{\"name\":\"l\",\"charset\":\"LATIN1\"}"),
        ("POST", "/sql/v1beta4/projects/test-project/instances/kept-db/users", b"{\"name\":\"u\",\"host\":\"%\"}"),
        ("DELETE", "/sql/v1beta4/projects/test-project/instances/kept-db/users?name=nobody", b""),
        ("GET", "/sql/v1beta4/projects/test-project/operations/none", b""),
        ("POST", "/sql/v1beta4/projects/test-project:pointInTimeRestore", b"{}"),
    ];
    for (method, path, body) in odd {
        let r = sb.raw(method, path, Some(body.to_vec()), true).await;
        assert!((400..500).contains(&r.status), "{method} {path}: {} {}", r.status, r.body);
        assert!(r.body["error"]["code"].is_u64(), "{method} {path}: {}", r.body);
    }
    assert_eq!(sb.call("GET", &format!("{base}/instances/kept-db"), None).await.body["settings"]["settingsVersion"], "1", "nothing changed");
    sb.handle.shutdown_and_wait().await;

    let listed = cairn_sandbox::list(dir.path());
    assert!(listed.iter().any(|(t, n)| t == "sqladmin.instances" && n == &format!("{PROJECT}/kept-db")), "{listed:?}");
    assert!(listed.iter().any(|(t, n)| t == "sqladmin.users" && n.ends_with("/kept-db//postgres")), "{listed:?}");
}
