#include "descriptors.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <unistd.h>

#include "check.h"

static bool close_on_exec(int fd)
{
	int flags = fcntl(fd, F_GETFD);
	return flags != -1 && (flags & FD_CLOEXEC);
}

/* Sets the soft limit, as far as the hard one allows; returns the highest number. */
static int set_limit(rlim_t soft)
{
	struct rlimit limit;
	CHECK(getrlimit(RLIMIT_NOFILE, &limit) == 0);
	limit.rlim_cur = soft < limit.rlim_max ? soft : limit.rlim_max;
	CHECK(setrlimit(RLIMIT_NOFILE, &limit) == 0);
	return (int)limit.rlim_cur - 1;
}

/* Under the usual limit a descriptor goes to 1023, the next to 1022, close-on-exec;
   the number it leaves is free again, and what opens next takes it. */
static void test_moves_to_the_top(void)
{
	int top = set_limit(1024);
	int first = open("/dev/null", O_RDONLY);
	CHECK_UINT(descriptor_move_up(first), top);
	CHECK(close_on_exec(top));
	int second = open("/dev/null", O_RDONLY);
	CHECK_UINT(second, first);
	CHECK_UINT(descriptor_move_up(second), top - 1);
	int third = descriptor_open_read_only("/dev/null");
	CHECK_UINT(third, top - 2);
	CHECK(close_on_exec(third));
	for (int fd = top - 2; fd <= top; fd++)
		close(fd);
}

/* A lower limit is the top instead; errno is kept. */
static void test_follows_the_limit(void)
{
	int top = set_limit(64);
	int fd = open("/dev/null", O_RDONLY);
	errno = EINTR;
	CHECK_UINT(descriptor_move_up(fd), top);
	CHECK_UINT(errno, EINTR);
	close(top);
	set_limit(1024);
}

/* With every number above it taken, a descriptor stays where it is. */
static void test_stays_when_the_top_is_full(void)
{
	int top = set_limit(16);
	int fds[16];
	int count = 0;
	int fd;
	while (count < 16 && (fd = open("/dev/null", O_RDONLY)) >= 0)
		fds[count++] = fd;
	CHECK(count > 1 && fds[count - 1] == top);
	CHECK_UINT(descriptor_move_up(fds[0]), (uint64_t)fds[0]);
	for (int i = 0; i < count; i++)
		close(fds[i]);
	set_limit(1024);
}

int main(void)
{
	test_moves_to_the_top();
	test_follows_the_limit();
	test_stays_when_the_top_is_full();
	puts("descriptors: ok");
	return 0;
}
