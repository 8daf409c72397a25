/* When heapprof loads libunwind: at the first sample that no lock of the loader's
   holds up, never before, and never by waiting for the loader.

   heapprof's dlopen of libunwind reaches this program's dlopen, exported, which notes
   whether the program's signals were blocked meanwhile: a handler that forked then
   would leave the child's loader halfway through the load.

   usage: lazy_unwind quiet
          lazy_unwind sampled
          lazy_unwind held LOADER_WAITER.so
          lazy_unwind fork_held LOADER_WAITER.so
          lazy_unwind inside LOADER_WAITER.so
          lazy_unwind altstack
   quiet allocates a few small blocks; sampled, 64 blocks of 64 KiB. held sets the rate
   to 1 while another thread loads LOADER_WAITER.so, whose constructor waits with the
   loader's lock held, and allocates; then again once the library is loaded. inside
   allocates in a dl_iterate_phdr callback and in LOADER_WAITER.so's constructor, with
   the loader's locks held by this thread, then after. altstack allocates in a signal
   handler running on an alternate stack inside main's frame, then after. Prints
   whether libunwind was
   mapped at each step (stdout's buffer, itself an allocation, only once the steps
   are done), and for held whether the allocations waited for the loader. */
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BLOCKS 16
#define HOLD_SECONDS 20
/* Far below HOLD_SECONDS, far above any allocation's own time. */
#define WAITED_SECONDS 5

extern void heapprof_set_rate(size_t bytes) __attribute__((weak));

static void *kept[1024];
static unsigned kept_count;
static sem_t loading, allocated;
static int holding, mapped_in_constructor = -1;

/* Read without allocating: an allocation could be the sample that loads it. */
static int libunwind_mapped(void)
{
	static char maps[1 << 20];
	int fd = open("/proc/self/maps", O_RDONLY);
	if (fd < 0)
		return -1;
	size_t length = 0;
	ssize_t got;
	while (length < sizeof maps - 1 && (got = read(fd, maps + length, sizeof maps - 1 - length)) > 0)
		length += (size_t)got;
	close(fd);
	maps[length] = 0;
	return strstr(maps, "/libunwind.so") != NULL;
}

static int blocked_during_load = -1;

void *dlopen(const char *name, int flags)
{
	static void *(*next)(const char *, int);
	if (!next)
		next = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
	if (name && strstr(name, "libunwind")) {
		sigset_t mask;
		pthread_sigmask(SIG_BLOCK, NULL, &mask);
		blocked_during_load = sigismember(&mask, SIGUSR1) && sigismember(&mask, SIGTERM);
	}
	return next(name, flags);
}

static void keep(void *block, size_t size)
{
	memset(block, 1, size);
	kept[kept_count++ % 1024] = block;
}

/* One function per site, each allocating its own size: -O0 keeps them apart. */
__attribute__((noinline)) static void small_blocks(void)
{
	for (int i = 0; i < 4; i++)
		keep(malloc(24), 24);
}

__attribute__((noinline)) static void large_blocks(void)
{
	for (int i = 0; i < 64; i++)
		keep(malloc(65536), 65536);
}

__attribute__((noinline)) static void while_held(void)
{
	for (int i = 0; i < BLOCKS; i++)
		keep(malloc(3001), 3001);
}

__attribute__((noinline)) static void after_held(void)
{
	for (int i = 0; i < BLOCKS; i++)
		keep(malloc(3002), 3002);
}

__attribute__((noinline)) static void in_iterate(void)
{
	for (int i = 0; i < BLOCKS; i++)
		keep(malloc(3003), 3003);
}

__attribute__((noinline)) static void in_constructor(void)
{
	for (int i = 0; i < BLOCKS; i++)
		keep(malloc(3004), 3004);
}

__attribute__((noinline)) static void in_child(void)
{
	for (int i = 0; i < BLOCKS; i++)
		keep(malloc(3006), 3006);
}

__attribute__((noinline)) static void in_handler(void)
{
	for (int i = 0; i < BLOCKS; i++)
		keep(malloc(3007), 3007);
}

__attribute__((noinline)) static void after_loading(void)
{
	for (int i = 0; i < BLOCKS; i++)
		keep(malloc(3005), 3005);
}

static struct timespec in_seconds(int seconds)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += seconds;
	return deadline;
}

static double seconds(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Called by LOADER_WAITER.so's constructor, with the loader's lock held. */
void loader_waiter_constructing(void)
{
	if (!holding) {
		in_constructor();
		mapped_in_constructor = libunwind_mapped();
		return;
	}
	sem_post(&loading);
	struct timespec deadline = in_seconds(HOLD_SECONDS);
	sem_timedwait(&allocated, &deadline);
}

static void *load(void *path)
{
	return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

/* The child's allocations, and whether it then mapped libunwind; reported by its exit
   status, since stdio's buffer is the parent's. */
static int fork_and_allocate(void)
{
	pid_t child = fork();
	if (child == 0) {
		in_child();
		exit(libunwind_mapped() ? 11 : 10);
	}
	int status = 0;
	waitpid(child, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) - 10 : -1;
}

static int held(const char *waiter, int forking)
{
	holding = 1;
	sem_init(&loading, 0, 0);
	sem_init(&allocated, 0, 0);
	pthread_t loader;
	pthread_create(&loader, NULL, load, (void *)waiter);
	struct timespec deadline = in_seconds(HOLD_SECONDS);
	if (sem_timedwait(&loading, &deadline) != 0) {
		printf("the library was not loaded\n");
		return 1;
	}
	if (heapprof_set_rate)
		heapprof_set_rate(1);
	double started = seconds();
	while_held();
	double took = seconds() - started;
	int mapped = libunwind_mapped();
	int mapped_in_child = forking ? fork_and_allocate() : -1;
	sem_post(&allocated);
	void *library;
	pthread_join(loader, &library);
	after_held();
	printf("libunwind while the loader's lock was held %d\n", mapped);
	printf("the allocations %s the loader\n", took >= WAITED_SECONDS ? "waited for" : "did not wait for");
	if (forking)
		printf("libunwind in the child %d\n", mapped_in_child);
	printf("libunwind after %d\n", libunwind_mapped());
	return library ? 0 : 1;
}

static int mapped_in_handler = -1;

static void handle(int signal)
{
	(void)signal;
	in_handler();
	mapped_in_handler = libunwind_mapped();
}

static int on_alternate_stack(void)
{
	char stack[64 * 1024];
	stack_t alternate = {.ss_sp = stack, .ss_size = sizeof stack};
	struct sigaction action = {.sa_handler = handle, .sa_flags = SA_ONSTACK};
	if (sigaltstack(&alternate, NULL) != 0 || sigaction(SIGUSR1, &action, NULL) != 0)
		return 1;
	if (heapprof_set_rate)
		heapprof_set_rate(1);
	raise(SIGUSR1);
	alternate.ss_flags = SS_DISABLE;
	sigaltstack(&alternate, NULL);
	after_loading();
	printf("libunwind in the handler %d\n", mapped_in_handler);
	printf("libunwind after %d\n", libunwind_mapped());
	return 0;
}

static int iterating(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)info;
	(void)size;
	(void)data;
	in_iterate();
	return 1;
}

static int inside(const char *waiter)
{
	if (heapprof_set_rate)
		heapprof_set_rate(1);
	dl_iterate_phdr(iterating, NULL);
	int mapped_in_iterate = libunwind_mapped();
	void *library = dlopen(waiter, RTLD_NOW | RTLD_LOCAL);
	after_loading();
	/* No stdio before here: its buffer is an allocation, which could load libunwind. */
	printf("libunwind in dl_iterate_phdr %d\n", mapped_in_iterate);
	printf("libunwind in the constructor %d\n", mapped_in_constructor);
	printf("libunwind after %d\n", libunwind_mapped());
	return library ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "quiet") == 0) {
		small_blocks();
		printf("libunwind %d\n", libunwind_mapped());
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "sampled") == 0) {
		large_blocks();
		printf("libunwind %d\n", libunwind_mapped());
		printf("signals blocked during the load %d\n", blocked_during_load);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "held") == 0)
		return held(argv[2], 0);
	if (argc == 3 && strcmp(argv[1], "fork_held") == 0)
		return held(argv[2], 1);
	if (argc == 2 && strcmp(argv[1], "altstack") == 0)
		return on_alternate_stack();
	if (argc == 3 && strcmp(argv[1], "inside") == 0)
		return inside(argv[2]);
	return 2;
}
