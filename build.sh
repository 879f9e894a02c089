#!/usr/bin/env bash
# The one entry point for building and checking Twinkey. CI runs `./build.sh test` (see .ci/run).
#   ./build.sh            build everything there is (Go packages, wasm, dist/extension, native host)
#   ./build.sh test       every check: gofmt, go vet, staticcheck, go test -race, wasm builds, e2e (Playwright)
#   ./build.sh demo       run the main job (see README.md)
#   ./build.sh bench      benchmarks behind BENCHMARKS.md
#   ./build.sh fuzz [D]   every fuzz target in the repository, one after the other, for D each (default 60s)
#   ./build.sh setup [--dry-run]   install what `test` and `demo` need (both run it first); --dry-run prints the plan
#
# What setup checks, and the variables that point the checks elsewhere (tests of the setup logic use them):
#   CHROMIUM      Debian's chromium, executable (default /usr/bin/chromium)      -> apt-get install chromium
#   PYTHON3       a python3 that imports fido2.ctap2 (default /usr/bin/python3)  -> apt-get install python3-fido2
#   E2E_MODULES   e2e's npm packages (default e2e/node_modules)                  -> (cd e2e && npm ci)
#   SETUP_UID     the user id that decides whether apt-get may run (default: id -u)
set -euo pipefail
cd "$(dirname "$0")"
root=$PWD
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

# staticcheck, pinned: a version the Go module proxy serves that knows Go 1.26, installed into build/bin (ignored).
staticcheck_version=v0.8.0 # staticcheck 2026.2
staticcheck_bin=$root/build/bin/staticcheck

install_staticcheck() {
  if [ -x "$staticcheck_bin" ] && "$staticcheck_bin" -version 2>/dev/null | grep -qF "(${staticcheck_version#v})"; then
    return 0
  fi
  echo "== installing staticcheck $staticcheck_version into build/bin"
  GOBIN="$root/build/bin" go install "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version"
}

# run_staticcheck checks every package for this machine, and the packages that also build for the browser
# (GOOS=js GOARCH=wasm) in that configuration, with staticcheck's default checks.
run_staticcheck() {
  install_staticcheck
  "$staticcheck_bin" ./...
  GOOS=js GOARCH=wasm "$staticcheck_bin" ./core/... ./wasm/...
}

build_go() {
  go build ./...
  # The core must always compile for the browser.
  GOOS=js GOARCH=wasm go build ./core/...
}

check_fmt() {
  local bad
  bad=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*'))
  if [ -n "$bad" ]; then echo "gofmt would change:"; echo "$bad"; exit 1; fi
}

# build_host cross-builds the native host (pure Go) for every supported platform into dist/host/OS-ARCH/.
build_host() {
  local os arch ext
  for os in linux darwin windows; do
    for arch in amd64 arm64; do
      ext=""; [ "$os" = windows ] && ext=".exe"
      CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -ldflags='-s -w' \
        -o "dist/host/$os-$arch/twinkey-host$ext" ./cmd/twinkey-host
    done
  done
  echo "native host: dist/host/{linux,darwin,windows}-{amd64,arm64}/"
}

# check_release_host proves that a release build of the native host links no simulated key: no virtual-fido
# module in its build info, no nativehost/simkey package in its dependencies or symbols.
check_release_host() {
  local tmp; tmp=$(mktemp -d)
  CGO_ENABLED=0 go build -trimpath -o "$tmp/twinkey-host" ./cmd/twinkey-host
  if go version -m "$tmp/twinkey-host" | grep -i 'virtual-fido'; then
    echo "release twinkey-host links virtual-fido"; rm -rf "$tmp"; exit 1
  fi
  if go list -deps ./cmd/twinkey-host | grep -E 'nativehost/simkey|virtual-fido' ||
     go tool nm "$tmp/twinkey-host" | grep -E 'nativehost/simkey|bulwarkid/virtual-fido' | head -3 | grep .; then
    echo "release twinkey-host links a simulated key package"; rm -rf "$tmp"; exit 1
  fi
  rm -rf "$tmp"
  echo "release twinkey-host: no virtual-fido, no simkey"
}

# cmd_fuzz runs every Fuzz* target of every package for the given time each, one at a time (the fuzzer uses all
# cores), and prints each target's executions at the end. Minimising a new input is capped at 5 s so that the
# time goes to fuzzing.
cmd_fuzz() {
  local d="${1:-60s}" file pkg name log summary="" failed=""
  while IFS= read -r file; do
    pkg="./$(dirname "$file")"
    for name in $(grep -oE '^func Fuzz[A-Za-z0-9_]+' "$file" | sed 's/^func //'); do
      echo "== fuzz $pkg $name ($d)"
      log=$(mktemp)
      if go test -run '^$' -fuzz "^$name\$" -fuzztime "$d" -fuzzminimizetime 5s "$pkg" 2>&1 | tee "$log"; then
        summary+="$pkg $name: $(grep -oE 'execs: [0-9]+' "$log" | tail -1)"$'\n'
      else
        failed+="$pkg $name"$'\n'
      fi
      rm -f "$log"
    done
  done < <(git ls-files '*_test.go' | xargs grep -l '^func Fuzz' | sort)
  echo "== fuzz summary ($d each)"; printf '%s' "$summary"
  if [ -n "$failed" ]; then echo "== fuzz targets with a finding:"; printf '%s' "$failed"; exit 1; fi
}

cmd_build() {
  build_go
  scripts/build-extension.sh
  build_host
}

# setup NEED... [--dry-run] installs what the named needs lack, in one step shared by `test` and `demo`:
# Debian packages as root (one apt-get update, then one apt-get install), then `npm ci` in e2e/ (as the caller:
# node_modules should belong to whoever builds). Without root it installs nothing and stops, before any build,
# with the exact command to run. NEED is chromium, python3-fido2 or node_modules. With --dry-run it prints what
# it would do (every command on a line starting with "setup: would run:") and changes nothing.
setup() {
  local dry=0 need pkgs=() npm=0
  local chromium=${CHROMIUM:-/usr/bin/chromium} python=${PYTHON3:-/usr/bin/python3}
  local modules=${E2E_MODULES:-$root/e2e/node_modules} uid=${SETUP_UID:-$(id -u)}
  for need in "$@"; do
    case "$need" in
      --dry-run) dry=1 ;;
      chromium) [ -x "$chromium" ] || pkgs+=(chromium) ;;
      python3-fido2) "$python" -c 'import fido2.ctap2' >/dev/null 2>&1 || pkgs+=(python3-fido2) ;;
      node_modules) [ -d "$modules/@playwright/test" ] || npm=1 ;;
      *) echo "setup: unknown need $need" >&2; exit 2 ;;
    esac
  done
  if [ ${#pkgs[@]} -eq 0 ] && [ $npm -eq 0 ]; then
    echo "setup: nothing missing"
    return 0
  fi
  local apt_update="apt-get update -qq"
  local apt_install="apt-get install -y -qq -o DPkg::Lock::Timeout=300 ${pkgs[*]}"
  if [ ${#pkgs[@]} -gt 0 ] && [ "$uid" != 0 ]; then
    echo "setup: missing Debian packages: ${pkgs[*]}. Install them as root, then run this again:" >&2
    echo "  sudo sh -c 'apt-get update && apt-get install -y ${pkgs[*]}'" >&2
    [ $dry -eq 1 ] && return 0
    exit 1
  fi
  if [ ${#pkgs[@]} -gt 0 ] && [ $dry -eq 0 ] && ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: missing ${pkgs[*]}, and this machine has no apt-get: install them with its package manager" >&2
    exit 1
  fi
  if [ ${#pkgs[@]} -gt 0 ]; then
    if [ $dry -eq 1 ]; then
      echo "setup: would run: $apt_update"
      echo "setup: would run: $apt_install"
    else
      echo "== setup: $apt_install"
      DEBIAN_FRONTEND=noninteractive $apt_update
      DEBIAN_FRONTEND=noninteractive $apt_install >/dev/null
    fi
  fi
  if [ $npm -eq 1 ]; then
    if [ $dry -eq 1 ]; then
      echo "setup: would run: (cd e2e && npm ci --no-audit --no-fund)"
    else
      echo "== setup: (cd e2e && npm ci)"
      (cd "$root/e2e" && npm ci --no-audit --no-fund)
    fi
  fi
}

# check_setup_plan runs `setup --dry-run` against fake paths (nothing installed, everything installed, not root)
# and checks the commands it plans: the setup logic is tested without removing packages from the machine.
check_setup_plan() {
  local fake out
  fake=$(mktemp -d)
  mkdir -p "$fake/bin" "$fake/node_modules/@playwright/test"
  printf '#!/bin/sh\nexit 0\n' >"$fake/bin/chromium"
  printf '#!/bin/sh\nexit 0\n' >"$fake/bin/python3"
  chmod +x "$fake/bin/chromium" "$fake/bin/python3"
  expect() { # expect WHAT OUTPUT LINE...
    local what=$1 got=$2 line; shift 2
    for line in "$@"; do
      if ! grep -qxF -- "$line" <<<"$got"; then
        echo "setup plan ($what): missing line: $line"; echo "got:"; echo "$got"; rm -rf "$fake"; exit 1
      fi
    done
  }
  out=$(CHROMIUM="$fake/none" PYTHON3="$fake/none" E2E_MODULES="$fake/none" SETUP_UID=0 cmd_setup --dry-run 2>&1)
  expect "nothing installed, root" "$out" \
    "setup: would run: apt-get update -qq" \
    "setup: would run: apt-get install -y -qq -o DPkg::Lock::Timeout=300 chromium python3-fido2" \
    "setup: would run: (cd e2e && npm ci --no-audit --no-fund)"
  out=$(CHROMIUM="$fake/bin/chromium" PYTHON3="$fake/none" E2E_MODULES="$fake/node_modules" SETUP_UID=0 cmd_setup --dry-run 2>&1)
  expect "python3-fido2 missing" "$out" "setup: would run: apt-get install -y -qq -o DPkg::Lock::Timeout=300 python3-fido2"
  if grep -q 'npm ci' <<<"$out"; then echo "setup plan: npm ci planned although node_modules exists"; exit 1; fi
  out=$(CHROMIUM="$fake/bin/chromium" PYTHON3="$fake/bin/python3" E2E_MODULES="$fake/node_modules" SETUP_UID=0 cmd_setup --dry-run 2>&1)
  expect "everything installed" "$out" "setup: nothing missing"
  out=$(CHROMIUM="$fake/none" PYTHON3="$fake/bin/python3" E2E_MODULES="$fake/none" SETUP_UID=1000 cmd_setup --dry-run 2>&1)
  expect "not root" "$out" "  sudo sh -c 'apt-get update && apt-get install -y chromium'"
  if grep -q 'would run' <<<"$out"; then echo "setup plan: runs commands without root"; exit 1; fi
  rm -rf "$fake"
  echo "setup plan: ok (nothing installed, one package missing, everything installed, not root)"
}

# check_extension_strict builds the extension from a copy of its sources without content/main-world.js and
# expects the build to fail naming that file (it stops before the wasm builds, so this takes seconds).
check_extension_strict() {
  local tmp out
  tmp=$(mktemp -d)
  mkdir -p "$tmp/src"
  cp manifest.json "$tmp/src/"
  cp -r extension "$tmp/src/"
  rm "$tmp/src/extension/content/main-world.js"
  if out=$(scripts/build-extension.sh --src "$tmp/src" --out "$tmp/out" 2>&1); then
    echo "extension build succeeded without content/main-world.js"; rm -rf "$tmp"; exit 1
  fi
  rm -rf "$tmp"
  if ! grep -q 'content/main-world.js (referenced by manifest.json' <<<"$out"; then
    echo "extension build failed without naming content/main-world.js:"; echo "$out"; exit 1
  fi
  echo "extension build without content/main-world.js: fails, naming it"
}

cmd_setup() {
  local dry=()
  [ "${1:-}" = "--dry-run" ] && dry=(--dry-run)
  setup chromium python3-fido2 node_modules "${dry[@]}"
}

cmd_test() {
  setup chromium python3-fido2 node_modules
  echo "== setup plan"; check_setup_plan
  echo "== gofmt"; check_fmt
  echo "== go vet"; go vet ./...
  echo "== staticcheck $staticcheck_version"; run_staticcheck
  echo "== release native host"; check_release_host
  echo "== wasm build of the core, vet of the wasm entry points"
  GOOS=js GOARCH=wasm go build ./core/...
  GOOS=js GOARCH=wasm go vet ./wasm/...
  echo "== go test -race"; go test -race -count=1 ./...
  echo "== extension build fails on a missing file"; check_extension_strict
  echo "== js/wasm tests under Node"
  GOOS=js GOARCH=wasm go test -count=1 -exec "$(go env GOROOT)/lib/wasm/go_js_wasm_exec" ./wasm/ui/... ./core/keys ./core/webauthn
  if [ -f e2e/package.json ]; then
    echo "== e2e"; scripts/e2e.sh
  fi
}

# demo: the RP and a Chromium with Twinkey (headed where a display exists; --headless runs a scripted tour with
# screenshots in dist/demo/); --native runs the Go walk-through without a browser.
cmd_demo() {
  if [ "${1:-}" = "--native" ]; then go run ./cmd/twinkey-demo; return; fi
  setup chromium node_modules
  scripts/build-extension.sh
  go build -o e2e/.bin/rp ./e2e/rp
  go build -tags twinkeytest -o e2e/.bin/twinkey-host ./cmd/twinkey-host # the tour's USB chapter (simulated key)
  TWINKEY_RP_BIN="$root/e2e/.bin/rp" node e2e/demo/tour.js "$@"
}

cmd_bench() {
  scripts/bench-core.sh "$@"
  go test -run '^$' -bench . ./nativehost/...
}

case "${1:-build}" in
  build) shift || true; cmd_build "$@" ;;
  test) shift; cmd_test "$@" ;;
  demo) shift; cmd_demo "$@" ;;
  bench) shift; cmd_bench "$@" ;;
  setup) shift; cmd_setup "$@" ;;
  fuzz) shift; cmd_fuzz "$@" ;;
  *) echo "usage: ./build.sh [build|test|demo|bench|setup [--dry-run]|fuzz [duration]]" >&2; exit 2 ;;
esac
