/* Preloaded before heapprof: what a program thread that closes every descriptor (a
   daemon's start-up, say) can do to heapprof's work at the worst moment, once each, as
   generated programs met it:

   - the first time a profile's temporary file is written, every descriptor above
     stderr is closed and /dev/null opened in the lowest numbers, as files of the
     program's own, before the write;
   - the second time, /dev/null takes the number of the directory heapprof holds open
     (the start directory, for a relative HEAPPROF_OUT), as when the program closes
     every descriptor just after heapprof opened that directory again and then opens
     a file of its own;
   - the first dlopen of libdw.so.1 and of libz.so.1 fails, as when the loader's
     descriptor is closed while it reads the library;
   - the first open of the program's own file fails with EBADF, as when it is closed
     before it is read;
   - the first time the peak profile is linked into place, its link is made and then
     the directory's descriptor closed and "File exists" returned, as when the program
     closes every descriptor between heapprof's link of a profile it wrote before and
     its look at the file in the way. */
/* Both open and open64 are defined here: neither may be the other's alias. */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROGRAM_FILES 8

static int written, program_opened, libdw_loaded, libz_loaded, peak_linked;

static int is_temporary_profile(int fd)
{
	char link[64], target[4096];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t length = readlink(link, target, sizeof target - 1);
	if (length <= 0)
		return 0;
	target[length] = '\0';
	return strstr(target, ".pb.gz.tmp.") != NULL;
}

/* The highest descriptor above stderr that names a directory, or -1. */
static int open_directory(void)
{
	struct stat status;
	for (int fd = 65535; fd > STDERR_FILENO; fd--) {
		if (fstat(fd, &status) == 0 && S_ISDIR(status.st_mode))
			return fd;
	}
	return -1;
}

ssize_t write(int fd, const void *data, size_t length)
{
	static ssize_t (*next_write)(int fd, const void *data, size_t length);
	if (!next_write)
		next_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	if (written < 2 && fd > STDERR_FILENO && is_temporary_profile(fd)) {
		if (++written == 1) {
			close_range(STDERR_FILENO + 1, ~0u, 0);
			for (int i = 0; i < PROGRAM_FILES; i++)
				open("/dev/null", O_WRONLY);
		} else {
			dup2(STDERR_FILENO + 1, open_directory());
		}
	}
	return next_write(fd, data, length);
}

int linkat(int from_directory, const char *from, int to_directory, const char *to, int flags)
{
	static int (*next_linkat)(int, const char *, int, const char *, int);
	if (!next_linkat)
		next_linkat = (int (*)(int, const char *, int, const char *, int))dlsym(RTLD_NEXT, "linkat");
	int result = next_linkat(from_directory, from, to_directory, to, flags);
	if (result == 0 && !peak_linked && strstr(to, ".peak.")) {
		peak_linked = 1;
		close(to_directory);
		errno = EEXIST;
		return -1;
	}
	return result;
}

void *dlopen(const char *name, int flags)
{
	static void *(*next_dlopen)(const char *name, int flags);
	if (!next_dlopen)
		next_dlopen = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
	int *first = !name                             ? NULL
		     : strcmp(name, "libdw.so.1") == 0 ? &libdw_loaded
		     : strcmp(name, "libz.so.1") == 0  ? &libz_loaded
						       : NULL;
	if (first && !*first) {
		*first = 1;
		return NULL;
	}
	return next_dlopen(name, flags);
}

static int is_program(const char *path)
{
	char program[4096];
	ssize_t length = readlink("/proc/self/exe", program, sizeof program - 1);
	if (length <= 0)
		return 0;
	program[length] = '\0';
	return strcmp(path, program) == 0;
}

static int next_open(const char *name, const char *path, int flags, va_list arguments)
{
	int (*open_function)(const char *path, int flags, ...) =
		(int (*)(const char *, int, ...))dlsym(RTLD_NEXT, name);
	if (!program_opened && is_program(path)) {
		program_opened = 1;
		errno = EBADF;
		return -1;
	}
	return open_function(path, flags, va_arg(arguments, int));
}

int open(const char *path, int flags, ...)
{
	va_list arguments;
	va_start(arguments, flags);
	int fd = next_open("open", path, flags, arguments);
	va_end(arguments);
	return fd;
}

int open64(const char *path, int flags, ...)
{
	va_list arguments;
	va_start(arguments, flags);
	int fd = next_open("open64", path, flags, arguments);
	va_end(arguments);
	return fd;
}
