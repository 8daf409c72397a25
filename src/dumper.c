#include "dumper.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dump.h"
#include "log.h"
#include "options.h"

static int wakeup_fd = -1;
static _Atomic uint64_t bytes_since_dump;

static void wake(void)
{
	if (wakeup_fd < 0)
		return;
	uint64_t one = 1;
	int saved_errno = errno;
	if (write(wakeup_fd, &one, sizeof one) < 0) {
		/* The counter is saturated: a dump is pending anyway. */
	}
	errno = saved_errno;
}

static void on_signal(int signal)
{
	(void)signal;
	wake();
}

void dumper_count_allocation(uint64_t bytes)
{
	if (!options.dump_interval || wakeup_fd < 0)
		return;
	uint64_t total = atomic_fetch_add_explicit(&bytes_since_dump, bytes, memory_order_relaxed) + bytes;
	if (total >= options.dump_interval &&
	    atomic_compare_exchange_strong(&bytes_since_dump, &total, total - options.dump_interval))
		wake();
}

static void *dump_loop(void *argument)
{
	(void)argument;
	int timeout = options.dump_period ? (int)(options.dump_period * 1000) : -1;
	for (;;) {
		struct pollfd wait_for = {.fd = wakeup_fd, .events = POLLIN};
		int ready = poll(&wait_for, 1, timeout);
		if (ready < 0 && errno != EINTR)
			return NULL;
		if (ready > 0) {
			uint64_t count;
			if (read(wakeup_fd, &count, sizeof count) < 0)
				continue;
		}
		if (!dump_exit_started())
			dump_write(NULL);
	}
}

static bool install_handler(void)
{
	struct sigaction action = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
	sigemptyset(&action.sa_mask);
	if (sigaction(options.dump_signal, &action, NULL) == 0)
		return true;
	log_message("cannot install the HEAPPROF_DUMP_SIGNAL handler; no dumps on signal");
	return false;
}

void dumper_fork_child(void)
{
	if (wakeup_fd >= 0)
		close(wakeup_fd);
	wakeup_fd = -1;
}

void dumper_start(void)
{
	if (!options.dump_signal && !options.dump_interval && !options.dump_period)
		return;
	/* A semaphore: every wake-up (each signal, each interval) is one profile. */
	wakeup_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE);
	if (wakeup_fd < 0) {
		log_message("cannot create an eventfd; no dumps during the run");
		return;
	}
	/* The helper thread takes no signals: they belong to the program. */
	sigset_t all, previous;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &previous);
	pthread_t thread;
	int error = pthread_create(&thread, NULL, dump_loop, NULL);
	pthread_sigmask(SIG_SETMASK, &previous, NULL);
	if (error) {
		log_message("cannot start the dump thread; no dumps during the run");
		return;
	}
	pthread_detach(thread);
	if (options.dump_signal)
		install_handler();
}
