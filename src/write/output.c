#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/name_template.h"
#include "log.h"

/* Files written by this process, which later dumps may replace. Callers serialise. */
#define WRITTEN_MAX 64
static struct {
	dev_t device;
	ino_t inode;
} written[WRITTEN_MAX];
static unsigned written_count, written_next;
static unsigned temporary_counter;

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

bool output_expand(const char *template, uint64_t sequence, char *path, size_t size)
{
	struct log_line pid, number;
	const struct name_template_values values = {
		.pid = decimal((uint64_t)getpid(), &pid),
		.program = program_invocation_short_name,
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

static void remember(const char *path)
{
	struct stat status;
	if (lstat(path, &status) != 0 || is_ours(&status))
		return;
	written[written_next].device = status.st_dev;
	written[written_next].inode = status.st_ino;
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
static int publish(const char *temporary, const char *path)
{
	if (link(temporary, path) == 0)
		return 0;
	int error = errno;
	struct stat status;
	if (error == EEXIST) {
		if (lstat(path, &status) == 0 && S_ISREG(status.st_mode) && is_ours(&status))
			return rename(temporary, path) == 0 ? 0 : errno;
		return EEXIST;
	}
	/* Filesystems without hard links: rename, but only onto nothing. */
	if ((error == EPERM || error == ENOTSUP || error == ENOSYS) && lstat(path, &status) != 0 &&
	    errno == ENOENT)
		return rename(temporary, path) == 0 ? 0 : errno;
	return error;
}

int output_write(const char *path, const void *data, size_t length)
{
	char temporary[4096];
	struct text text = {temporary, temporary + sizeof temporary, false};
	put(&text, path, strlen(path));
	put(&text, ".tmp.", 5);
	put_number(&text, (uint64_t)getpid());
	put(&text, ".", 1);
	put_number(&text, temporary_counter++);
	if (text.overflow)
		return ENAMETOOLONG;
	int fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno;
	int error = write_all(fd, data, length);
	if (close(fd) != 0 && !error)
		error = errno;
	if (!error)
		error = publish(temporary, path);
	unlink(temporary);
	if (!error)
		remember(path);
	return error;
}

void output_forget_written(void)
{
	written_count = 0;
	written_next = 0;
}
