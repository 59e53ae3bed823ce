//! `cairn sandbox serve|list|reset`: the emulator of Google's APIs
//! (`cairn-sandbox`) as a command.

use std::path::Path;
use std::time::Duration;

use super::args::SandboxCommand;
use super::Output;

pub fn run(dir: &Path, cmd: &SandboxCommand, out: &Output) -> i32 {
    match cmd {
        SandboxCommand::Serve { addr, data, op_latency_ms, error_rate, fault_retry_after_s, consistency_delay_ms, request_log } => {
            let addr: std::net::SocketAddr = match addr.parse() {
                Ok(a) => a,
                Err(e) => {
                    out.error(&format!("invalid --addr {addr:?}: {e}; use HOST:PORT like 127.0.0.1:8765"));
                    return 1;
                }
            };
            if !addr.ip().is_loopback() {
                out.error("the sandbox serves loopback addresses only (127.0.0.1 or [::1])");
                return 1;
            }
            if !(0.0..=1.0).contains(error_rate) {
                out.error("--error-rate is a fraction between 0 and 1");
                return 1;
            }
            let mut config = cairn_sandbox::Config::new(dir.join(data));
            config.op_latency = Duration::from_millis(*op_latency_ms);
            config.error_rate = *error_rate;
            config.fault_retry_after_secs = *fault_retry_after_s;
            config.consistency_delay = Duration::from_millis(*consistency_delay_ms);
            config.request_log = request_log.as_ref().map(|f| dir.join(f));
            let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    out.error(&format!("failed to start the runtime: {e}"));
                    return 1;
                }
            };
            rt.block_on(async {
                match cairn_sandbox::serve(config, addr).await {
                    Ok(handle) => {
                        outln!("cairn sandbox listening on http://{}", handle.addr);
                        outln!("data in {}; Ctrl-C stops it", dir.join(data).display());
                        let _ = tokio::signal::ctrl_c().await;
                        handle.shutdown_and_wait().await;
                        0
                    }
                    Err(e) => {
                        out.error(&format!("failed to listen on {addr}: {e}"));
                        1
                    }
                }
            })
        }
        SandboxCommand::List { data, json } => {
            let items = cairn_sandbox::list(&dir.join(data));
            if *json {
                let v: Vec<serde_json::Value> = items.iter().map(|(t, n)| serde_json::json!({"type": t, "name": n})).collect();
                outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                for (t, n) in items {
                    outln!("{t} {n}");
                }
            }
            0
        }
        SandboxCommand::Reset { data } => match cairn_sandbox::reset(&dir.join(data)) {
            Ok(()) => {
                out.success("The sandbox is empty.");
                0
            }
            Err(e) => {
                out.error(&format!("failed to reset {}: {e}", dir.join(data).display()));
                1
            }
        },
    }
}
