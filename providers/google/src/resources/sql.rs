//! What `google_sql_database_instance`, `google_sql_database` and
//! `google_sql_user` share: Cloud SQL Admin v1beta4 URLs, the per-instance
//! lock, and running one `sql#operation`.
//!
//! Cloud SQL runs one operation at a time per instance and answers any
//! other change to the instance, its databases or users with 409
//! `operationInProgress`. As Terraform's provider does (its mutex
//! `google-sql-database-instance-{project}-{instance}`), cairn takes
//! [`lock_instance`] around every change of the three types, so the calls
//! of one run never collide; the client still retries a 409
//! `operationInProgress` caused by someone else.
//!
//! Does not own: any type's arguments or JSON mapping (their own files),
//! waiting for operations (`operations.rs`) or the lock table (`locks.rs`).

use super::encode;
use crate::client::Method;
use crate::locks::{self, KeyGuard};
use crate::{Client, Error, Json};
use std::time::Duration;

/// The client's name of the service (`sql/v1beta4/` under an emulator).
pub(crate) const SERVICE: &str = "sqladmin";

/// `projects/{p}/instances/{i}` and what follows it, as a URL.
pub(crate) fn instance_url(client: &Client, project: &str, instance: &str, rest: &str) -> String {
    client.url(SERVICE, &format!("projects/{}/instances/{}{rest}", encode(project), encode(instance)))
}

/// Holds the instance against every other change by this process until
/// the guard is dropped. Keyed by the endpoint too, so two emulators in one
/// process never wait for each other.
pub(crate) async fn lock_instance(client: &Client, project: &str, instance: &str) -> KeyGuard {
    locks::lock(format!("google-sql-database-instance {} {project} {instance}", client.base_url(SERVICE))).await
}

/// One call that starts an operation, then waiting for it (at most
/// `timeout`).
pub(crate) async fn run(client: &Client, method: Method, url: &str, body: Option<&Json>, timeout: Duration) -> Result<Json, Error> {
    client.run_status_operation(SERVICE, method, url, body, timeout).await
}

/// Deletes what `url` names with one operation under the instance's lock;
/// already gone is fine.
pub(crate) async fn delete(client: &Client, project: &str, instance: &str, url: &str, timeout: Duration) -> Result<(), Error> {
    let _turn = lock_instance(client, project, instance).await;
    match run(client, Method::DELETE, url, None, timeout).await {
        Ok(_) | Err(Error::NotFound) => Ok(()),
        Err(e) => Err(e),
    }
}

/// A create under an instance that answered 404: the instance is missing,
/// which the error says (`what` names the object being made).
pub(crate) fn instance_gone(e: Error, what: &str, project: &str, instance: &str) -> Error {
    match e {
        Error::NotFound => Error::Invalid(format!("{what}: Cloud SQL instance {instance} does not exist in project {project}")),
        other => other,
    }
}

/// The user Cloud SQL makes with an instance of `database_version`, as
/// `(name, host)`: the one `root_password` sets.
pub(crate) fn root_user(database_version: &str) -> (&'static str, &'static str) {
    if database_version.starts_with("MYSQL") {
        ("root", "%")
    } else if database_version.starts_with("SQLSERVER") {
        ("sqlserver", "")
    } else {
        ("postgres", "")
    }
}

/// `users?name=&host=`: how users are addressed (they have no id).
pub(crate) fn user_query(name: &str, host: &str) -> String {
    let mut q = format!("/users?name={}", encode(name));
    if !host.is_empty() {
        q.push_str(&format!("&host={}", encode(host)));
    }
    q
}

/// Every user of an instance (`users.list`); `None` when the instance is gone.
pub(crate) async fn list_users(client: &Client, project: &str, instance: &str) -> Result<Option<Vec<Json>>, Error> {
    match client.get_opt(&instance_url(client, project, instance, "/users")).await? {
        None => Ok(None),
        Some(list) => Ok(Some(list.get("items").and_then(Json::as_array).cloned().unwrap_or_default())),
    }
}

/// The user `name` at `host` (`""` where hosts do not apply) in a
/// `users.list` answer.
pub(crate) fn find_user<'a>(users: &'a [Json], name: &str, host: &str) -> Option<&'a Json> {
    users.iter().find(|u| {
        u.get("name").and_then(Json::as_str) == Some(name) && u.get("host").and_then(Json::as_str).unwrap_or("") == host
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn users_by_name_and_host() {
        let users = vec![json!({"name": "root", "host": "%"}), json!({"name": "app"}), json!({"name": "app", "host": "10.0.0.1"})];
        assert_eq!(find_user(&users, "app", ""), Some(&users[1]));
        assert_eq!(find_user(&users, "app", "10.0.0.1"), Some(&users[2]));
        assert_eq!(find_user(&users, "root", ""), None);
        assert_eq!(user_query("a b", "%"), "/users?name=a%20b&host=%25");
        assert_eq!(user_query("app", ""), "/users?name=app");
        assert_eq!(root_user("MYSQL_8_0"), ("root", "%"));
        assert_eq!(root_user("POSTGRES_15"), ("postgres", ""));
    }

    #[tokio::test]
    async fn one_lock_per_instance_and_endpoint() {
        let a = Client::new(crate::ProviderConfig { base_endpoint: Some("http://127.0.0.1:1/".into()), ..Default::default() });
        let b = Client::new(crate::ProviderConfig { base_endpoint: Some("http://127.0.0.1:2/".into()), ..Default::default() });
        let held = lock_instance(&a, "p", "i").await;
        let wait = Duration::from_millis(50);
        assert!(tokio::time::timeout(wait, lock_instance(&a, "p", "i")).await.is_err(), "same instance waits");
        assert!(tokio::time::timeout(wait, lock_instance(&a, "p", "j")).await.is_ok(), "another instance does not");
        assert!(tokio::time::timeout(wait, lock_instance(&b, "p", "i")).await.is_ok(), "another endpoint does not");
        drop(held);
    }
}
