#!/usr/bin/env bash
# bootstrap.sh - one command from a fresh Debian 12 machine (as root) to a
# built libhetero: installs the Debian packages it needs (only those
# missing; non-interactive), configures and builds, then
#   run   runs the main job: hetero-run on the default autocorr workload
#         (30 random 100x100 matrices) with --device auto
#   test  runs the whole test suite (CTest)
# Usage: scripts/bootstrap.sh run|test [build-dir]
set -euo pipefail

mode=${1:-run}
here=$(cd "$(dirname "$0")/.." && pwd)
build=${2:-$here/build}

packages=(build-essential cmake pkg-config git
          libfftw3-dev libcmocka-dev
          ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo
          libvkfft-dev gnuplot-nox)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
        || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "bootstrap: installing ${missing[*]}" >&2
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DHETERO_WERROR=ON >/dev/null
cmake --build "$build" -j "$jobs"

case "$mode" in
run)
    exec "$build/hosts/hetero-run" --kernel autocorr --device auto \
         --shape 30x100x100 --verify --explain
    ;;
test)
    cd "$build"
    exec ctest --output-on-failure -j "$jobs" --timeout 600
    ;;
*)
    echo "usage: $0 run|test [build-dir]" >&2
    exit 2
    ;;
esac
