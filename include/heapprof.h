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
   Applies to every thread from its next sampling decision. */
void heapprof_set_rate(size_t bytes);
size_t heapprof_get_rate(void);

/* Writes a complete profile now: to `path`, or to the HEAPPROF_OUT template when
   NULL. Returns 0, or -1 with errno set. */
int heapprof_write_profile(const char *path);

/* The library's version, "MAJOR.MINOR.PATCH". */
const char *heapprof_version(void);

#ifdef __cplusplus
}
#endif

#endif
