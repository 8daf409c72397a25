/* The runtime every generated scenario links: it runs the plan the generator wrote
   into scenario.c, step by step, thread by thread, process by process.

   What a process prints is a function of the seed alone, so that runs with and
   without heapprof can be compared: each line starts with the thread's logical name
   ("p2/t5:"), never a pid, and a thread prints only what it computed. Lines are
   written whole with one write(2) from a buffer on the stack, never through stdio: no
   buffer is copied into a fork child, no lock of stdio's can be held across a fork,
   and a thread with a 16 KiB stack can print.

   On stderr, "TORTURE-LOG" lines tell the runner which pid each process had, where
   it started and how it ended; "TORTURE-CHECK" lines report a broken promise of
   heapprof's API; a "TORTURE-CRASH" line gives the stack of a fatal signal, as
   module+offset pairs for addr2line. None of them is part of what is compared. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "heapprof.h"
#include "torture.h"

/* Present only under the preload: the program runs the same without heapprof. */
#pragma weak heapprof_set_rate
#pragma weak heapprof_write_profile
#pragma weak heapprof_read_stats
#pragma weak heapprof_version

#define THREADS_MAX 1024
#define SITES_MAX 64
#define KEPT_MAX 512
#define SIGNAL_STACK (64 * 1024)
#define FLAG_SIGNAL SIGUSR1
#define ALLOC_SIGNAL (SIGRTMIN + 1)

extern char **environ;

struct line {
	char *text;
	size_t size, length;
};

/* A line on the stack: small, for threads with 16 KiB of it. */
#define LINE(name, bytes)         \
	char name##_bytes[bytes]; \
	struct line name = {name##_bytes, bytes, 0}

static void line_text(struct line *line, const char *text)
{
	while (*text && line->length < line->size - 1)
		line->text[line->length++] = *text++;
}

static void line_digits(struct line *line, uint64_t value, unsigned base)
{
	char digits[24];
	int count = 0;
	do {
		digits[count++] = "0123456789abcdef"[value % base];
		value /= base;
	} while (value);
	while (count && line->length < line->size - 1)
		line->text[line->length++] = digits[--count];
}

static void line_number(struct line *line, uint64_t value)
{
	line_digits(line, value, 10);
}

static void line_write(struct line *line, int descriptor)
{
	line->text[line->length++] = '\n';
	size_t done = 0;
	while (done < line->length) {
		ssize_t written = write(descriptor, line->text + done, line->length - done);
		if (written < 0 && errno == EINTR)
			continue;
		if (written <= 0)
			return;
		done += (size_t)written;
	}
}

static void line_start(struct line *line, unsigned thread)
{
	line->length = 0;
	line_text(line, torture_threads[thread].name);
	line_text(line, ": ");
}

/* One line of stdout: "<thread>: <text> <number>". */
static void say(unsigned thread, const char *text, uint64_t number)
{
	LINE(line, 240);
	line_start(&line, thread);
	line_text(&line, text);
	line_text(&line, " ");
	line_number(&line, number);
	line_write(&line, STDOUT_FILENO);
}

static void check_failed(unsigned thread, const char *what, uint64_t number)
{
	LINE(line, 240);
	line_text(&line, "TORTURE-CHECK ");
	line_text(&line, torture_threads[thread].name);
	line_text(&line, " ");
	line_text(&line, what);
	line_text(&line, " ");
	line_number(&line, number);
	line_write(&line, STDERR_FILENO);
}

uint64_t torture_mix(uint64_t sum, uint64_t value)
{
	uint64_t mixed = (sum ^ value) + 0x9e3779b97f4a7c15u;
	mixed = (mixed ^ (mixed >> 30)) * 0xbf58476d1ce4e5b9u;
	mixed = (mixed ^ (mixed >> 27)) * 0x94d049bb133111ebu;
	return mixed ^ (mixed >> 31);
}

static uint64_t block_digest(const unsigned char *block, size_t size, uint64_t sum)
{
	if (!block || !size)
		return torture_mix(sum, 0);
	return torture_mix(sum, (uint64_t)block[0] << 8 | block[size - 1]);
}

static void fill(unsigned char *block, size_t size, uint64_t sum)
{
	if (!block || !size)
		return;
	size_t head = size < 64 ? size : 64;
	memset(block, (int)(sum & 0xff), head);
	block[size - 1] = (unsigned char)(sum >> 8);
}

uint64_t torture_keep(struct torture_sink *sink, void *block, size_t size, uint64_t sum)
{
	sum = torture_mix(sum, block != NULL);
	fill(block, size, sum);
	unsigned slot = (unsigned)(sum % TORTURE_SINK_SLOTS);
	void *old = sink->slots[slot];
	sum = block_digest(old, sink->sizes[slot], sum);
	free(old);
	sink->slots[slot] = block;
	sink->sizes[slot] = block ? size : 0;
	return sum;
}

uint64_t torture_keep_resized(struct torture_sink *sink, void *block, size_t old_size, size_t size,
			      uint64_t sum)
{
	size_t kept = old_size < size ? old_size : size;
	if (block && kept)
		sum = torture_mix(sum, ((const unsigned char *)block)[0]);
	return torture_keep(sink, block, size, sum);
}

struct torture_block torture_take(struct torture_sink *sink, uint64_t sum)
{
	unsigned slot = (unsigned)(sum % TORTURE_SINK_SLOTS);
	struct torture_block taken = {sink->slots[slot], sink->sizes[slot]};
	sink->slots[slot] = NULL;
	sink->sizes[slot] = 0;
	return taken;
}

uint64_t torture_drop(struct torture_sink *sink, uint64_t sum)
{
	struct torture_block taken = torture_take(sink, sum);
	sum = block_digest(taken.pointer, taken.size, sum);
	free(taken.pointer);
	return sum;
}

/* The process this image is running and what its threads share. */
static unsigned current_process;
static __thread unsigned current_thread;
static sem_t results_done;
static atomic_bool stop_background;
static pthread_t handles[THREADS_MAX];
static bool started[THREADS_MAX];
static struct torture_sink sinks[THREADS_MAX];

/* Counted allocations: the lock makes each count and its allocation one event, which
   no fork can split (the program's own fork handlers take it), so the counts a child
   inherits match the samples it inherits. */
static pthread_mutex_t counted_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	uint64_t allocations, frees;
	/* What a fork child found on arrival: how far the parent's other threads had
	   come is a matter of timing, so the child prints only its own counts. */
	uint64_t inherited_allocations, inherited_frees;
	void *kept[KEPT_MAX];
	unsigned kept_count;
} counted[SITES_MAX];

/* Held shared by whatever opens descriptors (files, dlopen), exclusively by closing
   them all: a program closes everything at a moment of its choosing, not under
   another thread's open file. */
static pthread_rwlock_t descriptors_lock = PTHREAD_RWLOCK_INITIALIZER;
/* Held by a change of directory: a relative one goes from TORTURE_DIR_A in two steps,
   which no other thread's may come between. */
static pthread_mutex_t directory_lock = PTHREAD_MUTEX_INITIALIZER;

static char self_path[PATH_MAX];
static char *argv_area;
static size_t argv_area_size;
static _Atomic uint64_t stats_floor;

static _Atomic unsigned flags_seen;
static _Atomic unsigned allocating_handlers;
static void *_Atomic handler_blocks[16];

static void on_flag(int signal)
{
	(void)signal;
	atomic_fetch_add(&flags_seen, 1);
}

/* Only over an async-signal-safe allocator (the bump allocator): glibc's malloc may
   not be entered from a handler that interrupted it, with or without heapprof. */
static void on_alloc(int signal)
{
	(void)signal;
	int saved_errno = errno;
	unsigned call = atomic_fetch_add(&allocating_handlers, 1);
	size_t size = 24 + (size_t)call * 37 % 3000;
	void *block = malloc(size);
	if (block)
		memset(block, (int)call, size);
	free(atomic_exchange(&handler_blocks[call % 16], block));
	errno = saved_errno;
}

/* The stack of a fatal signal, written once; then the signal's own action, so the
   process ends as it would have. _dl_find_object takes no lock: the fault may have
   happened inside the loader. */
static void on_crash(int signal)
{
	void *frames[40];
	int count = backtrace(frames, 40);
	LINE(line, 6000);
	line_text(&line, "TORTURE-CRASH ");
	line_text(&line, torture_threads[current_thread].name);
	line_text(&line, " ");
	line_number(&line, (uint64_t)signal);
	/* Frames 0 and 1 are this handler and the signal trampoline; 2 is where the
	   signal struck; the rest are return addresses, which point after their call. */
	for (int i = 2; i < count; i++) {
		uintptr_t address = (uintptr_t)frames[i] - (i > 2);
		struct dl_find_object object;
		if (_dl_find_object((void *)address, &object) != 0)
			continue;
		const char *name = object.dlfo_link_map->l_name;
		line_text(&line, " ");
		line_text(&line, name && *name ? name : self_path);
		line_text(&line, "+0x");
		line_digits(&line, address - object.dlfo_link_map->l_addr, 16);
	}
	line_write(&line, STDERR_FILENO);
}

static void use_signal_stack(void)
{
	stack_t stack = {.ss_size = SIGNAL_STACK};
	stack.ss_sp = mmap(NULL, SIGNAL_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (stack.ss_sp != MAP_FAILED)
		sigaltstack(&stack, NULL);
}

static void report_crashes(void)
{
	void *frame;
	/* Loads the unwinder now, not in the handler. */
	backtrace(&frame, 1);
	use_signal_stack();
	struct sigaction action = {.sa_handler = on_crash, .sa_flags = SA_ONSTACK | SA_RESETHAND};
	sigemptyset(&action.sa_mask);
	int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
	for (unsigned i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
		sigaction(fatal[i], &action, NULL);
}

/* On each thread's alternate stack: a signal frame (3.4 KiB with AVX-512 state) on a
   16 KiB thread deep inside the allocator does not fit beside heapprof's 6 KiB
   (docs/reliability.md). */
static void install_handler(int signal, void (*handler)(int))
{
	struct sigaction action = {.sa_handler = handler, .sa_flags = SA_RESTART | SA_ONSTACK};
	sigemptyset(&action.sa_mask);
	sigaction(signal, &action, NULL);
}

static void before_fork(void)
{
	pthread_rwlock_wrlock(&descriptors_lock);
	pthread_mutex_lock(&directory_lock);
	pthread_mutex_lock(&counted_lock);
}

static void after_fork_in_parent(void)
{
	pthread_mutex_unlock(&counted_lock);
	pthread_mutex_unlock(&directory_lock);
	pthread_rwlock_unlock(&descriptors_lock);
}

/* A write lock remembers its owner's thread id, which the child's thread does not
   have: the child starts with every lock new. */
static void after_fork_in_child(void)
{
	pthread_mutex_init(&counted_lock, NULL);
	pthread_mutex_init(&directory_lock, NULL);
	pthread_rwlock_init(&descriptors_lock, NULL);
}

static void log_process(const char *event, const char *detail)
{
	LINE(line, 240);
	line_text(&line, "TORTURE-LOG ");
	line_text(&line, event);
	line_text(&line, " ");
	line_text(&line, torture_processes[current_process].name);
	line_text(&line, " ");
	line_number(&line, (uint64_t)getpid());
	line_text(&line, " ");
	line_text(&line, detail);
	line_write(&line, STDERR_FILENO);
}

static void pause_microseconds(uint64_t microseconds)
{
	struct timespec left = {(time_t)(microseconds / 1000000), (long)(microseconds % 1000000) * 1000};
	while (nanosleep(&left, &left) != 0 && errno == EINTR)
		;
}

static void wait_semaphore(sem_t *semaphore)
{
	while (sem_wait(semaphore) != 0 && errno == EINTR)
		;
}

/* Counted allocations of one site; the last `frees` of them are released at once. */
static void count_allocations(unsigned site, void *(*allocate)(void), void (*release)(void *),
			      unsigned allocations, unsigned frees)
{
	pthread_mutex_lock(&counted_lock);
	for (unsigned i = 0; i < allocations; i++) {
		void *block = allocate();
		if (!block)
			continue;
		counted[site].allocations++;
		if (counted[site].kept_count < KEPT_MAX) {
			counted[site].kept[counted[site].kept_count++] = block;
		} else {
			release(block);
			counted[site].frees++;
		}
	}
	for (unsigned i = 0; i < frees && counted[site].kept_count; i++) {
		release(counted[site].kept[--counted[site].kept_count]);
		counted[site].frees++;
	}
	pthread_mutex_unlock(&counted_lock);
}

static void *plugin_symbol(void *plugin, const char *name)
{
	return plugin ? dlsym(plugin, name) : NULL;
}

static void plugin_path(char *path, size_t size)
{
	const char *slash = strrchr(self_path, '/');
	size_t directory = slash ? (size_t)(slash - self_path) + 1 : 0;
	if (directory + sizeof "libtorture_plugin.so" > size) {
		path[0] = '\0';
		return;
	}
	memcpy(path, self_path, directory);
	memcpy(path + directory, "libtorture_plugin.so", sizeof "libtorture_plugin.so");
}

static uint64_t run_plugin(unsigned thread, const struct torture_step *step, uint64_t sum)
{
	char path[PATH_MAX];
	plugin_path(path, sizeof path);
	pthread_rwlock_rdlock(&descriptors_lock);
	void *plugin = dlopen(path, (step->variant & 2) ? RTLD_LAZY | RTLD_GLOBAL : RTLD_NOW | RTLD_LOCAL);
	torture_work_function work =
		(torture_work_function)plugin_symbol(plugin, torture_plugin_works[step->target]);
	if (work)
		sum = work(sum, step->amount);
	if (step->extra) {
		unsigned site = step->extra - 1;
		void *(*allocate)(void) = (void *(*)(void))plugin_symbol(plugin, torture_sites[site].name);
		if (allocate)
			count_allocations(site, allocate, free, step->count, step->count / 2);
	}
	if (plugin && !(step->variant & 1))
		dlclose(plugin);
	pthread_rwlock_unlock(&descriptors_lock);
	say(thread, plugin ? "plugin" : "plugin missing", sum);
	return sum;
}

static uint64_t round_trip(int writer, int reader, unsigned bytes, uint64_t sum)
{
	unsigned char buffer[512];
	for (unsigned done = 0; done < bytes; done += sizeof buffer) {
		memset(buffer, (int)(sum + done), sizeof buffer);
		if (write(writer, buffer, sizeof buffer) != (ssize_t)sizeof buffer)
			return torture_mix(sum, 1);
		if (writer == reader)
			lseek(reader, -(off_t)sizeof buffer, SEEK_CUR);
		if (read(reader, buffer, sizeof buffer) != (ssize_t)sizeof buffer)
			return torture_mix(sum, 2);
		sum = torture_mix(sum, buffer[done % sizeof buffer]);
	}
	return sum;
}

/* Files of the program's own, opened in whatever numbers are free: what it reads is
   what it wrote. */
static uint64_t run_files(unsigned bytes, uint64_t sum)
{
	pthread_rwlock_rdlock(&descriptors_lock);
	int ends[2];
	if (pipe(ends) == 0) {
		sum = round_trip(ends[1], ends[0], bytes, sum);
		close(ends[0]);
		close(ends[1]);
	}
	int memory = memfd_create("torture", 0);
	if (memory >= 0) {
		sum = round_trip(memory, memory, bytes, sum);
		close(memory);
	}
	pthread_rwlock_unlock(&descriptors_lock);
	return sum;
}

static void close_descriptors(unsigned method)
{
	pthread_rwlock_wrlock(&descriptors_lock);
	if (method == 0) {
		closefrom(3);
	} else if (method == 1) {
		close_range(3, ~0u, 0);
	} else {
		struct rlimit limit;
		int top = getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < 65536
				  ? (int)limit.rlim_cur
				  : 65536;
		for (int descriptor = 3; descriptor < top; descriptor++)
			close(descriptor);
	}
	pthread_rwlock_unlock(&descriptors_lock);
}

static const char *directory_path(unsigned directory)
{
	switch (directory) {
	case TORTURE_ROOT:
		return "/";
	case TORTURE_TMP:
		return "/tmp";
	case TORTURE_DIRECTORY_A:
		return getenv("TORTURE_DIR_A");
	case TORTURE_DIRECTORY_B:
		return getenv("TORTURE_DIR_B");
	default:
		return "a";
	}
}

/* 0 or chdir's errno. The working directory is the process's: what a relative change
   finds would depend on where other threads (or the parent, before an exec) had gone,
   so it starts from TORTURE_DIR_A, which holds an "a". */
static uint64_t change_directory(unsigned directory)
{
	pthread_mutex_lock(&directory_lock);
	bool changed =
		(directory != TORTURE_SUBDIRECTORY || chdir(directory_path(TORTURE_DIRECTORY_A)) == 0) &&
		chdir(directory_path(directory)) == 0;
	uint64_t error = changed ? 0 : (uint64_t)errno;
	pthread_mutex_unlock(&directory_lock);
	return error;
}

/* As setproctitle does: the title over the strings of argv, which lie end to end. */
static void set_title(const char *title)
{
	if (!argv_area_size)
		return;
	memset(argv_area, 0, argv_area_size);
	size_t length = strlen(title);
	memcpy(argv_area, title, length < argv_area_size ? length : argv_area_size - 1);
}

static void remember_argv(int argc, char **argv)
{
	argv_area = argv[0];
	char *end = argv[0] + strlen(argv[0]) + 1;
	for (int i = 1; i < argc && argv[i] == end; i++)
		end = argv[i] + strlen(argv[i]) + 1;
	argv_area_size = (size_t)(end - argv_area);
}

static void check_stats(unsigned thread)
{
	struct heapprof_stats stats;
	uint64_t floor = atomic_load(&stats_floor);
	if (heapprof_read_stats(&stats) != 0) {
		check_failed(thread, "heapprof_read_stats failed, errno", (uint64_t)errno);
		return;
	}
	if (stats.samples > stats.total_alloc_objects)
		check_failed(thread, "more samples than allocations:", stats.samples);
	if (stats.total_alloc_objects < floor)
		check_failed(thread, "total_alloc_objects went back below", floor);
	uint64_t seen = floor;
	while (seen < stats.total_alloc_objects &&
	       !atomic_compare_exchange_weak(&stats_floor, &seen, stats.total_alloc_objects))
		;
}

static void write_profile(unsigned thread, unsigned variant)
{
	const char *directory = getenv("TORTURE_DUMPS");
	if (variant == 0 || !directory) {
		if (heapprof_write_profile(NULL) != 0)
			check_failed(thread, "heapprof_write_profile(NULL) failed, errno", (uint64_t)errno);
		return;
	}
	char name[64], path[PATH_MAX];
	snprintf(name, sizeof name, "%s", torture_threads[thread].name);
	for (char *cursor = name; *cursor; cursor++)
		*cursor = *cursor == '/' ? '.' : *cursor;
	snprintf(path, sizeof path, "%s/api.%s.%u.pb.gz", directory, name, sinks[thread].profiles_written++);
	if (heapprof_write_profile(path) != 0)
		check_failed(thread, "heapprof_write_profile(path) failed, errno", (uint64_t)errno);
}

/* Waits until a raised signal has been handled; kill() may deliver it to another
   thread, later. */
static bool await_count(_Atomic unsigned *count, unsigned before)
{
	for (unsigned i = 0; i < 500000 && atomic_load(count) == before; i++)
		sched_yield();
	return atomic_load(count) != before;
}

static void *thread_main(void *argument);

static void spawn(unsigned parent, unsigned thread)
{
	const struct torture_thread *plan = &torture_threads[thread];
	pthread_attr_t attributes;
	pthread_attr_init(&attributes);
	int error = 0;
	if (plan->stack_kib)
		error = pthread_attr_setstacksize(&attributes, (size_t)plan->stack_kib * 1024);
	if (!error && plan->detached)
		error = pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
	if (!error)
		error = pthread_create(&handles[thread], &attributes, thread_main, (void *)(uintptr_t)thread);
	pthread_attr_destroy(&attributes);
	LINE(line, 240);
	line_start(&line, parent);
	line_text(&line, "spawned ");
	line_text(&line, plan->name);
	line_text(&line, " ");
	line_number(&line, (uint64_t)error);
	line_write(&line, STDOUT_FILENO);
	started[thread] = !error;
	/* Nobody waits for a thread that never started, nor for those it would have. */
	for (unsigned i = 0; error && i < plan->results_below; i++)
		sem_post(&results_done);
}

static void join(unsigned parent, unsigned thread)
{
	void *result = NULL;
	int error = started[thread] ? pthread_join(handles[thread], &result) : ESRCH;
	LINE(line, 240);
	line_start(&line, parent);
	line_text(&line, "joined ");
	line_text(&line, torture_threads[thread].name);
	line_text(&line, " ");
	line_number(&line, error ? (uint64_t)error : (uint64_t)(uintptr_t)result);
	line_write(&line, STDOUT_FILENO);
}

static void say_status(unsigned thread, unsigned process, const char *how, int status)
{
	LINE(line, 240);
	line_start(&line, thread);
	line_text(&line, how);
	line_text(&line, " ");
	line_text(&line, torture_processes[process].name);
	if (status == -1) {
		line_text(&line, " lost");
	} else if (WIFEXITED(status)) {
		line_text(&line, " exited ");
		line_number(&line, (uint64_t)WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		line_text(&line, " killed by signal ");
		line_number(&line, (uint64_t)WTERMSIG(status));
	}
	line_write(&line, STDOUT_FILENO);
}

static int run_process(unsigned process);

static void exec_self(unsigned process)
{
	char number[16];
	LINE(digits, 16);
	line_number(&digits, process);
	memcpy(number, digits.text, digits.length);
	number[digits.length] = '\0';
	char *arguments[] = {self_path, "--proc", number, NULL};
	execv(self_path, arguments);
	_exit(127);
}

static pid_t spawn_process(unsigned process)
{
	char number[16];
	LINE(digits, 16);
	line_number(&digits, process);
	memcpy(number, digits.text, digits.length);
	number[digits.length] = '\0';
	char *arguments[] = {self_path, "--proc", number, NULL};
	pid_t child;
	return posix_spawn(&child, self_path, NULL, NULL, arguments, environ) == 0 ? child : -1;
}

static int run_system(unsigned process, bool exec)
{
	LINE(command, 1024);
	line_text(&command, exec ? "exec '" : "'");
	line_text(&command, self_path);
	line_text(&command, "' --proc ");
	line_number(&command, process);
	if (!exec)
		line_text(&command, "; exit $?");
	command.text[command.length] = '\0';
	return system(command.text);
}

static void start_process(unsigned thread, const struct torture_step *step)
{
	unsigned process = step->target;
	pid_t child = -1;
	switch (step->variant) {
	case TORTURE_FORK:
		child = fork();
		if (child == 0)
			exit(run_process(process));
		break;
	case TORTURE_FORK_EXEC:
		child = fork();
		if (child == 0)
			exec_self(process);
		break;
	case TORTURE_VFORK_EXEC:
		child = vfork();
		if (child == 0)
			exec_self(process);
		break;
	case TORTURE_POSIX_SPAWN:
		child = spawn_process(process);
		break;
	default:
		say_status(thread, process, "system",
			   run_system(process, step->variant == TORTURE_SYSTEM_EXEC));
		return;
	}
	if (child < 0 || !step->extra) {
		say(thread, child < 0 ? "could not start" : "started", process);
		return;
	}
	int status = -1;
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	say_status(thread, process, "waited for", status);
}

static void raise_and_wait(unsigned thread, int signal, unsigned variant, _Atomic unsigned *count)
{
	unsigned before = atomic_load(count);
	if (variant)
		kill(getpid(), signal);
	else
		raise(signal);
	say(thread, "signal handled", await_count(count, before));
}

static uint64_t run_timer(const struct torture_step *step, struct torture_sink *sink, uint64_t sum)
{
	struct itimerval timer = {{0, (long)step->extra}, {0, (long)step->extra}};
	setitimer(ITIMER_REAL, &timer, NULL);
	sum = torture_churns[step->target](sink, sum, step->amount);
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	return sum;
}

/* Uses `kib` KiB of this thread's stack, then allocates at the bottom. */
__attribute__((noinline)) static uint64_t deep(unsigned kib, const struct torture_step *step,
					       struct torture_sink *sink, uint64_t sum)
{
	volatile unsigned char frame[1000];
	unsigned slot = (unsigned)(sum % sizeof frame);
	frame[slot] = (unsigned char)sum;
	if (kib)
		sum = deep(kib - 1, step, sink, sum);
	else
		sum = torture_churns[step->target](sink, sum, 1);
	return torture_mix(sum, frame[slot]);
}

static void finish_process(unsigned thread, const struct torture_step *step);

/* Runs a thread's steps; returns only if they end without ending the process, or
   with TORTURE_RETURN (then *returned holds the status). */
static uint64_t run_steps(unsigned thread, int *returned)
{
	const struct torture_thread *plan = &torture_threads[thread];
	struct torture_sink *sink = &sinks[thread];
	uint64_t sum = plan->seed;
	for (unsigned i = 0; i < plan->step_count; i++) {
		const struct torture_step *step = &plan->steps[i];
		switch (step->op) {
		case TORTURE_CHURN:
			sum = torture_churns[step->target](sink, sum, step->amount);
			break;
		case TORTURE_COUNTED:
			count_allocations(step->target, torture_sites[step->target].allocate,
					  torture_sites[step->target].release, step->amount, step->extra);
			break;
		case TORTURE_SPAWN:
			spawn(thread, step->target);
			break;
		case TORTURE_JOIN:
			join(thread, step->target);
			break;
		case TORTURE_START:
			start_process(thread, step);
			break;
		case TORTURE_RAISE_FLAG:
			raise_and_wait(thread, FLAG_SIGNAL, step->variant, &flags_seen);
			break;
		case TORTURE_RAISE_ALLOC:
			raise_and_wait(thread, ALLOC_SIGNAL, 0,
				       torture_signal_safe_allocator ? &allocating_handlers : &flags_seen);
			break;
		case TORTURE_TIMER:
			sum = run_timer(step, sink, sum);
			break;
		case TORTURE_DUMP_SIGNAL:
			if (heapprof_version && torture_dump_signal) {
				if (step->variant)
					kill(getpid(), torture_dump_signal);
				else
					raise(torture_dump_signal);
			}
			break;
		case TORTURE_SET_RATE:
			if (heapprof_set_rate)
				heapprof_set_rate(step->amount);
			break;
		case TORTURE_READ_STATS:
			if (heapprof_read_stats)
				check_stats(thread);
			break;
		case TORTURE_WRITE_PROFILE:
			if (heapprof_write_profile)
				write_profile(thread, step->variant);
			break;
		case TORTURE_CHDIR:
			say(thread, "chdir", change_directory(step->target));
			break;
		case TORTURE_ARGV0:
			set_title(torture_titles[step->target]);
			break;
		case TORTURE_CLOSE_FDS:
			close_descriptors(step->variant);
			say(thread, "closed descriptors", step->variant);
			break;
		case TORTURE_FILES:
			sum = run_files(step->amount, sum);
			say(thread, "files", sum);
			break;
		case TORTURE_DLOPEN:
			sum = run_plugin(thread, step, sum);
			break;
		case TORTURE_CXX:
			sum = torture_cxx_works[step->target](sum, step->amount);
			say(thread, "c++", sum);
			break;
		case TORTURE_SLEEP:
			pause_microseconds(step->amount);
			break;
		case TORTURE_DEEP:
			sum = deep(step->amount, step, sink, sum);
			break;
		case TORTURE_END:
			finish_process(thread, step);
			*returned = (int)step->amount;
			return sum;
		}
	}
	return sum;
}

static void *thread_main(void *argument)
{
	unsigned thread = (unsigned)(uintptr_t)argument;
	const struct torture_thread *plan = &torture_threads[thread];
	current_thread = thread;
	use_signal_stack();
	int returned = -1;
	uint64_t sum;
	if (plan->background) {
		do
			sum = run_steps(thread, &returned);
		while (!atomic_load(&stop_background));
	} else {
		sum = run_steps(thread, &returned);
		say(thread, "done", sum);
		sem_post(&results_done);
	}
	if (plan->ends_with_pthread_exit)
		pthread_exit((void *)(uintptr_t)sum);
	return (void *)(uintptr_t)sum;
}

/* The process's own counts on stdout, if it counted any (what a fork child inherited
   is timing); on stderr, for the runner, the totals a profile must show, inherited
   ones included. */
static void report_count(unsigned thread, unsigned site)
{
	uint64_t own_allocations = counted[site].allocations - counted[site].inherited_allocations;
	if (own_allocations) {
		LINE(line, 240);
		line_start(&line, thread);
		line_text(&line, "count ");
		line_text(&line, torture_sites[site].name);
		line_text(&line, " ");
		line_number(&line, own_allocations);
		line_text(&line, " ");
		line_number(&line, counted[site].frees - counted[site].inherited_frees);
		line_write(&line, STDOUT_FILENO);
	}

	uint64_t size = torture_sites[site].size, inuse = counted[site].allocations - counted[site].frees;
	uint64_t values[] = {counted[site].allocations, counted[site].allocations * size, inuse,
			     inuse * size};
	LINE(totals, 200);
	line_text(&totals, torture_sites[site].name);
	for (unsigned i = 0; i < 4; i++) {
		line_text(&totals, " ");
		line_number(&totals, values[i]);
	}
	totals.text[totals.length] = '\0';
	log_process("count", totals.text);
}

static const char *const endings[] = {"exit", "return", "_exit", "abort", "pthread_exit"};

/* The ending thread waits for every result, prints the counts, and ends the process
   as the plan says. */
static void finish_process(unsigned thread, const struct torture_step *step)
{
	const struct torture_process *process = &torture_processes[current_process];
	for (unsigned i = 1; i < process->result_threads; i++)
		wait_semaphore(&results_done);
	/* Held to the end: no counted allocation may follow the counts printed. */
	pthread_mutex_lock(&counted_lock);
	for (unsigned site = 0; site < torture_site_count; site++) {
		if (counted[site].allocations)
			report_count(thread, site);
	}
	say(thread, endings[step->variant], step->amount);
	log_process("end", endings[step->variant]);
	switch (step->variant) {
	case TORTURE_EXIT:
		exit((int)step->amount);
	case TORTURE_UNDERSCORE_EXIT:
		_exit((int)step->amount);
	case TORTURE_ABORT:
		abort();
	case TORTURE_PTHREAD_EXIT:
		atomic_store(&stop_background, true);
		pthread_exit(NULL);
	}
}

/* Where the process starts, for the runner. Its own frame, gone before the plan runs:
   a fork child runs its plan on the stack of the thread that forked, 16 KiB perhaps. */
__attribute__((noinline)) static void log_start(void)
{
	char directory[PATH_MAX];
	log_process("start", getcwd(directory, sizeof directory) ? directory : "?");
}

static int run_process(unsigned process)
{
	const struct torture_process *plan = &torture_processes[process];
	current_process = process;
	current_thread = plan->first_thread;
	for (unsigned site = 0; site < torture_site_count; site++) {
		counted[site].inherited_allocations = counted[site].allocations;
		counted[site].inherited_frees = counted[site].frees;
	}
	sem_init(&results_done, 0, 0);
	atomic_store(&stop_background, false);
	log_start();
	say(plan->first_thread, "start, needed library", torture_needed_value());
	int returned = -1;
	uint64_t sum = run_steps(plan->first_thread, &returned);
	if (returned >= 0)
		return returned;
	say(plan->first_thread, "done", sum);
	sem_post(&results_done);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	unsigned process = argc == 3 && strcmp(argv[1], "--proc") == 0 ? (unsigned)atoi(argv[2]) : 0;
	remember_argv(argc, argv);
	ssize_t length = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
	self_path[length > 0 ? length : 0] = '\0';
	install_handler(FLAG_SIGNAL, on_flag);
	void (*allocating)(int) = torture_signal_safe_allocator ? on_alloc : on_flag;
	install_handler(ALLOC_SIGNAL, allocating);
	install_handler(SIGALRM, allocating);
	pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);
	report_crashes();
	return run_process(process < torture_process_count ? process : 0);
}
