//! IAM policy bindings as every sandbox `setIamPolicy` checks them: project
//! policies (Resource Manager) and bucket policies (Cloud Storage) alike.
//!
//! Owns:
//! - [`check_bindings`]: roles well formed ([`check_role`]: `roles/x`,
//!   `projects/p/roles/x`, `organizations/o/roles/x`); conditions only in
//!   policy version 3, with an expression; members well formed principals
//!   ([`check_principal`]: `user:`, `group:`, `serviceAccount:`, `domain:`,
//!   `deleted:...?uid=`, `principal://`, `principalSet://`), where a
//!   user-managed service account that does not exist, or was created less
//!   than `Config::consistency_delay` ago (Google's propagation delay), is
//!   400 "Service account ... does not exist."; bindings normalised as
//!   Google does (empty ones dropped, members deduplicated, bindings of the
//!   same role and condition merged); at most 1,500 members.
//! - [`rename_member`]: one member replaced in every policy of a collection
//!   (a deleted service account becomes `deleted:serviceAccount:...?uid=`).
//!
//! Does not own: the members one kind of resource accepts or refuses
//! besides principals (the caller's [`Special`] rule: projects refuse
//! `allUsers`, buckets accept it and `projectOwner:`...), rules of one kind
//! of resource (project owners, public access prevention, uniform
//! bucket-level access), etags, or where policies are stored.

use super::{iam, Ctx};
use crate::error::ApiError;
use crate::store::{Record, Store};
use serde_json::{json, Value};

/// Most members a policy may hold (Google: 1,500 principals).
const MAX_MEMBERS: usize = 1500;

/// A resource kind's own rule for a member: `Some(Ok)` accepted as it is,
/// `Some(Err)` refused, `None` checked as a principal.
pub type Special<'a> = &'a dyn Fn(&str) -> Option<Result<(), ApiError>>;

/// Validates and normalises bindings: roles and members well formed,
/// service accounts existing (and propagated), conditions only in version 3;
/// empty bindings dropped, duplicate members removed, same role+condition
/// merged.
///
/// `special` decides the members a kind of resource treats apart
/// (`Some(Ok)`: accepted as they are, `Some(Err)`: refused); every other
/// member must be a principal ([`check_principal`]).
pub fn check_bindings(ctx: &Ctx, store: &Store, raw: &[Value], version: i64, special: Special<'_>) -> Result<Vec<Value>, ApiError> {
    let mut out: Vec<(String, Option<Value>, Vec<String>)> = Vec::new();
    let mut total = 0usize;
    for b in raw {
        let Some(obj) = b.as_object() else { return Err(ApiError::invalid("Every binding must be an object.")) };
        let role = obj.get("role").and_then(Value::as_str).unwrap_or("");
        check_role(role)?;
        let condition = match obj.get("condition") {
            None | Some(Value::Null) => None,
            Some(c @ Value::Object(m)) => {
                if version < 3 {
                    return Err(ApiError::invalid(
                        "Request contains an invalid argument: a binding with a condition requires policy version 3.",
                    ));
                }
                if m.get("expression").and_then(Value::as_str).is_none_or(|e| e.trim().is_empty()) {
                    return Err(ApiError::invalid("A condition needs a non-empty expression."));
                }
                Some(c.clone())
            }
            Some(_) => return Err(ApiError::invalid("A binding's condition must be an object.")),
        };
        let members = match obj.get("members") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a.clone(),
            Some(_) => return Err(ApiError::invalid("A binding's members must be a list.")),
        };
        let mut names = Vec::new();
        for m in &members {
            let Some(m) = m.as_str() else { return Err(ApiError::invalid("Every member must be a string.")) };
            match special(m) {
                Some(verdict) => verdict?,
                None => check_principal(ctx, store, m)?,
            }
            names.push(m.to_string());
        }
        if names.is_empty() {
            continue;
        }
        total += names.len();
        if total > MAX_MEMBERS {
            return Err(ApiError::invalid(format!("The policy has more than {MAX_MEMBERS} members.")));
        }
        let slot = match out.iter().position(|(r, c, _)| r == role && *c == condition) {
            Some(i) => i,
            None => {
                out.push((role.to_string(), condition, Vec::new()));
                out.len() - 1
            }
        };
        if let Some((_, _, list)) = out.get_mut(slot) {
            for n in names {
                if !list.contains(&n) {
                    list.push(n);
                }
            }
        }
    }
    Ok(out
        .into_iter()
        .map(|(role, condition, members)| {
            let mut b = json!({ "role": role, "members": members });
            if let Some(c) = condition {
                b["condition"] = c;
            }
            b
        })
        .collect())
}

/// `roles/x`, `projects/p/roles/x` or `organizations/o/roles/x`.
pub fn check_role(role: &str) -> Result<(), ApiError> {
    let ok_name = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_');
    let segs: Vec<&str> = role.split('/').collect();
    let ok = match segs.as_slice() {
        ["roles", name] => ok_name(name),
        ["projects" | "organizations", parent, "roles", name] => !parent.is_empty() && ok_name(name),
        _ => false,
    };
    if ok {
        Ok(())
    } else if role.is_empty() {
        Err(ApiError::invalid("Request contains an invalid argument: every binding needs a role."))
    } else {
        Err(ApiError::invalid(format!("Role {role} is not supported for this resource.")))
    }
}

/// `local@domain` with a dotted domain and no spaces.
fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    let ok_chars = |t: &str| t.bytes().all(|b| b.is_ascii_graphic() && b != b'@' && b != b':' && b != b'/' && b != b',');
    !local.is_empty() && ok_chars(local) && valid_domain(domain)
}

fn valid_domain(d: &str) -> bool {
    d.contains('.')
        && !d.starts_with('.')
        && !d.ends_with('.')
        && !d.contains("..")
        && d.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

pub fn malformed(member: &str) -> ApiError {
    ApiError::invalid(format!(
        "Invalid member '{member}': policy members must be of the form \"<type>:<value>\" (user:, serviceAccount:, group:, domain:, ...)."
    ))
}

/// A principal as Google accepts it in any policy. A user-managed service
/// account (`...@{project}.iam.gserviceaccount.com`) must exist and be older
/// than the consistency delay.
pub fn check_principal(ctx: &Ctx, store: &Store, member: &str) -> Result<(), ApiError> {
    let Some((kind, value)) = member.split_once(':') else { return Err(malformed(member)) };
    let ok = match kind {
        "user" | "group" => valid_email(value),
        "domain" => valid_domain(value),
        "serviceAccount" => {
            if !valid_email(value) {
                return Err(malformed(member));
            }
            if iam::lookup_for_policy(ctx, store, value) == Some(false) {
                return Err(ApiError::invalid(format!("Service account {value} does not exist.")));
            }
            true
        }
        "deleted" => match value.split_once(':') {
            Some(("user" | "group" | "serviceAccount", rest)) => {
                rest.split_once("?uid=").is_some_and(|(email, uid)| valid_email(email) && !uid.is_empty())
            }
            _ => false,
        },
        "principal" | "principalSet" => value.starts_with("//") && value.len() > 2,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(malformed(member))
    }
}

/// Replaces member `from` by `to` in every policy of `collection` (a
/// deleted service account becomes `deleted:serviceAccount:...?uid=...`);
/// `new_etag` gives each policy changed its new etag.
pub fn rename_member(
    store: &mut Store,
    collection: &str,
    from: &str,
    to: &str,
    new_etag: &mut dyn FnMut(&mut Record),
) -> Result<(), ApiError> {
    let affected: Vec<(String, Record)> = store
        .iter(collection)
        .filter(|(_, r)| {
            r.resource["bindings"]
                .as_array()
                .is_some_and(|bs| bs.iter().any(|b| b["members"].as_array().is_some_and(|ms| ms.iter().any(|m| m == from))))
        })
        .map(|(k, r)| (k.clone(), r.clone()))
        .collect();
    for (key, mut record) in affected {
        if let Some(bs) = record.resource.get_mut("bindings").and_then(Value::as_array_mut) {
            for b in bs.iter_mut() {
                if let Some(ms) = b.get_mut("members").and_then(Value::as_array_mut) {
                    for m in ms.iter_mut() {
                        if m == from {
                            *m = json!(to);
                        }
                    }
                }
            }
        }
        new_etag(&mut record);
        store.put(collection, &key, record)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles() {
        assert!(check_role("roles/viewer").is_ok());
        assert!(check_role("roles/storage.objectViewer").is_ok());
        assert!(check_role("projects/p/roles/custom_1").is_ok());
        assert!(check_role("organizations/1/roles/x").is_ok());
        for bad in ["", "viewer", "roles/", "roles/a/b", "projects//roles/x"] {
            assert_eq!(check_role(bad).unwrap_err().code, 400, "{bad}");
        }
    }

    /// Runs `f` with a fresh context and an empty store.
    fn with_world(f: impl FnOnce(&Ctx, &Store)) {
        let config = crate::Config::default();
        let mut ids = crate::server::Rng::new(1);
        let ctx = Ctx { config: &config, now_ms: 0, ids: &mut ids };
        f(&ctx, &Store::in_memory());
    }

    #[test]
    fn principal_shapes() {
        with_world(principals);
    }

    fn principals(ctx: &Ctx, store: &Store) {
        for good in [
            "user:a@example.com",
            "group:g@example.com",
            "domain:example.com",
            "serviceAccount:123-compute@developer.gserviceaccount.com",
            "serviceAccount:service-1@gcp-sa-run.iam.gserviceaccount.com",
            "deleted:serviceAccount:a@p.iam.gserviceaccount.com?uid=123",
            "principal://iam.googleapis.com/x",
        ] {
            assert!(check_principal(ctx, store, good).is_ok(), "{good}");
        }
        for bad in ["", "allUsers", "a@example.com", "user:", "user:nobody", "user:a@b", "bogus:a@example.com", "domain:x", "deleted:user:a@b.com", ":"] {
            assert_eq!(check_principal(ctx, store, bad).unwrap_err().code, 400, "{bad}");
        }
        let missing = check_principal(ctx, store, "serviceAccount:ghost-sa@p-1234.iam.gserviceaccount.com").unwrap_err();
        assert!(missing.message.contains("does not exist"));
    }

    #[test]
    fn bindings_normalise_and_special_members_decide() {
        with_world(bindings);
    }

    fn bindings(ctx: &Ctx, store: &Store) {
        let raw = vec![
            json!({ "role": "roles/viewer", "members": ["user:a@example.com", "allUsers"] }),
            json!({ "role": "roles/viewer", "members": ["user:a@example.com", "user:b@example.com"] }),
            json!({ "role": "roles/editor", "members": [] }),
        ];
        let public: Special<'_> = &|m| (m == "allUsers").then_some(Ok(()));
        let out = check_bindings(ctx, store, &raw, 1, public).unwrap();
        assert_eq!(out, vec![json!({ "role": "roles/viewer", "members": ["user:a@example.com", "allUsers", "user:b@example.com"] })]);
        let refuse: Special<'_> = &|m| (m == "allUsers").then(|| Err(ApiError::invalid("no")));
        assert_eq!(check_bindings(ctx, store, &raw, 1, refuse).unwrap_err().message, "no");
        let conditional = vec![json!({ "role": "roles/viewer", "members": ["user:a@example.com"], "condition": { "title": "t", "expression": "true" } })];
        assert_eq!(check_bindings(ctx, store, &conditional, 1, public).unwrap_err().code, 400);
        assert!(check_bindings(ctx, store, &conditional, 3, public).is_ok());
    }
}
