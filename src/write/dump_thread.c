#include "dump_thread.h"

#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "dump.h"
#include "helper_thread.h"
#include "log.h"
#include "options.h"

#define NANOS_PER_SECOND 1000000000LL

/* Dumps asked for and not yet written, a semaphore the helper thread waits on with a
   futex: every wake-up (each signal, each interval) is one profile. Not a file
   descriptor: a program that closes every descriptor it did not open, as daemons do,
   would close ours, and the number could then name a file of its own. Its top bit,
   LOOKING_AROUND, is set once the initial thread has ended: in the word the futex
   compares, so that a wake-up for it cannot fall between a look and the wait. */
static _Atomic uint32_t requested_dumps;
#define LOOKING_AROUND (1u << 31)
/* False in a forked child, which has no helper thread. */
static atomic_bool helper_running;
static _Atomic uint64_t bytes_since_dump;

static long futex(_Atomic uint32_t *word, int operation, uint32_t value, const struct timespec *timeout)
{
	return syscall(SYS_futex, (uint32_t *)word, operation, value, timeout, NULL, 0);
}

/* Async-signal-safe: an atomic add and a system call. */
static void wake(void)
{
	if (!atomic_load_explicit(&helper_running, memory_order_relaxed))
		return;
	int saved_errno = errno;
	atomic_fetch_add_explicit(&requested_dumps, 1, memory_order_release);
	futex(&requested_dumps, FUTEX_WAKE_PRIVATE, 1, NULL);
	errno = saved_errno;
}

static void on_signal(int signal)
{
	(void)signal;
	wake();
}

void dump_thread_count_allocation(uint64_t bytes)
{
	if (!options.dump_interval || !atomic_load_explicit(&helper_running, memory_order_relaxed))
		return;
	uint64_t total = atomic_fetch_add_explicit(&bytes_since_dump, bytes, memory_order_relaxed) + bytes;
	if (total >= options.dump_interval &&
	    atomic_compare_exchange_strong(&bytes_since_dump, &total, total - options.dump_interval))
		wake();
}

static int64_t monotonic_nanos(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * NANOS_PER_SECOND + now.tv_nsec;
}

static bool looking_around(void)
{
	return atomic_load_explicit(&requested_dumps, memory_order_relaxed) & LOOKING_AROUND;
}

/* Takes one requested dump, or waits for one until `deadline` (monotonic nanoseconds;
   0: none), HELPER_THREAD_CHECK_MS when looking around, or a wake-up. True when one
   was taken. */
static bool take_request(int64_t deadline)
{
	uint32_t word = atomic_load_explicit(&requested_dumps, memory_order_acquire);
	while (word & ~LOOKING_AROUND) {
		if (atomic_compare_exchange_weak_explicit(&requested_dumps, &word, word - 1,
							  memory_order_acquire, memory_order_relaxed))
			return true;
	}
	int64_t now = monotonic_nanos();
	int64_t look = (word & LOOKING_AROUND) ? now + HELPER_THREAD_CHECK_MS * 1000000LL : 0;
	if (!deadline || (look && look < deadline))
		deadline = look;
	struct timespec timeout, *wait_for = NULL;
	if (deadline) {
		int64_t left = deadline - now;
		if (left <= 0)
			return false;
		timeout = (struct timespec){.tv_sec = left / NANOS_PER_SECOND,
					    .tv_nsec = left % NANOS_PER_SECOND};
		wait_for = &timeout;
	}
	futex(&requested_dumps, FUTEX_WAIT_PRIVATE, word, wait_for);
	return false;
}

/* A profile per request and, with HEAPPROF_DUMP_PERIOD, one whenever a period passes
   without any; gone when heapprof's threads are all that is left. */
__attribute__((noreturn)) static void *dump_loop(void *argument)
{
	(void)argument;
	int64_t period = (int64_t)options.dump_period * NANOS_PER_SECOND;
	for (;;) {
		int64_t due = period ? monotonic_nanos() + period : 0;
		while (!take_request(due)) {
			if (looking_around())
				helper_thread_leave_if_alone();
			if (due && monotonic_nanos() >= due)
				break;
		}
		if (!dump_exit_started())
			dump_write(NULL);
	}
}

void dump_thread_look_around(void)
{
	atomic_fetch_or_explicit(&requested_dumps, LOOKING_AROUND, memory_order_release);
	futex(&requested_dumps, FUTEX_WAKE_PRIVATE, 1, NULL);
}

static bool install_handler(void)
{
	/* A program that gives its threads an alternate signal stack expects every handler
	   to run there (Go's runtime requires it of handlers that C code installs): its
	   threads' own stacks may have no room for a signal frame, 3.4 KiB with AVX-512. */
	struct sigaction action = {.sa_handler = on_signal, .sa_flags = SA_RESTART | SA_ONSTACK};
	sigemptyset(&action.sa_mask);
	if (sigaction(options.dump_signal, &action, NULL) == 0)
		return true;
	log_message("cannot install the HEAPPROF_DUMP_SIGNAL handler; no dumps on signal");
	return false;
}

void dump_thread_fork_child(void)
{
	atomic_store_explicit(&helper_running, false, memory_order_relaxed);
	atomic_fetch_and_explicit(&requested_dumps, ~LOOKING_AROUND, memory_order_relaxed);
}

static bool configured(void)
{
	return options.dump_signal || options.dump_interval || options.dump_period;
}

static bool start_thread(void)
{
	if (!helper_thread_start(dump_loop, NULL)) {
		log_message("cannot start the dump thread; no dumps during the run");
		return false;
	}
	atomic_store_explicit(&helper_running, true, memory_order_relaxed);
	return true;
}

void dump_thread_start(void)
{
	if (configured() && start_thread() && options.dump_signal)
		install_handler();
}

void dump_thread_start_in_child(void)
{
	if (configured())
		start_thread();
}
