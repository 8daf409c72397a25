#include "stop.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "dispositions.h"
#include "helper_thread.h"
#include "lock_holders.h"
#include "log.h"
#include "serve/server.h"
#include "service.h"
#include "thread_state.h"
#include "write/dump.h"

/* An interrupted thread that may hold a lock the final profile needs is left alone,
   and the question asked again this much later, by a timer's signal. */
#define RETRY_NANOS 10000000L
#define MAX_RETRIES 100
/* How long a thread the signal interrupted waits for the final profile before the
   process ends without it. */
#define WRITE_SECONDS 30

static const int stop_signals[] = {SIGHUP, SIGINT, SIGTERM};

/* Each signal's disposition as heapprof found it, which the program is shown. */
static struct sigaction found[NSIG];
/* The process these belong to: a vfork child shares them and must not act on them. */
static pid_t owner;
/* The signal ending the process (0: none yet), and whether the thread that writes
   the final profile has started. */
static atomic_int stopping;
static atomic_bool writing;
static atomic_uint retries;
static int retry_timer = -1;
static _Atomic uint32_t never_set;

/* Ends the process as `signal`'s default action does. In a handler the signal is
   blocked: unblocking it delivers it at once. */
static void end_now(int signal)
{
	struct sigaction default_action = {.sa_handler = SIG_DFL};
	sigemptyset(&default_action.sa_mask);
	dispositions_real_sigaction(signal, &default_action, NULL);
	syscall(SYS_tgkill, getpid(), gettid(), signal);
	sigset_t only;
	sigemptyset(&only);
	sigaddset(&only, signal);
	pthread_sigmask(SIG_UNBLOCK, &only, NULL);
}

/* The thread that writes the final profile, then ends the process. */
__attribute__((noreturn)) static void *write_and_end(void *argument)
{
	int signal = (int)(intptr_t)argument;
	serve_remove_socket();
	dump_at_exit();
	/* A write in progress elsewhere (an exit's, an API call's) finishes first. */
	dump_lock();
	end_now(signal);
	for (;;)
		pause();
}

static void wait_for_the_end(int signal)
{
	struct timespec left = {WRITE_SECONDS, 0};
	struct timespec deadline, now;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += WRITE_SECONDS;
	do {
		syscall(SYS_futex, &never_set, FUTEX_WAIT_PRIVATE, 0, &left, NULL, 0);
		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = deadline.tv_sec - now.tv_sec;
		left.tv_nsec = deadline.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000L;
		}
	} while (left.tv_sec >= 0);
	log_message("the final profile took too long to write; ending without it");
	end_now(signal);
}

/* From a safe point: starts the thread that writes the final profile and ends the
   process (the first caller only), and waits for the end. */
static void end_after_the_profile(int signal)
{
	if (!atomic_exchange(&writing, true) && !helper_thread_start(write_and_end, (void *)(intptr_t)signal))
		end_now(signal);
	wait_for_the_end(signal);
}

/* Asks again in RETRY_NANOS, through a timer's signal to the process: false once the
   retries are used up. Raw system calls: this runs in a signal handler. */
static bool retry_later(int signal)
{
	if (atomic_fetch_add(&retries, 1) >= MAX_RETRIES)
		return false;
	if (retry_timer < 0) {
		struct sigevent event = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = signal};
		if (syscall(SYS_timer_create, CLOCK_MONOTONIC, &event, &retry_timer) != 0)
			return false;
	}
	struct itimerspec once = {.it_value = {0, RETRY_NANOS}};
	return syscall(SYS_timer_settime, retry_timer, 0, &once, NULL) == 0;
}

#if defined(__x86_64__)
/* A futex wait for one of glibc's locks: its low-level lock waits on the value 2, and
   priority-inheritance locks have their own operations. Condition variables, joins and
   semaphores wait otherwise. */
static bool waits_for_lock(greg_t operation, greg_t value)
{
	int command = (int)operation & FUTEX_CMD_MASK;
	return (command == FUTEX_WAIT && (int)value == 2) || command == FUTEX_LOCK_PI ||
	       command == FUTEX_WAIT_REQUEUE_PI || command == 13 /* FUTEX_LOCK_PI2 */;
}

/* At a system call instruction with its number in rax: interrupted in a call that
   blocks and restarts, or about to make it. Waits that hold no lock are safe. */
static bool safe_to_restart(const greg_t *registers)
{
	switch (registers[REG_RAX]) {
	case SYS_futex:
	case SYS_restart_syscall: /* the arguments are the interrupted call's */
		return !waits_for_lock(registers[REG_RSI], registers[REG_RDX]);
	case SYS_read:
	case SYS_readv:
	case SYS_write:
	case SYS_writev:
	case SYS_recvfrom:
	case SYS_recvmsg:
	case SYS_sendto:
	case SYS_sendmsg:
	case SYS_accept:
	case SYS_accept4:
	case SYS_connect:
	case SYS_wait4:
	case SYS_waitid:
	case SYS_pause:
	case SYS_rt_sigsuspend:
	case SYS_rt_sigtimedwait:
	case SYS_poll:
	case SYS_ppoll:
	case SYS_select:
	case SYS_pselect6:
	case SYS_epoll_wait:
	case SYS_epoll_pwait:
	case SYS_nanosleep:
	case SYS_clock_nanosleep:
	case SYS_msgrcv:
		return true;
	default:
		return false;
	}
}

/* The thread has just sent the signal to itself: kill(getpid() or its group) or
   tgkill to its own thread (raise) returned 0, its arguments still in place. */
static bool sent_to_itself(const siginfo_t *info, const greg_t *registers)
{
	int pid = getpid();
	if (info->si_pid != pid || registers[REG_RAX] != 0)
		return false;
	int first = (int)registers[REG_RDI], second = (int)registers[REG_RSI],
	    third = (int)registers[REG_RDX];
	if ((first == pid || first == 0 || first == -getpgrp()) && second == info->si_signo)
		return true;
	return first == pid && second == gettid() && third == info->si_signo;
}

/* Where libc's code was interrupted: in a system call that holds none of its locks. */
static bool safe_in_libc(const siginfo_t *info, const greg_t *registers)
{
	const uint8_t *pc = (const uint8_t *)registers[REG_RIP];
	if (pc[0] == 0x0f && pc[1] == 0x05)
		return safe_to_restart(registers);
	if (pc[-2] == 0x0f && pc[-1] == 0x05)
		return registers[REG_RAX] == -EINTR || sent_to_itself(info, registers);
	return false;
}

static uintptr_t interrupted_pc(const ucontext_t *context)
{
	return (uintptr_t)context->uc_mcontext.gregs[REG_RIP];
}
#endif

/* The interrupted code may itself be a signal handler of the program's, which may have
   interrupted anything: a signal it blocks that has a handler says it might be. */
static bool maybe_in_a_handler(const ucontext_t *context)
{
	struct {
		uintptr_t handler, flags, restorer;
		uint64_t mask;
	} action;
	for (int signal = 1; signal < NSIG; signal++) {
		if ((signal >= 32 && signal < SIGRTMIN) || !sigismember(&context->uc_sigmask, signal))
			continue;
		if (syscall(SYS_rt_sigaction, signal, NULL, &action, sizeof action.mask) == 0 &&
		    action.handler > (uintptr_t)SIG_IGN)
			return true;
	}
	return false;
}

/* Whether the interrupted thread provably holds no lock that starting a thread and
   writing a profile need: not inside heapprof, the loader or the allocator, and not
   inside libc but in a system call that holds none. docs/design.md says why. */
static bool interrupted_where_safe(const siginfo_t *info, const ucontext_t *context)
{
#if defined(__x86_64__)
	if (thread_state.busy || maybe_in_a_handler(context))
		return false;
	switch (lock_holder_of(interrupted_pc(context))) {
	case LOCK_HOLDER_NONE:
		return true;
	case LOCK_HOLDER_LIBC:
		return safe_in_libc(info, context->uc_mcontext.gregs);
	default:
		return false;
	}
#else
	(void)info;
	(void)context;
	return false;
#endif
}

static void on_stop_signal(int signal, siginfo_t *info, void *context)
{
	int saved_errno = errno;
	if (getpid() != owner) {
		/* A vfork child, which runs no atfork handler: none of this is its own. */
		end_now(signal);
		errno = saved_errno;
		return;
	}
	/* The first signal ends the process; a later one, or the retry timer's, is one
	   more chance to find a safe moment. */
	int expected = 0;
	atomic_compare_exchange_strong(&stopping, &expected, signal);
	int ending = atomic_load(&stopping);
	if (atomic_load(&writing)) {
		wait_for_the_end(ending);
	} else if (interrupted_where_safe(info, context)) {
		end_after_the_profile(ending);
	} else if (service_want_safe_point(), !retry_later(ending)) {
		log_message("no safe moment to write the final profile; ending without it");
		end_now(ending);
	}
	errno = saved_errno;
}

void stop_at_safe_point(void)
{
	int ending = atomic_load(&stopping);
	if (ending)
		end_after_the_profile(ending);
}

void stop_start(void)
{
	dispositions_resolve();
	owner = getpid();
	if (owner == 1)
		return;
	for (unsigned i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++) {
		int signal = stop_signals[i];
		if (dispositions_real_sigaction(signal, NULL, &found[signal]) != 0 ||
		    found[signal].sa_handler != SIG_DFL)
			continue;
		/* On the thread's alternate stack where it has one (dump_thread.c says why). */
		struct sigaction ours = {.sa_sigaction = on_stop_signal,
					 .sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK};
		/* Nothing of the program's runs on this thread while it waits for the end. */
		sigfillset(&ours.sa_mask);
		dispositions_real_sigaction(signal, &ours, NULL);
	}
}

void stop_at_exit(void)
{
	int ending = atomic_load(&stopping);
	if (!ending)
		return;
	/* The profile is written (by this exit or by the writing thread): then the end
	   the signal asked for, not the exit's. */
	dump_lock();
	end_now(ending);
}

void stop_fork_child(void)
{
	owner = getpid();
	atomic_store(&stopping, 0);
	atomic_store(&writing, false);
	atomic_store(&retries, 0);
	/* Timers are not inherited. */
	retry_timer = -1;
}

bool stop_is_ours(void (*handler)(int))
{
	return (uintptr_t)handler == (uintptr_t)on_stop_signal;
}

const struct sigaction *stop_program_view(int signal)
{
	return &found[signal];
}
