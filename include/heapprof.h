/* heapprof: a sampling heap profiler for any dynamically linked program.
   These calls let a program steer it, as Go programs use runtime.MemProfileRate and
   pprof.WriteHeapProfile. Link with -lheapprof (pkg-config heapprof), or declare the
   functions weak and call them only when non-NULL to run with or without LD_PRELOAD. */
#ifndef HEAPPROF_H
#define HEAPPROF_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Mean bytes between samples: 0 stops recording, 1 records every allocation.
   Applies to every thread from its next sampling decision. In a process started
   with HEAPPROF_RATE=0, the first call that turns recording on loads the stack
   unwinder (dlopen): make it where dlopen may be called, not from a signal handler.
   Every other call is async-signal-safe. */
void heapprof_set_rate(size_t bytes);
size_t heapprof_get_rate(void);

/* Writes a complete profile now: to `path`, or to the HEAPPROF_OUT template when
   NULL. Returns 0, or -1 with errno set. */
int heapprof_write_profile(const char *path);

/* What heapprof has seen, like Go's runtime.ReadMemStats. The totals are exact counts
   of calls into the allocator; the estimates come from the samples. */
struct heapprof_stats {
	unsigned long long total_alloc_bytes;   /* bytes requested by every allocation */
	unsigned long long total_alloc_objects; /* allocations (realloc counts as one) */
	unsigned long long total_free_objects;  /* frees of non-NULL blocks (realloc counts as one) */
	unsigned long long inuse_bytes_estimate;
	unsigned long long inuse_objects_estimate;
	unsigned long long peak_inuse_bytes_estimate; /* the largest in-use estimate seen */
	unsigned long long samples;                   /* sampled allocations so far */
	unsigned long long rate;                      /* the current sampling rate */
};

/* Fills `stats`; returns 0, or -1 with errno EINVAL when `stats` is NULL. */
int heapprof_read_stats(struct heapprof_stats *stats);

/* The library's version, "MAJOR.MINOR.PATCH". */
const char *heapprof_version(void);

#ifdef __cplusplus
}
#endif

#endif
