#include "source_reader.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "go_path.h"
#include "reader/diag.h"

struct source_file {
	char *text;      /* the file's bytes, each line ending in NUL */
	uint32_t *lines; /* where line i + 1 starts in text */
	size_t n_lines;
	char *error;
};

/* Go's bufio.Scanner gives up on a line that does not fit its 64 KiB buffer;
   pprof then shows the lines before it and nothing after. */
enum { LONGEST_SCANNED_LINE = 64 * 1024 - 1 };

static const char *after_prefix(const char *text, const char *prefix)
{
	size_t length = strlen(prefix);
	return strncmp(text, prefix, length) ? NULL : text + length;
}

char *source_reader_trim_path(const char *path, const char *trim_path, const char *search_path)
{
	char **parts;
	if (!*trim_path) {
		/* Without trim prefixes, guess: a search directory's base name in the
           path marks where the path becomes relative to that directory. */
		int n_dirs = go_path_split_list(search_path, &parts);
		for (int i = 0; i < n_dirs; i++) {
			char *base = go_path_base(parts[i]);
			char *want = diag_asprintf("/%s/", base);
			const char *found = strstr(path, want);
			char *trimmed = found ? diag_strdup(found + strlen(want)) : NULL;
			free(want);
			free(base);
			if (trimmed) {
				go_path_free_list(parts, n_dirs);
				return trimmed;
			}
		}
		go_path_free_list(parts, n_dirs);
	}
	int n_prefixes = go_path_split_list(trim_path, &parts);
	char *trimmed = NULL;
	const char *builtin[] = {"/proc/self/cwd/./", "/proc/self/cwd/"};
	for (int i = 0; i < n_prefixes + 2 && !trimmed; i++) {
		const char *prefix = i < n_prefixes ? parts[i] : builtin[i - n_prefixes];
		size_t length = strlen(prefix);
		char *with_slash = length && prefix[length - 1] == '/' ? diag_strdup(prefix)
								       : diag_asprintf("%s/", prefix);
		const char *rest = after_prefix(path, with_slash);
		if (rest)
			trimmed = diag_strdup(rest);
		free(with_slash);
	}
	go_path_free_list(parts, n_prefixes);
	return trimmed ? trimmed : diag_strdup(path);
}

void source_reader_init(struct source_reader *reader, const char *search_path, const char *trim_path)
{
	reader->search_path = search_path;
	reader->trim_path = trim_path;
	intern_table_init(&reader->paths);
	reader->files = NULL;
	reader->files_capacity = 0;
	reader->held = 0;
}

void source_reader_free(struct source_reader *reader)
{
	for (size_t i = 0; i < reader->paths.ids.count; i++) {
		free(reader->files[i].text);
		free(reader->files[i].lines);
		free(reader->files[i].error);
	}
	free(reader->files);
	intern_table_free(&reader->paths);
}

/* Go spells system errors in lower case ("no such file or directory"). */
static char *go_error_text(int error)
{
	char *text = diag_strdup(strerror(error));
	text[0] = (char)tolower((unsigned char)text[0]);
	return text;
}

/* Opening never waits (a FIFO without a writer) and never takes a terminal. */
static int open_file(const char *path)
{
	return open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
}

static int open_source(const struct source_reader *reader, const char *profile_path, char **error)
{
	char *path = source_reader_trim_path(profile_path, reader->trim_path, reader->search_path);
	int fd = -1;
	if (path[0] == '/') {
		fd = open_file(path);
		if (fd < 0) {
			char *reason = go_error_text(errno);
			*error = diag_asprintf("open %s: %s", path, reason);
			free(reason);
		}
		free(path);
		return fd;
	}
	char **dirs;
	int n_dirs = go_path_split_list(reader->search_path, &dirs);
	for (int i = 0; i < n_dirs && fd < 0; i++) {
		char *dir = diag_strdup(dirs[i]);
		for (;;) {
			char *candidate = go_path_join(dir, path);
			fd = open_file(candidate);
			free(candidate);
			char *parent = go_path_dir(dir);
			int at_top = !strcmp(parent, dir);
			free(dir);
			dir = parent;
			if (fd >= 0 || at_top)
				break;
		}
		free(dir);
	}
	go_path_free_list(dirs, n_dirs);
	if (fd < 0)
		*error = diag_asprintf("could not find file %s on path %s", path, reader->search_path);
	free(path);
	return fd;
}

/* Up to SOURCE_FILE_BYTES of a regular file; anything else (a directory, as
   in pprof, but also a device or a FIFO) reads as empty. */
static size_t read_bounded(int fd, char **text)
{
	struct stat status;
	*text = NULL;
	if (fstat(fd, &status) != 0 || !S_ISREG(status.st_mode))
		return 0;
	size_t size = 0, capacity = 0;
	for (;;) {
		*text = diag_grow(*text, &capacity,
				  size + 4096 < SOURCE_FILE_BYTES ? size + 4096 : SOURCE_FILE_BYTES, 1);
		ssize_t got = read(fd, *text + size, capacity - size);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0 || (size += (size_t)got) == SOURCE_FILE_BYTES)
			return size;
	}
}

/* Lines end at LF, or CR LF, as Go's scanner ends them; a line it could not
   hold ends the file, and so does the cut at SOURCE_FILE_BYTES. Returns how
   many bytes the lines take. */
static size_t index_lines(struct source_file *source, size_t size, bool cut)
{
	size_t capacity = 0, start = 0;
	while (start < size) {
		char *newline = memchr(source->text + start, '\n', size - start);
		if (!newline && cut)
			break;
		size_t end = newline ? (size_t)(newline - source->text) : size, length = end - start;
		if (length > LONGEST_SCANNED_LINE)
			break;
		if (length > 0 && source->text[end - 1] == '\r')
			end--;
		source->text[end] = '\0';
		source->lines =
			diag_grow(source->lines, &capacity, source->n_lines + 1, sizeof *source->lines);
		source->lines[source->n_lines++] = (uint32_t)start;
		start += length + 1;
	}
	return start < size ? start : size;
}

static void read_source(struct source_reader *reader, struct source_file *source, int fd)
{
	size_t size = read_bounded(fd, &source->text);
	/* Room for the NUL that ends a last line without a newline. */
	source->text = diag_realloc(source->text, size + 1);
	size_t used = index_lines(source, size, size == SOURCE_FILE_BYTES);
	source->text = diag_realloc(source->text, used + 1);
	reader->held += used + source->n_lines * sizeof *source->lines;
	if (reader->held > SOURCE_HELD_BYTES)
		diag_die("the source files to list take more than %zu MiB", SOURCE_HELD_BYTES >> 20);
}

static struct source_file *load(struct source_reader *reader, const char *path)
{
	size_t known = reader->paths.ids.count;
	uint32_t id = intern_table_add(&reader->paths, path, strlen(path));
	if (id < known)
		return &reader->files[id];
	reader->files = diag_grow(reader->files, &reader->files_capacity, id + 1, sizeof *reader->files);
	struct source_file *source = &reader->files[id];
	*source = (struct source_file){0};
	int fd = open_source(reader, path, &source->error);
	if (fd >= 0) {
		read_source(reader, source, fd);
		close(fd);
	}
	return source;
}

const char *source_reader_line(struct source_reader *reader, const char *path, long lineno)
{
	struct source_file *source = load(reader, path);
	if (lineno <= 0 || (size_t)lineno > source->n_lines)
		return NULL;
	return source->text + source->lines[lineno - 1];
}

const char *source_reader_error(const struct source_reader *reader, const char *path)
{
	uint32_t id = intern_table_find(&reader->paths, path, strlen(path));
	return id == HASH_MAP_ABSENT ? NULL : reader->files[id].error;
}
