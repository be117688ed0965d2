#!/usr/bin/env bash
# test_install.sh - installs the build tree into a temporary prefix and
# builds a tiny consumer against it twice: through the CMake package
# (find_package(hetero) -> hetero::hetero) and through pkg-config.
# Usage: test_install.sh SOURCE_DIR BINARY_DIR
set -eu
src=$1
bin=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

cmake --install "$bin" --prefix "$prefix" >/dev/null

mkdir -p "$tmp/consumer"
cat >"$tmp/consumer/main.c" <<'C'
#include <stdio.h>
#include <hetero/hetero.h>

int main(void)
{
    hetero_context *ctx = NULL;
    double a[3] = { 1, 2, 3 };
    double c[3];
    int ret = hetero_context_create(NULL, &ctx);

    if (ret) {
        fprintf(stderr, "%s\n", hetero_strerror(ret));
        return 1;
    }
    ret = hetero_vecadd(ctx, a, a, c, 3);
    hetero_context_destroy(ctx);
    if (ret || c[2] != 6.0)
        return 1;
    printf("libhetero %s ok\n", hetero_version());
    return 0;
}
C
cat >"$tmp/consumer/CMakeLists.txt" <<'C'
cmake_minimum_required(VERSION 3.20)
project(consumer C)
find_package(hetero 0 REQUIRED CONFIG)
add_executable(consumer main.c)
target_link_libraries(consumer PRIVATE hetero::hetero)
C
cmake -S "$tmp/consumer" -B "$tmp/consumer-build" \
      -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$tmp/consumer-build" >/dev/null
LD_LIBRARY_PATH=$prefix/lib:$prefix/lib/x86_64-linux-gnu "$tmp/consumer-build/consumer"

pcdir=$(dirname "$(find "$prefix" -name hetero.pc | head -1)")
export PKG_CONFIG_PATH=$pcdir
cc -o "$tmp/consumer-pc" "$tmp/consumer/main.c" $(pkg-config --cflags --libs hetero)
LD_LIBRARY_PATH=$(pkg-config --variable=libdir hetero) "$tmp/consumer-pc"
echo "install test: cmake package and pkg-config consumers ok"
