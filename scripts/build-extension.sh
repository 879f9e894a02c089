#!/usr/bin/env bash
# Builds the Chrome extension: dist/extension/ (load it unpacked) and dist/twinkey-extension.zip.
#
#   dist/extension/manifest.json     manifest.json, minus references to parts not built (scripts/extdist)
#   dist/extension/sw/*.js           the service worker (extension/sw)
#   dist/extension/sw/build/         app.wasm (wasm/sw) and syumai/workers' generated glue; runtime.mjs fetches
#                                    ./build/app.wasm relative to sw/sw.js
#   dist/extension/consent/          the consent prompt (extension/consent)
#   dist/extension/content/          page script and relay (extension/content), when present
#   dist/extension/ui/               extension pages, via scripts/build-ui.sh <dir>, when that script exists
#   dist/extension/icons/            extension/icons/*.png
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

out=dist/extension
zip=dist/twinkey-extension.zip
rm -rf "$out" "$zip"
mkdir -p "$out/sw/build" "$out/consent" "$out/icons"

echo "== wasm/sw (GOOS=js GOARCH=wasm)"
GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o "$out/sw/build/app.wasm" ./wasm/sw

# syumai/workers' glue, used as generated; extension/sw/bridge-host.js adapts it to one long-lived instance.
glue=$(mktemp -d)
trap 'rm -rf "$glue"' EXIT
go run github.com/syumai/workers/cmd/workers-assets-gen -mode go -runtime browser -o "$glue/build"
cp "$glue/build/wasm_exec.js" "$glue/build/runtime.mjs" "$glue/build/worker.mjs" "$out/sw/build/"

cp extension/sw/*.js "$out/sw/"
cp extension/consent/*.html extension/consent/*.js extension/consent/*.css "$out/consent/"
cp extension/icons/*.png "$out/icons/"
if compgen -G 'extension/content/*.js' >/dev/null; then
  mkdir -p "$out/content"
  cp extension/content/*.js "$out/content/"
fi
if [ -x scripts/build-ui.sh ]; then
  echo "== extension pages (scripts/build-ui.sh)"
  scripts/build-ui.sh "$out/ui"
fi

go run ./scripts/extdist manifest -src manifest.json -root "$out"

# Chrome reserves names starting with "_" at the extension root and refuses to load unknown ones.
bad=$(find "$out" -name '_*' ! -name '_locales' -print)
if [ -n "$bad" ]; then
  echo "build-extension: names starting with '_' are reserved by Chrome:" >&2
  echo "$bad" >&2
  exit 1
fi

go run ./scripts/extdist zip -root "$out" -out "$zip"

wasm_bytes=$(wc -c <"$out/sw/build/app.wasm")
wasm_gzip=$(gzip -9c "$out/sw/build/app.wasm" | wc -c)
echo "extension: $out ($(cat extension/EXTENSION_ID)), $zip"
echo "app.wasm: $wasm_bytes bytes, $wasm_gzip bytes gzip -9 (target <= 1677721)"
