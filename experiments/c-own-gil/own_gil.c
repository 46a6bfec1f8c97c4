/* PEP 684 on the CPythons of this machine, from plain C: what mod_python's own-GIL
 * interpreters will rest on, checked before any Rust is written.
 *
 *   own_gil parallel       two sub-interpreters, CPU-bound Python in both from two threads,
 *                          first sharing the main GIL, then each with its own
 *   own_gil handoff        which GIL a thread holds after Py_NewInterpreterFromConfig and
 *                          after Py_EndInterpreter
 *   own_gil swap           what PyThreadState_Swap does between two own-GIL interpreters
 *   own_gil imports [DIR]  every extension module of lib-dynload (and those found in DIR)
 *                          imported into an own-GIL interpreter: which CPython refuses, and
 *                          with which message
 *
 * Build with build.sh (one binary per CPython, linked with an rpath to its libpython).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void legacy_end(PyThreadState *main_ts);

#if PY_VERSION_HEX >= 0x030C0000
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* The configuration mod_python would use: an own GIL needs its own object allocator, and
 * that needs the single-phase-init check on. Fork, exec and threads stay allowed, as in the
 * legacy sub-interpreters mod_python 3.5 makes. */
static PyInterpreterConfig config_for(int own)
{
    PyInterpreterConfig c;
    memset(&c, 0, sizeof c);
    c.allow_fork = 1;
    c.allow_exec = 1;
    c.allow_threads = 1;
    c.allow_daemon_threads = 1;
    if (own) {
        c.use_main_obmalloc = 0;
        c.check_multi_interp_extensions = 1;
        c.gil = PyInterpreterConfig_OWN_GIL;
    } else {
        c.use_main_obmalloc = 1;
        c.check_multi_interp_extensions = 0;
        c.gil = PyInterpreterConfig_SHARED_GIL;
    }
    return c;
}

/* Makes a sub-interpreter from the main thread, which holds the main GIL with main_ts, runs
 * `setup` in it, and comes back to main_ts holding the main GIL. Returns the new
 * interpreter's first thread state (belonging to this thread). */
static PyThreadState *make_interp(PyThreadState *main_ts, int own, const char *setup)
{
    PyInterpreterConfig c = config_for(own);
    PyThreadState *ts = NULL;
    PyStatus st = Py_NewInterpreterFromConfig(&ts, &c);
    if (PyStatus_Exception(st) || ts == NULL) {
        fprintf(stderr, "Py_NewInterpreterFromConfig failed: %s\n",
                st.err_msg ? st.err_msg : "(no message)");
        exit(1);
    }
    if (setup && PyRun_SimpleString(setup) != 0) {
        fprintf(stderr, "setup failed\n");
        exit(1);
    }
    /* Back to the main interpreter: release the new interpreter's GIL (or the shared one)
     * and take the main one with this thread's main state. Valid for both kinds. */
    PyEval_SaveThread();
    PyEval_RestoreThread(main_ts);
    return ts;
}

/* Ends a sub-interpreter whose first state is `ts` (this thread's), from the main thread
 * holding the main GIL with main_ts; afterwards main_ts holds the main GIL again. After
 * Py_EndInterpreter no GIL is held (checked by `handoff` on each version), so the way back
 * is PyEval_RestoreThread. */
static void end_interp(PyThreadState *main_ts, PyThreadState *ts)
{
    PyEval_SaveThread();
    PyEval_RestoreThread(ts);
    Py_EndInterpreter(ts);
    PyEval_RestoreThread(main_ts);
}

/* ---- parallel ---- */

static const char *WORK =
    "def work(n):\n"
    "    s = 0\n"
    "    for i in range(n):\n"
    "        s += i * i % 7\n"
    "    return s\n";

struct job {
    PyInterpreterState *interp;
    long n;
    double start, end;
    double cpu; /* CPU time of the thread during work(n) */
};

static double thread_cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* A thread of its own entering `interp` with a thread state of its own, as an httpd worker
 * would, and running work(n) there. */
static void *run_job(void *arg)
{
    struct job *j = arg;
    PyThreadState *ts = PyThreadState_New(j->interp);
    PyEval_RestoreThread(ts);
    PyObject *main = PyImport_AddModule("__main__");
    PyObject *work = PyObject_GetAttrString(main, "work");
    double cpu0 = thread_cpu();
    j->start = now();
    PyObject *r = PyObject_CallFunction(work, "l", j->n);
    j->end = now();
    j->cpu = thread_cpu() - cpu0;
    if (r == NULL)
        PyErr_Print();
    Py_XDECREF(r);
    Py_XDECREF(work);
    PyThreadState_Clear(ts);
    PyThreadState_DeleteCurrent();
    return NULL;
}

/* Runs the two jobs one after the other (serial) or at once; returns the wall time from the
 * first start to the last end. */
static double run_pair(struct job *jobs, int at_once)
{
    pthread_t t[2];
    if (at_once) {
        for (int k = 0; k < 2; k++)
            pthread_create(&t[k], NULL, run_job, &jobs[k]);
        for (int k = 0; k < 2; k++)
            pthread_join(t[k], NULL);
    } else {
        for (int k = 0; k < 2; k++) {
            pthread_create(&t[k], NULL, run_job, &jobs[k]);
            pthread_join(t[k], NULL);
        }
    }
    double first = jobs[0].start < jobs[1].start ? jobs[0].start : jobs[1].start;
    double last = jobs[0].end > jobs[1].end ? jobs[0].end : jobs[1].end;
    return last - first;
}

static int parallel(long n, int rounds)
{
    PyThreadState *main_ts = PyThreadState_Get();
    /* mode 0: both threads in one shared-GIL sub-interpreter (the control); 1: two
     * shared-GIL sub-interpreters; 2: two own-GIL sub-interpreters. */
    static const char *MODES[] = {"shared GIL, one interpreter ", "shared GIL, two interpreters",
                                  "own GIL, two interpreters   "};
    for (int mode = 0; mode <= 2; mode++) {
        int own = mode == 2;
        PyThreadState *first[2];
        struct job jobs[2];
        for (int k = 0; k < 2; k++) {
            first[k] = make_interp(main_ts, own, WORK);
            jobs[k].interp = PyThreadState_GetInterpreter(first[mode == 0 ? 0 : k]);
            jobs[k].n = n;
        }
        PyEval_SaveThread();
        double best_serial = 1e9, best_parallel = 1e9, overlap = 0, cpu = 0;
        for (int r = 0; r < rounds; r++) {
            double s = run_pair(jobs, 0);
            if (s < best_serial)
                best_serial = s;
            double p = run_pair(jobs, 1);
            if (p < best_parallel) {
                best_parallel = p;
                double lo = jobs[0].start > jobs[1].start ? jobs[0].start : jobs[1].start;
                double hi = jobs[0].end < jobs[1].end ? jobs[0].end : jobs[1].end;
                overlap = hi > lo ? hi - lo : 0;
                cpu = jobs[0].cpu + jobs[1].cpu;
            }
        }
        /* With one GIL the two runs interleave (both "overlap" in time, taking turns every
         * switch interval): the CPU they used over the wall time tells the cores used. */
        printf("%s: one after the other %.3f s, both at once %.3f s (speed-up %.2f); "
               "at once: the runs overlap %.3f s, CPU %.3f s = %.2f cores\n",
               MODES[mode], best_serial, best_parallel, best_serial / best_parallel,
               overlap, cpu, cpu / best_parallel);
        PyEval_RestoreThread(main_ts);
        for (int k = 1; k >= 0; k--)
            end_interp(main_ts, first[k]);
    }
    return 0;
}

#endif

/* ---- handoff and swap: is a GIL free? ---- */

/* A probe thread entering `interp` (or, with interp NULL, the main interpreter through
 * PyGILState_Ensure) sets `entered` once it holds that interpreter's GIL. */
struct probe {
    PyInterpreterState *interp;
    volatile int entered;
    pthread_t thread;
};

static void *probe_run(void *arg)
{
    struct probe *p = arg;
    if (p->interp == NULL) {
        PyGILState_STATE g = PyGILState_Ensure();
        p->entered = 1;
        PyGILState_Release(g);
        return NULL;
    }
    PyThreadState *ts = PyThreadState_New(p->interp);
    PyEval_RestoreThread(ts);
    p->entered = 1;
    PyThreadState_Clear(ts);
    PyThreadState_DeleteCurrent();
    return NULL;
}

/* Starts a probe and waits up to half a second for it to get in; whether it did. */
static int probe_start(struct probe *p, PyInterpreterState *interp)
{
    p->interp = interp;
    p->entered = 0;
    pthread_create(&p->thread, NULL, probe_run, p);
    for (int i = 0; i < 50 && !p->entered; i++)
        usleep(10000);
    return p->entered;
}

#if PY_VERSION_HEX >= 0x030C0000
static int handoff(void)
{
    PyThreadState *main_ts = PyThreadState_Get();
    struct probe p;

    /* 1. Creating an own-GIL interpreter while holding the main GIL. */
    PyInterpreterConfig c = config_for(1);
    PyThreadState *ts = NULL;
    Py_NewInterpreterFromConfig(&ts, &c);
    int got_in = probe_start(&p, NULL);
    printf("after Py_NewInterpreterFromConfig(own GIL): another thread %s the main "
           "interpreter while this one is in the new interpreter\n",
           got_in ? "ENTERED (the main GIL was released)" : "could NOT enter");
    PyEval_SaveThread();
    pthread_join(p.thread, NULL);
    /* 2. Ending it. */
    PyEval_RestoreThread(ts);
    Py_EndInterpreter(ts);
    got_in = probe_start(&p, NULL);
    printf("after Py_EndInterpreter(own GIL): another thread %s the main interpreter\n",
           got_in ? "ENTERED (this thread holds no GIL)" : "could NOT enter");
    pthread_join(p.thread, NULL);
    PyEval_RestoreThread(main_ts);

    legacy_end(main_ts);
    return 0;
}
#endif

/* Ending a legacy (shared-GIL) sub-interpreter, as mod_python does today: is the shared GIL
 * still held afterwards? (Also built for 3.11.) */
static void legacy_end(PyThreadState *main_ts)
{
    struct probe p;
    PyThreadState *ts = Py_NewInterpreter();
    Py_EndInterpreter(ts);
    int got_in = probe_start(&p, NULL);
    printf("after Py_EndInterpreter(Py_NewInterpreter's shared GIL): another thread %s the "
           "main interpreter\n",
           got_in ? "ENTERED (the shared GIL was released)"
                  : "could NOT enter (this thread still holds the shared GIL)");
    if (got_in) {
        pthread_join(p.thread, NULL);
        PyEval_RestoreThread(main_ts);
    } else {
        /* Still held: make main_ts current (before 3.13 Swap does not touch the GIL), let
         * the probe in, and take it back. */
        PyThreadState_Swap(main_ts);
        PyEval_SaveThread();
        pthread_join(p.thread, NULL);
        PyEval_RestoreThread(main_ts);
    }
}

#if PY_VERSION_HEX >= 0x030C0000
static int swap(void)
{
    PyThreadState *main_ts = PyThreadState_Get();
    PyThreadState *a = make_interp(main_ts, 1, NULL);
    PyThreadState *b = make_interp(main_ts, 1, NULL);
    PyEval_SaveThread();
    PyEval_RestoreThread(a);
    /* This thread holds A's GIL; it swaps to its own state in B. */
    PyThreadState_Swap(b);
    struct probe pb, pa;
    int b_entered = probe_start(&pb, PyThreadState_GetInterpreter(b));
    int a_entered = probe_start(&pa, PyThreadState_GetInterpreter(a));
    printf("PyThreadState_Swap(A's state -> B's state) between own-GIL interpreters:\n"
           "  another thread %s B while this thread is swapped into it (%s)\n"
           "  another thread %s A (%s)\n",
           b_entered ? "ENTERED" : "could NOT enter",
           b_entered ? "the swap did not take B's GIL: two threads would run in B"
                     : "the swap took B's GIL",
           a_entered ? "ENTERED" : "could NOT enter",
           a_entered ? "the swap released A's GIL" : "the swap kept A's GIL");
    /* Back to A, whichever way the swap went, then release and let the probes finish. */
    PyThreadState_Swap(a);
    PyEval_SaveThread();
    pthread_join(pb.thread, NULL);
    pthread_join(pa.thread, NULL);
    PyEval_RestoreThread(main_ts);
    end_interp(main_ts, b);
    end_interp(main_ts, a);
    return 0;
}

/* ---- imports ---- */


static const char *SURVEY =
    "import importlib, sys\n"
    "for name in NAMES:\n"
    "    try:\n"
    "        importlib.import_module(name)\n"
    "        print(f'  ok       {name}')\n"
    "    except BaseException as e:\n"
    "        print(f'  REFUSED  {name}: {type(e).__name__}: {e}')\n"
    "sys.stdout.flush()\n";

static int imports(const char *extra_dir)
{
    PyThreadState *main_ts = PyThreadState_Get();
    /* The names, found in the main interpreter: lib-dynload's extension modules, then those
     * in extra_dir. */
    char find[2048];
    snprintf(find, sizeof find,
             "import os, sys, sysconfig, importlib.machinery as m\n"
             "def exts(d):\n"
             "    out = set()\n"
             "    for f in os.listdir(d):\n"
             "        for s in m.EXTENSION_SUFFIXES:\n"
             "            if f.endswith(s):\n"
             "                out.add(f[:-len(s)])\n"
             "                break\n"
             "    return sorted(out)\n"
             "NAMES = exts(os.path.join(sysconfig.get_path('platstdlib'), 'lib-dynload'))\n"
             "EXTRA = %s%s%s\n"
             "if EXTRA:\n"
             "    NAMES += exts(EXTRA)\n"
             "SKIP = os.environ.get('SKIP', '').split()\n"
             "NAMES = [n for n in NAMES if n not in SKIP]\n"
             "ONLY = os.environ.get('ONLY', '').split()\n"
             "if ONLY: NAMES = ONLY\n"
             "NAMES_TEXT = repr(NAMES)\n",
             extra_dir ? "'" : "", extra_dir ? extra_dir : "None", extra_dir ? "'" : "");
    if (PyRun_SimpleString(find) != 0)
        return 1;
    PyObject *main = PyImport_AddModule("__main__");
    PyObject *text = PyObject_GetAttrString(main, "NAMES_TEXT");
    const char *names = PyUnicode_AsUTF8(text);
    size_t len = strlen(names) + strlen(SURVEY) + 512;
    char *code = malloc(len);
    snprintf(code, len, "import sys\nNAMES = %s\nif %s%s%s: sys.path.insert(0, %s%s%s)\n%s",
             names, extra_dir ? "'" : "", extra_dir ? extra_dir : "None",
             extra_dir ? "'" : "", extra_dir ? "'" : "", extra_dir ? extra_dir : "None",
             extra_dir ? "'" : "", SURVEY);
    Py_DECREF(text);
    /* SHARED=1: the same in a shared-GIL (legacy) sub-interpreter, for comparison. */
    int own = getenv("SHARED") == NULL;
    printf("extension modules imported into %s sub-interpreter:\n", own ? "an own-GIL" : "a shared-GIL");
    fflush(stdout);
    PyThreadState *sub = make_interp(main_ts, own, code);
    free(code);
    end_interp(main_ts, sub);
    printf("the interpreter was ended (Py_EndInterpreter returned)\n");
    fflush(stdout);
    return 0;
}
#endif

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: own_gil parallel [N] | handoff | swap | imports [DIR]\n");
        return 2;
    }
    Py_InitializeEx(0);
    printf("CPython %s\n", Py_GetVersion());
    fflush(stdout);
    int rc;
#if PY_VERSION_HEX < 0x030C0000
    if (strcmp(argv[1], "handoff") == 0) {
        legacy_end(PyThreadState_Get());
        rc = 0;
    } else {
        printf("no PEP 684 before 3.12: only `handoff` (its legacy part) runs here\n");
        rc = 0;
    }
#else
    if (strcmp(argv[1], "parallel") == 0)
        rc = parallel(argc > 2 ? atol(argv[2]) : 8000000, 5);
    else if (strcmp(argv[1], "handoff") == 0)
        rc = handoff();
    else if (strcmp(argv[1], "swap") == 0)
        rc = swap();
    else if (strcmp(argv[1], "imports") == 0)
        rc = imports(argc > 2 ? argv[2] : NULL);
    else
        rc = 2;
#endif
    fflush(stdout);
    if (Py_FinalizeEx() < 0)
        rc = 120;
    printf("Py_FinalizeEx returned\n");
    return rc;
}
