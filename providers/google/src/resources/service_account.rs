//! `google_service_account`: an IAM service account (IAM v1, synchronous).
//!
//! Create = `POST v1/projects/{p}/serviceAccounts` with `{accountId,
//! serviceAccount: {displayName, description}}`, then a read-back until the
//! account is visible (404/403 retried for up to 60 s: IAM is eventually
//! consistent), then `:disable` when `disabled = true` (Terraform applies
//! `disabled` after create). With `create_ignore_already_exists`, a 409 on
//! create adopts the existing account. Read = `GET
//! v1/projects/{p}/serviceAccounts/{email}`; update = `PATCH` with
//! `{serviceAccount, updateMask: "description,display_name"}` and
//! `:enable`/`:disable` for `disabled`; delete = `DELETE` (404 ignored).
//!
//! `id` = `projects/{p}/serviceAccounts/{email}`, `email` =
//! `{account_id}@{p}.iam.gserviceaccount.com`, `member` =
//! `serviceAccount:{email}`. Import IDs: `projects/{p}/serviceAccounts/{email}`,
//! `{p}/{email}`, `{email}` (the project from the email's domain, else the
//! provider's).

use super::{api_object, encode, fill_project, object, opt_bool, opt_str, project_of, req_str};
use crate::client::Method;
use crate::{AttrSpec, BoxFuture, Client, Error, GoogleResource, Json, Operation, ProviderConfig, Timeouts, TypeSchema, TypeSpec};
use serde_json::{json, Map};
use std::time::{Duration, Instant};

const SERVICE: &str = "iam";

/// How long a freshly created account may stay invisible to reads.
const VISIBLE_WITHIN: Duration = Duration::from_secs(60);

pub struct ServiceAccount;

/// The email Google gives an account created with `account_id` in `project`.
pub(crate) fn default_email(account_id: &str, project: &str) -> String {
    format!("{account_id}@{project}.iam.gserviceaccount.com")
}

/// The project named by a user-managed account's email, if any.
fn project_of_email(email: &str) -> Option<&str> {
    email.split_once('@')?.1.strip_suffix(".iam.gserviceaccount.com").filter(|p| !p.is_empty())
}

/// One path segment; `@` stays as is (a legal path character, as Google's
/// own clients send it).
fn segment(s: &str) -> String {
    encode(s).replace("%40", "@")
}

fn account_url(client: &Client, project: &str, email: &str) -> String {
    client.url(SERVICE, &format!("projects/{}/serviceAccounts/{}", segment(project), segment(email)))
}

/// An optional string argument as read: the API's value when non-empty;
/// otherwise the base's (so unset and `""` both read back as configured).
fn read_opt_string(api: &Map<String, Json>, key: &str, base: Option<&Json>, arg: &str) -> Json {
    match api.get(key).and_then(Json::as_str).filter(|s| !s.is_empty()) {
        Some(s) => json!(s),
        None => match base.and_then(|b| b.get(arg)) {
            Some(Json::String(s)) if s.is_empty() => json!(""),
            _ => Json::Null,
        },
    }
}

fn to_state(api: &Json, base: Option<&Json>, project: &str) -> Result<Json, Error> {
    let o = api_object(api, "service account")?;
    let email = o
        .get("email")
        .and_then(Json::as_str)
        .filter(|e| !e.is_empty())
        .ok_or_else(|| Error::Invalid("service account: answer without an email".into()))?;
    let account_id = base
        .and_then(|b| opt_str(b, "account_id"))
        .or_else(|| email.split('@').next())
        .unwrap_or_default();
    let mut out = Map::new();
    out.insert("id".into(), json!(format!("projects/{project}/serviceAccounts/{email}")));
    out.insert("account_id".into(), json!(account_id));
    out.insert("project".into(), json!(project));
    out.insert("display_name".into(), read_opt_string(o, "displayName", base, "display_name"));
    out.insert("description".into(), read_opt_string(o, "description", base, "description"));
    out.insert("disabled".into(), json!(o.get("disabled").and_then(Json::as_bool).unwrap_or(false)));
    out.insert(
        "create_ignore_already_exists".into(),
        json!(base.and_then(|b| opt_bool(b, "create_ignore_already_exists")).unwrap_or(false)),
    );
    out.insert("email".into(), json!(email));
    out.insert("member".into(), json!(format!("serviceAccount:{email}")));
    out.insert("name".into(), o.get("name").cloned().unwrap_or(Json::Null));
    out.insert("unique_id".into(), o.get("uniqueId").cloned().unwrap_or(Json::Null));
    Ok(Json::Object(out))
}

/// `(project, email)` of an import ID.
fn parse_id(default_project: Option<&str>, id: &str) -> Result<(String, String), Error> {
    let parts: Vec<&str> = id.split('/').collect();
    let bad = || {
        Error::Invalid(format!(
            "import ID {id:?}: expected `projects/{{project}}/serviceAccounts/{{email}}`, `{{project}}/{{email}}` or `{{email}}`"
        ))
    };
    match parts.as_slice() {
        ["projects", p, "serviceAccounts", e] | [p, e] if !p.is_empty() && e.contains('@') => Ok((p.to_string(), e.to_string())),
        [e] if e.contains('@') => {
            let project = project_of_email(e)
                .or(default_project)
                .ok_or_else(|| Error::Invalid(format!("import ID {id:?}: no project: name it (`{{project}}/{{email}}`) or set it on the provider")))?;
            Ok((project.to_string(), e.to_string()))
        }
        _ => Err(bad()),
    }
}

/// The email of a planned or prior object.
fn email_of(v: &Json, project: &str) -> Result<String, Error> {
    if let Some(e) = opt_str(v, "email") {
        return Ok(e.to_string());
    }
    Ok(default_email(req_str(v, "account_id")?, project))
}

/// Reads until the account is visible (404 and 403 mean "not yet").
async fn read_until_visible(client: &Client, url: &str) -> Result<Json, Error> {
    let deadline = Instant::now() + VISIBLE_WITHIN;
    let mut wait = Duration::from_millis(250);
    loop {
        let err = match client.call(Method::GET, url, None).await {
            Ok(v) => return Ok(v),
            Err(e @ (Error::NotFound | Error::Api { status: 403, .. })) => e,
            Err(e) => return Err(e),
        };
        if Instant::now() + wait > deadline {
            return Err(Error::Timeout(format!(
                "service account {url} not visible {}s after it was created: {err}",
                VISIBLE_WITHIN.as_secs()
            )));
        }
        tracing::debug!(url, wait_ms = wait.as_millis() as u64, "service account not visible yet");
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    }
}

/// `:enable` or `:disable`.
async fn set_disabled(client: &Client, url: &str, disabled: bool) -> Result<(), Error> {
    let verb = if disabled { "disable" } else { "enable" };
    client.request(Method::POST, &format!("{url}:{verb}"), Some(&json!({}))).await.map(|_| ())
}

impl GoogleResource for ServiceAccount {
    fn type_name(&self) -> &'static str {
        "google_service_account"
    }

    /// Terraform's: create 5m, the rest 20m.
    fn default_timeouts(&self) -> Timeouts {
        Timeouts::default().with(Operation::Create, Duration::from_secs(5 * 60))
    }

    fn schema(&self) -> TypeSchema {
        let s = || TypeSpec::String;
        TypeSchema {
            attributes: vec![
                AttrSpec::computed("id", s()),
                AttrSpec::required("account_id", s()).force_new(),
                AttrSpec::optional_computed("project", s()).force_new(),
                AttrSpec::optional("display_name", s()),
                AttrSpec::optional("description", s()),
                AttrSpec::optional("disabled", TypeSpec::Bool),
                AttrSpec::optional("create_ignore_already_exists", TypeSpec::Bool),
                AttrSpec::computed("email", s()),
                AttrSpec::computed("member", s()),
                AttrSpec::computed("name", s()),
                AttrSpec::computed("unique_id", s()),
            ],
            blocks: Vec::new(),
        }
    }

    fn plan(&self, config: &ProviderConfig, prior: Option<&Json>, proposed: Json) -> Result<Json, String> {
        let mut m = object(proposed, self.type_name())?;
        fill_project(config, prior, &mut m)?;
        for k in ["disabled", "create_ignore_already_exists"] {
            if m.get(k).is_none_or(Json::is_null) {
                m.insert(k.into(), json!(false));
            }
        }
        if let Some(a) = m.get("account_id").and_then(Json::as_str) {
            let ok = (6..=30).contains(&a.len())
                && a.starts_with(|c: char| c.is_ascii_lowercase())
                && !a.ends_with('-')
                && a.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !ok {
                return Err(format!(
                    "account_id {a:?}: must be 6-30 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen"
                ));
            }
        }
        if let Some(d) = m.get("description").and_then(Json::as_str) {
            if d.chars().count() > 256 {
                return Err("description: at most 256 characters".into());
            }
        }
        // Known at plan time, so references to them need not wait for apply.
        if let (Some(p), Some(a)) = (m.get("project").and_then(Json::as_str), m.get("account_id").and_then(Json::as_str)) {
            let email = default_email(a, p);
            m.insert("id".into(), json!(format!("projects/{p}/serviceAccounts/{email}")));
            m.insert("member".into(), json!(format!("serviceAccount:{email}")));
            m.insert("email".into(), json!(email));
        }
        for k in ["name", "unique_id"] {
            if let Some(v) = prior.and_then(|p| p.get(k)).filter(|v| !v.is_null()) {
                m.insert(k.into(), v.clone());
            }
        }
        Ok(Json::Object(m))
    }

    fn read<'a>(&'a self, client: &'a Client, state: &'a Json) -> BoxFuture<'a, Result<Option<Json>, Error>> {
        Box::pin(async move {
            let project = project_of(client, state)?;
            let email = email_of(state, project)?;
            match client.get_opt(&account_url(client, project, &email)).await? {
                Some(api) => to_state(&api, Some(state), project).map(Some),
                None => Ok(None),
            }
        })
    }

    fn create<'a>(&'a self, client: &'a Client, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let project = project_of(client, planned)?;
            let account_id = req_str(planned, "account_id")?;
            let mut sa = Map::new();
            for (arg, api) in [("display_name", "displayName"), ("description", "description")] {
                if let Some(v) = opt_str(planned, arg) {
                    sa.insert(api.into(), json!(v));
                }
            }
            let body = json!({ "accountId": account_id, "serviceAccount": Json::Object(sa) });
            let url = client.url(SERVICE, &format!("projects/{}/serviceAccounts", segment(project)));
            let email = match client.call(Method::POST, &url, Some(&body)).await {
                Ok(api) => api
                    .get("email")
                    .and_then(Json::as_str)
                    .filter(|e| !e.is_empty())
                    .map(str::to_string)
                    .unwrap_or_else(|| default_email(account_id, project)),
                Err(Error::Api { status: 409, .. }) if opt_bool(planned, "create_ignore_already_exists") == Some(true) => {
                    default_email(account_id, project)
                }
                Err(e) => return Err(e),
            };
            let account = account_url(client, project, &email);
            let mut api = read_until_visible(client, &account).await?;
            let want_disabled = opt_bool(planned, "disabled").unwrap_or(false);
            if api.get("disabled").and_then(Json::as_bool).unwrap_or(false) != want_disabled {
                set_disabled(client, &account, want_disabled).await?;
                api = client.call(Method::GET, &account, None).await?;
            }
            to_state(&api, Some(planned), project)
        })
    }

    fn update<'a>(&'a self, client: &'a Client, prior: &'a Json, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let project = project_of(client, planned)?;
            let email = match opt_str(prior, "email") {
                Some(e) => e.to_string(),
                None => email_of(planned, project)?,
            };
            let url = account_url(client, project, &email);
            let text = |v: &Json, k: &str| opt_str(v, k).unwrap_or("").to_string();
            let mut mask = Vec::new();
            let mut sa = Map::new();
            if text(prior, "description") != text(planned, "description") {
                mask.push("description");
                sa.insert("description".into(), json!(text(planned, "description")));
            }
            if text(prior, "display_name") != text(planned, "display_name") {
                mask.push("display_name");
                sa.insert("displayName".into(), json!(text(planned, "display_name")));
            }
            if !mask.is_empty() {
                let body = json!({ "serviceAccount": Json::Object(sa), "updateMask": mask.join(",") });
                client.call(Method::PATCH, &url, Some(&body)).await?;
            }
            let want_disabled = opt_bool(planned, "disabled").unwrap_or(false);
            if opt_bool(prior, "disabled").unwrap_or(false) != want_disabled {
                set_disabled(client, &url, want_disabled).await?;
            }
            let api = client.call(Method::GET, &url, None).await?;
            to_state(&api, Some(planned), project)
        })
    }

    fn delete<'a>(&'a self, client: &'a Client, prior: &'a Json) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let project = project_of(client, prior)?;
            let email = email_of(prior, project)?;
            match client.request(Method::DELETE, &account_url(client, project, &email), None).await {
                Ok(_) | Err(Error::NotFound) => Ok(()),
                Err(e) => Err(e),
            }
        })
    }

    fn import<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let (project, email) = parse_id(client.config().project.as_deref().filter(|p| !p.is_empty()), id)?;
            match client.get_opt(&account_url(client, &project, &email)).await? {
                Some(api) => to_state(&api, None, &project),
                None => Err(Error::Invalid(format!("service account {id} does not exist"))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_ids() {
        let e = "app@proj-1.iam.gserviceaccount.com";
        let want = Ok(("proj-1".to_string(), e.to_string()));
        assert_eq!(parse_id(None, &format!("projects/proj-1/serviceAccounts/{e}")), want);
        assert_eq!(parse_id(None, &format!("proj-1/{e}")), want);
        assert_eq!(parse_id(None, e), want);
        assert_eq!(parse_id(Some("other"), e), want);
        // A Google-managed account's email names no project: the provider's.
        assert_eq!(
            parse_id(Some("p"), "123-compute@developer.gserviceaccount.com"),
            Ok(("p".to_string(), "123-compute@developer.gserviceaccount.com".to_string()))
        );
        assert!(parse_id(None, "123-compute@developer.gserviceaccount.com").is_err());
        assert!(parse_id(None, "proj/app").is_err());
        assert!(parse_id(None, "").is_err());
    }

    #[test]
    fn plan_fills_and_computes() {
        let config = ProviderConfig { project: Some("p1".into()), ..Default::default() };
        let planned = ServiceAccount.plan(&config, None, json!({ "account_id": "my-app-sa" })).unwrap();
        assert_eq!(planned["project"], "p1");
        assert_eq!(planned["disabled"], false);
        assert_eq!(planned["email"], "my-app-sa@p1.iam.gserviceaccount.com");
        assert_eq!(planned["member"], "serviceAccount:my-app-sa@p1.iam.gserviceaccount.com");
        assert_eq!(planned["id"], "projects/p1/serviceAccounts/my-app-sa@p1.iam.gserviceaccount.com");
        for bad in ["short", "Upper-case-id", "1starts-with-digit", "ends-with-hyphen-", "this-account-id-is-far-too-long-x"] {
            assert!(ServiceAccount.plan(&config, None, json!({ "account_id": bad })).is_err(), "{bad}");
        }
    }

    #[test]
    fn state_from_api() {
        let api = json!({ "name": "projects/p1/serviceAccounts/a-b-c-d@p1.iam.gserviceaccount.com",
                          "email": "a-b-c-d@p1.iam.gserviceaccount.com", "uniqueId": "123", "displayName": "A" });
        let s = to_state(&api, None, "p1").unwrap();
        assert_eq!(s["account_id"], "a-b-c-d");
        assert_eq!(s["display_name"], "A");
        assert_eq!(s["description"], Json::Null);
        assert_eq!(s["disabled"], false);
        assert_eq!(s["member"], "serviceAccount:a-b-c-d@p1.iam.gserviceaccount.com");
        assert_eq!(s["unique_id"], "123");
        // `description = ""` reads back as configured.
        let s = to_state(&api, Some(&json!({ "description": "" })), "p1").unwrap();
        assert_eq!(s["description"], "");
        assert!(to_state(&json!({ "name": "x" }), None, "p1").is_err());
        assert!(to_state(&json!([]), None, "p1").is_err());
    }
}
