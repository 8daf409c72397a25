#include "sampler.h"

#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "exp_log.h"
#include "options.h"
#include "thread_registry.h"

/* At rate 0 nothing is sampled: an interval no thread reaches. A rate change still
   takes effect at once, through the generation check on the fast path. */
#define OFF_INTERVAL ((uint64_t)1 << 62)

__thread struct thread_state thread_state TLS_MODEL;

static _Atomic size_t current_rate;
/* The last nonzero rate: samples taken before recording was turned off were taken at it. */
static _Atomic size_t last_sampling_rate = OPTIONS_DEFAULT_RATE;
_Atomic uint32_t sampler_generation;
static _Atomic uint64_t thread_ordinal;

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* With HEAPPROF_SEED the n-th thread to allocate always gets the same stream. */
static void seed_thread(struct thread_state *state)
{
	uint64_t ordinal = atomic_fetch_add_explicit(&thread_ordinal, 1, memory_order_relaxed);
	uint64_t seed;
	if (options.seeded) {
		seed = options.seed ^ (ordinal * 0xd1b54a32d192ed03ULL);
	} else {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		seed = (uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 32) ^
		       ((uint64_t)syscall(SYS_gettid) << 16) ^ (uint64_t)(uintptr_t)state;
	}
	uint64_t mixer = seed;
	state->random_state = splitmix64(&mixer) | 1;
}

uint64_t sampler_random(void)
{
	struct thread_state *state = &thread_state;
	if (!state->random_state)
		seed_thread(state);
	/* xorshift64*: fast, and plenty for choosing intervals. */
	uint64_t x = state->random_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	state->random_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Exponential with mean `rate`, by inverting the CDF of a uniform draw in (0, 1]. */
static uint64_t draw_interval(size_t rate)
{
	if (rate == 0)
		return OFF_INTERVAL;
	if (rate == 1)
		return 0;
	double uniform = (double)((sampler_random() >> 11) + 1) * 0x1.0p-53;
	double interval = -exp_log_log(uniform) * (double)rate;
	if (interval < 1)
		return 1;
	if (interval > 0x1.0p62)
		return (uint64_t)1 << 62;
	return (uint64_t)interval;
}

/* Ends the current interval, counting what it consumed, and starts one drawn at
   `rate`. */
static void start_interval(struct thread_state *state, size_t rate)
{
	uint64_t length = draw_interval(rate);
	counter_add(&state->bytes_before_interval,
		    counter_get(&state->interval_length) - counter_get(&state->bytes_until_sample));
	counter_set(&state->interval_length, length);
	counter_set(&state->bytes_until_sample, length);
	state->interval_rate = rate;
}

size_t sampler_take(size_t size)
{
	struct thread_state *state = &thread_state;
	uint32_t current = atomic_load_explicit(&sampler_generation, memory_order_acquire);
	counter_add(&state->alloc_objects, 1);
	/* A thread past its registry exit records nothing: a fork would not wait for it. */
	if (current == 0 || state->registration == THREAD_RETIRED) {
		counter_add(&state->bytes_before_interval, size);
		return 0;
	}
	size_t rate = atomic_load_explicit(&current_rate, memory_order_relaxed);
	if (state->busy) {
		/* heapprof's own allocation, never recorded, crossed the sample point (or
		   the rate changed). Left as it is, the countdown would be at most a few
		   bytes, and the program's next allocation would be sampled almost surely
		   yet weighted as if by chance. Intervals are exponential, so a fresh one
		   from here is what the program's bytes would have met anyway. */
		counter_add(&state->bytes_before_interval, size);
		state->rate_generation = current;
		start_interval(state, rate);
		return 0;
	}
	thread_registry_add(state);
	if (state->rate_generation != current) {
		/* A new thread or a new rate: a fresh interval, which may cover this one. */
		state->rate_generation = current;
		start_interval(state, rate);
		uint64_t left = counter_get(&state->bytes_until_sample);
		if (size < left) {
			counter_set(&state->bytes_until_sample, left - size);
			return 0;
		}
	}
	size_t sampled_at = state->interval_rate;
	counter_add(&state->bytes_before_interval, size);
	start_interval(state, rate);
	return sampled_at;
}

size_t sampler_decide(size_t size)
{
	return sampler_skip(size) ? 0 : sampler_take(size);
}

/* Concurrent calls each bump the generation with a read-modify-write, after storing
   their rate: the last bump follows the last rate stored, and a thread that sees it
   reads that rate. With a load and a store, two calls could both store the same
   generation, and a thread that took it with the older call's rate kept that rate
   (rate 0: it never sampled again). Lock-free: a signal handler may call it. */
void sampler_set_rate(size_t rate)
{
	atomic_store_explicit(&current_rate, rate, memory_order_relaxed);
	if (rate)
		atomic_store_explicit(&last_sampling_rate, rate, memory_order_relaxed);
	uint32_t generation = atomic_load_explicit(&sampler_generation, memory_order_relaxed);
	/* 0 means "not started". */
	while (!atomic_compare_exchange_weak_explicit(&sampler_generation, &generation,
						      generation + 1 ? generation + 1 : 1,
						      memory_order_release, memory_order_relaxed))
		;
}

size_t sampler_get_rate(void)
{
	return atomic_load_explicit(&current_rate, memory_order_relaxed);
}

void sampler_start(void)
{
	sampler_set_rate(options.rate);
}

size_t sampler_profile_rate(void)
{
	return atomic_load_explicit(&last_sampling_rate, memory_order_relaxed);
}

double sampler_unsampling_scale(double average_size, size_t rate)
{
	if (rate <= 1 || average_size <= 0)
		return 1;
	return 1 / (1 - exp_log_exp(-average_size / (double)rate));
}
