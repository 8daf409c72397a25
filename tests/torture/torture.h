/* What a generated scenario (generate.py writes scenario.c) gives the runtime that
   interprets it (runtime.c), and what the runtime gives the generated code. */
#ifndef TORTURE_H
#define TORTURE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum torture_op {
	TORTURE_CHURN,         /* target: churn function, amount: iterations */
	TORTURE_COUNTED,       /* target: counted site, amount: allocations, extra: how many to free */
	TORTURE_SPAWN,         /* target: thread */
	TORTURE_JOIN,          /* target: thread */
	TORTURE_START,         /* target: process, variant: enum torture_start, extra: 1 to wait for it */
	TORTURE_RAISE_FLAG,    /* variant: 0 raise, 1 kill */
	TORTURE_RAISE_ALLOC,   /* a signal whose handler allocates, when the allocator allows it */
	TORTURE_TIMER,         /* target: churn function, amount: iterations, extra: timer interval (us) */
	TORTURE_DUMP_SIGNAL,   /* variant: 0 raise, 1 kill; only under heapprof */
	TORTURE_SET_RATE,      /* amount: rate */
	TORTURE_READ_STATS,    /* heapprof_read_stats, its invariants checked */
	TORTURE_WRITE_PROFILE, /* variant: 0 the HEAPPROF_OUT template, 1 a path of the program's own */
	TORTURE_CHDIR,         /* target: enum torture_directory */
	TORTURE_ARGV0,         /* target: title, written over argv as setproctitle does */
	TORTURE_CLOSE_FDS,     /* variant: 0 closefrom, 1 close_range, 2 close() up to the limit */
	TORTURE_FILES,         /* amount: bytes through a pipe and a memfd of the program's own */
	/* target: plugin work, amount: iterations, variant: bit 0 keep it loaded, bit 1
	   RTLD_GLOBAL; extra: counted site + 1 (0: none), count: its allocations */
	TORTURE_DLOPEN,
	TORTURE_CXX,   /* target: C++ work, amount: iterations */
	TORTURE_SLEEP, /* amount: microseconds */
	TORTURE_DEEP,  /* amount: KiB of stack used before running churn `target` once */
	TORTURE_END,   /* variant: enum torture_end, amount: status */
};

enum torture_start {
	TORTURE_FORK,         /* the child runs the process's plan without exec */
	TORTURE_FORK_EXEC,    /* the child execs this program */
	TORTURE_VFORK_EXEC,   /* vfork, then exec */
	TORTURE_POSIX_SPAWN,  /* posix_spawn of this program */
	TORTURE_SYSTEM_EXEC,  /* system("exec program ...") */
	TORTURE_SYSTEM_SHELL, /* system("program ...; exit $?"): the shell waits for it */
};

enum torture_end {
	TORTURE_EXIT,
	TORTURE_RETURN, /* from main: only the initial thread of an exec'd process */
	TORTURE_UNDERSCORE_EXIT,
	TORTURE_ABORT,
	TORTURE_PTHREAD_EXIT, /* the initial thread leaves; the last thread out calls exit(0) */
};

enum torture_directory {
	TORTURE_ROOT,        /* "/" */
	TORTURE_TMP,         /* "/tmp" */
	TORTURE_DIRECTORY_A, /* $TORTURE_DIR_A, absolute */
	TORTURE_DIRECTORY_B, /* $TORTURE_DIR_B, absolute */
	TORTURE_SUBDIRECTORY /* "a", relative */
};

struct torture_step {
	uint8_t op;
	uint8_t variant;
	uint16_t target;
	uint32_t amount;
	uint32_t extra;
	uint32_t count;
};

struct torture_thread {
	const char *name; /* "p2/t5": process, then thread */
	const struct torture_step *steps;
	unsigned step_count;
	unsigned stack_kib; /* 0: the default stack */
	uint8_t detached;
	uint8_t ends_with_pthread_exit;
	uint8_t background;     /* repeats its steps until the process ends; prints nothing */
	unsigned results_below; /* threads with a result it spawns, directly or not, and itself */
	uint64_t seed;
};

struct torture_process {
	const char *name;
	unsigned first_thread; /* its initial thread: main, or the thread that forked it */
	unsigned thread_count;
	unsigned result_threads; /* threads that print a result, the initial one included */
};

/* A counted site: a function of its own that makes exactly one allocation of `size`
   bytes. Plugin sites are looked up by name in the loaded plugin. */
struct torture_site {
	const char *name;
	void *(*allocate)(void);
	void (*release)(void *block);
	uint64_t size;
};

#define TORTURE_SINK_SLOTS 32

/* Where a thread's blocks escape to, so the compiler keeps every allocation. */
struct torture_sink {
	void *slots[TORTURE_SINK_SLOTS];
	size_t sizes[TORTURE_SINK_SLOTS];
	unsigned profiles_written;
};

struct torture_block {
	void *pointer;
	size_t size;
};

uint64_t torture_mix(uint64_t sum, uint64_t value);
/* Fills `block`, keeps it in a slot chosen by `sum`, frees the block it replaces. */
uint64_t torture_keep(struct torture_sink *sink, void *block, size_t size, uint64_t sum);
/* Checks what realloc kept of the old contents, then keeps the block. */
uint64_t torture_keep_resized(struct torture_sink *sink, void *block, size_t old_size, size_t size,
			      uint64_t sum);
/* Takes a block out of its slot; NULL when the slot is empty. */
struct torture_block torture_take(struct torture_sink *sink, uint64_t sum);
uint64_t torture_drop(struct torture_sink *sink, uint64_t sum);

typedef uint64_t (*torture_churn_function)(struct torture_sink *sink, uint64_t sum, unsigned iterations);
typedef uint64_t (*torture_work_function)(uint64_t sum, unsigned iterations);

/* From the generated scenario. */
extern const struct torture_thread torture_threads[];
extern const unsigned torture_thread_count;
extern const struct torture_process torture_processes[];
extern const unsigned torture_process_count;
extern const struct torture_site torture_sites[];
extern const unsigned torture_site_count;
extern const torture_churn_function torture_churns[];
extern const torture_work_function torture_cxx_works[];
extern const char *const torture_plugin_works[];
extern const char *const torture_titles[];
/* Whether the allocator underneath is async-signal-safe, so handlers may allocate. */
extern const int torture_signal_safe_allocator;
extern const int torture_dump_signal; /* 0: none */
/* The value libtorture_needed.so computed in its constructor; 0 without it. */
extern uint64_t torture_needed_value(void);

#ifdef __cplusplus
}
#endif

#endif
