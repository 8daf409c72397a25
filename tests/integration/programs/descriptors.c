/* Closes every descriptor above stderr, as daemons and ssh do, opens its input and
   output in the lowest numbers, and only then allocates, from call sites it has not
   used before, so that the unwinder meets new frames. It copies the input to the
   output through those descriptors and prints how much it read: a profiler that
   touched them shows as a short read or a changed copy.

   usage: descriptors INPUT OUTPUT */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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

int main(int argc, char **argv)
{
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
	return close(input) == 0 && close(output) == 0 ? 0 : 1;
}
