/* libunwind checks stack addresses before it reads them by writing them to a pipe it
   opens once and keeps. A program that closes every descriptor it did not open
   (daemons, ssh) closes that pipe and may open its own files in the same numbers:
   libunwind then reads a byte of one, writes a byte of stack into the other and,
   finding its pipe gone, closes both (libunwind issues #274 and #291).

   libunwind reaches pipe2, read and close through its own global offset table, which
   only its code uses. heapprof points those entries at the functions below: the pipe
   moves to the top of the descriptor table, where a program's files, which take the
   lowest free numbers, arrive last; and a number that no longer holds the pipe is
   never read or closed on libunwind's behalf. Its writes (a raw syscall) follow a
   read, which checks both ends.

   Threads that find the pipe gone at the same moment all reopen it, and their
   closes interleave with each other's writes: a read end closed while another
   thread is about to write to the write end would kill the program with SIGPIPE. A
   read end libunwind closes is therefore kept open until it closes the write end
   (libunwind closes the read end first).

   Between the read that checks the pipe and libunwind's write, a thread of the
   program may still close the read end (closing every descriptor, say): the write
   then raises SIGPIPE, which would end the program. While heapprof's own walk reads
   the pipe, SIGPIPE is therefore blocked on its thread; after the walk, a SIGPIPE the
   kernel raised for such a write is taken back, and the mask restored. libunwind
   reads the failed write as an address it may not read, and the stack ends there. */
#include "libunwind_pipe.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "descriptors.h"
#include "loaded_object.h"
#include "thread_state.h"

/* Pipes tracked at once: one in libunwind 1.6, one per unwinding thread in 1.8.
   Pipes beyond these still move to the top, unguarded. */
#define TRACKED_PIPES 64

struct tracked_pipe {
	int ends[2];       /* -1: closed */
	int kept_read_end; /* closed by libunwind, kept open until the write end is; or -1 */
	dev_t device;
	ino_t inode;
};

static struct tracked_pipe pipes[TRACKED_PIPES] = {[0 ... TRACKED_PIPES - 1] = {{-1, -1}, -1, 0, 0}};
/* Odd while a thread uses the table. Each use adds 2, so that a waiter tells one use
   that lasts from many that follow each other. */
static _Atomic uint64_t pipes_use;
/* The thread using the table, or NULL. */
static _Atomic(struct thread_state *) pipes_owner;
/* The last use a waiter gave up on: no other waits for it again. */
static _Atomic uint64_t pipes_use_given_up;

/* A use takes a few system calls and waits for nothing, so one that lasts this long
   belongs to a thread that is not running: stopped in a signal handler that does not
   return, or left by a longjmp out of one. A thread inside malloc must not wait for
   it. */
#define PIPES_WAIT_NANOS ((int64_t)100 * 1000 * 1000)

static int64_t monotonic_nanos(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

/* Waits while another thread uses the table, for at most PIPES_WAIT_NANOS of one
   use. Unchecked, a read under contention would read a number the program may have
   taken for a file of its own. False, without the table, when this very thread uses
   it (a signal handler that unwinds with libunwind, a CPU profiler's or a crash
   handler's, interrupted it in here) or another has used it too long: the caller
   then reads the table as it stands and changes nothing. */
static bool lock_pipes(void)
{
	uint64_t waited_for = 0;
	int64_t deadline = 0;
	for (;;) {
		uint64_t use = atomic_load_explicit(&pipes_use, memory_order_relaxed);
		if (!(use & 1)) {
			if (atomic_compare_exchange_weak_explicit(
				    &pipes_use, &use, use + 1, memory_order_acquire, memory_order_relaxed)) {
				atomic_store_explicit(&pipes_owner, &thread_state, memory_order_relaxed);
				return true;
			}
			continue;
		}
		if (atomic_load_explicit(&pipes_owner, memory_order_relaxed) == &thread_state ||
		    atomic_load_explicit(&pipes_use_given_up, memory_order_relaxed) == use)
			return false;
		if (use != waited_for) {
			waited_for = use;
			deadline = monotonic_nanos() + PIPES_WAIT_NANOS;
		} else if (monotonic_nanos() >= deadline) {
			atomic_store_explicit(&pipes_use_given_up, use, memory_order_relaxed);
			return false;
		}
		sched_yield();
	}
}

/* The count stays even if the use was ended already: by a fork child, for a signal
   handler that forked between this thread's taking the table and its naming itself
   the owner. */
static void unlock_pipes(void)
{
	atomic_store_explicit(&pipes_owner, NULL, memory_order_relaxed);
	uint64_t use = atomic_load_explicit(&pipes_use, memory_order_relaxed);
	atomic_store_explicit(&pipes_use, (use | 1) + 1, memory_order_release);
}

void libunwind_pipe_fork_child(void)
{
	if (atomic_load_explicit(&pipes_owner, memory_order_relaxed) != &thread_state &&
	    atomic_load_explicit(&pipes_use, memory_order_relaxed) & 1)
		unlock_pipes();
}

static bool still_ours(const struct tracked_pipe *pipe, int fd)
{
	struct stat status;
	return fstat(fd, &status) == 0 && status.st_dev == pipe->device && status.st_ino == pipe->inode;
}

/* With the table locked. */
static struct tracked_pipe *find(int fd, unsigned *end)
{
	if (fd < 0)
		return NULL;
	for (unsigned i = 0; i < TRACKED_PIPES; i++) {
		for (unsigned e = 0; e < 2; e++) {
			if (pipes[i].ends[e] == fd) {
				*end = e;
				return &pipes[i];
			}
		}
	}
	return NULL;
}

/* With the table locked: whether any number the slot holds still names its pipe.
   Threads that race to reopen the pipe overwrite each other's numbers in libunwind,
   which then never closes some pipes; once the program has closed their numbers,
   their slots are free again. */
static bool in_use(const struct tracked_pipe *pipe)
{
	const int numbers[] = {pipe->ends[0], pipe->ends[1], pipe->kept_read_end};
	for (unsigned i = 0; i < 3; i++) {
		if (numbers[i] != -1 && still_ours(pipe, numbers[i]))
			return true;
	}
	return false;
}

/* With the table locked. */
static void track(const int fds[2])
{
	struct stat status;
	if (fstat(fds[0], &status) != 0)
		return;
	for (unsigned i = 0; i < TRACKED_PIPES; i++) {
		if (!in_use(&pipes[i])) {
			pipes[i] = (struct tracked_pipe){{fds[0], fds[1]}, -1, status.st_dev, status.st_ino};
			return;
		}
	}
}

/* `fds` is libunwind's own pair, which other threads read: they see the pipe only
   once it is moved up and tracked, never the numbers it passes through. Made with
   the table locked, so that a racing thread's close of a number the new pipe takes
   (a stale one, of a pipe closed meanwhile) finds it tracked rather than closing it
   behind the pipe's back. Without the table, the pipe is moved up but not tracked. */
static int guarded_pipe2(int fds[2], int flags)
{
	int made[2];
	bool locked = lock_pipes();
	int result = descriptor_pipe(made, flags);
	if (result == 0 && locked)
		track(made);
	if (locked)
		unlock_pipes();
	if (result == 0) {
		fds[0] = made[0];
		fds[1] = made[1];
	}
	return result;
}

/* With the table locked. */
static bool intact(const struct tracked_pipe *pipe)
{
	for (unsigned e = 0; e < 2; e++) {
		if (pipe->ends[e] != -1 && !still_ours(pipe, pipe->ends[e]))
			return false;
	}
	return true;
}

/* SIGPIPE in the kernel's signal sets, which rt_sigprocmask and its kin take as 8
   bytes: glibc's sigset_t is 128, a lot for a thread with 16 KiB of stack. */
#define SIGPIPE_BIT ((uint64_t)1 << (SIGPIPE - 1))

static uint64_t pending_signals(void)
{
	uint64_t pending = 0;
	syscall(SYS_rt_sigpending, &pending, sizeof pending);
	return pending;
}

static void hold_sigpipe(void)
{
	uint64_t block = SIGPIPE_BIT, before = 0;
	if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, &block, &before, sizeof block) != 0)
		return;
	thread_state.sigpipe_was_blocked = before & SIGPIPE_BIT;
	thread_state.sigpipe_was_pending = pending_signals() & SIGPIPE_BIT;
	thread_state.sigpipe_held = true;
}

/* The kernel sends a write into a broken pipe's SIGPIPE as from the writing process
   itself (SI_USER), to the writing thread. One sent otherwise, by another process,
   is queued again as it came. */
static void take_back_sigpipe(void)
{
	uint64_t wanted = SIGPIPE_BIT;
	siginfo_t info;
	const struct timespec now = {0, 0};
	if (syscall(SYS_rt_sigtimedwait, &wanted, &info, &now, sizeof wanted) != SIGPIPE)
		return;
	pid_t process = getpid();
	if (info.si_code != SI_USER || info.si_pid != process)
		syscall(SYS_rt_tgsigqueueinfo, process, (pid_t)syscall(SYS_gettid), SIGPIPE, &info);
}

void libunwind_pipe_release_sigpipe(void)
{
	struct thread_state *state = &thread_state;
	if (!state->sigpipe_was_pending && (pending_signals() & SIGPIPE_BIT))
		take_back_sigpipe();
	if (!state->sigpipe_was_blocked) {
		uint64_t unblock = SIGPIPE_BIT;
		syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &unblock, NULL, sizeof unblock);
	}
	state->sigpipe_held = false;
}

/* A read of the pipe checks both ends: if either number now names something else,
   libunwind is told the pipe is closed, and opens another. Without the table, the
   check reads it as it stands. */
static ssize_t guarded_read(int fd, void *buffer, size_t count)
{
	/* Each write follows a read, or a read that fails and the pipe made anew. */
	if (thread_state.capturing && !thread_state.sigpipe_held)
		hold_sigpipe();
	unsigned end;
	bool locked = lock_pipes();
	struct tracked_pipe *pipe = find(fd, &end);
	bool lost = pipe && !intact(pipe);
	if (locked)
		unlock_pipes();
	if (lost) {
		errno = EBADF;
		return -1;
	}
	return read(fd, buffer, count);
}

/* With the table locked: whether `fd` is a read end kept open for its write end. */
static bool kept(int fd)
{
	for (unsigned i = 0; fd != -1 && i < TRACKED_PIPES; i++) {
		if (pipes[i].kept_read_end == fd)
			return true;
	}
	return false;
}

/* With the table locked: closes `fd` if it is still the pipe's. */
static void close_if_ours(const struct tracked_pipe *pipe, int fd)
{
	if (fd != -1 && still_ours(pipe, fd))
		close(fd);
}

/* Closes a tracked end only while it is still the pipe's, and the read end only with
   the write end; forgets it either way. A kept read end is not closed twice (threads
   that race to reopen close the same numbers). Untracked numbers (libunwind's other
   files) are closed as asked. Without the table, a tracked end is left open rather
   than the table changed under its user. */
static int guarded_close(int fd)
{
	unsigned end;
	if (!lock_pipes())
		return find(fd, &end) || kept(fd) ? 0 : close(fd);
	struct tracked_pipe *pipe = find(fd, &end);
	if (!pipe) {
		bool skip = kept(fd);
		unlock_pipes();
		return skip ? 0 : close(fd);
	}
	pipe->ends[end] = -1;
	if (end == 0 && pipe->ends[1] != -1) {
		pipe->kept_read_end = fd;
	} else {
		close_if_ours(pipe, fd);
		if (end == 1) {
			close_if_ours(pipe, pipe->kept_read_end);
			pipe->kept_read_end = -1;
		}
	}
	unlock_pipes();
	return 0;
}

struct got_redirect {
	const char *name;
	void *replacement;
};

static const struct got_redirect redirects[] = {
	{"pipe2", (void *)guarded_pipe2},
	{"read", (void *)guarded_read},
	{"close", (void *)guarded_close},
};

/* The part of the library made read-only after relocation (PT_GNU_RELRO). */
struct read_only {
	const struct link_map *library;
	uintptr_t start, end;
};

static int find_read_only(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	struct read_only *range = data;
	if (info->dlpi_addr != range->library->l_addr || strcmp(info->dlpi_name, range->library->l_name) != 0)
		return 0;
	for (unsigned i = 0; i < info->dlpi_phnum; i++) {
		if (info->dlpi_phdr[i].p_type == PT_GNU_RELRO) {
			range->start = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
			range->end = range->start + info->dlpi_phdr[i].p_memsz;
		}
	}
	return 1;
}

/* Writes `value` into the GOT entry at `slot`, lifting RELRO's protection around it;
   leaves the entry alone if that cannot be done. */
static void patch(void **slot, void *value, const struct read_only *range)
{
	if ((uintptr_t)slot < range->start || (uintptr_t)slot >= range->end) {
		*slot = value;
		return;
	}
	uintptr_t page_size = (uintptr_t)sysconf(_SC_PAGESIZE);
	void *page = (void *)((uintptr_t)slot & ~(page_size - 1));
	if (mprotect(page, page_size, PROT_READ | PROT_WRITE) != 0)
		return;
	*slot = value;
	mprotect(page, page_size, PROT_READ);
}

static void redirect_relocations(const struct link_map *library, const ElfW(Rela) *relocations, size_t bytes,
				 const ElfW(Sym) *symbols, const char *strings, const struct read_only *range)
{
	for (size_t i = 0; i < bytes / sizeof *relocations; i++) {
		unsigned long type = ELF64_R_TYPE(relocations[i].r_info);
		if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT)
			continue;
		const char *name = strings + symbols[ELF64_R_SYM(relocations[i].r_info)].st_name;
		for (size_t r = 0; r < sizeof redirects / sizeof redirects[0]; r++) {
			if (strcmp(name, redirects[r].name) == 0)
				patch((void **)(library->l_addr + relocations[i].r_offset),
				      redirects[r].replacement, range);
		}
	}
}

void libunwind_pipe_guard(void *library_handle)
{
	struct link_map *library;
	if (dlinfo(library_handle, RTLD_DI_LINKMAP, &library) != 0)
		return;
	const ElfW(Sym) *symbols = NULL;
	const char *strings = NULL;
	/* The PLT's relocations, and the rest (GLOB_DAT entries, under -z now or -fno-plt). */
	const ElfW(Rela) *tables[2] = {NULL, NULL};
	size_t sizes[2] = {0, 0};
	for (const ElfW(Dyn) *entry = library->l_ld; entry->d_tag != DT_NULL; entry++) {
		switch (entry->d_tag) {
		case DT_SYMTAB:
			symbols =
				(const ElfW(Sym) *)loaded_object_address(library->l_addr, entry->d_un.d_ptr);
			break;
		case DT_STRTAB:
			strings = (const char *)loaded_object_address(library->l_addr, entry->d_un.d_ptr);
			break;
		case DT_JMPREL:
			tables[0] =
				(const ElfW(Rela) *)loaded_object_address(library->l_addr, entry->d_un.d_ptr);
			break;
		case DT_PLTRELSZ:
			sizes[0] = entry->d_un.d_val;
			break;
		case DT_RELA:
			tables[1] =
				(const ElfW(Rela) *)loaded_object_address(library->l_addr, entry->d_un.d_ptr);
			break;
		case DT_RELASZ:
			sizes[1] = entry->d_un.d_val;
			break;
		}
	}
	if (!symbols || !strings)
		return;
	struct read_only range = {library, 0, 0};
	dl_iterate_phdr(find_read_only, &range);
	for (unsigned t = 0; t < 2; t++) {
		if (tables[t])
			redirect_relocations(library, tables[t], sizes[t], symbols, strings, &range);
	}
}
