#!/usr/bin/env bash
# seed_bench.sh - the seed workloads of every kernel, serial vs pool (1 and
# 2 threads) vs the OpenCL device vs auto, side by side in one hetero-bench
# process per workload (medians of 11 runs after a warm-up), printed as a
# Markdown table with the pool/serial ratio.
# Usage: scripts/seed_bench.sh [build-dir]   (a Release build is best)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build-bench-rel}
bench=$build/bench/hetero-bench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# kernel | shape template | size | extra options
workloads=(
    "autocorr|1x100x100|30|--algo direct"
    "autocorr|1x100x100|30|--algo fft"
    "fft2|1x100x100|1|"
    "fft2|1x100x100|30|"
    "fft2|1x100x100|500|"
    "det|1x10x10|100000|"
    "rbf|1x3|3000|"
    "sum|1|100000000|"
    "mcpi||100000000|"
    "vecadd|1|10000000|"
)

echo "| kernel | workload | serial ms | cpu x1 ms | cpu x2 ms | gpu (OpenCL) ms | auto ms (choice) | serial / cpu x2 |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for w in "${workloads[@]}"; do
    IFS='|' read -r k shape size extra <<<"$w"
    args=(--kernel "$k" --sweep "$size" --devices serial,cpu,gpu,auto
          --threads 1,2 --repeat 11 --csv "$tmp/$k.csv")
    [ -n "$shape" ] && args+=(--shape "$shape")
    # shellcheck disable=SC2206
    [ -n "$extra" ] && args+=($extra)
    "$bench" "${args[@]}" >/dev/null 2>&1 || true
    python3 - "$tmp/$k.csv" "$k" "$shape" "$size" "$extra" <<'PY'
import csv, sys
path, k, shape, size, extra = sys.argv[1:6]
rows = list(csv.DictReader(open(path)))
def get(dev, thr=None):
    for r in rows:
        if r["device"] == dev and (thr is None or r["threads"] == thr):
            return r
    return None
def ms(r):
    return "%.3f" % (float(r["median_s"]) * 1e3) if r and r["median_s"] else "n/a"
s, c1, c2, g, a = get("serial"), get("cpu", "1"), get("cpu", "2"), get("gpu"), get("auto")
label = "%s x %s %s" % (size, shape if shape else "samples", extra)
ratio = "n/a"
if s and c2 and s["median_s"] and c2["median_s"]:
    ratio = "%.2f" % (float(s["median_s"]) / float(c2["median_s"]))
choice = ""
if a:
    choice = " (%s x%s)" % (a["variant"], a["chosen_threads"])
print("| %s | %s | %s | %s | %s | %s | %s%s | %s |" % (
    k, label.strip(), ms(s), ms(c1), ms(c2), ms(g), ms(a), choice, ratio))
PY
done
