#include "descriptors.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "thread_state.h"

/* A program's files take the lowest free numbers and reach the top last. No higher
   than this: a fork copies the table up to the highest open descriptor. */
#define HIGHEST_DESCRIPTOR 1023

/* A close under way that lasts this long belongs to a thread that is not running (stopped
   in a signal handler that does not return) or to a file whose close blocks (a network
   file system's flush): a window goes on without waiting for it further. */
#define CLOSE_WAIT_NANOS ((int64_t)100 * 1000 * 1000)
/* The longest a close waits for windows; beyond it a window is stuck (windows_ended). */
#define WINDOW_WAIT_NANOS ((int64_t)5 * 1000 * 1000 * 1000)

/* Windows open, and the program's closes under way. Each side counts itself in, then
   looks at the other, both sequentially consistent: of a window and a close that
   start together, at least one sees the other. A close waits for the windows; a
   window, for the closes already under way. */
static _Atomic uint32_t windows, closes;
/* The process whose threads opened the windows counted: a child made without fork's
   handlers (_Fork, a raw clone) inherits the count of a window that is not its own. */
static _Atomic pid_t windows_process;
/* This thread's windows, and its closes counted in `closes`: heapprof's own closes
   inside a window do not wait for it, and a window in a signal handler does not wait
   for the close its thread was interrupted in. */
static __thread unsigned own_windows TLS_MODEL, own_closes TLS_MODEL;

static void futex_wait(_Atomic uint32_t *word, uint32_t value, const struct timespec *timeout)
{
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, value, timeout);
}

static void futex_wake_all(_Atomic uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT_MAX);
}

static int64_t monotonic_nanos(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

static void wait_for_closes(void)
{
	int64_t deadline = monotonic_nanos() + CLOSE_WAIT_NANOS;
	for (;;) {
		uint32_t under_way = atomic_load(&closes);
		int64_t left = deadline - monotonic_nanos();
		if (under_way <= own_closes || left <= 0)
			return;
		struct timespec timeout = {left / 1000000000, left % 1000000000};
		futex_wait(&closes, under_way, &timeout);
	}
}

/* A signal's bit in the kernel's signal set. Windows leave unblocked glibc's own
   signals (cancellation, and the one setuid sends every thread) and the ones a fault
   raises, which blocked would end the process instead of reaching its handler. */
#define SIGNAL_BIT(signal) ((uint64_t)1 << ((signal)-1))

/* What a window changes on its thread, to restore. */
struct window {
	uint64_t signal_mask;
	int cancel_state;
};

/* Blocks every signal, so that no handler on this thread closes a descriptor and waits
   for the window its own thread holds; and cancellation, which would leave it open. */
static void window_open(struct window *window)
{
	uint64_t blocked =
		~(SIGNAL_BIT(32) | SIGNAL_BIT(33) | SIGNAL_BIT(SIGSEGV) | SIGNAL_BIT(SIGBUS) |
		  SIGNAL_BIT(SIGILL) | SIGNAL_BIT(SIGFPE) | SIGNAL_BIT(SIGTRAP) | SIGNAL_BIT(SIGSYS));
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &blocked, &window->signal_mask, sizeof blocked);
	atomic_store(&windows_process, getpid());
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &window->cancel_state);
	own_windows++;
	atomic_fetch_add(&windows, 1);
	wait_for_closes();
}

static void window_close(struct window *window)
{
	if (atomic_fetch_sub(&windows, 1) == 1)
		futex_wake_all(&windows);
	own_windows--;
	pthread_setcancelstate(window->cancel_state, NULL);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &window->signal_mask, NULL, sizeof window->signal_mask);
}

static void close_done(void)
{
	atomic_fetch_sub(&closes, 1);
	if (atomic_load(&windows))
		futex_wake_all(&closes);
}

/* At most WINDOW_WAIT_NANOS: a window whose open never returns (a hung network file
   system; a file system this very program serves, and a thread of it waiting here)
   must not stop the program's closes for good. False when it did not end in time. */
static bool windows_ended(void)
{
	int64_t deadline = monotonic_nanos() + WINDOW_WAIT_NANOS;
	for (;;) {
		uint32_t open = atomic_load(&windows);
		int64_t left = deadline - monotonic_nanos();
		if (!open)
			return true;
		if (left <= 0)
			return false;
		struct timespec timeout = {left / 1000000000, left % 1000000000};
		futex_wait(&windows, open, &timeout);
	}
}

/* Whether a window of this process is open. */
static bool window_open_here(void)
{
	return atomic_load(&windows) && atomic_load(&windows_process) == getpid();
}

/* The count goes up before this thread's own, and down after it: a handler that opens a
   window in between waits for its own thread's close at most CLOSE_WAIT_NANOS, and
   never overlooks another thread's. */
void descriptor_close_begin(void)
{
	if (own_windows)
		return;
	for (;;) {
		atomic_fetch_add(&closes, 1);
		own_closes++;
		if (!window_open_here())
			return;
		own_closes--;
		close_done();
		if (!windows_ended()) {
			atomic_fetch_add(&closes, 1);
			own_closes++;
			return;
		}
	}
}

void descriptor_close_end(void)
{
	if (own_windows)
		return;
	own_closes--;
	close_done();
}

void descriptor_fork_child(void)
{
	atomic_store(&windows, own_windows);
	atomic_store(&closes, own_closes);
}

int descriptor_move_up(int fd)
{
	struct rlimit limit;
	rlim_t highest = HIGHEST_DESCRIPTOR;
	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
	    limit.rlim_cur <= highest)
		highest = limit.rlim_cur - 1;
	int saved_errno = errno;
	for (int target = (int)highest; target > fd; target--) {
		if (fcntl(target, F_GETFD) != -1 || errno != EBADF)
			continue;
		int moved = fcntl(fd, F_DUPFD_CLOEXEC, target);
		if (moved >= 0) {
			close(fd);
			fd = moved;
		}
		break;
	}
	errno = saved_errno;
	return fd;
}

/* `made` moved up, in the window it was made in; errno kept from the making. */
static int moved_up(int made, struct window *window)
{
	int saved_errno = errno;
	int fd = made < 0 ? -1 : descriptor_move_up(made);
	window_close(window);
	errno = saved_errno;
	return fd;
}

int descriptor_openat(int directory, const char *path, int flags, mode_t mode)
{
	struct window window;
	window_open(&window);
	return moved_up(openat(directory, path, flags, mode), &window);
}

int descriptor_open_read_only(const char *path)
{
	return descriptor_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
}

int descriptor_socket(int domain, int type)
{
	struct window window;
	window_open(&window);
	return moved_up(socket(domain, type, 0), &window);
}

int descriptor_accept(int listener, int flags)
{
	struct window window;
	window_open(&window);
	return moved_up(accept4(listener, NULL, NULL, flags), &window);
}

int descriptor_pipe(int ends[2], int flags)
{
	struct window window;
	window_open(&window);
	int result = pipe2(ends, flags);
	if (result == 0) {
		ends[1] = descriptor_move_up(ends[1]);
		ends[0] = descriptor_move_up(ends[0]);
	}
	int saved_errno = errno;
	window_close(&window);
	errno = saved_errno;
	return result;
}

void *descriptor_dlopen_local(const char *name)
{
	void *library = NULL;
	for (int attempt = 0; attempt < DESCRIPTOR_ATTEMPTS && !library; attempt++)
		library = dlopen(name, RTLD_LAZY | RTLD_LOCAL);
	return library;
}
