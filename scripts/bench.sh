#!/usr/bin/env bash
# Crossover benchmarks, end to end: Release build of hetero-run and
# hetero-bench, quick calibration, every suite, the numpy/scipy peers, the
# plots and bench/REPORT.md.
#
# Usage: scripts/bench.sh [--quick]
#   --quick   CI smoke run (seconds): 3 repeats, a few small sizes, written
#             to <build>/bench-quick/ instead of bench/results and plots.
# Environment: BENCH_BUILD_DIR (default build-bench-rel), BENCH_CACHE (the
# XDG_CACHE_HOME of the calibration and the runs; default
# <build>/xdg-cache), BENCH_JOBS (build jobs, default 2).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
build=${BENCH_BUILD_DIR:-build-bench-rel}
jobs=${BENCH_JOBS:-2}
quick=()
results=bench/results
plots=bench/plots
report=bench/REPORT.md
if [ "${1:-}" = "--quick" ]; then
    quick=(--quick)
    results=$build/bench-quick/results
    plots=$build/bench-quick/plots
    report=$build/bench-quick/REPORT.md
elif [ $# -gt 0 ]; then
    echo "usage: scripts/bench.sh [--quick]" >&2
    exit 2
fi
mkdir -p "$results" "$plots"
export XDG_CACHE_HOME=${BENCH_CACHE:-$here/$build/xdg-cache}
start=$(date +%s)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

echo "== build ($build, Release)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DHETERO_BUILD_TESTS=OFF \
      >/dev/null
cmake --build "$build" -j "$jobs" --target hetero-run hetero-bench

echo "== calibrate (quick) into $XDG_CACHE_HOME"
calib=$("$build/hosts/hetero-run" --calibrate --quick)
echo "$calib"

echo "== hetero-bench --suite all"
bench_start=$(date +%s)
"$build/bench/hetero-bench" --suite all --out-dir "$results" "${quick[@]}"
bench_s=$(( $(date +%s) - bench_start ))

echo "== peers"
python3 bench/peers.py --results "$results" "${quick[@]}"
peers=$(python3 -c 'import numpy, scipy
print("numpy %s, scipy %s" % (numpy.__version__, scipy.__version__))' \
        2>/dev/null || echo "numpy/scipy missing: no peers")
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# Facts of this run for the report (key,value).
{
    echo "key,value"
    echo "date,$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "load_before,$load_before"
    echo "load_after,$load_after"
    echo "duration_s,$(( $(date +%s) - start ))"
    echo "bench_s,$bench_s"
    echo "repeat,$([ ${#quick[@]} -gt 0 ] && echo 3 || echo 7)"
    echo "calibration,hetero-run --calibrate --quick: ${calib//,/;}"
    echo "peers,${peers//,/;}"
    echo "openblas_coretype,${OPENBLAS_CORETYPE:-(unset)}"
} > "$results/run_info.csv"

echo "== plots"
bash bench/plot.sh "$results" "$plots"

echo "== report"
python3 bench/make_report.py --results "$results" --out "$report" \
    --plots-rel "$(python3 -c 'import os, sys
print(os.path.relpath(sys.argv[1], os.path.dirname(sys.argv[2])))' \
        "$plots" "$report")" \
    --build-dir "$build" --hetero-run "$build/hosts/hetero-run"
echo "== done in $(( $(date +%s) - start )) s (load average before: \
$load_before, after: $load_after)"
