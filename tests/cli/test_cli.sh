#!/usr/bin/env bash
# test_cli.sh - hetero-run's exit codes and messages for good and bad input.
# Usage: test_cli.sh path/to/hetero-run
set -u
run=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

# expect CODE PATTERN ARGS... : exit code CODE and PATTERN (grep -E) in the
# combined output.
expect() {
    local code=$1 pattern=$2
    shift 2
    local out rc
    out=$("$run" "$@" 2>&1)
    rc=$?
    if [ "$rc" -ne "$code" ] || ! grep -Eq -- "$pattern" <<<"$out"; then
        echo "FAIL: hetero-run $* -> rc=$rc (want $code), output:"
        echo "$out" | head -5
        fail=$((fail + 1))
    else
        pass=$((pass + 1))
    fi
}

# usage errors: exit 2 with "hetero-run: error:"
expect 2 '^hetero-run: error: unknown option' --bogus
expect 2 'unknown kernel' --kernel nosuch
expect 2 "expected serial, cpu, gpu or auto" --device quantum
expect 2 'dimensions must be positive' --kernel vecadd --shape 0
expect 2 'expected dimensions like' --kernel vecadd --shape abc
expect 2 'trailing separator' --kernel vecadd --shape 10x
expect 2 "unexpected 'y'" --kernel vecadd --shape 10y3
expect 2 'not an integer' --kernel vecadd --repeat x
expect 2 'not an integer' --kernel vecadd --repeat 0
expect 2 'not an integer' --kernel vecadd --threads -3
expect 2 'needs a value' --kernel
expect 2 'expected f64 or f32' --kernel vecadd --dtype c99
expect 2 'expected NAME=VALUE' --kernel vecadd --param novalue
expect 2 'unknown parameter' --kernel vecadd --shape 10 --param nosuch=1
expect 2 'unexpected argument' --kernel vecadd stray
expect 2 'takes 2 input' --kernel vecadd --input "$tmp/a.npy"
expect 2 'overflows' --kernel vecadd --shape 4294967296x4294967296x16
# runtime errors: exit 1
expect 1 'cannot read .*no such file' --kernel vecadd --input "$tmp/none.npy" --input "$tmp/none.npy"
printf 'not a npy file at all' >"$tmp/bad.npy"
expect 1 'cannot read .*malformed' --kernel vecadd --input "$tmp/bad.npy" --input "$tmp/bad.npy"
expect 1 'cannot write' --kernel vecadd --shape 10 --output "$tmp/nodir/x.npy"
# good runs
expect 0 'hetero-run \(libhetero\) [0-9]+\.[0-9]+\.[0-9]+' --version
expect 0 'Usage: hetero-run' --help
expect 0 'vecadd' --list
expect 0 'median' --kernel vecadd --shape 1000 --device serial
expect 0 'median' --kernel vecadd --shape 1000 --device cpu --threads 2
expect 0 'max abs err 0,' --kernel vecadd --shape 1001 --device cpu --verify
expect 0 '"kernel":"vecadd"' --kernel vecadd --shape 10 --json
expect 0 'candidates' --kernel vecadd --shape 10 --device auto --explain
expect 0 'median' --kernel vecadd --shape 100 --dtype f32 --output "$tmp/c.npy"
# .npy round trip through the CLI: the output file is a valid input
expect 0 'median' --kernel vecadd --input "$tmp/c.npy" --input "$tmp/c.npy" --output "$tmp/d.npy"
[ -s "$tmp/d.npy" ] && pass=$((pass + 1)) || { echo "FAIL: no output file"; fail=$((fail + 1)); }

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
