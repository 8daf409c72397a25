/* Ends on a stop signal (SIGTERM, SIGINT, SIGHUP) in the way its argument says:
     pause, sleep, read, join, spin, churn   waits for the signal so: in pause(), in
                                            sleep(), reading stdin, joining a thread
                                            that allocates, computing, or allocating
     raise, kill                            sends itself SIGTERM, SIGINT
     handler                                installs a SIGTERM handler that exits 7
     fork                                   forks a child that waits in pause() and
                                            reports how it ended
   Before waiting it allocates 100 blocks in stop_work and prints what it sees of its
   dispositions, which must not depend on heapprof; then "ready". */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void *kept[100];

__attribute__((noinline)) static void stop_work(void)
{
	for (int i = 0; i < 100; i++)
		kept[i] = malloc(3000);
}

static const char *kind(void (*handler)(int))
{
	return handler == SIG_DFL ? "default" : handler == SIG_IGN ? "ignored" : "a handler";
}

static bool mask_empty(const sigset_t *mask)
{
	for (int signal = 1; signal < 32; signal++) {
		if (sigismember(mask, signal))
			return false;
	}
	return true;
}

/* Every way to read a disposition without changing it. */
static void show_dispositions(void)
{
	static const int signals[] = {SIGHUP, SIGINT, SIGTERM};
	for (int i = 0; i < 3; i++) {
		struct sigaction old;
		sigaction(signals[i], NULL, &old);
		printf("%s: %s, flags %#x, mask %s\n", strsignal(signals[i]), kind(old.sa_handler),
		       (unsigned)old.sa_flags, mask_empty(&old.sa_mask) ? "empty" : "set");
	}
	/* sigset(SIG_HOLD) reports the disposition and only blocks the signal. Old, but
	   programs still call it. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	printf("sigset(SIGINT, SIG_HOLD): %s\n", kind(sigset(SIGINT, SIG_HOLD)));
	sigrelse(SIGINT);
}

static void on_term(int signal)
{
	(void)signal;
	static const char message[] = "handled\n";
	write(STDOUT_FILENO, message, sizeof message - 1);
	_exit(7);
}

static void *churn(void *argument)
{
	(void)argument;
	for (;;)
		free(malloc(64));
	return NULL;
}

static void wait_in(const char *mode)
{
	if (strcmp(mode, "pause") == 0 || strcmp(mode, "handler") == 0) {
		for (;;)
			pause();
	} else if (strcmp(mode, "sleep") == 0) {
		sleep(1000);
	} else if (strcmp(mode, "read") == 0) {
		char line[64];
		while (fgets(line, sizeof line, stdin))
			;
	} else if (strcmp(mode, "join") == 0) {
		pthread_t thread;
		pthread_create(&thread, NULL, churn, NULL);
		pthread_join(thread, NULL);
	} else if (strcmp(mode, "spin") == 0) {
		for (volatile unsigned long count = 0;; count++)
			;
	} else if (strcmp(mode, "churn") == 0) {
		churn(NULL);
	}
}

static void report_child(pid_t child)
{
	int status;
	waitpid(child, &status, 0);
	if (WIFSIGNALED(status))
		printf("child ended by %s\n", strsignal(WTERMSIG(status)));
	else
		printf("child exited %d\n", WEXITSTATUS(status));
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "pause";
	stop_work();
	show_dispositions();
	if (strcmp(mode, "handler") == 0)
		printf("signal(SIGTERM, on_term) replaced: %s\n", kind(signal(SIGTERM, on_term)));
	if (strcmp(mode, "fork") == 0) {
		fflush(stdout);
		pid_t child = fork();
		if (child == 0) {
			stop_work();
			for (;;)
				pause();
		}
		fprintf(stderr, "child %d\n", (int)child);
		report_child(child);
		return 0;
	}
	printf("ready\n");
	fflush(stdout);
	if (strcmp(mode, "raise") == 0)
		raise(SIGTERM);
	else if (strcmp(mode, "kill") == 0)
		kill(getpid(), SIGINT);
	else
		wait_in(mode);
	printf("still running\n");
	return 0;
}
