/*
 * pool_overhead.c - fork/join overhead of a parallel_for of 2 iterations on
 * 2 threads: libhetero's pool against OpenMP (libgomp, default wait policy,
 * `#pragma omp parallel for num_threads(2)`) and against a plain
 * condition-variable pool written here, which never spins.
 *
 * Three regimes: calls back to back; each call after 1 ms idle; each call
 * after 10 ms idle. Three bodies:
 *   empty   nothing to do (with dynamic chunking the caller may run both
 *           iterations before the worker arrives: the call's own cost);
 *   +rdv    each iteration waits until both have started, so the call
 *           cannot end before the second thread has woken up and joined;
 *   +work   each iteration computes for 20 us (ideal call: 20 us).
 * Each implementation is measured alone, after a quiet pause long enough
 * for the others' workers to stop spinning. Then the CPU time the process
 * burns during 1 s of idleness after 1000 calls (from the last call, and
 * from 10 ms after it). The "# ..." lines say how many iterations the
 * second thread ran.
 *
 * Output: a table (median, p10, p90 in us) and CSV rows
 * `impl,regime,median_us,p10_us,p90_us`, then
 * `impl,idle_cpu_ms_per_s,after_10ms_ms_per_s`.
 *
 * Usage: bench_pool_overhead [--quick] [--spin-us N] [--only IMPL]
 *   --quick      fewer repeats, 0.2 s idle periods
 *   --spin-us N  spin_us of libhetero's pool (default: the pool's default)
 *   --only IMPL  measure only hetero, openmp or condvar
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if HETERO_BENCH_OPENMP
#include <omp.h>
#endif /* HETERO_BENCH_OPENMP */

#include <hetero/error.h>
#include <hetero/pool.h>

#define THREADS 2
#define MAX_REPEATS 4000

/* Per-thread counters that the "empty" bodies touch, one cache line each,
 * so that no compiler removes the loop. */
struct slot {
    volatile unsigned long v;
    char pad[64 - sizeof(unsigned long)];
};

static struct slot sink[THREADS];

/* Iterations run by the second thread (worker 1 / OpenMP thread 1). */
static atomic_ulong second_ran;

static long long now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Body mode, set before each block of calls. */
enum body_mode {
    BODY_EMPTY,
    BODY_RENDEZVOUS, /* both iterations wait until both have started */
    BODY_WORK,       /* each iteration computes for WORK_NS */
};

#define WORK_NS 20000LL

static enum body_mode mode;
static atomic_int arrived; /* rendezvous: reset before each call */

/*
 * The body of iteration `i` on thread `t`. The rendezvous wait yields the
 * CPU after 20 us: the kernel may have put both threads on one CPU (VMs
 * that pack vCPUs do it on every wake-up), and a body that spun without
 * yielding would then wait for the scheduler to preempt it, whatever the
 * pool.
 */
static void body(int i, int t)
{
    (void)i;
    sink[t].v += 1;
    if (t != 0)
        atomic_fetch_add_explicit(&second_ran, 1, memory_order_relaxed);
    if (mode == BODY_WORK) {
        long long t0 = now_ns();

        while (now_ns() - t0 < WORK_NS)
            sink[t].v += 1;
    } else if (mode == BODY_RENDEZVOUS) {
        long long t0 = 0;

        atomic_fetch_add(&arrived, 1);
        for (int k = 0; atomic_load(&arrived) < THREADS; k++) {
            if (k < 64)
                continue;
            if (t0 == 0)
                t0 = now_ns();
            else if (now_ns() - t0 > 20000)
                sched_yield();
        }
    }
}

static double cpu_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void sleep_ns(long long ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000LL),
                           (long)(ns % 1000000000LL) };

    while (nanosleep(&ts, &ts) != 0)
        continue;
}

/* ---- the implementations, behind one interface ---- */

struct impl {
    const char *name;
    int (*setup)(void);
    void (*run)(void); /* one empty parallel_for over THREADS threads */
    void (*teardown)(void);
};

/* libhetero */

static hetero_pool *hpool;
static unsigned spin_us; /* 0: the pool's default */

static int hetero_body(void *arg, size_t begin, size_t end, size_t worker)
{
    (void)arg;
    for (size_t i = begin; i < end; i++)
        body((int)i, (int)worker);
    return 0;
}

static int hetero_setup(void)
{
    struct hetero_pool_opts opts = { .num_threads = THREADS,
                                     .spin_us = spin_us };

    return hetero_pool_create(&opts, &hpool);
}

static void hetero_run(void)
{
    if (hetero_pool_parallel_for(hpool, THREADS, 1, hetero_body, NULL) != 0)
        abort();
}

static void hetero_teardown(void)
{
    hetero_pool_destroy(hpool);
}

#if HETERO_BENCH_OPENMP
static int omp_setup(void)
{
    return 0;
}

static void omp_run(void)
{
#pragma omp parallel for num_threads(THREADS) schedule(static)
    for (int i = 0; i < THREADS; i++)
        body(i, omp_get_thread_num());
}

static void omp_teardown(void)
{
}
#endif /* HETERO_BENCH_OPENMP */

/* A plain condition-variable pool: one worker, no spinning, static split
 * (the caller runs iteration 0, the worker iteration 1). */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t work;
    pthread_cond_t done;
    unsigned long gen;
    int pending;
    bool stop;
    pthread_t th;
} cvp;

static void *cvp_worker(void *arg)
{
    unsigned long seen = 0;

    (void)arg;
    pthread_mutex_lock(&cvp.mu);
    for (;;) {
        while (cvp.gen == seen && !cvp.stop)
            pthread_cond_wait(&cvp.work, &cvp.mu);
        if (cvp.stop)
            break;
        seen = cvp.gen;
        pthread_mutex_unlock(&cvp.mu);
        body(1, 1);
        pthread_mutex_lock(&cvp.mu);
        if (--cvp.pending == 0)
            pthread_cond_signal(&cvp.done);
    }
    pthread_mutex_unlock(&cvp.mu);
    return NULL;
}

static int cvp_setup(void)
{
    pthread_mutex_init(&cvp.mu, NULL);
    pthread_cond_init(&cvp.work, NULL);
    pthread_cond_init(&cvp.done, NULL);
    cvp.gen = 0;
    cvp.pending = 0;
    cvp.stop = false;
    return -pthread_create(&cvp.th, NULL, cvp_worker, NULL);
}

static void cvp_run(void)
{
    pthread_mutex_lock(&cvp.mu);
    cvp.gen++;
    cvp.pending = 1;
    pthread_cond_signal(&cvp.work);
    pthread_mutex_unlock(&cvp.mu);
    body(0, 0);
    pthread_mutex_lock(&cvp.mu);
    while (cvp.pending != 0)
        pthread_cond_wait(&cvp.done, &cvp.mu);
    pthread_mutex_unlock(&cvp.mu);
}

static void cvp_teardown(void)
{
    pthread_mutex_lock(&cvp.mu);
    cvp.stop = true;
    pthread_cond_signal(&cvp.work);
    pthread_mutex_unlock(&cvp.mu);
    pthread_join(cvp.th, NULL);
    pthread_cond_destroy(&cvp.done);
    pthread_cond_destroy(&cvp.work);
    pthread_mutex_destroy(&cvp.mu);
}

static const struct impl impls[] = {
    { "hetero", hetero_setup, hetero_run, hetero_teardown },
#if HETERO_BENCH_OPENMP
    { "openmp", omp_setup, omp_run, omp_teardown },
#endif /* HETERO_BENCH_OPENMP */
    { "condvar", cvp_setup, cvp_run, cvp_teardown },
};

#define NIMPLS (sizeof(impls) / sizeof(impls[0]))

/* ---- measurement ---- */

struct regime {
    const char *name;
    long long idle_ns; /* before each call; 0: back to back */
    int repeats;
    int quick_repeats;
};

static const struct regime regimes[] = {
    { "back_to_back", 0, 2000, 200 },
    { "idle_1ms", 1000000, 200, 30 },
    { "idle_10ms", 10000000, 200, 30 },
};

#define NREGIMES (sizeof(regimes) / sizeof(regimes[0]))

struct stats {
    double median_us;
    double p10_us;
    double p90_us;
};

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a;
    long long y = *(const long long *)b;

    return (x > y) - (x < y);
}

static struct stats measure(const struct impl *im, const struct regime *rg,
                            int repeats)
{
    static long long t[MAX_REPEATS];
    struct stats s;

    for (int i = 0; i < 20; i++) { /* warm-up */
        atomic_store(&arrived, 0);
        im->run();
    }
    for (int i = 0; i < repeats; i++) {
        long long t0;

        if (rg->idle_ns > 0)
            sleep_ns(rg->idle_ns);
        atomic_store(&arrived, 0);
        t0 = now_ns();
        im->run();
        t[i] = now_ns() - t0;
    }
    qsort(t, (size_t)repeats, sizeof(t[0]), cmp_ll);
    s.median_us = (double)t[repeats / 2] / 1e3;
    s.p10_us = (double)t[repeats / 10] / 1e3;
    s.p90_us = (double)t[repeats * 9 / 10] / 1e3;
    return s;
}

/* Process CPU time (ms) burnt per second of idleness after 1000 calls,
 * measured from the last call, or from 10 ms after it (grace). */
static double idle_burn(const struct impl *im, double idle_s, bool grace)
{
    double c0;

    atomic_store(&arrived, 0);
    for (int i = 0; i < 1000; i++)
        im->run();
    if (grace)
        sleep_ns(10000000LL);
    c0 = cpu_s();
    sleep_ns((long long)(idle_s * 1e9));
    return (cpu_s() - c0) * 1e3 / idle_s;
}

#define NBODIES 3

static const char *const body_suffix[NBODIES] = { "", "+rdv", "+work" };

int main(int argc, char **argv)
{
    static struct stats res[NBODIES][NREGIMES][NIMPLS];
    static double burn[NIMPLS];
    static double burn_grace[NIMPLS];
    const char *only = NULL;
    bool quick = false;
    double idle_s;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = true;
        } else if (strcmp(argv[i], "--spin-us") == 0 && i + 1 < argc) {
            spin_us = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else {
            fprintf(stderr, "usage: %s [--quick] [--spin-us N] [--only IMPL]\n",
                    argv[0]);
            return 2;
        }
    }
    idle_s = quick ? 0.2 : 1.0;

    for (size_t k = 0; k < NIMPLS; k++) {
        int rc = impls[k].setup();

        if (rc != 0) {
            fprintf(stderr, "%s: setup failed: %s\n", impls[k].name,
                    hetero_strerror(rc));
            return 1;
        }
    }
    for (int b = 0; b < NBODIES; b++) {
        mode = (enum body_mode)b;
        for (size_t r = 0; r < NREGIMES; r++) {
            int reps = quick ? regimes[r].quick_repeats : regimes[r].repeats;

            for (size_t k = 0; k < NIMPLS; k++) {
                unsigned long before;

                if (only != NULL && strcmp(only, impls[k].name) != 0)
                    continue;
                sleep_ns(50000000LL); /* let every spinner go to sleep */
                before = atomic_load(&second_ran);
                res[b][r][k] = measure(&impls[k], &regimes[r], reps);
                printf("# %s %s%s: second thread ran %lu of %d iterations\n",
                       impls[k].name, regimes[r].name, body_suffix[b],
                       atomic_load(&second_ran) - before, reps + 20);
            }
        }
    }
    mode = BODY_EMPTY;
    for (size_t k = 0; k < NIMPLS; k++) {
        if (only != NULL && strcmp(only, impls[k].name) != 0)
            continue;
        sleep_ns(100000000LL);
        burn[k] = idle_burn(&impls[k], idle_s, false);
        sleep_ns(100000000LL);
        burn_grace[k] = idle_burn(&impls[k], idle_s, true);
    }
    for (size_t k = 0; k < NIMPLS; k++)
        impls[k].teardown();

    printf("\n%-8s %-18s %10s %10s %10s\n", "impl", "regime", "median_us",
           "p10_us", "p90_us");
    for (int b = 0; b < NBODIES; b++)
        for (size_t r = 0; r < NREGIMES; r++)
            for (size_t k = 0; k < NIMPLS; k++)
                printf("%-8s %-13s%-5s %10.2f %10.2f %10.2f\n", impls[k].name,
                       regimes[r].name, body_suffix[b], res[b][r][k].median_us,
                       res[b][r][k].p10_us, res[b][r][k].p90_us);
    printf("\n%-8s %22s %22s\n", "impl", "idle CPU ms/s", "after 10 ms, ms/s");
    for (size_t k = 0; k < NIMPLS; k++)
        printf("%-8s %22.3f %22.3f\n", impls[k].name, burn[k], burn_grace[k]);

    printf("\nimpl,regime,median_us,p10_us,p90_us\n");
    for (int b = 0; b < NBODIES; b++)
        for (size_t r = 0; r < NREGIMES; r++)
            for (size_t k = 0; k < NIMPLS; k++)
                printf("%s,%s%s,%.3f,%.3f,%.3f\n", impls[k].name,
                       regimes[r].name, body_suffix[b], res[b][r][k].median_us,
                       res[b][r][k].p10_us, res[b][r][k].p90_us);
    printf("\nimpl,idle_cpu_ms_per_s,after_10ms_ms_per_s\n");
    for (size_t k = 0; k < NIMPLS; k++)
        printf("%s,%.3f,%.3f\n", impls[k].name, burn[k], burn_grace[k]);
    return 0;
}
