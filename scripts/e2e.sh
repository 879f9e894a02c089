#!/usr/bin/env bash
# Runs Twinkey's end-to-end tests (Playwright + Debian's Chromium). Arguments go to `playwright test`, e.g.
#   scripts/e2e.sh tests/rp-virtual-authenticator.spec.js -g clone
# It builds what the run needs: the extension (scripts/build-extension.sh) and the test RP (e2e/.bin/rp).
# Needs e2e/node_modules and Chromium: `./build.sh setup` installs both (`./build.sh test` runs it first).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

if [ ! -d e2e/node_modules/@playwright/test ]; then
  echo "e2e: e2e/node_modules is missing: run (cd e2e && npm ci)" >&2
  exit 1
fi
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "e2e: ${CHROMIUM:-/usr/bin/chromium} is missing: apt-get install chromium" >&2
  exit 1
fi

echo "== e2e: building the extension"
scripts/build-extension.sh

echo "== e2e: building the test RP"
GOFLAGS="${GOFLAGS:-} -buildvcs=false" go build -o e2e/.bin/rp ./e2e/rp
export TWINKEY_RP_BIN="$root/e2e/.bin/rp"

cd e2e
exec npx --no-install playwright test "$@"
