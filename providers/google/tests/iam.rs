//! IAM types against an in-process `cairn_sandbox` on port 0:
//! `google_service_account` (create, read, update in place, disable,
//! import, delete), `google_project_iam_member` (a grant to an account just
//! created, concurrent grants on one project, import, delete) and
//! `google_project_iam_binding` (authoritative members, update in place,
//! delete). They need the sandbox's IAM and Resource Manager policy
//! services. Every request a test's sandbox received is checked against
//! Google's Discovery documents when the test ends (`common`).

mod common;

use cairn_google::client::Client;
use cairn_sandbox::Config;
use common::{create, rtype, update, Checked, PROJECT};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

async fn sandbox() -> (Checked, Client) {
    let mut config = Config::new("");
    for api in ["iam.googleapis.com", "cloudresourcemanager.googleapis.com"] {
        if !config.enabled_apis.iter().any(|a| a == api) {
            config.enabled_apis.push(api.into());
        }
    }
    let (handle, client) = common::serve(config).await;
    (handle, client.with_retry_deadline(Duration::from_secs(20)))
}

#[tokio::test]
async fn service_account_lifecycle() {
    let (_h, client) = sandbox().await;
    let r = rtype("google_service_account");
    let email = format!("app-runner@{PROJECT}.iam.gserviceaccount.com");
    let state = create(r.as_ref(), &client, json!({ "account_id": "app-runner", "display_name": "App" })).await;
    assert_eq!(state["email"], email);
    assert_eq!(state["member"], format!("serviceAccount:{email}"));
    assert_eq!(state["id"], format!("projects/{PROJECT}/serviceAccounts/{email}"));
    assert_eq!(state["display_name"], "App");
    assert_eq!(state["disabled"], false);
    assert!(state["unique_id"].as_str().is_some_and(|u| !u.is_empty()));
    assert_eq!(r.read(&client, &state).await.unwrap(), Some(state.clone()));

    let updated = update(
        r.as_ref(),
        &client,
        &state,
        json!({ "account_id": "app-runner", "display_name": "App 2", "description": "runs the app", "disabled": true }),
    )
    .await;
    assert_eq!(updated["display_name"], "App 2");
    assert_eq!(updated["description"], "runs the app");
    assert_eq!(updated["disabled"], true);
    assert_eq!(updated["unique_id"], state["unique_id"]);
    assert_eq!(r.read(&client, &updated).await.unwrap(), Some(updated.clone()));

    for id in [format!("projects/{PROJECT}/serviceAccounts/{email}"), format!("{PROJECT}/{email}"), email.clone()] {
        let imported = r.import(&client, &id).await.unwrap();
        assert_eq!(imported["id"], updated["id"]);
        assert_eq!(imported["account_id"], "app-runner");
        assert_eq!(imported["description"], "runs the app");
    }

    r.delete(&client, &updated).await.unwrap();
    assert_eq!(r.read(&client, &updated).await.unwrap(), None);
    // Deleting again is not an error.
    r.delete(&client, &updated).await.unwrap();
}

#[tokio::test]
async fn iam_member_for_a_new_service_account() {
    let (_h, client) = sandbox().await;
    let sa = create(rtype("google_service_account").as_ref(), &client, json!({ "account_id": "grantee-1" })).await;
    let r = rtype("google_project_iam_member");
    let config = json!({ "role": "roles/storage.objectViewer", "member": sa["member"] });
    let state = create(r.as_ref(), &client, config).await;
    let member = sa["member"].as_str().unwrap();
    assert_eq!(state["id"], format!("{PROJECT}/roles/storage.objectViewer/{member}"));
    assert_eq!(state["project"], PROJECT);
    assert_eq!(r.read(&client, &state).await.unwrap(), Some(state.clone()));

    let imported = r.import(&client, &format!("{PROJECT} roles/storage.objectViewer {member}")).await.unwrap();
    assert_eq!(imported["id"], state["id"]);

    r.delete(&client, &state).await.unwrap();
    assert_eq!(r.read(&client, &state).await.unwrap(), None);
    r.delete(&client, &state).await.unwrap();
}

#[tokio::test]
async fn concurrent_members_on_one_project_all_land() {
    let (_h, client) = sandbox().await;
    let client = Arc::new(client);
    let mut tasks = Vec::new();
    for i in 0..8 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let r = rtype("google_project_iam_member");
            let role = if i % 2 == 0 { "roles/viewer" } else { "roles/logging.viewer" };
            create(r.as_ref(), &client, json!({ "role": role, "member": format!("user:u{i}@example.com") })).await
        }));
    }
    let mut states = Vec::new();
    for t in tasks {
        states.push(t.await.unwrap());
    }
    let r = rtype("google_project_iam_member");
    for s in &states {
        assert!(r.read(&client, s).await.unwrap().is_some(), "{s}");
    }
}

#[tokio::test]
async fn iam_binding_is_authoritative_for_its_role() {
    let (_h, client) = sandbox().await;
    let member = rtype("google_project_iam_member");
    let other = create(member.as_ref(), &client, json!({ "role": "roles/editor", "member": "user:keep@example.com" })).await;
    let stray = create(member.as_ref(), &client, json!({ "role": "roles/viewer", "member": "user:stray@example.com" })).await;

    let r = rtype("google_project_iam_binding");
    let state = create(r.as_ref(), &client, json!({ "role": "roles/viewer", "members": ["user:a@example.com", "user:b@example.com"] })).await;
    assert_eq!(state["id"], format!("{PROJECT}/roles/viewer"));
    assert_eq!(state["members"], json!(["user:a@example.com", "user:b@example.com"]));
    assert_eq!(member.read(&client, &stray).await.unwrap(), None, "the binding replaced the role's members");
    assert!(member.read(&client, &other).await.unwrap().is_some(), "other roles are left alone");
    assert_eq!(r.read(&client, &state).await.unwrap(), Some(state.clone()));

    let updated = update(r.as_ref(), &client, &state, json!({ "role": "roles/viewer", "members": ["user:c@example.com"] })).await;
    assert_eq!(updated["members"], json!(["user:c@example.com"]));

    let imported = r.import(&client, &format!("{PROJECT} roles/viewer")).await.unwrap();
    assert_eq!(imported["members"], json!(["user:c@example.com"]));

    r.delete(&client, &updated).await.unwrap();
    assert_eq!(r.read(&client, &updated).await.unwrap().unwrap()["members"], json!([]));
    assert!(member.read(&client, &other).await.unwrap().is_some());
}
