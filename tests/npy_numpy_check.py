#!/usr/bin/env python3
"""Checks with numpy the .npy files that test_npy wrote.

test_npy (test_npy_write_for_numpy) leaves np_*.npy in <build>/npy-out/; this
script np.load()s each and compares it with the pattern of fill_pattern() in
tests/test_npy.c (element index i, row-major):

  real     i / 4 - 3
  complex  (i / 4 - 3) - (i / 2)j
  int32    7i - 100
  int64    i * 2**33 - 100

Usage: npy_numpy_check.py <dir>. Exits 77 (skipped) without numpy, 1 on a
mismatch or a missing file, 0 when all files match.
"""
import os
import sys

try:
    import numpy as np
except ImportError:
    print("numpy is not installed: skipping")
    sys.exit(77)

# name, dtype, shape: keep in step with test_npy_write_for_numpy.
FILES = [
    ("np_f32.npy", "<f4", (2, 3, 4)),
    ("np_f64.npy", "<f8", (2, 3, 4)),
    ("np_c64.npy", "<c8", (2, 3, 4)),
    ("np_c128.npy", "<c16", (2, 3, 4)),
    ("np_i32.npy", "<i4", (2, 3, 4)),
    ("np_i64.npy", "<i8", (2, 3, 4)),
    ("np_scalar.npy", "<f8", ()),
    ("np_1d.npy", "<i8", (5,)),
    ("np_empty.npy", "<f4", (0, 3)),
    ("np_8d.npy", "<f8", (2, 1, 2, 1, 2, 1, 2, 3)),
]


def expected(dtype, shape):
    n = int(np.prod(shape, dtype=np.int64))
    i = np.arange(n, dtype=np.int64)
    kind = np.dtype(dtype).kind
    if kind == "f":
        v = i.astype(np.float64) * 0.25 - 3.0
    elif kind == "c":
        v = (i.astype(np.float64) * 0.25 - 3.0) - 0.5j * i.astype(np.float64)
    elif np.dtype(dtype).itemsize == 4:
        v = 7 * i - 100
    else:
        v = i * 2**33 - 100
    return v.astype(dtype).reshape(shape)


def main():
    if len(sys.argv) != 2:
        print("usage: npy_numpy_check.py <dir>", file=sys.stderr)
        return 2
    failed = 0
    for name, dtype, shape in FILES:
        path = os.path.join(sys.argv[1], name)
        try:
            a = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as e:
            print(f"FAIL {name}: {e}")
            failed += 1
            continue
        want = expected(dtype, shape)
        if a.dtype != want.dtype or a.shape != want.shape:
            print(f"FAIL {name}: {a.dtype} {a.shape}, "
                  f"want {want.dtype} {want.shape}")
            failed += 1
        elif not a.flags.c_contiguous or not np.array_equal(a, want):
            print(f"FAIL {name}: values differ")
            failed += 1
        else:
            print(f"ok   {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
