/* Every signal blocked around work that a handler on the same thread must not
   interrupt, but glibc's own (cancellation, and the one setuid sends every thread and
   waits for) and the ones a fault raises, which blocked would end the process instead
   of reaching its handler. As the kernel's 64-bit set, through the system call. */
#ifndef HEAPPROF_SIGNAL_MASK_H
#define HEAPPROF_SIGNAL_MASK_H

#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SIGNAL_MASK_BIT(signal) ((uint64_t)1 << ((signal)-1))

/* Returns the mask to restore. */
static inline uint64_t signal_mask_block_asynchronous(void)
{
	uint64_t blocked = ~(SIGNAL_MASK_BIT(32) | SIGNAL_MASK_BIT(33) | SIGNAL_MASK_BIT(SIGSEGV) |
			     SIGNAL_MASK_BIT(SIGBUS) | SIGNAL_MASK_BIT(SIGILL) | SIGNAL_MASK_BIT(SIGFPE) |
			     SIGNAL_MASK_BIT(SIGTRAP) | SIGNAL_MASK_BIT(SIGSYS));
	uint64_t before = 0;
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &blocked, &before, sizeof blocked);
	return before;
}

static inline void signal_mask_restore(uint64_t mask)
{
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &mask, NULL, sizeof mask);
}

#endif
