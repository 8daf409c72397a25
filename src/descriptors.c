#include "descriptors.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

/* A program's files take the lowest free numbers and reach the top last. No higher
   than this: a fork copies the table up to the highest open descriptor. */
#define HIGHEST_DESCRIPTOR 1023

int descriptor_move_up(int fd)
{
	struct rlimit limit;
	rlim_t highest = HIGHEST_DESCRIPTOR;
	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
	    limit.rlim_cur <= highest)
		highest = limit.rlim_cur - 1;
	int saved_errno = errno;
	for (int target = (int)highest; target > fd; target--) {
		if (fcntl(target, F_GETFD) != -1 || errno != EBADF)
			continue;
		int moved = fcntl(fd, F_DUPFD_CLOEXEC, target);
		if (moved >= 0) {
			close(fd);
			fd = moved;
		}
		break;
	}
	errno = saved_errno;
	return fd;
}

int descriptor_open_read_only(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -1 : descriptor_move_up(fd);
}

void *descriptor_dlopen_local(const char *name)
{
	void *library = NULL;
	for (int attempt = 0; attempt < DESCRIPTOR_ATTEMPTS && !library; attempt++)
		library = dlopen(name, RTLD_LAZY | RTLD_LOCAL);
	return library;
}
