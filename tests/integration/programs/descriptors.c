/* Closes every descriptor above stderr, as daemons and ssh do, opens its input and
   output in the lowest numbers, and only then allocates, from call sites it has not
   used before, so that the unwinder meets new frames. It copies the input to the
   output through those descriptors and prints how much it read: a profiler that
   touched them shows as a short read or a changed copy. Then, under heapprof, it
   writes a profile (which opens the files libdw reads), prints the number its next
   open gets, and starts itself without the preload to list the descriptors a child
   inherits.

   usage: descriptors INPUT OUTPUT
          descriptors --list */
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define BLOCKS 1000

static void close_inherited(void)
{
	for (int fd = 3; fd < 65536; fd++)
		close(fd);
}

__attribute__((noinline)) static void *allocate_after_close(size_t size)
{
	return malloc(size);
}

__attribute__((noinline)) static void churn_after_close(void)
{
	static void *blocks[BLOCKS];
	for (int i = 0; i < BLOCKS; i++)
		blocks[i] = allocate_after_close(64 + (size_t)i);
	for (int i = 0; i < BLOCKS; i++)
		free(blocks[i]);
}

static int list_inherited(void)
{
	DIR *directory = opendir("/proc/self/fd");
	if (!directory)
		return 1;
	struct dirent *entry;
	while ((entry = readdir(directory))) {
		int fd = atoi(entry->d_name);
		if (entry->d_name[0] != '.' && fd > 2 && fd != dirfd(directory))
			printf("inherited descriptor %d\n", fd);
	}
	closedir(directory);
	return 0;
}

static void write_profile_if_profiled(void)
{
	int (*write_profile)(const char *) =
		(int (*)(const char *))dlsym(RTLD_DEFAULT, "heapprof_write_profile");
	if (write_profile && write_profile("during.pb.gz") != 0)
		puts("heapprof_write_profile failed");
}

static int run_child_without_preload(void)
{
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		unsetenv("LD_PRELOAD");
		execl("/proc/self/exe", "descriptors", "--list", (char *)NULL);
		_exit(127);
	}
	int status;
	return child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) ? WEXITSTATUS(status)
										     : 1;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--list") == 0)
		return list_inherited();
	if (argc != 3)
		return 2;
	close_inherited();
	int input = open(argv[1], O_RDONLY);
	int output = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (input < 0 || output < 0)
		return 1;
	long total = 0;
	char buffer[4096];
	for (;;) {
		churn_after_close();
		ssize_t count = read(input, buffer, sizeof buffer);
		if (count <= 0)
			break;
		if (write(output, buffer, (size_t)count) != count)
			return 1;
		total += count;
	}
	printf("read %ld bytes on descriptor %d, wrote on %d\n", total, input, output);
	if (close(input) != 0 || close(output) != 0)
		return 1;
	write_profile_if_profiled();
	int next = open(argv[1], O_RDONLY | O_CLOEXEC);
	printf("next open: descriptor %d\n", next);
	return run_child_without_preload();
}
