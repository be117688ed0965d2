#!/usr/bin/env bash
# test_bench_smoke.sh - every hetero-bench suite runs at a few small sizes
# (--quick) and writes its CSV with a header and rows. The numbers are not
# checked: benchmarks are not tests.
# Usage: test_bench_smoke.sh path/to/hetero-bench OUTDIR
set -eu
bench=$1
out=$2
rm -rf "$out"
mkdir -p "$out"
"$bench" --suite all --quick --out-dir "$out" >/dev/null
for k in fft2 autocorr sum rbf det mcpi vecadd; do
    f=$out/$k.csv
    head -1 "$f" | grep -q '^kernel,algo,device,threads,size' || {
        echo "FAIL: $f has no CSV header"; exit 1; }
    [ "$(wc -l <"$f")" -gt 2 ] || { echo "FAIL: $f has no rows"; exit 1; }
done
echo "bench smoke: 7 suites written"
