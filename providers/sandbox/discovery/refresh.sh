#!/bin/sh
# Refreshes the embedded Discovery documents, minified (no whitespace).
#
#   ./refresh.sh DIR   copy from a directory of Discovery documents, e.g.
#                      google-api-python-client's
#                      googleapiclient/discovery_cache/documents/
#   ./refresh.sh       download the current documents from Google's
#                      Discovery service (needs curl)
#
# Needs python3 (for minifying: key order and values are kept as they are).
# After refreshing, run `cargo test -p cairn-sandbox discovery` and update
# the source and revision table in README.md.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
docs="storage.v1 iam.v1 cloudresourcemanager.v1 cloudresourcemanager.v3
serviceusage.v1 secretmanager.v1 artifactregistry.v1 sqladmin.v1beta4 redis.v1
bigquery.v2 run.v2 compute.v1"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for doc in $docs; do
    name=${doc%%.*}
    version=${doc#*.}
    if [ $# -ge 1 ]; then
        cp "$1/$doc.json" "$tmp/$doc.json"
    else
        curl -fsSL "https://www.googleapis.com/discovery/v1/apis/$name/$version/rest" -o "$tmp/$doc.json"
    fi
    python3 - "$tmp/$doc.json" "$here/$doc.json" <<'PY'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    doc = json.load(f)
with open(sys.argv[2], "w", encoding="utf-8") as f:
    json.dump(doc, f, separators=(",", ":"), ensure_ascii=False)
PY
    printf '%-28s revision %s\n' "$doc.json" \
        "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("revision"))' "$here/$doc.json")"
done
