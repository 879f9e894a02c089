#!/usr/bin/env bash
# Builds the Chrome extension: dist/extension/ (load it unpacked) and dist/twinkey-extension.zip.
#
#   scripts/build-extension.sh [--src DIR] [--out DIR]
#
# --src is a tree holding manifest.json and extension/ (default: the repository); --out the extension directory
# (default dist/extension; the zip is written next to it, as OUT.zip, unless OUT is the default). The Go programs
# always come from the repository.
#
#   OUT/manifest.json     manifest.json, copied once every file it references exists (scripts/extdist)
#   OUT/sw/*.js           the service worker (extension/sw)
#   OUT/sw/build/         app.wasm (wasm/sw) and syumai/workers' generated glue; runtime.mjs fetches
#                         ./build/app.wasm relative to sw/sw.js
#   OUT/consent/          the consent prompt (extension/consent)
#   OUT/content/          page script and relay (extension/content)
#   OUT/ui/               extension pages: scripts/build-ui.sh (ui.wasm, wasm_exec.js) and extension/ui's files
#   OUT/icons/            extension/icons/*.png
#
# Any file that the manifest, a page (src=, href=) or a module (static import) references and the build does not
# produce fails the build, naming the file: first before the wasm builds (the generated files announced with
# -will-build), then on the finished tree.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

src=.
out=dist/extension
zip=dist/twinkey-extension.zip
while [ $# -gt 0 ]; do
  case "$1" in
    --src) src=$2; shift 2 ;;
    --out) out=$2; zip="$2.zip"; shift 2 ;;
    *) echo "usage: scripts/build-extension.sh [--src DIR] [--out DIR]" >&2; exit 2 ;;
  esac
done
ext="$src/extension"

rm -rf "$out" "$zip"
mkdir -p "$out/sw/build" "$out/consent" "$out/content" "$out/icons" "$out/ui"

cp "$ext"/sw/*.js "$out/sw/"
cp "$ext"/consent/*.html "$ext"/consent/*.js "$ext"/consent/*.css "$out/consent/"
cp "$ext"/content/*.js "$out/content/"
cp "$ext"/icons/*.png "$out/icons/"
cp "$ext"/ui/*.html "$ext"/ui/*.css "$ext"/ui/*.js "$out/ui/"

generated=sw/build/app.wasm,sw/build/wasm_exec.js,sw/build/runtime.mjs,sw/build/worker.mjs,ui/ui.wasm,ui/wasm_exec.js
echo "== extension: referenced files (scripts/extdist check)"
go run ./scripts/extdist check -src "$src/manifest.json" -root "$out" -will-build "$generated"

echo "== wasm/sw (GOOS=js GOARCH=wasm)"
GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o "$out/sw/build/app.wasm" ./wasm/sw

# syumai/workers' glue, used as generated; extension/sw/bridge-host.js adapts it to one long-lived instance.
glue=$(mktemp -d)
trap 'rm -rf "$glue"' EXIT
go run github.com/syumai/workers/cmd/workers-assets-gen -mode go -runtime browser -o "$glue/build"
cp "$glue/build/wasm_exec.js" "$glue/build/runtime.mjs" "$glue/build/worker.mjs" "$out/sw/build/"

echo "== extension pages (scripts/build-ui.sh)"
scripts/build-ui.sh "$out/ui" "$ext/ui"

go run ./scripts/extdist manifest -src "$src/manifest.json" -root "$out"

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
echo "extension: $out ($(cat "$ext/EXTENSION_ID")), $zip"
echo "app.wasm: $wasm_bytes bytes, $wasm_gzip bytes gzip -9 (target <= 1677721)"
