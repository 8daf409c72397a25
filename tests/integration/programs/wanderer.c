/* Allocates, then leaves the directory it started in the way argv[1] says, as
   daemons and servers do, and exits normally:

   wanderer chdir DIR    changes into DIR (/proc: no file can be created there)
   wanderer removed      changes into a directory of its own and removes it
   wanderer daemon       closes every descriptor above stderr, changes into /proc and
                         fills the descriptor table with directories of its own
   wanderer renamed DIR  renames DIR, the directory it started in, to DIR.moved and
                         changes into /proc
   wanderer fork         forks; the child and the parent each change into /proc
   wanderer exec DIR     changes into DIR and runs itself again: wanderer chdir /proc */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void *kept[40];

__attribute__((noinline)) static void wanderer_work(void)
{
	for (int i = 0; i < 40; i++)
		kept[i] = malloc(2500);
}

static void change_into(const char *directory)
{
	if (chdir(directory) != 0) {
		perror(directory);
		exit(2);
	}
}

/* Every number from 3 up to the limit (at most 1023) names a directory of the
   program's: a profiler that trusted a number it opened before would use /proc. */
static void fill_descriptors(void)
{
	struct rlimit limit;
	int highest = 1023;
	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur <= 1024)
		highest = (int)limit.rlim_cur - 1;
	for (int fd = 3; fd < 65536; fd++)
		close(fd);
	int first = open("/proc", O_PATH | O_DIRECTORY);
	for (int fd = first + 1; fd <= highest; fd++)
		dup2(first, fd);
}

static void renamed(const char *directory)
{
	char moved[4096];
	snprintf(moved, sizeof moved, "%s.moved", directory);
	if (rename(directory, moved) != 0) {
		perror("rename");
		exit(2);
	}
	change_into("/proc");
}

static int forked(void)
{
	pid_t child = fork();
	change_into("/proc");
	if (child == 0) {
		printf("child\n");
		return 0;
	}
	int status;
	waitpid(child, &status, 0);
	printf("parent\n");
	return 0;
}

int main(int argc, char **argv)
{
	wanderer_work();
	const char *mode = argc > 1 ? argv[1] : "";
	if (strcmp(mode, "chdir") == 0 && argc > 2) {
		change_into(argv[2]);
	} else if (strcmp(mode, "removed") == 0) {
		mkdir("elsewhere", 0755);
		change_into("elsewhere");
		rmdir("../elsewhere");
	} else if (strcmp(mode, "daemon") == 0) {
		change_into("/proc");
		fill_descriptors();
	} else if (strcmp(mode, "renamed") == 0 && argc > 2) {
		renamed(argv[2]);
	} else if (strcmp(mode, "fork") == 0) {
		return forked();
	} else if (strcmp(mode, "exec") == 0 && argc > 2) {
		change_into(argv[2]);
		fflush(stdout);
		execl("/proc/self/exe", argv[0], "chdir", "/proc", (char *)NULL);
		perror("exec");
		return 2;
	} else {
		fprintf(stderr, "usage: see wanderer.c\n");
		return 2;
	}
	printf("%s done\n", mode);
	return 0;
}
