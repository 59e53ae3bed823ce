#!/usr/bin/env bash
# The project's one test command (README, .ci/run). It sets up everything the
# tests need on a fresh machine, then runs the whole suite and closes with a
# one-line total.
set -uo pipefail
cd "$(dirname "$0")/.."

# Terraform is the reference for fmt and language semantics; tests that need
# it skip themselves with a note when it is missing.
if ! command -v terraform >/dev/null 2>&1; then
  echo "note: terraform not found; Terraform comparison tests will be skipped" >&2
fi

set -e
cargo build --locked --workspace --all-targets
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
cargo test --locked --workspace --no-fail-fast 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

passed=$(grep -E '^test result:' "$log" | sed -E 's/.* ([0-9]+) passed.*/\1/' | awk '{s+=$1} END {print s+0}')
failed=$(grep -E '^test result:' "$log" | sed -E 's/.* ([0-9]+) failed.*/\1/' | awk '{s+=$1} END {print s+0}')
echo
echo "cairn: ${passed} passed, ${failed} failed"
exit "$status"
