//! End-to-end tests of IAM service accounts and Resource Manager project
//! policies over HTTP: a real server on port 0, a real client, Google's wire
//! format (same helpers as `api.rs`).

use cairn_sandbox::{serve, Config, ServerHandle};
use reqwest::Method;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

const PROJECT: &str = "test-project";

struct Reply {
    status: u16,
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
        self.raw(method, path, body.map(|b| b.to_string().into_bytes())).await
    }

    async fn raw(&self, method: &str, path: &str, body: Option<Vec<u8>>) -> Reply {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.client.request(method, format!("{}{path}", self.base)).bearer_auth("test-token");
        if let Some(b) = body {
            req = req.body(b);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        Reply { status, body }
    }

    /// Enables `service` in `project` through Service Usage and waits until
    /// the operation is done and the change has propagated.
    async fn enable(&self, project: &str, service: &str, propagation: Duration) {
        let op = self.call("POST", &format!("/serviceusage/v1/projects/{project}/services/{service}:enable"), Some(json!({}))).await;
        assert_eq!(op.status, 200, "{}", op.body);
        let name = op.body["name"].as_str().unwrap().to_string();
        for _ in 0..100 {
            let r = self.call("GET", &format!("/serviceusage/v1/{name}"), None).await;
            assert_eq!(r.status, 200, "{}", r.body);
            if r.body["done"] == true {
                tokio::time::sleep(propagation).await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("operation {name} never finished");
    }

    async fn create_sa(&self, project: &str, id: &str, display: &str) -> Reply {
        self.call(
            "POST",
            &format!("/iam/v1/projects/{project}/serviceAccounts"),
            Some(json!({"accountId": id, "serviceAccount": {"displayName": display, "description": "a test account"}})),
        )
        .await
    }

    async fn get_policy(&self, project: &str) -> Reply {
        self.call("POST", &format!("/cloudresourcemanager/v1/projects/{project}:getIamPolicy"), Some(json!({}))).await
    }

    async fn set_policy(&self, project: &str, policy: Value) -> Reply {
        self.call("POST", &format!("/cloudresourcemanager/v1/projects/{project}:setIamPolicy"), Some(json!({ "policy": policy }))).await
    }
}

fn config(consistency_delay: Duration) -> Config {
    Config { op_latency: Duration::from_millis(50), seed: Some(1), consistency_delay, ..Config::new(Path::new("")) }
}

fn status_of(r: &Reply) -> (u16, &str) {
    (r.status, r.body["error"]["status"].as_str().unwrap_or(""))
}

fn message(r: &Reply) -> &str {
    r.body["error"]["message"].as_str().unwrap_or("")
}

#[tokio::test]
async fn service_account_lifecycle() {
    let sb = Sandbox::start(config(Duration::ZERO)).await;
    let email = format!("deployer@{PROJECT}.iam.gserviceaccount.com");

    // IAM is not enabled in a new project, as on Google.
    let denied = sb.create_sa(PROJECT, "deployer", "Deployer").await;
    assert_eq!(status_of(&denied), (403, "PERMISSION_DENIED"), "{}", denied.body);
    assert_eq!(denied.body["error"]["details"][0]["reason"], "SERVICE_DISABLED");
    assert_eq!(denied.body["error"]["details"][0]["metadata"]["service"], "iam.googleapis.com");
    sb.enable(PROJECT, "iam.googleapis.com", Duration::ZERO).await;

    let r = sb.create_sa(PROJECT, "deployer", "Deployer").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let sa = r.body.clone();
    assert_eq!(sa["name"], format!("projects/{PROJECT}/serviceAccounts/{email}"));
    assert_eq!(sa["email"], email);
    assert_eq!(sa["projectId"], PROJECT);
    assert_eq!(sa["displayName"], "Deployer");
    assert_eq!(sa["description"], "a test account");
    let uid = sa["uniqueId"].as_str().unwrap().to_string();
    assert_eq!(uid.len(), 21);
    assert!(uid.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(sa["oauth2ClientId"], uid);
    assert!(!sa["etag"].as_str().unwrap().is_empty());

    // Taken id: 409; bad ids: 400.
    let dup = sb.create_sa(PROJECT, "deployer", "Again").await;
    assert_eq!(status_of(&dup), (409, "ALREADY_EXISTS"));
    for bad in ["short", "1starts-with-digit", "ends-with-hyphen-", "Upper-case-id", "under_score", "a234567890123456789012345678901"] {
        let r = sb.create_sa(PROJECT, bad, "x").await;
        assert_eq!(status_of(&r), (400, "INVALID_ARGUMENT"), "{bad}: {}", r.body);
    }
    let no_id = sb.call("POST", &format!("/iam/v1/projects/{PROJECT}/serviceAccounts"), Some(json!({}))).await;
    assert_eq!(no_id.status, 400);
    // Discovery rejects unknown fields.
    let unknown = sb
        .call("POST", &format!("/iam/v1/projects/{PROJECT}/serviceAccounts"), Some(json!({"accountId": "other-sa", "bogus": 1})))
        .await;
    assert_eq!(unknown.status, 400, "{}", unknown.body);

    // Get by email, by uniqueId, through the wildcard project, on bare /v1.
    for path in [
        format!("/iam/v1/projects/{PROJECT}/serviceAccounts/{email}"),
        format!("/iam/v1/projects/{PROJECT}/serviceAccounts/{uid}"),
        format!("/iam/v1/projects/-/serviceAccounts/{email}"),
        format!("/iam/v1/projects/-/serviceAccounts/{uid}"),
        format!("/v1/projects/{PROJECT}/serviceAccounts/{}", email.replace('@', "%40")),
    ] {
        let g = sb.call("GET", &path, None).await;
        assert_eq!(g.status, 200, "{path}: {}", g.body);
        assert_eq!(g.body, sa, "{path}");
    }

    // Patch with an update mask.
    let p = sb
        .call(
            "PATCH",
            &format!("/iam/v1/projects/{PROJECT}/serviceAccounts/{email}"),
            Some(json!({"serviceAccount": {"displayName": "Deployer 2", "description": "ignored"}, "updateMask": "displayName"})),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(p.body["displayName"], "Deployer 2");
    assert_eq!(p.body["description"], "a test account");
    let bad_mask = sb
        .call(
            "PATCH",
            &format!("/iam/v1/projects/{PROJECT}/serviceAccounts/{email}"),
            Some(json!({"serviceAccount": {"email": "x@y.z"}, "updateMask": "email"})),
        )
        .await;
    assert_eq!(bad_mask.status, 400);
    let no_mask = sb
        .call("PATCH", &format!("/iam/v1/projects/{PROJECT}/serviceAccounts/{email}"), Some(json!({"serviceAccount": {}})))
        .await;
    assert_eq!(no_mask.status, 400);

    // List.
    let second = sb.create_sa(PROJECT, "runner-sa", "").await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert!(second.body.get("displayName").is_none(), "an empty display name is omitted: {}", second.body);
    let list = sb.call("GET", &format!("/iam/v1/projects/{PROJECT}/serviceAccounts"), None).await;
    assert_eq!(list.status, 200, "{}", list.body);
    let emails: Vec<&str> = list.body["accounts"].as_array().unwrap().iter().map(|a| a["email"].as_str().unwrap()).collect();
    assert_eq!(emails, vec![email.as_str(), &format!("runner-sa@{PROJECT}.iam.gserviceaccount.com")]);
    let page = sb.call("GET", &format!("/iam/v1/projects/{PROJECT}/serviceAccounts?pageSize=1"), None).await;
    assert_eq!(page.body["accounts"].as_array().unwrap().len(), 1);
    assert!(page.body["nextPageToken"].is_string());

    // Delete; then 404 everywhere.
    let del = sb.call("DELETE", &format!("/iam/v1/projects/{PROJECT}/serviceAccounts/{email}"), None).await;
    assert_eq!((del.status, &del.body), (200, &json!({})));
    for (method, body) in [("GET", None), ("DELETE", None), ("PATCH", Some(json!({"serviceAccount": {}, "updateMask": "description"})))] {
        let r = sb.call(method, &format!("/iam/v1/projects/{PROJECT}/serviceAccounts/{email}"), body).await;
        assert_eq!(status_of(&r), (404, "NOT_FOUND"), "{method}: {}", r.body);
    }
    let other_project = sb.call("GET", &format!("/iam/v1/projects/{PROJECT}/serviceAccounts/{uid}"), None).await;
    assert_eq!(other_project.status, 404);
    // The id is free again.
    assert_eq!(sb.create_sa(PROJECT, "deployer", "Back").await.status, 200);
    sb.handle.shutdown();
}

#[tokio::test]
async fn missing_and_malformed_projects_are_refused_like_google() {
    let mut c = config(Duration::ZERO);
    c.missing_projects.push("ghost-project-1".into());
    let sb = Sandbox::start(c).await;
    for path in ["/cloudresourcemanager/v1/projects/ghost-project-1", "/v3/projects/ghost-project-1", "/v1/projects/ghost-project-1:getIamPolicy"] {
        let method = if path.ends_with("Policy") { "POST" } else { "GET" };
        let r = sb.call(method, path, None).await;
        assert_eq!(status_of(&r), (403, "PERMISSION_DENIED"), "{path}: {}", r.body);
        assert_eq!(message(&r), "The caller does not have permission");
    }
    let r = sb.call("GET", "/v1/projects/Not_A_Project", None).await;
    assert_eq!(status_of(&r), (400, "INVALID_ARGUMENT"), "{}", r.body);
    // A number no project has.
    let r = sb.call("GET", "/v1/projects/123456789012", None).await;
    assert_eq!(r.status, 403, "{}", r.body);
    // Sandbox projects have no labels and no parent: both are omitted.
    let p = sb.call("GET", &format!("/v1/projects/{PROJECT}"), None).await;
    assert!(p.body.get("labels").is_none() && p.body.get("parent").is_none(), "{}", p.body);
    assert_eq!(p.body["projectNumber"], cairn_sandbox::services::project_number(PROJECT));
}

#[tokio::test]
async fn project_get_and_policy_etags() {
    let sb = Sandbox::start(config(Duration::ZERO)).await;

    let mut number = String::new();
    for path in [format!("/cloudresourcemanager/v1/projects/{PROJECT}"), format!("/v1/projects/{PROJECT}")] {
        let p = sb.call("GET", &path, None).await;
        assert_eq!(p.status, 200, "{}", p.body);
        assert_eq!(p.body["projectId"], PROJECT);
        assert_eq!(p.body["lifecycleState"], "ACTIVE");
        assert_eq!(p.body["name"], PROJECT);
        number = p.body["projectNumber"].as_str().unwrap().to_string();
        assert_eq!(number.len(), 12);
    }
    let v3 = sb.call("GET", &format!("/cloudresourcemanager/v3/projects/{PROJECT}"), None).await;
    assert_eq!(v3.status, 200, "{}", v3.body);
    assert_eq!(v3.body["state"], "ACTIVE");
    assert_eq!(v3.body["name"], format!("projects/{number}"));
    assert_eq!(v3.body["projectId"], PROJECT);
    // Projects are also addressed by number.
    let by_number = sb.call("GET", &format!("/v1/projects/{number}"), None).await;
    assert_eq!(by_number.body["projectId"], PROJECT);

    let empty = sb.get_policy(PROJECT).await;
    assert_eq!(empty.status, 200, "{}", empty.body);
    assert_eq!(empty.body["etag"], "ACAB");
    assert!(empty.body.get("bindings").is_none());

    let set = sb
        .set_policy(PROJECT, json!({"etag": "ACAB", "bindings": [{"role": "roles/viewer", "members": ["user:alice@example.com", "user:alice@example.com"]}, {"role": "roles/editor", "members": []}]}))
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    let etag1 = set.body["etag"].as_str().unwrap().to_string();
    assert_ne!(etag1, "ACAB");
    // Empty bindings are dropped, duplicate members removed.
    assert_eq!(set.body["bindings"], json!([{"role": "roles/viewer", "members": ["user:alice@example.com"]}]));
    let got = sb.get_policy(PROJECT).await;
    assert_eq!(got.body, set.body);

    // The v3 API sees the same policy.
    let v3 = sb.call("POST", &format!("/v3/projects/{PROJECT}:getIamPolicy"), Some(json!({"options": {"requestedPolicyVersion": 3}}))).await;
    assert_eq!(v3.status, 200, "{}", v3.body);
    assert_eq!(v3.body, set.body);

    // A stale etag is 409 ABORTED; the policy is unchanged.
    let stale = sb.set_policy(PROJECT, json!({"etag": "ACAB", "bindings": []})).await;
    assert_eq!(status_of(&stale), (409, "ABORTED"), "{}", stale.body);
    assert!(message(&stale).contains("There were concurrent policy changes"));
    assert_eq!(sb.get_policy(PROJECT).await.body["etag"], etag1);

    // Every set changes the etag, even to the same bindings; v3 set works.
    let again = sb
        .call(
            "POST",
            &format!("/cloudresourcemanager/v3/projects/{PROJECT}:setIamPolicy"),
            Some(json!({"policy": {"etag": etag1, "bindings": got.body["bindings"]}})),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_ne!(again.body["etag"], etag1);
    // Without an etag, a set overwrites.
    let blind = sb.set_policy(PROJECT, json!({"bindings": []})).await;
    assert_eq!(blind.status, 200, "{}", blind.body);
    assert!(blind.body.get("bindings").is_none());

    // Conditions need version 3.
    let cond = json!({"role": "roles/viewer", "members": ["user:bob@example.com"], "condition": {"title": "t", "expression": "request.time < timestamp('2030-01-01T00:00:00Z')"}});
    let v1 = sb.set_policy(PROJECT, json!({"bindings": [cond.clone()]})).await;
    assert_eq!(v1.status, 400, "{}", v1.body);
    let v3 = sb.set_policy(PROJECT, json!({"version": 3, "bindings": [cond]})).await;
    assert_eq!(v3.status, 200, "{}", v3.body);
    assert_eq!(v3.body["version"], 3);
    sb.handle.shutdown();
}

#[tokio::test]
async fn bad_members_and_roles_are_400() {
    let sb = Sandbox::start(config(Duration::ZERO)).await;
    for member in [
        "alice@example.com",
        "user:",
        "user:not-an-email",
        "robot:alice@example.com",
        "domain:nodot",
        "serviceAccount:ghost-sa@test-project.iam.gserviceaccount.com",
        "allUsers",
        "allAuthenticatedUsers",
    ] {
        let r = sb.set_policy(PROJECT, json!({"bindings": [{"role": "roles/viewer", "members": [member]}]})).await;
        assert_eq!(status_of(&r), (400, "INVALID_ARGUMENT"), "{member}: {}", r.body);
    }
    let ghost = sb
        .set_policy(PROJECT, json!({"bindings": [{"role": "roles/viewer", "members": ["serviceAccount:ghost-sa@test-project.iam.gserviceaccount.com"]}]}))
        .await;
    assert_eq!(message(&ghost), "Service account ghost-sa@test-project.iam.gserviceaccount.com does not exist.");
    for role in ["viewer", "roles/", ""] {
        let r = sb.set_policy(PROJECT, json!({"bindings": [{"role": role, "members": ["user:a@example.com"]}]})).await;
        assert_eq!(r.status, 400, "{role}: {}", r.body);
    }
    // Google-managed accounts and the other member kinds are accepted.
    let ok = sb
        .set_policy(
            PROJECT,
            json!({"bindings": [{"role": "roles/viewer", "members": [
                "group:team@example.com",
                "domain:example.com",
                "serviceAccount:123456789012-compute@developer.gserviceaccount.com",
                "serviceAccount:service-123456789012@gcp-sa-run.iam.gserviceaccount.com",
                "principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/subject/s"
            ]}]}),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    // A user cannot become owner through the API (Google wants a console
    // invitation); a service account can.
    let owner = sb.set_policy(PROJECT, json!({"bindings": [{"role": "roles/owner", "members": ["user:boss@example.com"]}]})).await;
    assert_eq!(status_of(&owner), (400, "INVALID_ARGUMENT"), "{}", owner.body);
    assert_eq!(owner.body["error"]["details"][0]["type"], "SOLO_MUST_INVITE_OWNERS");
    assert_eq!(owner.body["error"]["details"][0]["member"], "user:boss@example.com");
    let sa_owner = sb
        .set_policy(PROJECT, json!({"bindings": [{"role": "roles/owner", "members": ["serviceAccount:123456789012-compute@developer.gserviceaccount.com"]}]}))
        .await;
    assert_eq!(sa_owner.status, 200, "{}", sa_owner.body);
    // Resubmitting the policy read before is a stale read-modify-write...
    let stale = sb.set_policy(PROJECT, ok.body.clone()).await;
    assert_eq!(status_of(&stale), (409, "ABORTED"));
    // ...and without its etag it overwrites.
    let mut blind = ok.body.clone();
    blind.as_object_mut().unwrap().remove("etag");
    let ok = sb.set_policy(PROJECT, blind).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    // Nothing was written by the refused sets.
    assert_eq!(sb.get_policy(PROJECT).await.body["bindings"][0]["members"].as_array().unwrap().len(), 5);
    // Not a policy at all.
    let none = sb.call("POST", &format!("/v1/projects/{PROJECT}:setIamPolicy"), Some(json!({}))).await;
    assert_eq!(none.status, 400);
    let junk = sb.raw("POST", &format!("/v1/projects/{PROJECT}:setIamPolicy"), Some(b"{\"policy\": [".to_vec())).await;
    assert_eq!(junk.status, 400);
    sb.handle.shutdown();
}

#[tokio::test]
async fn new_service_account_binds_only_after_the_consistency_window() {
    let delay = Duration::from_millis(700);
    let sb = Sandbox::start(config(delay)).await;
    sb.enable(PROJECT, "iam.googleapis.com", delay).await;

    let r = sb.create_sa(PROJECT, "fresh-sa", "Fresh").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let member = format!("serviceAccount:fresh-sa@{PROJECT}.iam.gserviceaccount.com");
    let policy = json!({"bindings": [{"role": "roles/storage.admin", "members": [member]}]});

    // Within the window the account does not exist yet for IAM policies.
    let early = sb.set_policy(PROJECT, policy.clone()).await;
    assert_eq!(status_of(&early), (400, "INVALID_ARGUMENT"), "{}", early.body);
    assert_eq!(message(&early), format!("Service account fresh-sa@{PROJECT}.iam.gserviceaccount.com does not exist."));
    assert_eq!(sb.get_policy(PROJECT).await.body["etag"], "ACAB", "a refused set changes nothing");

    // A client that retries succeeds once the window has passed.
    tokio::time::sleep(delay + Duration::from_millis(100)).await;
    let later = sb.set_policy(PROJECT, policy).await;
    assert_eq!(later.status, 200, "{}", later.body);
    assert_eq!(later.body["bindings"][0]["members"][0], member);

    // Deleting the account leaves a `deleted:` member and a new etag.
    let del = sb.call("DELETE", &format!("/iam/v1/projects/{PROJECT}/serviceAccounts/fresh-sa@{PROJECT}.iam.gserviceaccount.com"), None).await;
    assert_eq!(del.status, 200, "{}", del.body);
    let after = sb.get_policy(PROJECT).await;
    let m = after.body["bindings"][0]["members"][0].as_str().unwrap();
    let uid = r.body["uniqueId"].as_str().unwrap();
    assert_eq!(m, format!("deleted:{member}?uid={uid}"));
    assert_ne!(after.body["etag"], later.body["etag"]);
    sb.handle.shutdown();
}

#[tokio::test]
async fn odd_iam_requests_get_answers_not_crashes() {
    let sb = Sandbox::start(config(Duration::ZERO)).await;
    sb.enable(PROJECT, "iam.googleapis.com", Duration::ZERO).await;
    for (method, path, body) in [
        ("GET", "/iam/v1/projects/-/serviceAccounts".to_string(), None),
        ("GET", "/iam/v1/projects/-/serviceAccounts/nobody@nowhere".to_string(), None),
        ("GET", "/iam/v1/projects/-/serviceAccounts/x@gcp-sa-run.iam.gserviceaccount.com".to_string(), None),
        ("GET", "/iam/v1/projects/Bad_Project/serviceAccounts".to_string(), None),
        ("POST", format!("/iam/v1/projects/{PROJECT}/serviceAccounts"), Some(json!({"accountId": 7}))),
        ("POST", format!("/iam/v1/projects/{PROJECT}/serviceAccounts"), Some(json!({"accountId": "long-display", "serviceAccount": {"displayName": "x".repeat(101)}}))),
        ("POST", format!("/iam/v1/projects/{PROJECT}/serviceAccounts"), Some(json!([1, 2]))),
        ("POST", format!("/v1/projects/{PROJECT}:getIamPolicy"), Some(json!({"options": {"requestedPolicyVersion": 2}}))),
        ("POST", format!("/v1/projects/{PROJECT}:setIamPolicy"), Some(json!({"policy": {"bindings": [{"role": "roles/viewer", "members": "user:a@example.com"}]}}))),
        ("POST", format!("/v1/projects/{PROJECT}:setIamPolicy"), Some(json!({"policy": {"version": 7}}))),
        ("POST", format!("/v1/projects/{PROJECT}:setIamPolicy"), Some(json!({"policy": {"etag": 5}}))),
        ("POST", format!("/v1/projects/{PROJECT}:frobnicate"), Some(json!({}))),
        ("DELETE", format!("/v1/projects/{PROJECT}"), None),
        ("GET", "/v1/projects/123456789012".to_string(), None),
    ] {
        let r = sb.call(method, &path, body).await;
        assert!((400..500).contains(&r.status), "{method} {path}: {} {}", r.status, r.body);
        assert!(r.body["error"]["code"].is_number(), "{method} {path}: {}", r.body);
    }
    sb.handle.shutdown();
}

#[tokio::test]
async fn bucket_policies_check_members_as_project_policies_do() {
    let delay = Duration::from_millis(700);
    let sb = Sandbox::start(config(delay)).await;
    sb.enable(PROJECT, "iam.googleapis.com", delay).await;
    let bucket = sb.call("POST", &format!("/storage/v1/b?project={PROJECT}"), Some(json!({"name": "iam-checked", "location": "US"}))).await;
    assert_eq!(bucket.status, 200, "{}", bucket.body);
    let iam = "/storage/v1/b/iam-checked/iam";

    // A new bucket's policy: the project's teams in the legacy roles, by project id.
    let p0 = sb.call("GET", &format!("{iam}?optionsRequestedPolicyVersion=3"), None).await;
    assert_eq!(p0.status, 200, "{}", p0.body);
    assert_eq!(p0.body["bindings"][0], json!({"role": "roles/storage.legacyBucketOwner", "members": [format!("projectEditor:{PROJECT}"), format!("projectOwner:{PROJECT}")]}));
    assert_eq!(p0.body["bindings"][3]["members"], json!([format!("projectViewer:{PROJECT}")]));

    let put = |bindings: Value| sb.call("PUT", iam, Some(json!({ "bindings": bindings })));
    // Public and project-team members are fine on a bucket; basic roles and
    // malformed members are not.
    let ok = put(json!([{"role": "roles/storage.objectViewer", "members": ["allUsers", format!("projectViewer:{PROJECT}")]}])).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    for (bindings, needle) in [
        (json!([{"role": "roles/viewer", "members": ["user:a@example.com"]}]), "not supported"),
        (json!([{"role": "roles/storage.admin", "members": ["user:nobody"]}]), "Invalid member"),
        (json!([{"role": "roles/storage.admin", "members": ["projectOwner:"]}]), "Invalid member"),
        (json!([{"role": "storage.admin", "members": ["user:a@example.com"]}]), "not supported"),
    ] {
        let r = put(bindings.clone()).await;
        assert_eq!(status_of(&r), (400, "INVALID_ARGUMENT"), "{bindings}: {}", r.body);
        assert!(message(&r).contains(needle), "{bindings}: {}", message(&r));
    }

    // A service account of the project must exist, and have propagated.
    let member = format!("serviceAccount:bucket-sa@{PROJECT}.iam.gserviceaccount.com");
    let grant = json!([{"role": "roles/storage.objectAdmin", "members": [member]}]);
    let ghost = put(grant.clone()).await;
    assert_eq!(message(&ghost), format!("Service account bucket-sa@{PROJECT}.iam.gserviceaccount.com does not exist."));
    let sa = sb.create_sa(PROJECT, "bucket-sa", "Bucket").await;
    assert_eq!(sa.status, 200, "{}", sa.body);
    assert_eq!(put(grant.clone()).await.status, 400, "within the consistency window");
    tokio::time::sleep(delay + Duration::from_millis(100)).await;
    let granted = put(grant).await;
    assert_eq!(granted.status, 200, "{}", granted.body);

    // Deleting the account leaves a `deleted:` member and a new etag here too.
    let del = sb.call("DELETE", &format!("/iam/v1/projects/{PROJECT}/serviceAccounts/bucket-sa@{PROJECT}.iam.gserviceaccount.com"), None).await;
    assert_eq!(del.status, 200, "{}", del.body);
    let after = sb.call("GET", iam, None).await;
    let uid = sa.body["uniqueId"].as_str().unwrap();
    assert_eq!(after.body["bindings"][0]["members"], json!([format!("deleted:{member}?uid={uid}")]));
    assert_ne!(after.body["etag"], granted.body["etag"]);
    sb.handle.shutdown();
}

#[tokio::test]
async fn bucket_conditions_need_uniform_access_and_version_3() {
    let sb = Sandbox::start(config(Duration::ZERO)).await;
    for (name, ubla) in [("cond-ubla", true), ("cond-acl", false)] {
        let body = json!({"name": name, "iamConfiguration": {"uniformBucketLevelAccess": {"enabled": ubla}}});
        assert_eq!(sb.call("POST", &format!("/storage/v1/b?project={PROJECT}"), Some(body)).await.status, 200);
    }
    let binding = json!({"role": "roles/storage.objectViewer", "members": ["user:a@example.com"],
                         "condition": {"title": "t", "expression": "request.time < timestamp(\"2030-01-01T00:00:00Z\")"}});
    let acl = sb.call("PUT", "/storage/v1/b/cond-acl/iam", Some(json!({"version": 3, "bindings": [binding]}))).await;
    assert!(message(&acl).contains("uniform bucket-level access"), "{}", acl.body);
    let v1 = sb.call("PUT", "/storage/v1/b/cond-ubla/iam", Some(json!({"version": 1, "bindings": [binding]}))).await;
    assert_eq!(v1.status, 400, "{}", v1.body);
    let v3 = sb.call("PUT", "/storage/v1/b/cond-ubla/iam", Some(json!({"version": 3, "bindings": [binding]}))).await;
    assert_eq!(v3.status, 200, "{}", v3.body);
    assert_eq!(v3.body["version"], 3);
    // Only a caller that understands conditions gets the policy back.
    assert_eq!(sb.call("GET", "/storage/v1/b/cond-ubla/iam", None).await.status, 400);
    let read = sb.call("GET", "/storage/v1/b/cond-ubla/iam?optionsRequestedPolicyVersion=3", None).await;
    assert_eq!(read.body["bindings"][0]["condition"]["title"], "t");

    let perms = sb.call("GET", "/storage/v1/b/cond-ubla/iam/testPermissions?permissions=storage.buckets.get&permissions=storage.objects.list", None).await;
    assert_eq!(perms.body, json!({"kind": "storage#testIamPermissionsResponse", "permissions": ["storage.buckets.get", "storage.objects.list"]}));
    assert_eq!(sb.call("GET", "/storage/v1/b/cond-ubla/iam/testPermissions?permissions=compute.x.y", None).await.status, 400);
    assert_eq!(sb.call("GET", "/storage/v1/b/nope-bucket/iam", None).await.status, 404);
    assert_eq!(sb.call("PUT", "/storage/v1/b/nope-bucket/iam", Some(json!({"bindings": []}))).await.status, 404);
    sb.handle.shutdown();
}
