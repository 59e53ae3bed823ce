//! The project-policy read-modify-write against a minimal in-test Resource
//! Manager (`getIamPolicy` / `setIamPolicy` with etags), independent of the
//! sandbox: concurrent grants on one project are serialized (no stale etag
//! reaches the server but the one injected), a 409 ABORTED is retried as a
//! whole read-modify-write, and `400 ... does not exist` for a service
//! account just created is retried until IAM knows it.

use cairn_google::client::Client;
use cairn_google::{resources, GoogleResource, Json, ProviderConfig};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const PROJECT: &str = "p1";

#[derive(Default)]
struct State {
    policy: Json,
    etag: u64,
    /// 409s still to inject on setIamPolicy.
    inject_conflicts: u32,
    /// 400 "does not exist" answers still to give a serviceAccount member.
    unknown_sa: u32,
    stale_sets: u32,
    injected: u32,
    sa_refusals: u32,
    sets: u32,
}

fn answer(status: u16, body: &Json) -> String {
    let text = body.to_string();
    format!("HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}", text.len())
}

fn error(status: u16, grpc: &str, message: &str) -> String {
    answer(status, &json!({ "error": { "code": status, "status": grpc, "message": message } }))
}

fn handle(state: &Mutex<State>, request_line: &str, body: &str) -> String {
    let mut s = state.lock().unwrap();
    if request_line.contains(&format!("projects/{PROJECT}:getIamPolicy")) {
        let mut p = s.policy.clone();
        p["etag"] = json!(format!("e{}", s.etag));
        return answer(200, &p);
    }
    if request_line.contains(&format!("projects/{PROJECT}:setIamPolicy")) {
        let req: Json = serde_json::from_str(body).unwrap_or(Json::Null);
        let policy = &req["policy"];
        if s.inject_conflicts > 0 {
            // Someone else wrote the policy meanwhile.
            s.inject_conflicts -= 1;
            s.injected += 1;
            s.etag += 1;
        }
        if policy["etag"] != json!(format!("e{}", s.etag)) {
            if s.injected == 0 {
                s.stale_sets += 1;
            } else {
                s.injected -= 1;
            }
            return error(409, "ABORTED", "There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff. The request's ETag did not match the current policy's ETag.");
        }
        let grants_sa = policy["bindings"].as_array().into_iter().flatten().any(|b| {
            b["members"].as_array().into_iter().flatten().any(|m| m.as_str().is_some_and(|m| m.starts_with("serviceAccount:")))
        });
        if grants_sa && s.unknown_sa > 0 {
            s.unknown_sa -= 1;
            s.sa_refusals += 1;
            return error(400, "INVALID_ARGUMENT", "Service account fresh-sa@p1.iam.gserviceaccount.com does not exist.");
        }
        s.etag += 1;
        s.sets += 1;
        s.policy = json!({ "version": 1, "bindings": policy["bindings"].clone() });
        let mut p = s.policy.clone();
        p["etag"] = json!(format!("e{}", s.etag));
        return answer(200, &p);
    }
    error(404, "NOT_FOUND", "no such method")
}

async fn serve(state: Arc<Mutex<State>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            let state = state.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let (head_end, content_length) = loop {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..i]).to_ascii_lowercase();
                        let len = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0)))
                            .unwrap_or(0);
                        break (i + 4, len);
                    }
                };
                while buf.len() < head_end + content_length {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let body = String::from_utf8_lossy(&buf[head_end..]).to_string();
                let reply = handle(&state, head.lines().next().unwrap_or(""), &body);
                let _ = sock.write_all(reply.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    format!("http://{addr}/")
}

fn rtype(name: &str) -> Box<dyn GoogleResource> {
    resources().into_iter().find(|r| r.type_name() == name).unwrap()
}

async fn setup(state: State) -> (Arc<Mutex<State>>, Arc<Client>) {
    let state = Arc::new(Mutex::new(state));
    let base = serve(state.clone()).await;
    let client = Client::new(ProviderConfig { project: Some(PROJECT.into()), base_endpoint: Some(base), ..Default::default() })
        .with_retry_deadline(Duration::from_secs(30));
    (state, Arc::new(client))
}

#[tokio::test]
async fn concurrent_grants_are_serialized_and_retried() {
    let initial = State {
        policy: json!({ "version": 1, "bindings": [{ "role": "roles/owner", "members": ["user:owner@example.com"] }] }),
        inject_conflicts: 1,
        unknown_sa: 2,
        ..Default::default()
    };
    let (state, client) = setup(initial).await;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let member = if i == 0 { "serviceAccount:fresh-sa@p1.iam.gserviceaccount.com".to_string() } else { format!("user:u{i}@example.com") };
            let role = if i % 2 == 0 { "roles/viewer" } else { "roles/editor" };
            let r = rtype("google_project_iam_member");
            let planned = r.plan(client.config(), None, json!({ "role": role, "member": member })).unwrap();
            r.create(&client, &planned).await
        }));
    }
    let mut states = Vec::new();
    for t in tasks {
        states.push(t.await.unwrap().unwrap());
    }
    let r = rtype("google_project_iam_member");
    for s in &states {
        assert!(r.read(&client, s).await.unwrap().is_some(), "{s}");
    }
    {
        let s = state.lock().unwrap();
        assert_eq!(s.stale_sets, 0, "writes to one project's policy raced");
        assert_eq!(s.sa_refusals, 2);
        assert_eq!(s.sets, 6);
        let owners = &s.policy["bindings"][0];
        assert_eq!(owners["members"], json!(["user:owner@example.com"]), "other bindings are kept");
    }

    // Granting again changes nothing (no write); deleting removes only the member.
    let again = r.create(&client, &r.plan(client.config(), None, json!({ "role": "roles/editor", "member": "user:u1@example.com" })).unwrap()).await.unwrap();
    assert_eq!(state.lock().unwrap().sets, 6);
    r.delete(&client, &again).await.unwrap();
    assert_eq!(r.read(&client, &again).await.unwrap(), None);
    assert!(r.read(&client, &states[3]).await.unwrap().is_some());

    // Import by Terraform's space-separated ID.
    let imported = r.import(&client, &format!("{PROJECT} roles/editor user:u3@example.com")).await.unwrap();
    assert_eq!(imported["id"], format!("{PROJECT}/roles/editor/user:u3@example.com"));
    assert!(r.import(&client, &format!("{PROJECT} roles/editor user:nobody@example.com")).await.is_err());
}

#[tokio::test]
async fn binding_replaces_the_roles_members() {
    let initial = State {
        policy: json!({ "version": 1, "bindings": [
            { "role": "roles/viewer", "members": ["user:old@example.com"] },
            { "role": "roles/owner", "members": ["user:owner@example.com"] },
        ] }),
        ..Default::default()
    };
    let (state, client) = setup(initial).await;
    let r = rtype("google_project_iam_binding");
    let planned = r.plan(client.config(), None, json!({ "role": "roles/viewer", "members": ["user:A@example.com", "user:b@example.com"] })).unwrap();
    let created = r.create(&client, &planned).await.unwrap();
    assert_eq!(created["members"], json!(["user:A@example.com", "user:b@example.com"]));
    assert_eq!(r.read(&client, &created).await.unwrap(), Some(created.clone()));

    let planned = r.plan(client.config(), Some(&created), json!({ "role": "roles/viewer", "members": ["user:c@example.com"] })).unwrap();
    let updated = r.update(&client, &created, &planned).await.unwrap();
    assert_eq!(updated["members"], json!(["user:c@example.com"]));
    assert_eq!(r.import(&client, &format!("{PROJECT} roles/viewer")).await.unwrap()["members"], json!(["user:c@example.com"]));

    r.delete(&client, &updated).await.unwrap();
    let s = state.lock().unwrap();
    assert_eq!(s.policy["bindings"], json!([{ "role": "roles/owner", "members": ["user:owner@example.com"] }]));
}
