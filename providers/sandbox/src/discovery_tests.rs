//! Tests of the Discovery layer: routing with real paths, and validation of
//! real and broken requests.

use super::*;
use serde_json::json;
use std::time::Instant;

fn d() -> &'static Discovery {
    Discovery::embedded()
}

/// Finds and checks api, method id and path params.
#[track_caller]
fn route(http: &str, path: &str, api: &str, id: &str, params: &[(&str, &str)]) -> MethodMatch {
    let m = d().find(http, path).unwrap_or_else(|| panic!("no match for {http} {path}"));
    assert_eq!((m.api.as_str(), m.method_id.as_str()), (api, id), "{http} {path}");
    let want: BTreeMap<String, String> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    assert_eq!(m.path_params, want, "{http} {path}");
    m
}

fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[track_caller]
fn ok(m: &MethodMatch, query: &[(&str, &str)], body: Option<Value>) {
    if let Err(v) = d().validate(m, &q(query), body.as_ref()) {
        panic!("{} should be valid, got {v:#?}", m.method_id);
    }
}

/// Validates, expects violations, and returns them.
#[track_caller]
fn bad(m: &MethodMatch, query: &[(&str, &str)], body: Option<Value>) -> Vec<Violation> {
    match d().validate(m, &q(query), body.as_ref()) {
        Ok(()) => panic!("{} should be invalid", m.method_id),
        Err(v) => v,
    }
}

#[track_caller]
fn has(v: &[Violation], location: &str, message_part: &str) {
    assert!(
        v.iter().any(|x| x.location == location && x.message.contains(message_part)),
        "expected a violation at {location} containing {message_part:?}, got {v:#?}"
    );
}

#[test]
fn discovery_timing_first_find() {
    // A fresh instance, so earlier tests' parsing does not hide the cost.
    let fresh = Discovery::default();
    let t = Instant::now();
    let m = fresh.find("GET", "/storage/v1/b/my-bucket");
    let storage = t.elapsed();
    assert!(m.is_some());
    let t = Instant::now();
    fresh.find("GET", "/v1/projects/p/secrets/s");
    let v1 = t.elapsed();
    let t = Instant::now();
    fresh.find("GET", "/compute/v1/projects/p/global/backendServices/x");
    let compute = t.elapsed();
    let t = Instant::now();
    for _ in 0..1000 {
        fresh.find("GET", "/compute/v1/projects/p/global/backendServices/x");
    }
    let warm = t.elapsed() / 1000;
    println!(
        "discovery timing: first find storage {storage:?}; first /v1/ find (parses the six v1 APIs) {v1:?}; \
         first compute find {compute:?}; warm compute find {warm:?}; parsed: {fresh:?}"
    );
}

#[test]
fn discovery_lazy_parsing() {
    let fresh = Discovery::default();
    fresh.find("GET", "/storage/v1/b/x");
    fresh.find("POST", "/v1/projects/p/secrets?secretId=s");
    let dbg = format!("{fresh:?}");
    assert!(dbg.contains("storage") && !dbg.contains("compute") && !dbg.contains("bigquery"), "{dbg}");
}

#[test]
fn discovery_every_document_parses_and_every_route_is_reachable() {
    for (source, id) in SOURCES.iter().zip(d().api_ids()) {
        let api = d().api(id).unwrap_or_else(|| panic!("{id} does not parse"));
        assert_eq!(source.host, host_of(&api.root_url), "{id}");
        assert_eq!(source.name, api.name, "{id}");
        assert!(!api.methods.is_empty(), "{id}");
        for r in &api.routes {
            let Some(Tok::Lit(first)) = r.tmpl.0.first() else { panic!("{id}: {} starts with a variable", r.method_id) };
            assert!(source.prefixes.contains(&first_segment(first)), "{id}: prefix of {first} not listed");
            let m = &api.methods[&r.method_id];
            if let Some(req) = &m.request {
                assert!(api.schemas.contains_key(&req.reference), "{id}: {} request", m.id);
            }
        }
    }
}

#[test]
fn discovery_routes_storage() {
    route("GET", "/storage/v1/b/my-bucket", "storage", "storage.buckets.get", &[("bucket", "my-bucket")]);
    route("POST", "/storage/v1/b?project=p", "storage", "storage.buckets.insert", &[]);
    route("PATCH", "/storage/v1/b/my-bucket", "storage", "storage.buckets.patch", &[("bucket", "my-bucket")]);
    route("DELETE", "/storage/v1/b/my-bucket", "storage", "storage.buckets.delete", &[("bucket", "my-bucket")]);
    route("GET", "/storage/v1/b/my-bucket/iam", "storage", "storage.buckets.getIamPolicy", &[("bucket", "my-bucket")]);
    route(
        "GET",
        "/storage/v1/b/bk/o/dir%2Ffile.txt",
        "storage",
        "storage.objects.get",
        &[("bucket", "bk"), ("object", "dir/file.txt")],
    );
    route("POST", "/upload/storage/v1/b/bk/o?uploadType=media&name=x", "storage", "storage.objects.insert", &[("bucket", "bk")]);
    route("POST", "/resumable/upload/storage/v1/b/bk/o", "storage", "storage.objects.insert", &[("bucket", "bk")]);
    route("GET", "/download/storage/v1/b/bk/o/a%20b", "storage", "storage.objects.get", &[("bucket", "bk"), ("object", "a b")]);
    // The API name as a prefix is optional for storage: its path has it.
    route("GET", "/storage/storage/v1/b/x", "storage", "storage.buckets.get", &[("bucket", "x")]);
}

#[test]
fn discovery_routes_secretmanager() {
    route("POST", "/v1/projects/p/secrets", "secretmanager", "secretmanager.projects.secrets.create", &[("parent", "projects/p")]);
    route(
        "GET",
        "/v1/projects/p/secrets/s",
        "secretmanager",
        "secretmanager.projects.secrets.get",
        &[("name", "projects/p/secrets/s")],
    );
    route(
        "POST",
        "/v1/projects/p/secrets/s:addVersion",
        "secretmanager",
        "secretmanager.projects.secrets.addVersion",
        &[("parent", "projects/p/secrets/s")],
    );
    route(
        "GET",
        "/v1/projects/p/secrets/s/versions/latest:access",
        "secretmanager",
        "secretmanager.projects.secrets.versions.access",
        &[("name", "projects/p/secrets/s/versions/latest")],
    );
    route(
        "GET",
        "/v1/projects/p/secrets/s/versions/3",
        "secretmanager",
        "secretmanager.projects.secrets.versions.get",
        &[("name", "projects/p/secrets/s/versions/3")],
    );
    route(
        "POST",
        "/v1/projects/p/secrets/s:setIamPolicy",
        "secretmanager",
        "secretmanager.projects.secrets.setIamPolicy",
        &[("resource", "projects/p/secrets/s")],
    );
    // Name-prefixed form.
    route(
        "DELETE",
        "/secretmanager/v1/projects/p/secrets/s",
        "secretmanager",
        "secretmanager.projects.secrets.delete",
        &[("name", "projects/p/secrets/s")],
    );
}

#[test]
fn discovery_routes_iam() {
    route(
        "GET",
        "/v1/projects/p/serviceAccounts/a@p.iam.gserviceaccount.com",
        "iam",
        "iam.projects.serviceAccounts.get",
        &[("name", "projects/p/serviceAccounts/a@p.iam.gserviceaccount.com")],
    );
    route(
        "GET",
        "/v1/projects/p/serviceAccounts/a%40p.iam.gserviceaccount.com",
        "iam",
        "iam.projects.serviceAccounts.get",
        &[("name", "projects/p/serviceAccounts/a@p.iam.gserviceaccount.com")],
    );
    route("POST", "/v1/projects/p/serviceAccounts", "iam", "iam.projects.serviceAccounts.create", &[("name", "projects/p")]);
    route(
        "POST",
        "/v1/projects/p/serviceAccounts/a@p.iam.gserviceaccount.com:setIamPolicy",
        "iam",
        "iam.projects.serviceAccounts.setIamPolicy",
        &[("resource", "projects/p/serviceAccounts/a@p.iam.gserviceaccount.com")],
    );
    route("POST", "/v1/projects/p/roles", "iam", "iam.projects.roles.create", &[("parent", "projects/p")]);
}

#[test]
fn discovery_routes_resourcemanager() {
    route(
        "POST",
        "/v1/projects/p:getIamPolicy",
        "cloudresourcemanager.v1",
        "cloudresourcemanager.projects.getIamPolicy",
        &[("resource", "p")],
    );
    route(
        "POST",
        "/v1/projects/p:setIamPolicy",
        "cloudresourcemanager.v1",
        "cloudresourcemanager.projects.setIamPolicy",
        &[("resource", "p")],
    );
    route("GET", "/v1/projects/my-proj", "cloudresourcemanager.v1", "cloudresourcemanager.projects.get", &[("projectId", "my-proj")]);
    route("POST", "/v1/projects", "cloudresourcemanager.v1", "cloudresourcemanager.projects.create", &[]);
    route("GET", "/v3/projects/p", "cloudresourcemanager.v3", "cloudresourcemanager.projects.get", &[("name", "projects/p")]);
    route("GET", "/v3/folders/123", "cloudresourcemanager.v3", "cloudresourcemanager.folders.get", &[("name", "folders/123")]);
    route(
        "POST",
        "/v3/folders/123:setIamPolicy",
        "cloudresourcemanager.v3",
        "cloudresourcemanager.folders.setIamPolicy",
        &[("resource", "folders/123")],
    );
    route(
        "GET",
        "/cloudresourcemanager/v3/folders/1",
        "cloudresourcemanager.v3",
        "cloudresourcemanager.folders.get",
        &[("name", "folders/1")],
    );
}

#[test]
fn discovery_routes_serviceusage_artifactregistry_redis_run_sql_bigquery() {
    route(
        "POST",
        "/v1/projects/p/services/run.googleapis.com:enable",
        "serviceusage",
        "serviceusage.services.enable",
        &[("name", "projects/p/services/run.googleapis.com")],
    );
    route(
        "GET",
        "/v1/projects/123/services/run.googleapis.com",
        "serviceusage",
        "serviceusage.services.get",
        &[("name", "projects/123/services/run.googleapis.com")],
    );
    route(
        "POST",
        "/v1/projects/p/locations/us-central1/repositories?repositoryId=r",
        "artifactregistry",
        "artifactregistry.projects.locations.repositories.create",
        &[("parent", "projects/p/locations/us-central1")],
    );
    route(
        "GET",
        "/v1/projects/p/locations/us-central1/repositories/r",
        "artifactregistry",
        "artifactregistry.projects.locations.repositories.get",
        &[("name", "projects/p/locations/us-central1/repositories/r")],
    );
    route(
        "POST",
        "/v1/projects/p/locations/us-central1/instances?instanceId=cache",
        "redis",
        "redis.projects.locations.instances.create",
        &[("parent", "projects/p/locations/us-central1")],
    );
    route(
        "PATCH",
        "/v1/projects/p/locations/us-central1/instances/cache",
        "redis",
        "redis.projects.locations.instances.patch",
        &[("name", "projects/p/locations/us-central1/instances/cache")],
    );
    route(
        "POST",
        "/v2/projects/p/locations/europe-west1/services",
        "run",
        "run.projects.locations.services.create",
        &[("parent", "projects/p/locations/europe-west1")],
    );
    route(
        "GET",
        "/v2/projects/p/locations/europe-west1/services/api",
        "run",
        "run.projects.locations.services.get",
        &[("name", "projects/p/locations/europe-west1/services/api")],
    );
    route(
        "POST",
        "/v2/projects/p/locations/l/services/api:setIamPolicy",
        "run",
        "run.projects.locations.services.setIamPolicy",
        &[("resource", "projects/p/locations/l/services/api")],
    );
    route("GET", "/sql/v1beta4/projects/p/instances/db", "sqladmin", "sql.instances.get", &[("project", "p"), ("instance", "db")]);
    route("POST", "/sql/v1beta4/projects/p/instances", "sqladmin", "sql.instances.insert", &[("project", "p")]);
    route(
        "POST",
        "/sql/v1beta4/projects/p/instances/db/databases",
        "sqladmin",
        "sql.databases.insert",
        &[("project", "p"), ("instance", "db")],
    );
    route("POST", "/bigquery/v2/projects/p/datasets", "bigquery", "bigquery.datasets.insert", &[("projectId", "p")]);
    route(
        "GET",
        "/bigquery/v2/projects/p/datasets/d/tables/t",
        "bigquery",
        "bigquery.tables.get",
        &[("projectId", "p"), ("datasetId", "d"), ("tableId", "t")],
    );
}

#[test]
fn discovery_routes_compute() {
    route(
        "GET",
        "/compute/v1/projects/p/global/backendServices/x",
        "compute",
        "compute.backendServices.get",
        &[("project", "p"), ("backendService", "x")],
    );
    route("POST", "/compute/v1/projects/p/global/backendServices", "compute", "compute.backendServices.insert", &[("project", "p")]);
    route(
        "POST",
        "/compute/v1/projects/p/global/backendServices/x/getHealth",
        "compute",
        "compute.backendServices.getHealth",
        &[("project", "p"), ("backendService", "x")],
    );
    route(
        "GET",
        "/compute/v1/projects/p/zones/us-central1-a/instances/vm",
        "compute",
        "compute.instances.get",
        &[("project", "p"), ("zone", "us-central1-a"), ("instance", "vm")],
    );
    route(
        "GET",
        "/compute/v1/projects/p/global/operations/op-1",
        "compute",
        "compute.globalOperations.get",
        &[("project", "p"), ("operation", "op-1")],
    );
}

#[test]
fn discovery_find_for_api_disambiguates() {
    let path = "/v1/projects/p/locations/l/operations/o";
    for (api, id) in [
        ("redis", "redis.projects.locations.operations.get"),
        ("artifactregistry.googleapis.com", "artifactregistry.projects.locations.operations.get"),
        ("https://run.googleapis.com/", "run.projects.locations.operations.get"),
    ] {
        let api_path = if api.contains("run") { "/v2/projects/p/locations/l/operations/o" } else { path };
        let m = d().find_for_api(api, "GET", api_path).unwrap_or_else(|| panic!("{api}"));
        assert_eq!(m.method_id, id);
    }
    let m = d().find_for_api("cloudresourcemanager", "GET", "/v1/projects/p").unwrap();
    assert_eq!(m.api, "cloudresourcemanager.v1");
    let m = d().find_for_api("cloudresourcemanager.v3", "GET", "/v3/projects/p").unwrap();
    assert_eq!(m.api, "cloudresourcemanager.v3");
    assert!(d().find_for_api("secretmanager", "GET", "/v1/projects/p/serviceAccounts/a").is_none());
    // The name prefix picks the API even where plain paths collide.
    let m = d().find("GET", "/redis/v1/projects/p/locations/l/operations/o").unwrap();
    assert_eq!(m.api, "redis");
}

#[test]
fn discovery_find_rejects_nonsense_without_panicking() {
    for path in [
        "",
        "/",
        "//",
        "/v1",
        "/v1/",
        "/storage/v1/b//o",
        "/storage/v1/b/x/o/",
        "/v1/projects/p/secrets/%",
        "/v1/projects/p/secrets/%zz",
        "/v1/projects/\u{1F600}/secrets/\u{e9}",
        "/compute/v1/projects/p/global/backendServices/x/y/z/w",
        "?x=1",
        "/v1/projects/p:",
    ] {
        for http in ["GET", "POST", "DELETE", "get", ""] {
            let _ = d().find(http, path);
        }
    }
    assert!(d().find("GET", "/storage/v1/b//o").is_none());
    assert!(d().find("PUT", "/storage/v1/b").is_none());
    assert!(d().find("GET", "/nothing/here").is_none());
    let long = format!("/v1/{}", "projects/p/".repeat(5000));
    assert!(d().find("GET", &long).is_none());
    let many_colons = format!("/v1/projects/p/secrets/{}", ":a".repeat(3000));
    let _ = d().find("POST", &many_colons);
    // Malformed percent escapes are kept.
    let m = d().find("GET", "/storage/v1/b/a%zz%4").unwrap();
    assert_eq!(m.path_params["bucket"], "a%zz%4");
}

// --- validation -----------------------------------------------------------

#[test]
fn discovery_valid_storage_bucket_insert() {
    let m = route("POST", "/storage/v1/b", "storage", "storage.buckets.insert", &[]);
    let body = json!({
        "name": "my-bucket",
        "location": "EU",
        "storageClass": "STANDARD",
        "labels": {"env": "prod"},
        "versioning": {"enabled": true},
        "iamConfiguration": {
            "uniformBucketLevelAccess": {"enabled": true},
            "publicAccessPrevention": "enforced"
        },
        "lifecycle": {"rule": [
            {"action": {"type": "Delete"}, "condition": {"age": 30, "isLive": false, "matchesStorageClass": ["STANDARD"]}},
            {"action": {"type": "SetStorageClass", "storageClass": "NEARLINE"},
             "condition": {"createdBefore": "2024-01-15", "numNewerVersions": "3"}}
        ]},
        "retentionPolicy": {"retentionPeriod": 86400},
        "softDeletePolicy": {"retentionDurationSeconds": "604800"},
        "timeCreated": "2024-01-01T00:00:00.000Z",
        "id": "output-only-but-accepted"
    });
    ok(&m, &[("project", "p"), ("predefinedAcl", "private"), ("alt", "json"), ("prettyPrint", "false")], Some(body));
}

#[test]
fn discovery_valid_secret_create() {
    let m = route("POST", "/v1/projects/p/secrets", "secretmanager", "secretmanager.projects.secrets.create", &[("parent", "projects/p")]);
    ok(&m, &[("secretId", "s")], Some(json!({"replication": {"automatic": {}}, "labels": {"a": "b"}})));
    ok(
        &m,
        &[("secretId", "s")],
        Some(json!({
            "replication": {"userManaged": {"replicas": [{"location": "us-east1"}, {"location": "us-central1"}]}},
            "ttl": "86400s",
            "versionAliases": {"current": "1"},
            "createTime": "2024-01-01T00:00:00Z"
        })),
    );
    let add = route(
        "POST",
        "/v1/projects/p/secrets/s:addVersion",
        "secretmanager",
        "secretmanager.projects.secrets.addVersion",
        &[("parent", "projects/p/secrets/s")],
    );
    ok(&add, &[], Some(json!({"payload": {"data": "aGVsbG8=", "dataCrc32c": "907060870"}})));
}

#[test]
fn discovery_valid_service_account_create_and_set_iam_policy() {
    let m = route("POST", "/v1/projects/p/serviceAccounts", "iam", "iam.projects.serviceAccounts.create", &[("name", "projects/p")]);
    ok(&m, &[], Some(json!({"accountId": "deployer", "serviceAccount": {"displayName": "Deployer", "description": "CI"}})));

    let policy = json!({
        "policy": {
            "version": 3,
            "etag": "BwXhqDpVxyo=",
            "bindings": [
                {"role": "roles/viewer", "members": ["user:a@example.com", "serviceAccount:x@p.iam.gserviceaccount.com"]},
                {"role": "roles/editor", "members": ["group:g@example.com"],
                 "condition": {"title": "t", "expression": "request.time < timestamp('2030-01-01T00:00:00Z')"}}
            ]
        },
        "updateMask": "bindings,etag"
    });
    let crm = route(
        "POST",
        "/v1/projects/p:setIamPolicy",
        "cloudresourcemanager.v1",
        "cloudresourcemanager.projects.setIamPolicy",
        &[("resource", "p")],
    );
    ok(&crm, &[], Some(policy.clone()));
    let sm = d().find("POST", "/v1/projects/p/secrets/s:setIamPolicy").unwrap();
    ok(&sm, &[], Some(policy));
}

#[test]
fn discovery_valid_serviceusage_enable() {
    let m = d().find("POST", "/v1/projects/p/services/compute.googleapis.com:enable").unwrap();
    ok(&m, &[], Some(json!({})));
    ok(&m, &[], None);
    ok(&m, &[("$.xgafv", "2"), ("alt", "json")], None);
}

#[test]
fn discovery_valid_artifact_registry_repository_create() {
    let m = d().find("POST", "/v1/projects/p/locations/us/repositories").unwrap();
    assert_eq!(m.method_id, "artifactregistry.projects.locations.repositories.create");
    let body = json!({
        "format": "DOCKER",
        "mode": "STANDARD_REPOSITORY",
        "description": "images",
        "labels": {"team": "platform"},
        "dockerConfig": {"immutableTags": true},
        "cleanupPolicyDryRun": false,
        "cleanupPolicies": {
            "delete-untagged": {"id": "delete-untagged", "action": "DELETE",
                "condition": {"tagState": "UNTAGGED", "olderThan": "2592000s"}},
            "keep-recent": {"id": "keep-recent", "action": "KEEP",
                "mostRecentVersions": {"keepCount": 5, "packageNamePrefixes": ["app"]}}
        }
    });
    ok(&m, &[("repositoryId", "images")], Some(body));
}

#[test]
fn discovery_valid_compute_backend_service_insert() {
    let m = d().find("POST", "/compute/v1/projects/p/global/backendServices").unwrap();
    let body = json!({
        "name": "web",
        "protocol": "HTTP",
        "portName": "http",
        "timeoutSec": 30,
        "loadBalancingScheme": "EXTERNAL_MANAGED",
        "healthChecks": ["projects/p/global/healthChecks/hc"],
        "backends": [{"group": "projects/p/zones/z/instanceGroups/ig", "balancingMode": "UTILIZATION",
                      "capacityScaler": 1.0, "maxUtilization": 0.8}],
        "logConfig": {"enable": true, "sampleRate": 0.5},
        "cdnPolicy": {"cacheMode": "CACHE_ALL_STATIC", "defaultTtl": 3600},
        "enableCDN": true,
        "fingerprint": "abc-_=",
        "id": "1234567890123456789"
    });
    ok(&m, &[("requestId", "00000000-0000-0000-0000-000000000000")], Some(body));
}

#[test]
fn discovery_rejects_unknown_field_at_depth() {
    let m = d().find("POST", "/storage/v1/b").unwrap();
    let v = bad(&m, &[("project", "p")], Some(json!({"name": "b", "lifecycle": {"foo": 1}})));
    has(&v, "body.lifecycle.foo", r#"Invalid JSON payload received. Unknown name "foo" at 'bucket.lifecycle': Cannot find field."#);
    let v = bad(
        &m,
        &[("project", "p")],
        Some(json!({"name": "b", "lifecycle": {"rule": [{"action": {"typ": "Delete"}}]}})),
    );
    has(&v, "body.lifecycle.rule[0].action.typ", "Unknown name \"typ\" at 'bucket.lifecycle.rule[0].action'");
    let v = bad(&m, &[("project", "p")], Some(json!({"name": "b", "bogus": true})));
    has(&v, "body.bogus", "Unknown name \"bogus\" at 'bucket': Cannot find field.");
    // A *Request body has no name of its own in messages.
    let sa = d().find("POST", "/v1/projects/p/serviceAccounts").unwrap();
    let v = bad(&sa, &[], Some(json!({"accountId": "a", "serviceAccount": {"display_name": "x"}})));
    has(&v, "body.serviceAccount.display_name", "Unknown name \"display_name\" at 'serviceAccount': Cannot find field.");
    let v = bad(&sa, &[], Some(json!({"account_id": "a"})));
    has(&v, "body.account_id", "Unknown name \"account_id\": Cannot find field.");
}

#[test]
fn discovery_rejects_wrong_types() {
    let m = d().find("POST", "/storage/v1/b").unwrap();
    let v = bad(&m, &[("project", "p")], Some(json!({"name": "b", "versioning": {"enabled": "yes"}})));
    has(&v, "body.versioning.enabled", "Invalid value at 'bucket.versioning.enabled' (TYPE_BOOL), \"yes\"");
    let v = bad(&m, &[("project", "p")], Some(json!({"name": "b", "versioning": true})));
    has(&v, "body.versioning", "Invalid value at 'bucket.versioning'");
    let v = bad(&m, &[("project", "p")], Some(json!({"name": "b", "labels": {"a": 1}})));
    has(&v, "body.labels.a", "(TYPE_STRING), 1");
    let v = bad(&m, &[("project", "p")], Some(json!({"name": ["b"]})));
    has(&v, "body.name", "Proto field is not repeating, cannot start list.");
    let v = bad(&m, &[("project", "p")], Some(json!({"name": "b", "lifecycle": {"rule": {"action": {}}}})));
    has(&v, "body.lifecycle.rule", "Invalid value at 'bucket.lifecycle.rule'");
    let v = bad(&m, &[("project", "p")], Some(json!({"name": "b", "lifecycle": {"rule": [{"condition": {"age": 1.5}}]}})));
    has(&v, "body.lifecycle.rule[0].condition.age", "(TYPE_INT32), 1.5");
    let v = bad(&m, &[("project", "p")], Some(json!({"name": "b", "retentionPolicy": {"retentionPeriod": "ten"}})));
    has(&v, "body.retentionPolicy.retentionPeriod", "(TYPE_INT64), \"ten\"");
    let v = bad(&m, &[("project", "p")], Some(json!([1, 2])));
    has(&v, "body", "Invalid value at 'bucket'");
    let secret = d().find("POST", "/v1/projects/p/secrets").unwrap();
    let v = bad(&secret, &[("secretId", "s")], Some(json!({"replication": {"automatic": {}}, "ttl": "86400"})));
    has(&v, "body.ttl", "google.protobuf.Duration");
    let v = bad(&secret, &[("secretId", "s")], Some(json!({"replication": "automatic"})));
    has(&v, "body.replication", "Invalid value at 'secret.replication' (type.googleapis.com/Replication), \"automatic\"");
    let bs = d().find("POST", "/compute/v1/projects/p/global/backendServices").unwrap();
    let v = bad(&bs, &[], Some(json!({"name": "x", "backends": [{"group": "g"}, {"capacityScaler": "lots"}]})));
    has(&v, "body.backends[1].capacityScaler", "(TYPE_FLOAT)");
}

#[test]
fn discovery_rejects_bad_enums() {
    let ar = d().find("POST", "/v1/projects/p/locations/us/repositories").unwrap();
    let v = bad(
        &ar,
        &[("repositoryId", "r")],
        Some(json!({"format": "DOCKER", "cleanupPolicies": {"x": {"action": "DELETE", "condition": {"tagState": "SOMETIMES"}}}})),
    );
    has(&v, "body.cleanupPolicies.x.condition.tagState", "Invalid value at 'repository.cleanupPolicies.x.condition.tagState' (TYPE_ENUM), \"SOMETIMES\"");
    let v = bad(&ar, &[("repositoryId", "r")], Some(json!({"format": "docker"})));
    has(&v, "body.format", "(TYPE_ENUM)");
    let bs = d().find("POST", "/compute/v1/projects/p/global/backendServices").unwrap();
    let v = bad(&bs, &[], Some(json!({"name": "x", "protocol": "GOPHER"})));
    has(&v, "body.protocol", "TYPE_ENUM");
}

#[test]
fn discovery_rejects_bad_query_parameters() {
    let m = d().find("POST", "/storage/v1/b").unwrap();
    let v = bad(&m, &[("project", "p"), ("projection", "everything")], None);
    has(&v, "query.projection", "Invalid value at 'projection' (TYPE_ENUM), \"everything\"");
    let v = bad(&m, &[("project", "p"), ("colour", "red")], None);
    has(&v, "query.colour", "Unknown name \"colour\": Cannot bind query parameter.");
    let v = bad(&m, &[("predefinedAcl", "private")], None);
    has(&v, "query.project", "Required parameter: project");
    let v = bad(&m, &[("project", "p"), ("enableObjectRetention", "maybe")], None);
    has(&v, "query.enableObjectRetention", "TYPE_BOOL");
    let v = bad(&m, &[("project", "p"), ("prettyPrint", "sure")], None);
    has(&v, "query.prettyPrint", "TYPE_BOOL");
    let list = d().find("GET", "/storage/v1/b").unwrap();
    ok(&list, &[("project", "p"), ("maxResults", "10"), ("pageToken", "abc")], None);
    let v = bad(&list, &[("project", "p"), ("maxResults", "-1")], None);
    has(&v, "query.maxResults", "TYPE_UINT32");
    let v = bad(&list, &[("project", "p"), ("maxResults", "ten")], None);
    has(&v, "query.maxResults", "TYPE_UINT32");
    // A path parameter is not a query parameter.
    let get = d().find("GET", "/storage/v1/b/x").unwrap();
    let v = bad(&get, &[("bucket", "y")], None);
    has(&v, "query.bucket", "Cannot bind query parameter");
    // Standard parameters are always accepted.
    ok(&get, &[("fields", "name"), ("quotaUser", "u"), ("userIp", "1.2.3.4"), ("key", "k"), ("callback", "c")], None);
    let secret = d().find("GET", "/v1/projects/p/secrets/s").unwrap();
    ok(&secret, &[("access_token", "t"), ("oauth_token", "t"), ("upload_protocol", "raw"), ("uploadType", "media")], None);
}

#[test]
fn discovery_required_body_fields_and_bodiless_methods() {
    let m = d().find("POST", "/storage/v1/b").unwrap();
    let v = bad(&m, &[("project", "p")], Some(json!({"location": "EU"})));
    has(&v, "body.name", "Required field missing: 'bucket.name'.");
    let get = d().find("GET", "/storage/v1/b/x").unwrap();
    let v = bad(&get, &[], Some(json!({"name": "x"})));
    has(&v, "body", "does not take a request body");
    ok(&get, &[], Some(json!({})));
    ok(&get, &[], Some(Value::Null));
}

#[test]
fn discovery_bounds_deep_and_huge_bodies() {
    // A recursive schema (BigQuery's nested table fields) is checked to a
    // bounded depth.
    let tables = d().find("POST", "/bigquery/v2/projects/p/datasets/d/tables").unwrap();
    assert_eq!(tables.method_id, "bigquery.tables.insert");
    let nest = |n: usize| {
        let mut f = json!({"name": "leaf", "type": "STRING"});
        for _ in 0..n {
            f = json!({"name": "r", "type": "RECORD", "fields": [f]});
        }
        json!({"tableReference": {"projectId": "p", "datasetId": "d", "tableId": "t"}, "schema": {"fields": [f]}})
    };
    ok(&tables, &[], Some(nest(10)));
    let v = bad(&tables, &[], Some(nest(200)));
    assert_eq!(v.len(), 1, "{v:#?}");
    assert!(v[0].message.contains("Nesting deeper than"), "{v:#?}");
    assert!(v[0].location.starts_with("body.schema.fields[0].fields[0]"), "{v:#?}");
    // Unknown fields at every level of a recursive schema: bounded output.
    let m = d().find("POST", "/storage/v1/b").unwrap();
    let mut body = serde_json::Map::new();
    body.insert("name".into(), json!("b"));
    for i in 0..10_000 {
        body.insert(format!("f{i}"), json!(i));
    }
    let v = bad(&m, &[("project", "p")], Some(Value::Object(body)));
    assert_eq!(v.len(), MAX_VIOLATIONS);
    let huge = json!({"name": "b", "labels": {"k": "v".repeat(1_000_000)}});
    ok(&m, &[("project", "p")], Some(huge));
    let v = bad(&m, &[("project", "p")], Some(json!({"name": "b", "versioning": {"enabled": "y".repeat(100_000)}})));
    assert!(v[0].message.len() < 300, "{}", v[0].message.len());
}

#[test]
fn discovery_unknown_method_is_a_violation() {
    let m = MethodMatch { api: "storage".into(), method_id: "storage.nope".into(), path_params: BTreeMap::new() };
    assert!(d().validate(&m, &[], None).is_err());
    let m = MethodMatch { api: "nope".into(), method_id: "x".into(), path_params: BTreeMap::new() };
    assert!(d().validate(&m, &[], None).is_err());
}

#[test]
fn discovery_accessors() {
    let m = d().find("POST", "/v1/projects/p/secrets").unwrap();
    assert_eq!(d().request_schema(&m).and_then(|s| s.id.as_deref()), Some("Secret"));
    assert_eq!(d().response_schema(&m).and_then(|s| s.id.as_deref()), Some("Secret"));
    let method = d().method("secretmanager", "secretmanager.projects.secrets.create").unwrap();
    assert_eq!(method.http_method, "POST");
    let secret = d().schema("secretmanager", "Secret").unwrap();
    assert!(secret.properties["createTime"].is_output_only());
    assert!(!secret.properties["labels"].is_output_only());
    assert!(d().validate_value("secretmanager", "Secret", &json!({"name": "projects/p/secrets/s"}), None).is_ok());
    assert!(d().validate_value("secretmanager", "Secret", &json!({"nmae": "x"}), None).is_err());
}

#[test]
fn discovery_value_helpers() {
    assert!(valid_duration("3.5s") && valid_duration("-1s") && valid_duration("0.000000001s"));
    assert!(!valid_duration("3") && !valid_duration("s") && !valid_duration("1.s") && !valid_duration("1m"));
    assert!(valid_datetime("2024-01-31T12:00:00Z") && valid_datetime("2024-01-31T12:00:00.123456+01:00"));
    assert!(!valid_datetime("2024-01-31") && !valid_datetime("2024-01-31T12:00Z") && !valid_datetime("2024-13-31T12:00:00Z"));
    assert!(valid_date("2024-02-29") && !valid_date("2024-2-29") && !valid_date("2024-02-2\u{e9}"));
    assert_eq!(percent_decode(b"a%2Fb%"), "a/b%");
    assert_eq!(percent_decode(b"%e2%82%ac"), "\u{20ac}");
    assert_eq!(host_of("https://storage.googleapis.com/"), "storage.googleapis.com");
    assert_eq!(host_of("redis.googleapis.com:443"), "redis.googleapis.com");
}

#[test]
fn discovery_every_method_routes_to_itself() {
    // Every method's flat path, filled with sample values, routes back to
    // that method within its API.
    let mut checked = 0;
    for id in d().api_ids() {
        let api = d().api(id).unwrap();
        for r in &api.routes {
            let path: String = r
                .tmpl
                .0
                .iter()
                .map(|t| match t {
                    Tok::Lit(l) => l.clone(),
                    Tok::Var { plus: false, .. } => "v-1".into(),
                    Tok::Var { plus: true, .. } => "projects/p-1/locations/l-1".into(),
                })
                .collect();
            let m = d()
                .find_for_api(id, &r.http_method, &format!("/{path}"))
                .unwrap_or_else(|| panic!("{id}: {} {path} does not route", r.http_method));
            assert_eq!(m.method_id, r.method_id, "{id}: {} {path}", r.http_method);
            checked += 1;
        }
    }
    assert!(checked > 1700, "{checked}");
}
