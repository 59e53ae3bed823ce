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

# Third-party emulators of Google's APIs for tests/peers.rs, in a virtualenv
# under target/ (ignored by git) that later runs reuse as long as it holds
# the pinned version.
DRONGO_VERSION=0.8.0
peer_venv="$PWD/target/peer-venv"
if ! "$peer_venv/bin/drongo" --version 2>/dev/null | grep -qx "drongo $DRONGO_VERSION"; then
  echo "installing drongo $DRONGO_VERSION into $peer_venv" >&2
  mkdir -p "$PWD/target"
  rm -rf "$peer_venv"
  python3 -m venv "$peer_venv"
  "$peer_venv/bin/python" -m pip install --quiet --disable-pip-version-check "drongo==$DRONGO_VERSION"
fi
export CAIRN_DRONGO="$peer_venv/bin/drongo"

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
