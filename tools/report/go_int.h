/* Go's int64 arithmetic, which pprof's sums rely on: addition wraps instead
   of overflowing, the absolute value of the smallest int64 is itself, and a
   float64 out of range converts to the smallest int64. */
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

/* int64(f) as Go compiles it for amd64 (CVTTSD2SQ): NaN and values out of
   range give the smallest int64, where C leaves the result undefined. */
static inline int64_t go_int64_of(double value)
{
	if (!(value >= -9223372036854775808.0 && value < 9223372036854775808.0))
		return INT64_MIN;
	return (int64_t)value;
}

#endif
