/* Go's int64 arithmetic, which pprof's sums rely on: addition wraps instead
   of overflowing, and the absolute value of the smallest int64 is itself. */
#ifndef HEAPPROF_TOOLS_GO_INT_H
#define HEAPPROF_TOOLS_GO_INT_H

#include <stdint.h>

static inline void go_add(int64_t *total, int64_t value)
{
	*total = (int64_t)((uint64_t)*total + (uint64_t)value);
}

static inline int64_t go_abs(int64_t value)
{
	return value < 0 ? (int64_t)(0 - (uint64_t)value) : value;
}

#endif
