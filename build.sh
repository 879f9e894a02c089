#!/usr/bin/env bash
# The one entry point for building and checking Twinkey. CI runs `./build.sh test` (see .ci/run).
#   ./build.sh            build everything there is (Go packages, wasm, dist/extension, native host)
#   ./build.sh test       every check: gofmt, go vet, go test -race, wasm builds, e2e (Playwright)
#   ./build.sh demo       run the main job (see README.md)
#   ./build.sh bench      benchmarks behind BENCHMARKS.md
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

cmd_build() {
  build_go
  [ -x scripts/build-extension.sh ] && scripts/build-extension.sh || true
}

cmd_test() {
  echo "== gofmt"; check_fmt
  echo "== go vet"; go vet ./...
  echo "== wasm build of the core"; GOOS=js GOARCH=wasm go build ./core/...
  echo "== go test -race"; go test -race -count=1 ./...
  if [ -f e2e/package.json ]; then
    echo "== e2e"; scripts/e2e.sh
  fi
}

cmd_demo() {
  go run ./cmd/twinkey-demo "$@"
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
  *) echo "usage: ./build.sh [build|test|demo|bench]" >&2; exit 2 ;;
esac
