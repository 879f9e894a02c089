#!/usr/bin/env bash
# Builds the extension pages into <outdir>: ui.wasm (wasm/ui, one program for every page), the HTML shells,
# ui.css, loader.js and Go's wasm_exec.js (matching the Go that built ui.wasm). Prints ui.wasm's gzip size.
#   scripts/build-ui.sh <outdir> [<pages dir>, default extension/ui]
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ]; then echo "usage: scripts/build-ui.sh <outdir> [<pages dir>]" >&2; exit 2; fi
root=$(cd "$(dirname "$0")/.." && pwd)
pages=$(cd "${2:-$root/extension/ui}" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)

(cd "$root" && GOOS=js GOARCH=wasm go build -buildvcs=false -trimpath -ldflags='-s -w' -o "$out/ui.wasm" ./wasm/ui)
cp "$pages"/*.html "$pages"/ui.css "$pages"/loader.js "$out/"
cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$out/wasm_exec.js"

raw=$(wc -c < "$out/ui.wasm")
gz=$(gzip -9c "$out/ui.wasm" | wc -c)
echo "ui.wasm: $raw bytes, $gz bytes gzip -9"
