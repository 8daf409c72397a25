/* Profiles asked for on threads with small stacks, as argv[1] says:

   exit       a 16 KiB thread (the smallest pthreads allows) calls exit(7)
   used-exit  a 64 KiB thread calls exit(7) with 40 KiB of its stack in use
   last       the initial thread calls pthread_exit, and a 16 KiB thread is the last
              to end: glibc calls exit(0) on it
   write      a 16 KiB thread calls heapprof_write_profile(argv[2]), then the
              program returns 0
   signal     a 16 KiB thread with an alternate signal stack raises SIGUSR2 (under
              heapprof only: HEAPPROF_DUMP_SIGNAL) with all but 1 KiB of its own
              stack in use, then the program returns 0
   term       the same with SIGTERM, which ends the process

   Each thread first allocates at small_stack_work, so that the profile has stacks to
   name. Output goes through write(2): stdio would take more of a small stack than the
   test means to. */
#include <alloca.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define USED_BY_ITSELF (40 * 1024)
#define LEFT_UNUSED 1024
#define SIGNAL_STACK (64 * 1024)

extern int heapprof_write_profile(const char *path) __attribute__((weak));

static void *kept[20];
static const char *mode, *path;

static void say(const char *text)
{
	if (write(STDOUT_FILENO, text, strlen(text)) < 0)
		_exit(3);
}

__attribute__((noinline)) static void small_stack_work(void)
{
	for (int i = 0; i < 20; i++)
		kept[i] = malloc(1000 + i);
}

__attribute__((noinline)) static void exit_with_stack_used(void)
{
	volatile char used[USED_BY_ITSELF];
	memset((char *)used, 1, sizeof used);
	say("exit with 40 KiB used\n");
	exit(7 + used[USED_BY_ITSELF - 1] - 1);
}

static void use_signal_stack(void)
{
	stack_t stack = {.ss_size = SIGNAL_STACK};
	stack.ss_sp = mmap(NULL, SIGNAL_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (stack.ss_sp == MAP_FAILED || sigaltstack(&stack, NULL) != 0)
		_exit(4);
}

/* Uses all but LEFT_UNUSED bytes of this thread's stack, then raises `signal` (none
   when 0). */
__attribute__((noinline)) static void raise_with_stack_used(int signal)
{
	pthread_attr_t attributes;
	void *low;
	size_t size;
	pthread_getattr_np(pthread_self(), &attributes);
	pthread_attr_getstack(&attributes, &low, &size);
	pthread_attr_destroy(&attributes);
	/* What runs with the stack used is bound now: the loader's lazy binding saves the
	   whole vector state on the stack. */
	raise(0);
	say("");
	size_t used = (uintptr_t)__builtin_frame_address(0) - (uintptr_t)low - LEFT_UNUSED;
	volatile char *area = alloca(used);
	for (size_t i = 0; i < used; i += 64)
		area[i] = 1;
	area[used - 1] = 1;
	if (signal)
		raise(signal);
	say(area[used - 1] == 1 ? "signal handled\n" : "stack changed\n");
}

static void *run(void *argument)
{
	(void)argument;
	small_stack_work();
	if (strcmp(mode, "exit") == 0) {
		say("exit\n");
		exit(7);
	}
	if (strcmp(mode, "used-exit") == 0)
		exit_with_stack_used();
	if (strcmp(mode, "last") == 0) {
		/* The initial thread has surely gone by now. */
		usleep(100000);
		say("last thread returns\n");
		return NULL;
	}
	if (strcmp(mode, "signal") == 0 || strcmp(mode, "term") == 0) {
		use_signal_stack();
		if (strcmp(mode, "term") == 0)
			raise_with_stack_used(SIGTERM);
		/* Without heapprof, SIGUSR2 would end the program. */
		raise_with_stack_used(heapprof_write_profile ? SIGUSR2 : 0);
		return NULL;
	}
	say(!heapprof_write_profile || heapprof_write_profile(path) == 0 ? "written\n" : "not written\n");
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	mode = argv[1];
	path = argc > 2 ? argv[2] : "written.pb.gz";
	pthread_attr_t attributes;
	pthread_attr_init(&attributes);
	pthread_attr_setstacksize(&attributes,
				  strcmp(mode, "used-exit") == 0 ? 64 * 1024 : PTHREAD_STACK_MIN);
	pthread_t thread;
	if (pthread_create(&thread, &attributes, run, NULL) != 0)
		return 2;
	if (strcmp(mode, "last") == 0)
		pthread_exit(NULL);
	pthread_join(thread, NULL);
	say("returns\n");
	return 0;
}
