#!/usr/bin/env bash
# The one entry point for building and checking Twinkey. CI runs `./build.sh test` (see .ci/run).
#   ./build.sh            build everything there is (Go packages, wasm, dist/extension, native host)
#   ./build.sh test       every check: gofmt, go vet, go test -race, wasm builds, e2e (Playwright)
#   ./build.sh demo       run the main job (see README.md)
#   ./build.sh bench      benchmarks behind BENCHMARKS.md
#   ./build.sh fuzz [D]   every fuzz target in the repository, one after the other, for D each (default 60s)
set -euo pipefail
cd "$(dirname "$0")"
root=$PWD
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

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

cmd_test() {
  echo "== gofmt"; check_fmt
  echo "== go vet"; go vet ./...
  echo "== release native host"; check_release_host
  echo "== wasm build of the core, vet of the wasm entry points"
  GOOS=js GOARCH=wasm go build ./core/...
  GOOS=js GOARCH=wasm go vet ./wasm/...
  echo "== go test -race"; go test -race -count=1 ./...
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
  scripts/build-extension.sh
  [ -d e2e/node_modules/@playwright/test ] || (cd e2e && npm ci --no-audit --no-fund)
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
  fuzz) shift; cmd_fuzz "$@" ;;
  *) echo "usage: ./build.sh [build|test|demo|bench|fuzz [duration]]" >&2; exit 2 ;;
esac
