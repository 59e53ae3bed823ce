//! `google_storage_bucket_iam_member` and `google_storage_bucket_iam_binding`
//! against an in-process `cairn_sandbox` on port 0: lifecycle (create, read,
//! update in place, import, delete, read after delete), concurrent members
//! on one bucket from writers that do not share a lock (real stale etags,
//! retried), a stale-etag 412 forced by a racing writer in a proxy,
//! conditions, members spelled otherwise, deleted service accounts, and a
//! grant racing a new service account's propagation.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use cairn_google::client::Client;
use cairn_google::{resources, GoogleResource, Json, ProviderConfig};
use cairn_sandbox::{Config, ServerHandle};
use serde_json::json;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

const PROJECT: &str = "test-project";

async fn sandbox(consistency_delay: Duration) -> ServerHandle {
    let mut config = Config::new("");
    config.op_latency = Duration::from_millis(50);
    config.consistency_delay = consistency_delay;
    config.enabled_apis.push("iam.googleapis.com".into());
    cairn_sandbox::serve(config, "127.0.0.1:0".parse().unwrap()).await.unwrap()
}

/// A client of the server at `base` (`http://host:port/`).
fn client_at(base: String) -> Client {
    Client::new(ProviderConfig { project: Some(PROJECT.into()), base_endpoint: Some(base), ..ProviderConfig::default() })
        .with_retry_deadline(Duration::from_secs(30))
}

fn rtype(name: &str) -> Box<dyn GoogleResource> {
    resources().into_iter().find(|r| r.type_name() == name).unwrap()
}

async fn create(r: &dyn GoogleResource, client: &Client, config: Json) -> Json {
    let planned = r.plan(client.config(), None, config).unwrap();
    r.create(client, &planned).await.unwrap()
}

async fn bucket(client: &Client, name: &str, uniform: bool) -> Json {
    let config = json!({ "name": name, "location": "EU", "uniform_bucket_level_access": uniform, "force_destroy": true });
    create(rtype("google_storage_bucket").as_ref(), client, config).await
}

/// The bucket's policy as the API has it.
async fn policy(client: &Client, bucket: &str) -> Json {
    let url = client.url("storage", &format!("b/{bucket}/iam?optionsRequestedPolicyVersion=3"));
    client.call(cairn_google::client::Method::GET, &url, None).await.unwrap()
}

fn members_of(policy: &Json, role: &str) -> Vec<String> {
    let bindings = policy["bindings"].as_array().cloned().unwrap_or_default();
    bindings
        .iter()
        .filter(|b| b["role"] == role && b.get("condition").is_none())
        .flat_map(|b| b["members"].as_array().cloned().unwrap_or_default())
        .filter_map(|m| m.as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn member_lifecycle() {
    let h = sandbox(Duration::ZERO).await;
    let client = client_at(format!("http://{}/", h.addr));
    bucket(&client, "cairn-iam-member", false).await;
    let r = rtype("google_storage_bucket_iam_member");
    let config = json!({ "bucket": "b/cairn-iam-member", "role": "roles/storage.objectViewer", "member": "user:Alice@Example.com" });
    let state = create(r.as_ref(), &client, config.clone()).await;
    assert_eq!(state["id"], "b/cairn-iam-member/roles/storage.objectViewer/user:Alice@Example.com");
    assert_eq!(state["bucket"], "b/cairn-iam-member");
    assert!(state["etag"].as_str().is_some_and(|e| !e.is_empty()));
    assert_eq!(state["condition"], json!([]));
    assert_eq!(r.read(&client, &state).await.unwrap(), Some(state.clone()));
    // The legacy bindings every bucket starts with are kept.
    let p = policy(&client, "cairn-iam-member").await;
    assert_eq!(members_of(&p, "roles/storage.legacyBucketOwner"), [format!("projectEditor:{PROJECT}"), format!("projectOwner:{PROJECT}")]);
    assert_eq!(members_of(&p, "roles/storage.objectViewer"), ["user:Alice@Example.com"]);

    // Another spelling of the same bucket or principal is no change.
    let same = json!({ "bucket": "cairn-iam-member", "role": "roles/storage.objectViewer", "member": "user:alice@example.com" });
    let replanned = r.plan(client.config(), Some(&state), same).unwrap();
    assert_eq!((&replanned["bucket"], &replanned["member"], &replanned["id"]), (&state["bucket"], &state["member"], &state["id"]));

    for id in ["b/cairn-iam-member roles/storage.objectViewer user:Alice@Example.com", "cairn-iam-member roles/storage.objectViewer user:alice@example.com"] {
        let imported = r.import(&client, id).await.unwrap();
        assert_eq!(imported["bucket"], "cairn-iam-member");
        assert_eq!(imported["role"], "roles/storage.objectViewer");
        assert_eq!(imported["etag"], state["etag"]);
    }
    let err = r.import(&client, "b/cairn-iam-member roles/storage.objectViewer user:bob@example.com").await.unwrap_err();
    assert!(err.to_string().contains("is not in the roles/storage.objectViewer binding of bucket cairn-iam-member"), "{err}");
    let err = r.import(&client, "b/cairn-iam-member roles/storage.objectViewer").await.unwrap_err();
    assert!(err.to_string().contains("b/{bucket} {role} {member}"), "{err}");
    let err = r.import(&client, "b/no-such-bucket roles/storage.objectViewer user:a@example.com").await.unwrap_err();
    assert!(err.to_string().contains("bucket no-such-bucket does not exist"), "{err}");

    r.delete(&client, &state).await.unwrap();
    assert_eq!(r.read(&client, &state).await.unwrap(), None);
    // Already gone: not an error. Bucket gone: not an error, and read is None.
    r.delete(&client, &state).await.unwrap();
    let again = create(r.as_ref(), &client, config).await;
    let b = rtype("google_storage_bucket");
    let bucket_state = b.import(&client, "cairn-iam-member").await.unwrap();
    let mut forced = bucket_state.clone();
    forced["force_destroy"] = json!(true);
    b.delete(&client, &forced).await.unwrap();
    assert_eq!(r.read(&client, &again).await.unwrap(), None);
    r.delete(&client, &again).await.unwrap();
}

#[tokio::test]
async fn binding_lifecycle() {
    let h = sandbox(Duration::ZERO).await;
    let client = client_at(format!("http://{}/", h.addr));
    bucket(&client, "cairn-iam-binding", false).await;
    let member = rtype("google_storage_bucket_iam_member");
    let stray = create(member.as_ref(), &client, json!({ "bucket": "cairn-iam-binding", "role": "roles/storage.objectAdmin", "member": "user:stray@example.com" })).await;
    let other = create(member.as_ref(), &client, json!({ "bucket": "cairn-iam-binding", "role": "roles/storage.objectViewer", "member": "user:keep@example.com" })).await;

    let r = rtype("google_storage_bucket_iam_binding");
    let config = json!({ "bucket": "cairn-iam-binding", "role": "roles/storage.objectAdmin", "members": ["user:A@example.com", "group:devs@example.com"] });
    let state = create(r.as_ref(), &client, config).await;
    assert_eq!(state["id"], "b/cairn-iam-binding/roles/storage.objectAdmin");
    assert_eq!(state["members"], json!(["user:A@example.com", "group:devs@example.com"]));
    assert_eq!(member.read(&client, &stray).await.unwrap(), None, "the binding owns its role");
    assert!(member.read(&client, &other).await.unwrap().is_some(), "other roles are left alone");
    assert_eq!(r.read(&client, &state).await.unwrap(), Some(state.clone()));

    // Members change in place (no new object: members is not force_new).
    let config2 = json!({ "bucket": "cairn-iam-binding", "role": "roles/storage.objectAdmin", "members": ["user:a@example.com", "serviceAccount:123-compute@developer.gserviceaccount.com"] });
    let planned = r.plan(client.config(), Some(&state), config2).unwrap();
    let updated = r.update(&client, &state, &planned).await.unwrap();
    assert_eq!(updated["members"], json!(["user:a@example.com", "serviceAccount:123-compute@developer.gserviceaccount.com"]));
    assert_eq!(updated["id"], state["id"]);
    assert_ne!(updated["etag"], state["etag"]);
    assert_eq!(r.read(&client, &updated).await.unwrap(), Some(updated.clone()));
    let p = policy(&client, "cairn-iam-binding").await;
    assert_eq!(members_of(&p, "roles/storage.objectAdmin").len(), 2);

    let imported = r.import(&client, "b/cairn-iam-binding roles/storage.objectAdmin").await.unwrap();
    assert_eq!(imported["members"], updated["members"]);
    assert_eq!(imported["bucket"], "cairn-iam-binding");
    assert!(r.import(&client, "b/cairn-iam-binding roles/storage.admin").await.is_err());

    // Delete drops the role's binding; the read then says "no members",
    // so the next plan would restore them.
    r.delete(&client, &updated).await.unwrap();
    assert_eq!(r.read(&client, &updated).await.unwrap().unwrap()["members"], json!([]));
    assert!(member.read(&client, &other).await.unwrap().is_some());
    r.delete(&client, &updated).await.unwrap();
}

#[tokio::test]
async fn concurrent_members_on_one_bucket_all_land() {
    let h = sandbox(Duration::ZERO).await;
    // Two clients that reach the sandbox by different names share no
    // policy lock, as two processes would not: their writes race for real
    // and the losers' stale etags (412) are retried.
    let clients =
        [Arc::new(client_at(format!("http://{}/", h.addr))), Arc::new(client_at(format!("http://localhost:{}/", h.addr.port())))];
    bucket(&clients[0], "cairn-iam-race", false).await;
    let mut tasks = Vec::new();
    for i in 0..10 {
        let client = clients[i % 2].clone();
        tasks.push(tokio::spawn(async move {
            let r = rtype("google_storage_bucket_iam_member");
            let role = if i % 3 == 0 { "roles/storage.objectViewer" } else { "roles/storage.objectCreator" };
            create(r.as_ref(), &client, json!({ "bucket": "cairn-iam-race", "role": role, "member": format!("user:u{i}@example.com") })).await
        }));
    }
    let mut states = Vec::new();
    for t in tasks {
        states.push(t.await.unwrap());
    }
    let r = rtype("google_storage_bucket_iam_member");
    for s in &states {
        assert!(r.read(&clients[0], s).await.unwrap().is_some(), "{s}");
    }
    let p = policy(&clients[0], "cairn-iam-race").await;
    assert_eq!(members_of(&p, "roles/storage.objectViewer").len() + members_of(&p, "roles/storage.objectCreator").len(), 10);
    // (How many writes lost a race varies from run to run; the proxy test
    // below forces them.)
}

/// A proxy in front of the sandbox where another writer wins the race:
/// before forwarding each of the first `races` policy writes, it writes the
/// policy itself (adding `user:racer{n}@example.com`), so the forwarded
/// write carries a stale etag and the sandbox answers 412.
struct Racer {
    sandbox: String,
    http: reqwest::Client,
    races: AtomicU32,
    stale: AtomicU32,
}

async fn race(State(p): State<Arc<Racer>>, req: Request) -> Response {
    let method = req.method().clone();
    let path = req.uri().path_and_query().map(|x| x.as_str().to_string()).unwrap_or_default();
    let body = axum::body::to_bytes(req.into_body(), 1 << 20).await.unwrap_or_default();
    let url = format!("{}{path}", p.sandbox);
    if method == "PUT" && path.ends_with("/iam") && p.races.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
        let mut policy: Json = p.http.get(&url).bearer_auth("t").send().await.unwrap().json().await.unwrap();
        let n = p.races.load(Ordering::SeqCst);
        policy["bindings"].as_array_mut().unwrap().push(json!({ "role": "roles/storage.objectViewer", "members": [format!("user:racer{n}@example.com")] }));
        let won = p.http.put(&url).bearer_auth("t").json(&policy).send().await.unwrap();
        assert!(won.status().is_success());
    }
    let answer = p.http.request(method, &url).bearer_auth("t").header("content-type", "application/json").body(body).send().await.unwrap();
    let status = answer.status().as_u16();
    if status == 412 {
        p.stale.fetch_add(1, Ordering::SeqCst);
    }
    let bytes = answer.bytes().await.unwrap_or_default();
    Response::builder().status(status).header("content-type", "application/json").body(Body::from(bytes)).unwrap()
}

#[tokio::test]
async fn a_stale_etag_412_is_retried_with_a_fresh_read() {
    let h = sandbox(Duration::ZERO).await;
    let racer = Arc::new(Racer { sandbox: format!("http://{}", h.addr), http: reqwest::Client::new(), races: AtomicU32::new(2), stale: AtomicU32::new(0) });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = format!("http://{}/", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(race).with_state(racer.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let client = client_at(proxy);
    bucket(&client, "cairn-iam-stale", false).await;
    let r = rtype("google_storage_bucket_iam_member");
    let state = create(r.as_ref(), &client, json!({ "bucket": "cairn-iam-stale", "role": "roles/storage.objectViewer", "member": "user:me@example.com" })).await;
    assert_eq!(racer.stale.load(Ordering::SeqCst), 2, "the sandbox answered 412 to both stale writes");
    // Each retry read the policy again: the racers' grants are kept.
    let p = policy(&client, "cairn-iam-stale").await;
    let mut viewers = members_of(&p, "roles/storage.objectViewer");
    viewers.sort();
    assert_eq!(viewers, ["user:me@example.com", "user:racer0@example.com", "user:racer1@example.com"]);
    assert_eq!(state["etag"], p["etag"]);
}

#[tokio::test]
async fn conditions_on_a_uniform_bucket() {
    let h = sandbox(Duration::ZERO).await;
    let client = client_at(format!("http://{}/", h.addr));
    bucket(&client, "cairn-iam-cond", true).await;
    bucket(&client, "cairn-iam-acl", false).await;
    let cond = json!([{ "title": "until 2030", "description": "temporary", "expression": "request.time < timestamp(\"2030-01-01T00:00:00Z\")" }]);
    let r = rtype("google_storage_bucket_iam_member");
    let plain = create(r.as_ref(), &client, json!({ "bucket": "cairn-iam-cond", "role": "roles/storage.objectViewer", "member": "user:a@example.com" })).await;
    let conditional = create(
        r.as_ref(),
        &client,
        json!({ "bucket": "cairn-iam-cond", "role": "roles/storage.objectViewer", "member": "user:a@example.com", "condition": cond }),
    )
    .await;
    assert_eq!(conditional["id"], "b/cairn-iam-cond/roles/storage.objectViewer/user:a@example.com/until 2030");
    assert_eq!(conditional["condition"], cond);
    assert_eq!(r.read(&client, &conditional).await.unwrap(), Some(conditional.clone()));
    let p = policy(&client, "cairn-iam-cond").await;
    assert_eq!(p["version"], 3, "a conditional policy is version 3");
    let imported = r.import(&client, "b/cairn-iam-cond roles/storage.objectViewer user:a@example.com until 2030").await.unwrap();
    assert_eq!(imported["condition"][0]["expression"], cond[0]["expression"]);
    assert!(r.import(&client, "b/cairn-iam-cond roles/storage.objectViewer user:a@example.com no such title").await.is_err());

    // The conditional binding is another binding: removing it keeps the plain one.
    r.delete(&client, &conditional).await.unwrap();
    assert_eq!(r.read(&client, &conditional).await.unwrap(), None);
    assert!(r.read(&client, &plain).await.unwrap().is_some());

    let binding = rtype("google_storage_bucket_iam_binding");
    let b = create(binding.as_ref(), &client, json!({ "bucket": "cairn-iam-cond", "role": "roles/storage.objectAdmin", "members": ["group:g@example.com"], "condition": cond })).await;
    assert_eq!(b["id"], "b/cairn-iam-cond/roles/storage.objectAdmin/until 2030");
    assert_eq!(binding.read(&client, &b).await.unwrap(), Some(b.clone()));
    let imported = binding.import(&client, "b/cairn-iam-cond roles/storage.objectAdmin until 2030").await.unwrap();
    assert_eq!(imported["members"], json!(["group:g@example.com"]));

    // Google wants uniform bucket-level access for conditions, and says so.
    let planned = r.plan(client.config(), None, json!({ "bucket": "cairn-iam-acl", "role": "roles/storage.objectViewer", "member": "user:a@example.com", "condition": cond })).unwrap();
    let err = r.create(&client, &planned).await.unwrap_err();
    assert!(err.to_string().contains("uniform bucket-level access"), "{err}");
}

#[tokio::test]
async fn grants_wait_for_a_new_service_account_and_see_it_deleted() {
    let h = sandbox(Duration::from_millis(1500)).await;
    let client = client_at(format!("http://{}/", h.addr));
    bucket(&client, "cairn-iam-sa", false).await;
    let sa_type = rtype("google_service_account");
    let sa = create(sa_type.as_ref(), &client, json!({ "account_id": "bucket-reader" })).await;
    let member = sa["member"].as_str().unwrap().to_string();
    // Granted at once: the sandbox says the account does not exist until
    // it has propagated, and the grant is retried until then.
    let r = rtype("google_storage_bucket_iam_member");
    let state = create(r.as_ref(), &client, json!({ "bucket": "cairn-iam-sa", "role": "roles/storage.objectViewer", "member": member })).await;
    assert!(r.read(&client, &state).await.unwrap().is_some());
    let binding = rtype("google_storage_bucket_iam_binding");
    let b = create(binding.as_ref(), &client, json!({ "bucket": "cairn-iam-sa", "role": "roles/storage.objectCreator", "members": [member] })).await;

    // Deleting the account turns the grants into `deleted:` members: the
    // member is gone, and the binding reads what Google has, a change the
    // next plan shows.
    sa_type.delete(&client, &sa).await.unwrap();
    assert_eq!(r.read(&client, &state).await.unwrap(), None);
    let after = binding.read(&client, &b).await.unwrap().unwrap();
    let uid = sa["unique_id"].as_str().unwrap();
    assert_eq!(after["members"], json!([format!("deleted:{member}?uid={uid}")]));
    // Removing a member already gone is not an error.
    r.delete(&client, &state).await.unwrap();
    binding.delete(&client, &after).await.unwrap();
    assert_eq!(binding.read(&client, &after).await.unwrap().unwrap()["members"], json!([]));
}
