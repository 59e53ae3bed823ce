#!/usr/bin/env bash
# The project's one test command (README, .ci/run). It sets up everything the
# tests need on a fresh machine, then runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

# Terraform is the reference for fmt and language semantics; tests that need
# it skip themselves with a note when it is missing.
if ! command -v terraform >/dev/null 2>&1; then
  echo "note: terraform not found; Terraform comparison tests will be skipped" >&2
fi

cargo build --locked --workspace --all-targets
cargo test --locked --workspace --no-fail-fast
