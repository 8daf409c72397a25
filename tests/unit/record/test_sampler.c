#include "record/sampler.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "options.h"

#define SEED 42
#define SEQUENCE_LENGTH 1000

/* Each scenario runs on a fresh thread, so it starts from a new thread_state. */
static void run_in_thread(void *(*scenario)(void *))
{
	pthread_t thread;
	CHECK(pthread_create(&thread, NULL, scenario, NULL) == 0);
	CHECK(pthread_join(thread, NULL) == 0);
}

/* Fails unless `hits` out of `trials` is within 5 standard deviations of probability p. */
static void check_binomial(uint64_t hits, uint64_t trials, double probability, const char *what)
{
	double expected = (double)trials * probability;
	double sigma = sqrt((double)trials * probability * (1 - probability));
	if (fabs((double)hits - expected) > 5 * sigma)
		CHECK_FAILED("%s: %" PRIu64 " of %" PRIu64 ", expected %.1f +- %.1f", what, hits, trials,
			     expected, 5 * sigma);
}

/* Takes a sample and returns the interval drawn for the next one. An allocation
   larger than any interval always reaches the slow path and is always taken. */
static uint64_t next_interval(void)
{
	CHECK(sampler_take(SIZE_MAX));
	return thread_state.bytes_until_sample;
}

static void test_nothing_sampled_before_start(void)
{
	CHECK(!sampler_take(100));
	CHECK(!sampler_decide(0));
	CHECK(!sampler_decide((size_t)1 << 30));
	CHECK(!sampler_take(SIZE_MAX));
}

static void draw_sequence(uint64_t *intervals)
{
	for (size_t i = 0; i < SEQUENCE_LENGTH; i++)
		intervals[i] = next_interval();
}

/* The first thread's intervals in a child process given `seed`. */
static void draw_sequence_in_child(uint64_t seed, uint64_t *intervals)
{
	int pipe_ends[2];
	CHECK(pipe(pipe_ends) == 0);
	pid_t child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		options.seed = seed;
		draw_sequence(intervals);
		size_t size = SEQUENCE_LENGTH * sizeof *intervals;
		_exit(write(pipe_ends[1], intervals, size) == (ssize_t)size ? 0 : 1);
	}
	close(pipe_ends[1]);
	size_t received = 0, size = SEQUENCE_LENGTH * sizeof *intervals;
	for (ssize_t count; received < size; received += (size_t)count) {
		count = read(pipe_ends[0], (char *)intervals + received, size - received);
		CHECK(count > 0);
	}
	close(pipe_ends[0]);
	int status;
	CHECK(waitpid(child, &status, 0) == child);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static uint64_t second_thread_sequence[SEQUENCE_LENGTH];

static void *draw_second_thread_sequence(void *unused)
{
	(void)unused;
	draw_sequence(second_thread_sequence);
	return NULL;
}

static unsigned count_equal(const uint64_t *left, const uint64_t *right)
{
	unsigned equal = 0;
	for (size_t i = 0; i < SEQUENCE_LENGTH; i++)
		equal += left[i] == right[i];
	return equal;
}

/* Must run before any thread of this process has drawn: children forked now are
   the same "first thread" as the thread that draws after them. */
static void test_same_seed_same_sequence(void)
{
	static uint64_t same_seed[SEQUENCE_LENGTH], other_seed[SEQUENCE_LENGTH],
		first_thread[SEQUENCE_LENGTH];
	draw_sequence_in_child(SEED, same_seed);
	draw_sequence_in_child(SEED + 1, other_seed);
	draw_sequence(first_thread);
	CHECK(memcmp(same_seed, first_thread, sizeof same_seed) == 0);
	CHECK(count_equal(other_seed, first_thread) < 10);
	run_in_thread(draw_second_thread_sequence);
	CHECK(count_equal(second_thread_sequence, first_thread) < 10);
}

/* Intervals are exponential with mean `rate`: check the mean and two tail fractions. */
static void *intervals_are_exponential(void *unused)
{
	(void)unused;
	const size_t rate = 65536, draws = 1000000;
	sampler_set_rate(rate);
	double sum = 0;
	uint64_t above_mean = 0, above_three_means = 0, smallest = UINT64_MAX;
	for (size_t i = 0; i < draws; i++) {
		uint64_t interval = next_interval();
		sum += (double)interval;
		above_mean += interval > rate;
		above_three_means += interval > 3 * rate;
		if (interval < smallest)
			smallest = interval;
	}
	double mean = sum / (double)draws;
	/* The standard deviation of an exponential equals its mean. */
	double bound = 5 * (double)rate / sqrt((double)draws);
	if (fabs(mean - (double)rate) > bound)
		CHECK_FAILED("mean interval %.1f, expected %zu +- %.1f", mean, rate, bound);
	check_binomial(above_mean, draws, exp(-1), "intervals above the mean");
	check_binomial(above_three_means, draws, exp(-3), "intervals above three means");
	CHECK(smallest >= 1);
	return NULL;
}

/* How many of `trials` allocations of `size` bytes sampler_decide records. */
static uint64_t count_sampled(size_t size, uint64_t trials)
{
	uint64_t sampled = 0;
	for (uint64_t i = 0; i < trials; i++)
		sampled += sampler_decide(size) != 0;
	return sampled;
}

static void check_sampled_fraction(size_t size, size_t rate)
{
	const uint64_t trials = 1000000;
	char what[96];
	snprintf(what, sizeof what, "allocations of %zu bytes sampled at rate %zu", size, rate);
	check_binomial(count_sampled(size, trials), trials, 1 - exp(-(double)size / (double)rate), what);
}

static void *fraction_sampled_is_one_minus_exp(void *unused)
{
	(void)unused;
	sampler_set_rate(1000);
	static const size_t sizes[] = {1, 10, 100, 1000, 4000};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		check_sampled_fraction(sizes[i], 1000);

	sampler_set_rate(100000);
	check_sampled_fraction(100, 100000);
	check_sampled_fraction(50000, 100000);
	sampler_set_rate(1000);
	check_sampled_fraction(100, 1000);
	return NULL;
}

static void *rate_one_samples_everything(void *unused)
{
	(void)unused;
	sampler_set_rate(1);
	CHECK_UINT(sampler_get_rate(), 1);
	CHECK_UINT(sampler_profile_rate(), 1);
	CHECK_UINT(count_sampled(0, 1000), 1000);
	CHECK_UINT(count_sampled(1, 1000), 1000);
	CHECK_UINT(count_sampled(4096, 1000), 1000);
	return NULL;
}

/* A sample says the rate it was taken at, which is what it stands for. */
static void *sample_reports_its_rate(void *unused)
{
	(void)unused;
	sampler_set_rate(1000);
	CHECK_UINT(sampler_take(SIZE_MAX), 1000);
	CHECK_UINT(sampler_take(SIZE_MAX), 1000);
	sampler_set_rate(1);
	CHECK_UINT(sampler_decide(1), 1);
	sampler_set_rate(524288);
	CHECK_UINT(sampler_take(SIZE_MAX), 524288);
	return NULL;
}

static void *rate_zero_samples_nothing(void *unused)
{
	(void)unused;
	sampler_set_rate(4096);
	sampler_set_rate(0);
	CHECK_UINT(sampler_get_rate(), 0);
	CHECK_UINT(sampler_profile_rate(), 4096);
	CHECK_UINT(count_sampled(1, 100000), 0);
	CHECK_UINT(count_sampled(4096, 100000), 0);
	CHECK_UINT(count_sampled((size_t)1 << 30, 1000), 0);
	CHECK(!sampler_take(SIZE_MAX));

	/* A new rate applies from the next allocation on, even after idling at rate 0. */
	sampler_set_rate(1);
	CHECK(sampler_decide(1));
	CHECK_UINT(count_sampled(1, 1000), 1000);
	CHECK_UINT(sampler_profile_rate(), 1);
	sampler_set_rate(0);
	CHECK(!sampler_decide(1));
	return NULL;
}

/* Every allocation is counted, sampled or not, on the fast path and the slow one. */
static void *every_allocation_counted(void *unused)
{
	(void)unused;
	sampler_set_rate(1000);
	uint64_t before = thread_state.alloc_objects;
	count_sampled(1, 5000);
	count_sampled(1500, 5000);
	CHECK_UINT(thread_state.alloc_objects - before, 10000);
	thread_state.busy = true;
	count_sampled(1 << 20, 10);
	thread_state.busy = false;
	CHECK_UINT(thread_state.alloc_objects - before, 10010);
	return NULL;
}

static void *busy_thread_samples_nothing(void *unused)
{
	(void)unused;
	sampler_set_rate(1);
	thread_state.busy = true;
	CHECK_UINT(count_sampled(1, 1000), 0);
	CHECK(!sampler_take(SIZE_MAX));
	thread_state.busy = false;
	CHECK_UINT(count_sampled(1, 1000), 1000);
	return NULL;
}

/* heapprof's own allocations (a dump's, say: many, small and large) that cross the
   sample point start a fresh interval: the program's next allocation is sampled by
   chance, not almost surely. */
static void *busy_crossing_starts_a_fresh_interval(void *unused)
{
	(void)unused;
	const size_t rate = 4096, size = 16;
	const uint64_t trials = 20000;
	sampler_set_rate(rate);
	uint64_t sampled = 0;
	for (uint64_t i = 0; i < trials; i++) {
		thread_state.busy = true;
		for (unsigned j = 0; j < 64; j++)
			CHECK(!sampler_decide(j % 8 ? 256 : 8192));
		thread_state.busy = false;
		sampled += sampler_decide(size) != 0;
	}
	check_binomial(sampled, trials, 1 - exp(-(double)size / (double)rate),
		       "program allocations sampled right after one of heapprof's");
	return NULL;
}

#define SETTERS 2
#define SETTINGS 20000

static atomic_bool setters_done;

/* Turns sampling on and off, out of step with the other setter. */
static void *set_rates(void *argument)
{
	uintptr_t setter = (uintptr_t)argument;
	for (unsigned i = 0; i < SETTINGS; i++)
		sampler_set_rate((i + setter) % 2);
	return NULL;
}

/* Samples while the rate changes under it, then must follow the rate that won. */
static void *sample_through_rate_changes(void *unused)
{
	(void)unused;
	while (!atomic_load(&setters_done))
		sampler_decide(1);
	CHECK_UINT(count_sampled(1, 100), sampler_get_rate() ? 100 : 0);
	return NULL;
}

/* Concurrent heapprof_set_rate calls: whichever rate is set last, every thread
   samples at it afterwards; none keeps the other call's rate (a thread that took
   the new generation with the older rate kept it, and rate 0 meant never sampling
   again). */
static void test_concurrent_rate_changes(void)
{
	for (unsigned round = 0; round < 20; round++) {
		atomic_store(&setters_done, false);
		pthread_t sampler, setters[SETTERS];
		CHECK(pthread_create(&sampler, NULL, sample_through_rate_changes, NULL) == 0);
		for (uintptr_t i = 0; i < SETTERS; i++)
			CHECK(pthread_create(&setters[i], NULL, set_rates, (void *)i) == 0);
		for (unsigned i = 0; i < SETTERS; i++)
			CHECK(pthread_join(setters[i], NULL) == 0);
		atomic_store(&setters_done, true);
		CHECK(pthread_join(sampler, NULL) == 0);
	}
}

static void test_profile_rate_is_last_nonzero(void)
{
	sampler_set_rate(12345);
	CHECK_UINT(sampler_get_rate(), 12345);
	CHECK_UINT(sampler_profile_rate(), 12345);
	sampler_set_rate(0);
	sampler_set_rate(0);
	CHECK_UINT(sampler_get_rate(), 0);
	CHECK_UINT(sampler_profile_rate(), 12345);
	sampler_set_rate(777);
	CHECK_UINT(sampler_profile_rate(), 777);
}

int main(void)
{
	CHECK_UINT(sampler_profile_rate(), OPTIONS_DEFAULT_RATE);
	test_nothing_sampled_before_start();

	options.seeded = true;
	options.seed = SEED;
	options.rate = 8192;
	sampler_start();
	CHECK_UINT(sampler_get_rate(), 8192);
	CHECK_UINT(sampler_profile_rate(), 8192);
	test_same_seed_same_sequence();

	run_in_thread(intervals_are_exponential);
	run_in_thread(fraction_sampled_is_one_minus_exp);
	run_in_thread(rate_one_samples_everything);
	run_in_thread(sample_reports_its_rate);
	run_in_thread(rate_zero_samples_nothing);
	run_in_thread(busy_thread_samples_nothing);
	run_in_thread(busy_crossing_starts_a_fresh_interval);
	run_in_thread(every_allocation_counted);
	test_concurrent_rate_changes();
	test_profile_rate_is_last_nonzero();
	return 0;
}
