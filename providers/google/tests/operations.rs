//! Status-style operations (Compute, Cloud SQL) polled through their
//! `selfLink` against a scripted loopback server: RUNNING, then DONE.

use cairn_google::client::{Client, Error};
use cairn_google::ProviderConfig;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Serves `answers` in order (the last one repeated) to GET requests.
async fn scripted(answers: Vec<serde_json::Value>) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let seen = hits.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let body = answers[n.min(answers.len() - 1)].to_string();
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(reply.as_bytes()).await;
        }
    });
    (format!("http://{addr}/"), hits)
}

fn client(base: &str) -> Client {
    Client::new(ProviderConfig { base_endpoint: Some(base.into()), project: Some("p".into()), ..Default::default() })
}

#[tokio::test]
async fn polls_until_done() {
    let link = "compute/v1/projects/p/global/operations/op-1";
    let (base, hits) = scripted(vec![
        json!({"name": "op-1", "status": "RUNNING", "selfLink": link}),
        json!({"name": "op-1", "status": "DONE", "selfLink": link, "targetLink": "t"}),
    ])
    .await;
    let c = client(&base);
    let start = json!({"kind": "compute#operation", "name": "op-1", "status": "PENDING", "selfLink": format!("{base}{link}")});
    let done = c.wait_status_operation("compute", start, Duration::from_secs(30)).await.unwrap();
    assert_eq!(done["status"], "DONE");
    assert_eq!(hits.load(Ordering::SeqCst), 2, "one poll while RUNNING, one that saw DONE");
}

#[tokio::test]
async fn an_error_inside_becomes_an_api_error() {
    let (base, _) = scripted(vec![json!({
        "kind": "sql#operation", "name": "op-2", "status": "DONE", "operationType": "CREATE",
        "error": {"kind": "sql#operationErrors", "errors": [{"code": "INTERNAL_ERROR", "message": "boom"}]}
    })])
    .await;
    let c = client(&base);
    let start = json!({"name": "op-2", "status": "RUNNING", "selfLink": format!("{base}sql/v1beta4/projects/p/operations/op-2")});
    let err = c.wait_status_operation("sqladmin", start, Duration::from_secs(30)).await.unwrap_err();
    assert!(matches!(&err, Error::Api { reason, .. } if reason == "INTERNAL_ERROR"), "{err:?}");
    assert!(err.to_string().contains("op-2") && err.to_string().contains("CREATE"), "{err}");
}

#[tokio::test]
async fn gives_up_at_the_timeout() {
    let (base, _) = scripted(vec![json!({"name": "op-3", "status": "RUNNING", "selfLink": "x"})]).await;
    let c = client(&base);
    let start = json!({"name": "op-3", "status": "RUNNING", "selfLink": format!("{base}x")});
    let err = c.wait_status_operation("compute", start, Duration::from_millis(900)).await.unwrap_err();
    assert!(matches!(&err, Error::Timeout(m) if m.contains("op-3")), "{err:?}");
}
