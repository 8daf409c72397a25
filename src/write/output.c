#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/name_template.h"
#include "descriptors.h"
#include "log.h"
#include "process_stat.h"

/* Files written by this process, which later dumps may replace. Callers serialise. */
#define WRITTEN_MAX 64
static struct {
	dev_t device;
	ino_t inode;
} written[WRITTEN_MAX];
static unsigned written_count, written_next;

/* What each profile file is marked with (an extended attribute, where the file
   system keeps them): the process's pid and start time, which an exec keeps. The
   program an exec starts from this process knows the files its earlier image wrote
   by it, and replaces them as its own. Callers serialise. */
#define OWNER_ATTRIBUTE "user.heapprof.process"
static char owner[48];
static size_t owner_length;
static unsigned temporary_counter;

/* The program's name as it started: programs that show their state in argv[0]
   (setproctitle: postgres, nginx, sshd) overwrite the memory that
   program_invocation_short_name points into, often with slashes. */
static char program_name[NAME_MAX + 1];

/* The working directory at start-up, where relative names from the template go
   whatever the program's working directory is at exit (daemons chdir("/")). Held open,
   so that renaming it changes nothing, at the top of the descriptor table and
   close-on-exec (descriptors.c); and known by path, for when the program has closed
   every descriptor it did not open. Callers serialise. */
static struct {
	int fd;
	dev_t device;
	ino_t inode;
	char path[PATH_MAX];
} start_directory = {.fd = -1};

struct text {
	char *cursor, *end;
	bool overflow;
};

static void put(struct text *text, const char *data, size_t length)
{
	if ((size_t)(text->end - text->cursor) <= length) {
		text->overflow = true;
		return;
	}
	memcpy(text->cursor, data, length);
	text->cursor += length;
	*text->cursor = '\0';
}

/* A decimal number as text, in `digits` (room for any 64-bit value). */
static const char *decimal(uint64_t value, struct log_line *digits)
{
	digits->length = 0;
	log_unsigned(digits, value);
	digits->text[digits->length] = '\0';
	return digits->text;
}

static void put_number(struct text *text, uint64_t value)
{
	struct log_line digits;
	const char *number = decimal(value, &digits);
	put(text, number, digits.length);
}

static void identify_process(void)
{
	struct text text = {owner, owner + sizeof owner, false};
	put_number(&text, (uint64_t)getpid());
	put(&text, " ", 1);
	put_number(&text, process_stat_field(22 /* starttime */));
	owner_length = text.overflow ? 0 : (size_t)(text.cursor - owner);
}

/* Takes `fd`, moved up, as the start directory's descriptor. False (fd closed) if it
   is no use. */
static bool keep_start_directory(int fd)
{
	struct stat status;
	if (fd < 0)
		return false;
	if (fstat(fd, &status) != 0) {
		close(fd);
		return false;
	}
	start_directory.fd = fd;
	start_directory.device = status.st_dev;
	start_directory.inode = status.st_ino;
	return true;
}

void output_start(const char *template)
{
	int saved_errno = errno;
	size_t length = strnlen(program_invocation_short_name, sizeof program_name - 1);
	memcpy(program_name, program_invocation_short_name, length);
	program_name[length] = '\0';
	identify_process();
	if (template[0] != '/') {
		if (!getcwd(start_directory.path, sizeof start_directory.path))
			start_directory.path[0] = '\0';
		keep_start_directory(descriptor_openat(AT_FDCWD, ".", O_PATH | O_DIRECTORY | O_CLOEXEC, 0));
	}
	errno = saved_errno;
}

const char *output_program_name(void)
{
	return program_name;
}

static bool holds_start_directory(int fd)
{
	struct stat status;
	return fd >= 0 && fstat(fd, &status) == 0 && S_ISDIR(status.st_mode) &&
	       status.st_dev == start_directory.device && status.st_ino == start_directory.inode;
}

/* The start directory's descriptor; -1 with errno when the directory cannot be had.
   A program that closes every descriptor it did not open may have closed ours and
   reused the number (the check by device and inode): then the number is the
   program's, and the directory is opened again by its path. */
static int start_directory_fd(void)
{
	if (holds_start_directory(start_directory.fd))
		return start_directory.fd;
	start_directory.fd = -1;
	if (!start_directory.path[0]) {
		errno = ENOENT;
		return -1;
	}
	if (!keep_start_directory(
		    descriptor_openat(AT_FDCWD, start_directory.path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0)))
		return -1;
	return start_directory.fd;
}

bool output_expand(const char *template, uint64_t sequence, char *path, size_t size)
{
	struct log_line pid, number;
	const struct name_template_values values = {
		.pid = decimal((uint64_t)getpid(), &pid),
		.program = program_name,
		.sequence = decimal(sequence, &number),
	};
	return name_template_expand(template, &values, path, size) < size;
}

bool output_insert_tag(const char *path, const char *tag, char *out, size_t size)
{
	static const char *const suffixes[] = {".pb.gz", ".pb.zst", ".pb"};
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *suffix = NULL;
	size_t base_length = strlen(base);
	for (unsigned i = 0; i < sizeof suffixes / sizeof suffixes[0] && !suffix; i++) {
		size_t length = strlen(suffixes[i]);
		if (base_length >= length && strcmp(base + base_length - length, suffixes[i]) == 0)
			suffix = base + base_length - length;
	}
	if (!suffix)
		suffix = strrchr(base, '.');
	if (!suffix || suffix == base)
		suffix = path + strlen(path);
	struct text text = {out, out + size, false};
	put(&text, path, (size_t)(suffix - path));
	put(&text, ".", 1);
	put(&text, tag, strlen(tag));
	put(&text, suffix, strlen(suffix));
	return !text.overflow;
}

static bool is_ours(const struct stat *status)
{
	for (unsigned i = 0; i < written_count; i++) {
		if (written[i].device == status->st_dev && written[i].inode == status->st_ino)
			return true;
	}
	return false;
}

/* Whether `path` (whose status is `status`) was written by this process before an
   exec, marked with its owner: 0 if so, EEXIST if not, or the error that says the
   directory's descriptor was lost (descriptor_lost). */
static int written_before_exec(int directory, const char *path, const struct stat *status)
{
	int fd = descriptor_openat(directory, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
	if (fd < 0)
		return errno == EBADF || errno == ENOTDIR ? errno : EEXIST;
	char mark[sizeof owner];
	struct stat opened;
	ssize_t length = fgetxattr(fd, OWNER_ATTRIBUTE, mark, sizeof mark);
	bool same = fstat(fd, &opened) == 0 && opened.st_dev == status->st_dev &&
		    opened.st_ino == status->st_ino && owner_length && length == (ssize_t)owner_length &&
		    memcmp(mark, owner, owner_length) == 0;
	close(fd);
	return same ? 0 : EEXIST;
}

/* 0 when the file at `path` may be replaced: heapprof wrote it, in this image or before
   an exec; EEXIST when not; EBADF or ENOTDIR when the program closed the directory's
   descriptor meanwhile, which the caller opens again to try once more. */
static int replaceable(int directory, const char *path)
{
	struct stat status;
	if (fstatat(directory, path, &status, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == EBADF || errno == ENOTDIR ? errno : EEXIST;
	if (!S_ISREG(status.st_mode))
		return EEXIST;
	return is_ours(&status) ? 0 : written_before_exec(directory, path, &status);
}

/* `status` is the temporary file's: link and rename keep its inode. */
static void remember(const struct stat *status)
{
	if (is_ours(status))
		return;
	written[written_next].device = status->st_dev;
	written[written_next].inode = status->st_ino;
	written_next = (written_next + 1) % WRITTEN_MAX;
	if (written_count < WRITTEN_MAX)
		written_count++;
}

static int write_all(int fd, const void *data, size_t length)
{
	const char *cursor = data;
	while (length > 0) {
		ssize_t count = write(fd, cursor, length);
		if (count < 0 && errno == EINTR)
			continue;
		if (count <= 0)
			return count < 0 ? errno : EIO;
		cursor += count;
		length -= (size_t)count;
	}
	return 0;
}

/* Moves the finished temporary file to `path`: link() refuses to replace anything,
   so a file we did not write is never clobbered. */
static int publish(int directory, const char *temporary, const char *path)
{
	if (linkat(directory, temporary, directory, path, 0) == 0)
		return 0;
	int error = errno;
	struct stat status;
	if (error == EEXIST) {
		error = replaceable(directory, path);
		return error ? error : renameat(directory, temporary, directory, path) == 0 ? 0 : errno;
	}
	/* Filesystems without hard links: rename, but only onto nothing. */
	if ((error == EPERM || error == ENOTSUP || error == ENOSYS) &&
	    fstatat(directory, path, &status, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT)
		return renameat(directory, temporary, directory, path) == 0 ? 0 : errno;
	return error;
}

/* The directory a relative `path` is in: AT_FDCWD, the start directory's descriptor,
   or -1 with errno. */
static int directory_for(const char *path, enum output_base base)
{
	if (base == OUTPUT_START_DIRECTORY && path[0] != '/')
		return start_directory_fd();
	return AT_FDCWD;
}

/* Whether an attempt failed because the program closed a descriptor of ours (EBADF)
   or closed the start directory's and opened a file of its own in its number
   (ENOTDIR), between the check of that descriptor and its use. */
static bool descriptor_lost(int error)
{
	return error == EBADF || error == ENOTDIR;
}

/* One attempt of output_write, through the temporary file it names in `temporary`. */
static int write_through(const char *path, enum output_base base, const void *data, size_t length,
			 char *temporary, size_t size)
{
	int directory = directory_for(path, base);
	if (directory == -1)
		return errno;
	struct text text = {temporary, temporary + size, false};
	put(&text, path, strlen(path));
	put(&text, ".tmp.", 5);
	put_number(&text, (uint64_t)getpid());
	put(&text, ".", 1);
	put_number(&text, temporary_counter++);
	if (text.overflow)
		return ENAMETOOLONG;
	/* At the top of the table while it is written: a program that closes every
	   descriptor meanwhile and opens files of its own gets the lowest numbers, so the
	   profile never goes into its file, nor is its file closed for it. */
	int fd = descriptor_openat(directory, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				   0644);
	if (fd < 0)
		return errno;
	if (owner_length)
		fsetxattr(fd, OWNER_ATTRIBUTE, owner, owner_length, 0);
	struct stat status;
	int error = write_all(fd, data, length);
	if (!error && fstat(fd, &status) != 0)
		error = errno;
	if (close(fd) != 0 && !error)
		error = errno;
	if (!error)
		error = publish(directory, temporary, path);
	unlinkat(directory, temporary, 0);
	if (!error)
		remember(&status);
	return error;
}

/* Removes a failed attempt's temporary file, which its lost directory could not. */
static void remove_temporary(const char *path, enum output_base base, const char *temporary)
{
	int directory = directory_for(path, base);
	if (directory != -1)
		unlinkat(directory, temporary, 0);
}

int output_write(const char *path, enum output_base base, const void *data, size_t length)
{
	char temporary[4096], lost[sizeof temporary];
	int error = write_through(path, base, data, length, temporary, sizeof temporary);
	/* The program closed our descriptors (a daemon closing every one it did not open,
	   on another thread): again, and each lost attempt's file goes once the directory
	   is had again. */
	for (int attempt = 1; attempt < DESCRIPTOR_ATTEMPTS && descriptor_lost(error); attempt++) {
		strcpy(lost, temporary);
		error = write_through(path, base, data, length, temporary, sizeof temporary);
		remove_temporary(path, base, lost);
	}
	return error;
}

void output_forget_written(void)
{
	written_count = 0;
	written_next = 0;
	identify_process();
}
