/* A program to serve profiles from: it reads commands from stdin, one a line, and
   answers each with "done <command>" on stdout, until stdin closes.
     keep N SIZE     allocates N blocks of SIZE bytes in keep_work and keeps them
     pool T N SIZE   T threads each allocate N blocks of SIZE bytes in pool_work and
                     keep them
     window N SIZE   the same in window_work
     release         frees every block kept so far
     churn MS        allocates and frees in churn_work for MS milliseconds
     sleep MS        sleeps
     closefds        closes every descriptor above stderr, as a daemon does, then
                     opens own.txt, where each later command notes itself
     exec C1;C2...   replaces itself with this program, stdin and stdout kept, which
                     runs commands C1, C2... first
     spawn C1;C2...  forks a child that execs this program with commands C1, C2...,
                     and waits for it
     exit STATUS     exits with STATUS
   With arguments, each is run as a command before stdin is read. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_KEPT 100000

static void *kept[MAX_KEPT];
static int kept_count;
static int own_file = -1;

/* Each site its own function, allocating itself: the profile's rows. */
#define KEEP(count, size)                                             \
	for (long i = 0; i < (count) && kept_count < MAX_KEPT; i++) { \
		kept[kept_count] = malloc((size_t)(size));            \
		memset(kept[kept_count++], 1, (size_t)(size));        \
	}

__attribute__((noinline)) static void keep_work(long count, long size)
{
	KEEP(count, size);
}

__attribute__((noinline)) static void window_work(long count, long size)
{
	KEEP(count, size);
}

struct pool_job {
	long count, size;
	void **blocks;
};

__attribute__((noinline)) static void pool_work(struct pool_job *job)
{
	for (long i = 0; i < job->count; i++) {
		job->blocks[i] = malloc((size_t)job->size);
		memset(job->blocks[i], 1, (size_t)job->size);
	}
}

static void *pool_thread(void *job)
{
	pool_work(job);
	return NULL;
}

/* The blocks are kept, apart from kept[], and never freed. */
static void pool(long threads, long count, long size)
{
	pthread_t ids[64];
	struct pool_job jobs[64];
	for (long t = 0; t < threads && t < 64; t++) {
		jobs[t] = (struct pool_job){count, size, calloc((size_t)count, sizeof(void *))};
		pthread_create(&ids[t], NULL, pool_thread, &jobs[t]);
	}
	for (long t = 0; t < threads && t < 64; t++)
		pthread_join(ids[t], NULL);
}

static double seconds_now(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

__attribute__((noinline)) static void churn_work(long milliseconds)
{
	double end = seconds_now() + (double)milliseconds / 1000;
	while (seconds_now() < end) {
		for (int i = 0; i < 1000; i++)
			free(malloc(64 + (size_t)(i % 32) * 64));
	}
}

static void sleep_for(long milliseconds)
{
	struct timespec pause = {milliseconds / 1000, (milliseconds % 1000) * 1000000};
	nanosleep(&pause, NULL);
}

/* argv for exec: this program and the commands after the first word, split at ';'. */
static void commands_after(char *line, char **argv, int room)
{
	int count = 0;
	argv[count++] = "serve_target";
	char *rest = strchr(line, ' ');
	if (rest) {
		rest[strcspn(rest, "\n")] = '\0';
		for (char *command = strtok(rest + 1, ";"); command && count < room - 1;
		     command = strtok(NULL, ";"))
			argv[count++] = command;
	}
	argv[count] = NULL;
}

static void spawn(char *line)
{
	char *argv[16];
	commands_after(line, argv, 16);
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	int status;
	waitpid(child, &status, 0);
	printf("child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void run(char *line)
{
	long first = 0, second = 0;
	char copy[256];
	snprintf(copy, sizeof copy, "%s", line);
	long third = 0;
	if (sscanf(line, "keep %ld %ld", &first, &second) == 2) {
		keep_work(first, second);
	} else if (sscanf(line, "pool %ld %ld %ld", &first, &second, &third) == 3) {
		pool(first, second, third);
	} else if (sscanf(line, "window %ld %ld", &first, &second) == 2) {
		window_work(first, second);
	} else if (strncmp(line, "release", 7) == 0) {
		while (kept_count > 0)
			free(kept[--kept_count]);
	} else if (sscanf(line, "churn %ld", &first) == 1) {
		churn_work(first);
	} else if (sscanf(line, "sleep %ld", &first) == 1) {
		sleep_for(first);
	} else if (strncmp(line, "closefds", 8) == 0) {
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		own_file = open("own.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
	} else if (strncmp(line, "exec", 4) == 0) {
		char *argv[16];
		commands_after(line, argv, 16);
		printf("done %s", copy);
		fflush(stdout);
		execv("/proc/self/exe", argv);
		_exit(127);
	} else if (strncmp(line, "spawn", 5) == 0) {
		spawn(line);
	} else if (sscanf(line, "exit %ld", &first) == 1) {
		exit((int)first);
	}
	if (own_file >= 0)
		dprintf(own_file, "%s", copy);
	printf("done %s", copy);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	char line[256];
	for (int i = 1; i < argc; i++) {
		snprintf(line, sizeof line, "%s\n", argv[i]);
		run(line);
	}
	while (fgets(line, sizeof line, stdin))
		run(line);
	return 0;
}
