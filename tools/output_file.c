#include "output_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader/diag.h"

/* The file being written, whose temporary an early exit (diag_die) removes. */
static struct output_file *open_file;

static void remove_temporary(void)
{
	if (open_file && open_file->temporary)
		unlink(open_file->temporary);
}

/* stdio's writes, so that the first error's errno is kept for the message
   and nothing more is written after it. */
static ssize_t write_to_file(void *cookie, const char *data, size_t size)
{
	struct output_file *file = cookie;
	size_t done = 0;
	while (done < size && !file->error) {
		ssize_t count = write(file->fd, data + done, size - done);
		if (count > 0)
			done += (size_t)count;
		else if (count == 0 || errno != EINTR)
			file->error = count < 0 ? errno : EIO;
	}
	return (ssize_t)done;
}

static mode_t new_file_mode(void)
{
	mode_t mask = umask(0);
	umask(mask);
	return 0666 & ~mask;
}

/* A temporary file beside target, with the permissions the result should have. */
static int open_temporary(struct output_file *file, const char *target, mode_t mode)
{
	file->target = diag_strdup(target);
	file->temporary = diag_asprintf("%s.tmp.XXXXXX", target);
	int fd = mkostemp(file->temporary, O_CLOEXEC);
	if (fd < 0) {
		free(file->temporary);
		file->temporary = NULL;
		return -1;
	}
	if (fchmod(fd, mode) != 0) {
		int error = errno;
		close(fd);
		unlink(file->temporary);
		errno = error;
		return -1;
	}
	return fd;
}

static int open_for(struct output_file *file, const char *path)
{
	struct stat status;
	if (stat(path, &status) == 0) {
		if (!S_ISREG(status.st_mode))
			return open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
		char *target = realpath(path, NULL);
		if (!target)
			return -1;
		int fd = open_temporary(file, target, status.st_mode & 07777);
		free(target);
		return fd;
	}
	bool new_file = errno == ENOENT && lstat(path, &status) != 0;
	if (new_file)
		return open_temporary(file, path, new_file_mode());
	/* A symlink to nothing yet: create what it names, as any writer would. */
	return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY | O_CLOEXEC, 0666);
}

static void release(struct output_file *file)
{
	if (open_file == file)
		open_file = NULL;
	free(file->path);
	free(file->target);
	free(file->temporary);
	*file = (struct output_file){.fd = -1};
}

int output_file_open(struct output_file *file, const char *path, char *error, size_t error_size)
{
	static bool cleanup_registered;
	if (!cleanup_registered)
		cleanup_registered = atexit(remove_temporary) == 0;
	*file = (struct output_file){.path = diag_strdup(path)};
	file->fd = open_for(file, path);
	if (file->fd < 0) {
		snprintf(error, error_size, "%s: %s", path, strerror(errno));
		release(file);
		return -1;
	}
	open_file = file;
	file->stream = fopencookie(file, "w", (cookie_io_functions_t){.write = write_to_file});
	if (!file->stream)
		diag_die("out of memory");
	return 0;
}

int output_file_close(struct output_file *file, char *error, size_t error_size)
{
	bool flushed = fclose(file->stream) == 0;
	int failure = file->error ? file->error : flushed ? 0 : EIO;
	if (close(file->fd) != 0 && !failure)
		failure = errno;
	if (!failure && file->temporary && rename(file->temporary, file->target) != 0)
		failure = errno;
	if (failure && file->temporary)
		unlink(file->temporary);
	if (failure)
		snprintf(error, error_size, "%s: %s", file->path, strerror(failure));
	release(file);
	return failure ? -1 : 0;
}
