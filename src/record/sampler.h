/* Chooses which allocations to record: a Poisson process over allocated bytes with
   mean `rate`, as Go's runtime does, so an allocation of S bytes is recorded with
   probability 1 - exp(-S / rate). */
#ifndef HEAPPROF_SAMPLER_H
#define HEAPPROF_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>

#include "thread_state.h"

#include <stdatomic.h>

/* Bumped on every rate change; 0 until sampling starts. A thread whose copy differs
   takes the slow path and starts a fresh interval at the new rate. */
extern _Atomic uint32_t sampler_generation __attribute__((visibility("hidden")));

/* The fast path: true when the allocation falls short of the next sample point
   (and the rate has not changed). Counts the allocation. */
static inline bool sampler_skip(size_t size)
{
	struct thread_state *state = &thread_state;
	uint64_t left = counter_get(&state->bytes_until_sample);
	if (__builtin_expect(size < left &&
				     state->rate_generation ==
					     atomic_load_explicit(&sampler_generation, memory_order_relaxed),
			     1)) {
		counter_set(&state->bytes_until_sample, left - size);
		counter_increment(&state->alloc_objects);
		return true;
	}
	return false;
}

/* The slow path, for an allocation that sampler_skip did not pass: when it is to be
   recorded, the rate it was sampled at (what its sample stands for), else 0. Counts
   the allocation and draws the next interval. Never records on a busy thread or
   before sampler_start. */
size_t sampler_take(size_t size);

/* Both sampler_skip and, when that fails, sampler_take. */
size_t sampler_decide(size_t size);

/* Starts sampling at options.rate. */
void sampler_start(void);

/* Applies to the following allocations of every thread. */
void sampler_set_rate(size_t rate);
size_t sampler_get_rate(void);

/* The rate a profile's samples were taken at: the last nonzero one. */
size_t sampler_profile_rate(void);

/* What one sample of blocks of `average_size` bytes stands for, taken at `rate`: Go's
   unsampling, 1 / (1 - exp(-average_size / rate)), the inverse of the chance of taking
   it. 1 when every allocation was recorded (rate 0 or 1) and for blocks of no bytes,
   which the formula would make infinite. Shared by the live estimate and the profile,
   so that the two agree. */
double sampler_unsampling_scale(double average_size, size_t rate);

/* A uniform 64-bit draw from this thread's generator. */
uint64_t sampler_random(void);

#endif
