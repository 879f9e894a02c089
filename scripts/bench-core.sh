#!/usr/bin/env bash
# Core benchmarks natively and in WebAssembly under Node (go_js_wasm_exec), in one run, for BENCHMARKS.md.
# Prints benchmark lines; compare each figure with BenchmarkReferenceECDSASign from the same run and platform.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${BENCH_COUNT:-5}
pkgs=(./core ./core/vault)
echo "== native ($(go env GOARCH))"
go test -run '^$' -bench 'Reference|Register|Sign$|VerifyHandle|KDFDefault|OpenWithKey' -benchtime 1s -count "$count" "${pkgs[@]}" | grep -E '^Benchmark'
echo "== wasm under node $(node --version)"
GOOS=js GOARCH=wasm go test -exec "$(go env GOROOT)/lib/wasm/go_js_wasm_exec" -run '^$' \
  -bench 'Reference|Register|Sign$|VerifyHandle|KDFDefault|OpenWithKey' -benchtime 1s -count "$count" "${pkgs[@]}" | grep -E '^Benchmark'
