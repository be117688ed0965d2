#!/usr/bin/env python3
"""Peers of the libhetero crossover suites: numpy/scipy, and the
multiprocessing.Pool(2) code the classic tutorials write around them.

Times each peer at the sizes of the suites (read from the hetero-bench CSVs
in --results, else the lists below) and writes <results>/peers.csv with the
columns kernel,impl,size,median_s. Each point: one untimed run, then up to
--repeat timed runs (fewer once --max-time seconds were spent), median.

The pool is created once, before any timing, as tutorials do: its start-up
(forking 2 workers) is not in the times; pickling the arguments and results
to and from the workers is, since every pool.map call pays it.

Exits 0 with a message when numpy or scipy is missing.
"""
import argparse
import csv
import math
import multiprocessing
import os
import statistics
import sys
import time

try:
    import numpy as np
    import scipy
    import scipy.fft
    import scipy.signal
    import scipy.spatial.distance
except ImportError as exc:  # pragma: no cover - depends on the machine
    print("peers.py: skipped, numpy/scipy not available (%s)" % exc)
    sys.exit(0)

# The sweeps of hetero-bench's suites (bench/hetero_bench.c), used when
# the CSVs are not there: kernel -> (lo, hi, n) log-spaced, as LO:HI:N.
SUITE_SWEEPS = {
    "fft2": (1, 500, 16),
    "autocorr": (1, 30, 12),
    "sum": (1, 10 ** 8, 17),
    "rbf": (100, 4000, 12),
    "det": (10, 10 ** 5, 17),
    "mcpi": (10 ** 3, 10 ** 8, 16),
    "vecadd": (10 ** 3, 10 ** 8, 16),
}


def log_sizes(lo, hi, n):
    """n log-spaced integers from lo to hi, deduplicated (as hetero-bench)."""
    out = set()
    for i in range(n):
        f = i / (n - 1) if n > 1 else 0.0
        v = math.exp(math.log(lo) + f * (math.log(hi) - math.log(lo)))
        out.add(min(hi, max(lo, int(math.floor(v + 0.5)))))
    return sorted(out)


MATRIX = 100      # fft2 and autocorr: batches of 100x100 matrices
RBF_DIM = 3       # rbf: points in 3 dimensions
MCPI_CHUNK = 1 << 20


# ---- worker functions (top level: the pool pickles them by name) ----

def correlate2d_self(a):
    return scipy.signal.correlate2d(a, a)


def correlate_fft_self(a):
    return scipy.signal.correlate(a, a, method="fft")


def mcpi_hits(args):
    seed, n = args
    rng = np.random.default_rng(seed)
    hits = 0
    while n > 0:
        c = min(n, MCPI_CHUNK)
        x = rng.random(c)
        y = rng.random(c)
        hits += int(np.count_nonzero(x * x + y * y < 1.0))
        n -= c
    return hits


def rbf_rows(args):
    rows, points = args
    r = scipy.spatial.distance.cdist(rows, points)
    return r ** 3 / 12.0 + r ** 2 / 6.0


def add_pair(args):
    a, b = args
    return a + b


# ---- the peers: kernel -> [(impl, make(size) -> callable)] ----

def rand_matrices(b, rng, complex_=False):
    x = rng.uniform(-1, 1, (b, MATRIX, MATRIX))
    if complex_:
        x = x + 1j * rng.uniform(-1, 1, (b, MATRIX, MATRIX))
    return x


def peers(pool):
    rng = np.random.default_rng(42)

    def fft2_np(b):
        x = rand_matrices(b, rng, True)
        return lambda: np.fft.fft2(x)

    def fft2_scipy(b):
        x = rand_matrices(b, rng, True)
        return lambda: scipy.fft.fft2(x, workers=2)

    def fft2_pool(b):
        x = rand_matrices(b, rng, True)
        return lambda: pool.map(np.fft.fft2, x)

    def corr(fn, use_pool):
        def make(b):
            x = rand_matrices(b, rng)
            if use_pool:
                return lambda: pool.map(fn, x)
            return lambda: [fn(a) for a in x]
        return make

    def det_np(b):
        x = rng.uniform(-1, 1, (b, 10, 10))
        return lambda: np.linalg.det(x)

    def det_pool(b):
        x = rng.uniform(-1, 1, (b, 10, 10))
        return lambda: pool.map(np.linalg.det, x)

    def sum_np(n):
        x = rng.uniform(-1, 1, n)
        return lambda: np.sum(x)

    def sum_pool(n):
        x = rng.uniform(-1, 1, n)
        return lambda: sum(pool.map(np.sum, np.array_split(x, 2)))

    def add_np(n):
        a = rng.uniform(-1, 1, n)
        b = rng.uniform(-1, 1, n)
        return lambda: np.add(a, b)

    def add_pool(n):
        a = rng.uniform(-1, 1, n)
        b = rng.uniform(-1, 1, n)
        pairs = list(zip(np.array_split(a, 2), np.array_split(b, 2)))
        return lambda: np.concatenate(pool.map(add_pair, pairs))

    def mcpi_np(n):
        return lambda: 4.0 * mcpi_hits((0, n)) / n

    def mcpi_pool(n):
        parts = [(i, n // 2 + (i < n % 2)) for i in range(2)]
        return lambda: 4.0 * sum(pool.map(mcpi_hits, parts)) / n

    def rbf_np(n):
        v = rng.uniform(-1, 1, (n, RBF_DIM))
        return lambda: rbf_rows((v, v))

    def rbf_pool(n):
        v = rng.uniform(-1, 1, (n, RBF_DIM))
        chunks = [(c, v) for c in np.array_split(v, 2)]
        return lambda: np.vstack(pool.map(rbf_rows, chunks))

    return {
        "fft2": [("numpy.fft.fft2", fft2_np),
                 ("scipy.fft.fft2-workers2", fft2_scipy),
                 ("pool2-numpy.fft.fft2", fft2_pool)],
        "autocorr": [
            ("scipy.correlate2d", corr(correlate2d_self, False)),
            ("scipy.correlate-fft", corr(correlate_fft_self, False)),
            ("pool2-scipy.correlate2d", corr(correlate2d_self, True)),
            ("pool2-scipy.correlate-fft", corr(correlate_fft_self, True))],
        "det": [("numpy.linalg.det", det_np),
                ("pool2-numpy.linalg.det", det_pool)],
        "sum": [("numpy.sum", sum_np), ("pool2-numpy.sum", sum_pool)],
        "vecadd": [("numpy.add", add_np), ("pool2-numpy.add", add_pool)],
        "mcpi": [("numpy-mcpi", mcpi_np), ("pool2-numpy-mcpi", mcpi_pool)],
        "rbf": [("scipy.cdist-rbf", rbf_np), ("pool2-scipy.cdist-rbf",
                                               rbf_pool)],
    }


def sizes_from_csv(results, kernel):
    path = os.path.join(results, kernel + ".csv")
    try:
        with open(path, newline="") as f:
            sizes = {int(row["size"]) for row in csv.DictReader(f)}
    except (OSError, KeyError, ValueError):
        return None
    return sorted(sizes) or None


def time_point(fn, repeat, max_time):
    fn()  # untimed: first-touch, caches, pool warm-up
    times = []
    spent = 0.0
    while len(times) < repeat:
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        times.append(dt)
        spent += dt
        if spent > max_time:
            break
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default="bench/results",
                    help="where the suite CSVs are and peers.csv goes")
    ap.add_argument("--out", help="output CSV (default RESULTS/peers.csv)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--max-time", type=float, default=2.0,
                    help="stop repeating a point after this many seconds")
    ap.add_argument("--kernels", default="",
                    help="comma-separated subset (default: all)")
    ap.add_argument("--quick", action="store_true",
                    help="3 repeats, sizes from the CSVs only up to 1e6")
    args = ap.parse_args()
    if args.quick:
        args.repeat = 3
    out = args.out or os.path.join(args.results, "peers.csv")
    wanted = [k for k in args.kernels.split(",") if k]

    print("peers.py: numpy %s, scipy %s, multiprocessing.Pool(2) created "
          "before timing; OPENBLAS_CORETYPE=%s"
          % (np.__version__, scipy.__version__,
             os.environ.get("OPENBLAS_CORETYPE", "(unset)")))
    rows = []
    t_start = time.perf_counter()
    with multiprocessing.Pool(2) as pool:
        for kernel, impls in peers(pool).items():
            if wanted and kernel not in wanted:
                continue
            sizes = sizes_from_csv(args.results, kernel)
            if sizes is None:
                sizes = log_sizes(*SUITE_SWEEPS[kernel])
            if args.quick:
                sizes = [s for s in sizes if s <= 10 ** 6]
            for impl, make in impls:
                for size in sizes:
                    fn = make(size)
                    med = time_point(fn, args.repeat, args.max_time)
                    del fn
                    rows.append((kernel, impl, size, med))
                    if sys.stderr.isatty():
                        sys.stderr.write("\r\033[K%s %s %d: %.3g s"
                                         % (kernel, impl, size, med))
                        sys.stderr.flush()
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K")
    tmp = out + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["kernel", "impl", "size", "median_s"])
        for kernel, impl, size, med in rows:
            w.writerow([kernel, impl, size, "%.6e" % med])
    os.replace(tmp, out)
    print("peers.py: %d points in %.0f s -> %s"
          % (len(rows), time.perf_counter() - t_start, out))


if __name__ == "__main__":
    main()
