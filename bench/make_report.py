#!/usr/bin/env python3
"""Writes bench/REPORT.md from the crossover CSVs (python3 stdlib only).

Reads <results>/<suite>.csv (hetero-bench) and <results>/peers.csv
(bench/peers.py), and <results>/run_info.csv (key,value rows written by
scripts/bench.sh: date, load, duration) if present. The machine is described
from /proc/cpuinfo, /etc/os-release, the build's CMakeCache.txt and
`hetero-run --list` (the OpenCL device).

Definitions (the same as hetero-bench's summary):
  crossover of a series: the smallest size from which its median beats
      serial's at that size and at every larger size of the sweep;
  auto ratio at a size: auto's median / the best median among the forced
      devices (serial, cpu at every thread count, gpu) at that size;
  pick ratio at a size: the median of auto's forced twin (the forced series
      running what auto chose: serial, cpu/T for the pool with T threads,
      gpu for OpenCL; without a fixed algo the variants must match too) /
      that best median;
  speedup over a peer: the peer's median / libhetero auto's median.
"""
import argparse
import csv
import datetime
import glob
import os
import platform
import re
import subprocess

FORCED = ("serial", "cpu", "gpu")


TARGET_RATIO = 1.10
TARGET_ABS_S = 5e-6


def fnum(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def fmt_t(s):
    if s is None:
        return "–"
    if s < 1e-3:
        return "%.3g µs" % (s * 1e6)
    if s < 1.0:
        return "%.3g ms" % (s * 1e3)
    return "%.3g s" % s


def fmt_size(n):
    if n >= 10000 and n == 10 ** (len(str(n)) - 1):
        return "1e%d" % (len(str(n)) - 1)
    return str(n)


def series_of(row):
    if row["device"] == "cpu":
        return "cpu/" + row["threads"]
    return row["device"]


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


# ---- machine description ----

def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_gib():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / (1024.0 * 1024.0)
    except OSError:
        pass
    return None


def os_name():
    name = platform.system()
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    name = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "%s, kernel %s %s" % (name, platform.system(), platform.release())


def compiler(build_dir):
    cache = os.path.join(build_dir or "", "CMakeCache.txt")
    cc = None
    btype = None
    try:
        with open(cache) as f:
            for line in f:
                if line.startswith("CMAKE_C_COMPILER:"):
                    cc = line.split("=", 1)[1].strip()
                elif line.startswith("CMAKE_BUILD_TYPE:"):
                    btype = line.split("=", 1)[1].strip()
    except OSError:
        return "unknown"
    ver = cc or "cc"
    try:
        out = subprocess.run([cc or "cc", "--version"], capture_output=True,
                             text=True, timeout=10).stdout
        ver = out.splitlines()[0] if out else ver
    except (OSError, subprocess.SubprocessError):
        pass
    return "%s, CMake build type %s" % (ver, btype or "?")


def opencl_device(hetero_run):
    if not hetero_run:
        return "unknown (no --hetero-run given)"
    try:
        out = subprocess.run([hetero_run, "--list"], capture_output=True,
                             text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        return "unknown (%s)" % exc
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if "<- --device gpu" in line:
            name = line.split("<-")[0].strip()
            name = re.sub(r"^\d+:\d+\s+", "", name)
            extra = []
            for more in lines[i + 1:i + 3]:
                m = re.search(r"platform ([^,]+), .*driver ([^,]+)", more)
                if m:
                    extra.append("%s %s" % (m.group(1), m.group(2)))
                m = re.search(r"type (\w+), (\d+) compute units", more)
                if m:
                    extra.append("%s device, %s compute units"
                                 % (m.group(1), m.group(2)))
                if "fp64 yes" in more:
                    extra.append("fp64")
            return "%s (%s)" % (name, ", ".join(extra))
    return "none"


def run_info(results):
    try:
        rows = read_csv(os.path.join(results, "run_info.csv"))
    except OSError:
        return {}
    return {r["key"]: r["value"] for r in rows if r.get("key")}


# ---- analysis of one sweep (kernel, algo) ----

class Sweep:
    def __init__(self, kernel, algo, rows):
        self.kernel = kernel
        self.algo = algo
        self.rows = rows
        self.sizes = sorted({int(r["size"]) for r in rows})
        self.series = []
        self.med = {}
        self.row = {}
        for r in rows:
            s = series_of(r)
            if s not in self.series:
                self.series.append(s)
            self.med[s, int(r["size"])] = fnum(r["median_s"])
            self.row[s, int(r["size"])] = r
        self.shape_of = {int(r["size"]): r["shape"] for r in rows}

    @property
    def name(self):
        return self.kernel + ("-" + self.algo if self.algo else "")

    @property
    def title(self):
        return self.kernel + (" (algo=%s)" % self.algo if self.algo else "")

    def m(self, s, n):
        return self.med.get((s, n))

    def available(self, s):
        return any(self.m(s, n) is not None for n in self.sizes)

    def crossover(self, s):
        """Smallest size from which s beats serial everywhere, or None."""
        start = None
        for n in reversed(self.sizes):
            a = self.m(s, n)
            b = self.m("serial", n)
            if a is None or b is None or not a < b:
                break
            start = n
        return start

    def speedup(self, s, n):
        a = self.m(s, n)
        b = self.m("serial", n)
        return b / a if a and b else None

    def forced(self):
        return [s for s in self.series if s.split("/")[0] in FORCED]

    def best_forced(self, n):
        best = None
        for s in self.forced():
            v = self.m(s, n)
            if v is not None and (best is None or v < best[1]):
                best = (s, v)
        return best

    def auto_ratio(self, n):
        a = self.m("auto", n)
        b = self.best_forced(n)
        return a / b[1] if a is not None and b else None

    def twin(self, n):
        """The forced series that runs what auto chose at n, or None."""
        r = self.row.get(("auto", n))
        if not r or not r["variant"]:
            return None
        backend = r["variant"].split("/")[0]
        if backend == "serial":
            s = "serial"
        elif backend == "pool":
            s = "cpu/" + r["chosen_threads"]
        elif backend == "opencl":
            s = "gpu"
        else:
            return None
        t = self.row.get((s, n))
        if not t or self.m(s, n) is None:
            return None
        if not self.algo and t["variant"] != r["variant"]:
            return None
        return s

    def pick_ratio(self, n):
        s = self.twin(n)
        b = self.best_forced(n)
        return self.m(s, n) / b[1] if s is not None and b else None

    def within_target(self, n, series):
        """The issue's acceptance test at size n: `series` (auto, or the
        forced twin of its pick) within 10% or 5 us, whichever is larger,
        of the best forced median. None when it cannot be judged."""
        if series is None:
            return None
        a = self.m(series, n)
        b = self.best_forced(n)
        if a is None or not b:
            return None
        return a <= max(b[1] * TARGET_RATIO, b[1] + TARGET_ABS_S)

    def target_count(self, pick):
        """(sizes within the target, sizes judged) for auto or its pick."""
        ok = judged = 0
        for n in self.sizes:
            w = self.within_target(n, self.twin(n) if pick else "auto")
            if w is not None:
                judged += 1
                ok += w
        return ok, judged

    def worst_of(self, ratio):
        worst = None
        for n in self.sizes:
            r = ratio(n)
            if r is not None and (worst is None or r > worst[1]):
                worst = (n, r)
        return worst

    def worst_auto(self):
        return self.worst_of(self.auto_ratio)

    def worst_pick(self):
        return self.worst_of(self.pick_ratio)

    def rounds(self):
        """The timed runs per series and size (None for old CSVs)."""
        return [int(r["rounds"]) for r in self.rows if r.get("rounds")]


def load_sweeps(results):
    sweeps = []
    for path in sorted(glob.glob(os.path.join(results, "*.csv"))):
        base = os.path.basename(path)
        if base in ("peers.csv", "run_info.csv"):
            continue
        rows = read_csv(path)
        if not rows or "median_s" not in rows[0]:
            continue
        groups = {}
        for r in rows:
            groups.setdefault((r["kernel"], r["algo"]), []).append(r)
        for (kernel, algo), rs in groups.items():
            sweeps.append(Sweep(kernel, algo, rs))
    return sweeps


def peers_for(sw, peers):
    """impl -> {size: median} for the peers of this sweep."""
    out = {}
    for r in peers:
        if r["kernel"] != sw.kernel:
            continue
        impl = r["impl"]
        if sw.kernel == "autocorr":
            if sw.algo == "direct" and "correlate2d" not in impl:
                continue
            if sw.algo == "fft" and "correlate-fft" not in impl:
                continue
        out.setdefault(impl, {})[int(r["size"])] = fnum(r["median_s"])
    if sw.available("fftw-threads"):
        out["fftw-threads (FFTW, 2 threads)"] = {
            n: sw.m("fftw-threads", n) for n in sw.sizes}
    return out


# ---- writing ----

def md_table(head, rows, align=None):
    out = ["| " + " | ".join(head) + " |"]
    align = align or ["---:"] * len(head)
    out.append("|" + "|".join(align) + "|")
    for r in rows:
        out.append("| " + " | ".join(r) + " |")
    return "\n".join(out)


def cross_text(sw, s):
    if not sw.available(s):
        return "unavailable"
    c = sw.crossover(s)
    return "never" if c is None else fmt_size(c)


def auto_choice(sw, n):
    r = sw.row.get(("auto", n))
    if not r or not r["variant"]:
        return "–"
    v = r["variant"]
    if r["variant"].startswith("pool"):
        v += "/%s" % r["chosen_threads"]
    return v


def plan_line(sw):
    parts = []
    for s in sw.series:
        cold = [fnum(r["plan_s"]) for (x, _), r in sw.row.items()
                if x == s and r["first_plan"] == "true"]
        warm = sorted(fnum(r["plan_s"]) for (x, _), r in sw.row.items()
                      if x == s and r["first_plan"] == "false"
                      and r["plan_s"])
        if not cold and not warm:
            continue
        got = []
        if cold and cold[0] is not None:
            got.append("first " + fmt_t(cold[0]))
        if warm:
            got.append("median " + fmt_t(warm[len(warm) // 2]))
        parts.append(s + ": " + ", ".join(got))
    return "; ".join(parts)


def section(sw, peers, plots_rel):
    L = []
    L.append("## %s\n" % sw.title)
    shapes = sw.shape_of
    L.append("Sizes %s..%s (shape at the largest: `%s`)."
             % (fmt_size(sw.sizes[0]), fmt_size(sw.sizes[-1]),
                shapes[sw.sizes[-1]]))
    L.append("")
    L.append("![%s](%s/%s.png)  \n[SVG](%s/%s.svg)\n"
             % (sw.name, plots_rel, sw.name, plots_rel, sw.name))

    # Crossovers.
    rows = []
    for s in sw.series:
        if s == "serial":
            continue
        sp = sw.speedup(s, sw.sizes[-1])
        best = max((x for x in (sw.speedup(s, n) for n in sw.sizes)
                    if x is not None), default=None)
        rows.append([s, cross_text(sw, s),
                     "%.2f×" % sp if sp else "–",
                     "%.2f×" % best if best else "–"])
    L.append("Crossover (beats serial from this size on) and speedup over "
             "serial:\n")
    L.append(md_table(["series", "crossover", "at largest size",
                       "best over the sweep"], rows,
                      [":---", "---:", "---:", "---:"]))
    L.append("")

    # Per size: times, auto's choice, ratio.
    forced = [s for s in sw.series if s.split("/")[0] in FORCED
              and sw.available(s)]
    worst = sw.worst_auto()
    worst_pick = sw.worst_pick()
    head = ["size"] + forced + ["auto", "auto chose", "auto / best",
                                "auto's pick (forced) / best"]
    rows = []
    for n in sw.sizes:
        r = [fmt_size(n)]
        best = sw.best_forced(n)
        for s in forced:
            t = fmt_t(sw.m(s, n))
            if best and s == best[0]:
                t = "**%s**" % t
            r.append(t)
        r.append(fmt_t(sw.m("auto", n)))
        r.append(auto_choice(sw, n))
        for ratio, w in ((sw.auto_ratio(n), worst),
                         (sw.pick_ratio(n), worst_pick)):
            txt = "%.2f" % ratio if ratio is not None else "–"
            if w and n == w[0]:
                txt = "**%s (worst)**" % txt
            r.append(txt)
        rows.append(r)
    unavailable = [s for s in sw.series if not sw.available(s)]
    L.append("Median times (best forced device in bold), what auto chose, "
             "auto's time over the best forced device's, and the time of "
             "the forced device running auto's choice over the best%s:\n"
             % ((" (%s: unavailable, no rows)" % ", ".join(unavailable))
                if unavailable else ""))
    L.append(md_table(head, rows,
                      ["---:"] * (len(forced) + 2) + [":---", "---:",
                                                      "---:"]))
    L.append("")
    calib = {r["calibrated"] for r in sw.rows
             if r["device"] == "auto" and r["calibrated"]}
    L.append("auto: %s. Plan creation: %s.\n"
             % ("calibrated cost model" if calib == {"true"} else
                "uncalibrated defaults" if calib == {"false"} else
                "calibrated at some sizes only", plan_line(sw)))

    # Peers.
    pp = peers_for(sw, peers)
    if pp:
        impls = list(pp)
        rows = []
        for n in sw.sizes:
            a = sw.m("auto", n)
            r = [fmt_size(n), fmt_t(a)]
            for impl in impls:
                t = pp[impl].get(n)
                if t is None:
                    r.append("–")
                elif a:
                    r.append("%s (%.2f×)" % (fmt_t(t), t / a))
                else:
                    r.append(fmt_t(t))
            rows.append(r)
        L.append("Peers: their median time and libhetero auto's speedup "
                 "over them (peer / auto; > 1: libhetero is faster):\n")
        L.append(md_table(["size", "libhetero auto"] + impls, rows))
        L.append("")
    return "\n".join(L)


def summary_rows(sweeps, peers):
    rows = []
    for sw in sweeps:
        cpus = [s for s in sw.series if s.startswith("cpu/")]
        cx = ", ".join("%s: %s" % (s, cross_text(sw, s)) for s in cpus)
        gpu = cross_text(sw, "gpu") if "gpu" in sw.series else "–"
        worst = sw.worst_auto()
        worst_pick = sw.worst_pick()
        n = sw.sizes[-1]
        sp = sw.speedup("auto", n)
        pp = peers_for(sw, peers)
        a = sw.m("auto", n)
        vs = []
        for impl, d in pp.items():
            t = d.get(n)
            if t and a:
                vs.append("%s %.2f×" % (impl, t / a))
        ta = sw.target_count(False)
        tp = sw.target_count(True)
        rows.append([sw.title, cx, gpu,
                     "%.2f at %s" % (worst[1], fmt_size(worst[0]))
                     if worst else "–",
                     "%.2f at %s" % (worst_pick[1], fmt_size(worst_pick[0]))
                     if worst_pick else "–",
                     "%d/%d · %d/%d" % (ta + tp),
                     "%.2f×" % sp if sp else "–",
                     "; ".join(vs) or "–"])
    return rows


def interleaved(sweeps):
    """True if the CSVs come from the rounds of hetero-bench (rounds
    column); older ones timed each series on its own."""
    return any(sw.rounds() for sw in sweeps)


def method_timing(sweeps, info):
    """The Method item on how hetero-bench times a size."""
    head = ("- `hetero-bench --suite all` (bench/hetero_bench.c, public API "
            "only): at each size the inputs are generated once (seeded), ")
    tail = ("the tables give medians. `cpu/T` is the pool forced to T "
            "threads, `gpu` the OpenCL device, `auto` the cost model's "
            "choice (device, algorithm and threads) after `hetero-run "
            "--calibrate --quick`.")
    if not interleaved(sweeps):
        return (head + "then each device is planned (`plan_s`), run once "
                "untimed, and timed %s times; " % info.get("repeat", "7")
                + tail)
    rounds = [n for sw in sweeps for n in sw.rounds()]
    if min(rounds) == max(rounds):
        count = "%d rounds at every size; " % min(rounds)
    else:
        count = ("at least %s rounds, and more while the size's timed runs "
                 "total less than 0.25 s, up to 41 (here %d to %d rounds "
                 "per size); " % (info.get("repeat", "7"), min(rounds),
                                  max(rounds)))
    return (head + "then every device is planned (`plan_s`) and run once "
            "untimed, then all are timed in interleaved rounds: each runs "
            "once per round, in an order that changes every round (it "
            "starts one device further on each round, and every few rounds "
            "steps through the devices with another stride), so the "
            "machine's slow phases hit every device alike and no device "
            "always runs right after the same one. " + count + tail)


def first_gpu_plan(sweeps):
    """(kernel, plan_s) of the cold OpenCL plans, and the warm median."""
    cold = []
    warm = []
    for sw in sweeps:
        for (s, _), r in sw.row.items():
            if s != "gpu" or not r["plan_s"]:
                continue
            if r["first_plan"] == "true":
                cold.append((sw.kernel, fnum(r["plan_s"])))
            else:
                warm.append(fnum(r["plan_s"]))
    warm.sort()
    return cold, (warm[len(warm) // 2] if warm else None)


def caveats(sweeps, info):
    L = ["Reading the numbers:\n"]
    try:
        load = float(info.get("load_before", "").split()[0])
    except (IndexError, ValueError):
        load = None
    if load is not None and load >= 0.5:
        L.append("- **Shared machine**: the load average was %.2f before "
                 "the run (other jobs shared the 2 cores), "
                 "so single points wobble (see the serial column) and one "
                 "bad point can move a crossover or an auto ratio. Re-run "
                 "`scripts/bench.sh` on a quiet machine for firm numbers."
                 % load)
    if interleaved(sweeps):
        L.append("- auto / best below 1.00 is noise: auto and its forced "
                 "twin run the same code, timed in the same rounds but "
                 "not at the same moment; auto's pick / best does not "
                 "have that noise.")
    else:
        L.append("- auto / best below 1.00 is noise: auto and the forced "
                 "devices are timed one after the other at each size, not "
                 "interleaved.")
    gpu_missing = [sw.title for sw in sweeps
                   if "gpu" in sw.series and not sw.available("gpu")]
    if gpu_missing:
        L.append("- `gpu` is unavailable where the kernel has no OpenCL "
                 "variant yet (the plan returns HETERO_ENOTSUP; the rows "
                 "have empty times): %s." % ", ".join(gpu_missing))
    cold, warm = first_gpu_plan(sweeps)
    if cold:
        L.append("- The `gpu` device is POCL on the same CPU cores, so it "
                 "competes with `cpu`, not with a discrete GPU. Its first "
                 "plan in a run pays the OpenCL program build or binary "
                 "cache load (%s; later plans: %s); the `plan_s` and "
                 "`first_plan` columns keep both."
                 % (", ".join("%s %s" % (k, fmt_t(t)) for k, t in cold),
                    fmt_t(warm)))
    kernels = {sw.kernel for sw in sweeps}
    if "sum" in kernels:
        L.append("- sum: libhetero's sum is compensated and bitwise "
                 "identical for any thread count; numpy.sum's pairwise sum "
                 "does less work per element.")
    if "mcpi" in kernels:
        L.append("- mcpi: the numpy peer draws with numpy's PCG64, "
                 "libhetero with Philox4x32-10: the same estimator, not "
                 "the same samples.")
    L.append("- The Pool(2) peers pay pickling of every argument and "
             "result; that, not the arithmetic, is what they measure at "
             "most sizes.")
    L.append("")
    return L


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default="bench/results")
    ap.add_argument("--out", default="bench/REPORT.md")
    ap.add_argument("--plots-rel", default="plots",
                    help="plots folder relative to the report")
    ap.add_argument("--build-dir", default="build-bench-rel")
    ap.add_argument("--hetero-run", default=None)
    args = ap.parse_args()

    sweeps = load_sweeps(args.results)
    order = ["fft2", "autocorr", "sum", "rbf", "det", "mcpi", "vecadd"]
    sweeps.sort(key=lambda s: (order.index(s.kernel) if s.kernel in order
                               else len(order), s.kernel, s.algo))
    peers_path = os.path.join(args.results, "peers.csv")
    peers = read_csv(peers_path) if os.path.exists(peers_path) else []
    info = run_info(args.results)
    mem = mem_gib()

    L = ["# libhetero crossover benchmarks", ""]
    L.append("Generated by `bench/make_report.py` from `bench/results/*.csv`"
             "; regenerate everything with `scripts/bench.sh`. Where does "
             "each device overtake the serial reference, does `auto` pick "
             "the best device, and how does libhetero compare with what a "
             "numpy/scipy user would write?\n")
    L.append("## Machine and run\n")
    mrows = [
        ["Date", info.get("date", datetime.datetime.now(
            datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))],
        ["CPU", "%s, %d logical CPUs online" % (cpu_model(),
                                                os.cpu_count() or 0)],
        ["Memory", "%.0f GiB" % mem if mem else "unknown"],
        ["OS", os_name()],
        ["Compiler", compiler(args.build_dir)],
        ["OpenCL device (`gpu`)", opencl_device(args.hetero_run)],
        ["Python peers", info.get("peers", "see peers.csv") +
         "; OPENBLAS_CORETYPE=%s" % info.get(
             "openblas_coretype", os.environ.get("OPENBLAS_CORETYPE",
                                                 "(unset)"))],
        ["Calibration", info.get("calibration", "unknown")],
        ["Load average", "before the run %s, after %s (quiet: < 0.5)"
         % (info.get("load_before", "?"), info.get("load_after", "?"))],
        ["Duration", "%s s (hetero-bench --suite all: %s s)"
         % (info.get("duration_s", "?"), info.get("bench_s", "?"))],
    ]
    L.append(md_table(["", ""], mrows, [":---", ":---"]))
    L.append("")
    L.append("## Method\n")
    L.append(method_timing(sweeps, info))
    L.append(
        "- Crossover of a series: the smallest size from which its median "
        "beats serial's at that size *and every larger size* of the sweep. "
        "The comparison is strict, so where two variants run the same code "
        "(serial vs cpu/1) a percent of noise decides it.\n"
        "- auto / best: auto's median over the best forced device's "
        "(serial, cpu/T, gpu) at the same size; 1.00 is a perfect choice. "
        "It includes the run-to-run noise between two timings of the same "
        "configuration: auto's runs and the forced runs of what it chose.\n"
        "- auto's pick (forced) / best: the median of the forced device "
        "that runs what auto chose (serial, cpu/T with auto's thread "
        "count, or gpu) over the best forced median: the cost of the "
        "decision alone, measured on the forced timings only; 1.00 when "
        "auto picked the best, – where no forced series runs its choice.\n"
        "- Target (issue 5's acceptance): auto's median within 10% or 5 µs, "
        "whichever is larger, of the best forced device's at every size. "
        "\"sizes within target\" counts the sizes that meet it, for auto's "
        "own timing and for its pick timed on the forced twin.\n"
        "- Peers (bench/peers.py, median of up to 5 runs after one untimed "
        "run): numpy/scipy called directly, and `multiprocessing.Pool(2)` "
        "code as tutorials write it (`pool.map` over the batch items or "
        "over 2 chunks; the pool is created once before timing, so its "
        "start-up is not counted but pickling to and from the workers is). "
        "fft2 also has FFTW's own threaded plan (2 threads, FFTW_MEASURE, "
        "one batched c2c plan) timed inside hetero-bench.\n"
        "- OPENBLAS_CORETYPE, when set, only changes numpy.linalg.det "
        "(OpenBLAS LU); the value of this run is in the table above.\n")
    L.append("## Summary\n")
    L.append(md_table(
        ["kernel", "cpu crossover", "gpu crossover", "worst auto / best",
         "worst pick / best",
         "sizes within target (auto · pick)",
         "auto speedup over serial at the largest size",
         "auto vs peers at the largest size (peer / auto)"],
        summary_rows(sweeps, peers),
        [":---", ":---", "---:", "---:", "---:", "---:", "---:", ":---"]))
    L.append("")
    L.extend(caveats(sweeps, info))
    for sw in sweeps:
        L.append(section(sw, peers, args.plots_rel))
    text = "\n".join(L).rstrip() + "\n"
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, args.out)
    print("make_report.py: %s (%d sweeps, %d peer rows)"
          % (args.out, len(sweeps), len(peers)))


if __name__ == "__main__":
    main()
