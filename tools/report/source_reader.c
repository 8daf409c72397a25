#include "source_reader.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "go_path.h"
#include "reader/diag.h"

struct source_file {
	struct source_file *next;
	char *path;
	char **lines; /* lines[0] is line 1 */
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
	reader->files = NULL;
}

void source_reader_free(struct source_reader *reader)
{
	while (reader->files) {
		struct source_file *next = reader->files->next;
		for (size_t i = 0; i < reader->files->n_lines; i++)
			free(reader->files->lines[i]);
		free(reader->files->lines);
		free(reader->files->path);
		free(reader->files->error);
		free(reader->files);
		reader->files = next;
	}
}

/* Go spells system errors in lower case ("no such file or directory"). */
static char *go_error_text(int error)
{
	char *text = diag_strdup(strerror(error));
	text[0] = (char)tolower((unsigned char)text[0]);
	return text;
}

static FILE *open_source(const struct source_reader *reader, const char *profile_path, char **error)
{
	char *path = source_reader_trim_path(profile_path, reader->trim_path, reader->search_path);
	FILE *file = NULL;
	if (path[0] == '/') {
		file = fopen(path, "r");
		if (!file) {
			char *reason = go_error_text(errno);
			*error = diag_asprintf("open %s: %s", path, reason);
			free(reason);
		}
		free(path);
		return file;
	}
	char **dirs;
	int n_dirs = go_path_split_list(reader->search_path, &dirs);
	for (int i = 0; i < n_dirs && !file; i++) {
		char *dir = diag_strdup(dirs[i]);
		for (;;) {
			char *candidate = go_path_join(dir, path);
			file = fopen(candidate, "r");
			free(candidate);
			char *parent = go_path_dir(dir);
			int at_top = !strcmp(parent, dir);
			free(dir);
			dir = parent;
			if (file || at_top)
				break;
		}
		free(dir);
	}
	go_path_free_list(dirs, n_dirs);
	if (!file)
		*error = diag_asprintf("could not find file %s on path %s", path, reader->search_path);
	free(path);
	return file;
}

static void read_lines(struct source_file *source, FILE *file)
{
	size_t capacity = 0;
	char *line = NULL;
	size_t line_capacity = 0;
	ssize_t length;
	while ((length = getline(&line, &line_capacity, file)) > 0) {
		if (line[length - 1] == '\n')
			line[--length] = '\0';
		if (length > LONGEST_SCANNED_LINE)
			break;
		if (length > 0 && line[length - 1] == '\r')
			line[--length] = '\0';
		source->lines =
			diag_grow(source->lines, &capacity, source->n_lines + 1, sizeof *source->lines);
		source->lines[source->n_lines++] = diag_strdup(line);
	}
	free(line);
}

static struct source_file *load(struct source_reader *reader, const char *path)
{
	for (struct source_file *file = reader->files; file; file = file->next)
		if (!strcmp(file->path, path))
			return file;
	struct source_file *source = diag_calloc(1, sizeof *source);
	source->path = diag_strdup(path);
	FILE *file = open_source(reader, path, &source->error);
	if (file) {
		read_lines(source, file); /* a directory opens but reads nothing, as in pprof */
		fclose(file);
	}
	source->next = reader->files;
	reader->files = source;
	return source;
}

const char *source_reader_line(struct source_reader *reader, const char *path, long lineno)
{
	struct source_file *source = load(reader, path);
	if (lineno <= 0 || (size_t)lineno > source->n_lines)
		return NULL;
	return source->lines[lineno - 1];
}

const char *source_reader_error(struct source_reader *reader, const char *path)
{
	return load(reader, path)->error;
}
