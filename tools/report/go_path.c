#include "go_path.h"

#include <stdlib.h>
#include <string.h>

#include "reader/diag.h"

char *go_path_clean(const char *path)
{
	if (!*path)
		return diag_strdup(".");
	size_t length = strlen(path);
	int rooted = path[0] == '/';
	char *out = diag_malloc(length + 2);
	size_t w = 0, r = 0, dotdot = 0;
	if (rooted) {
		out[w++] = '/';
		r = dotdot = 1;
	}
	while (r < length) {
		if (path[r] == '/') {
			r++;
		} else if (path[r] == '.' && (r + 1 == length || path[r + 1] == '/')) {
			r++;
		} else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == length || path[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				w--; /* back up over the last element */
				while (w > dotdot && out[w] != '/')
					w--;
			} else if (!rooted) {
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.';
				out[w++] = '.';
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				out[w++] = '/';
			for (; r < length && path[r] != '/'; r++)
				out[w++] = path[r];
		}
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
	return out;
}

char *go_path_base(const char *path)
{
	if (!*path)
		return diag_strdup(".");
	size_t length = strlen(path);
	while (length > 0 && path[length - 1] == '/')
		length--;
	if (length == 0)
		return diag_strdup("/");
	size_t start = length;
	while (start > 0 && path[start - 1] != '/')
		start--;
	char *base = diag_malloc(length - start + 1);
	memcpy(base, path + start, length - start);
	base[length - start] = '\0';
	return base;
}

char *go_path_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t keep = slash ? (size_t)(slash - path) + 1 : 0;
	char *head = diag_malloc(keep + 1);
	memcpy(head, path, keep);
	head[keep] = '\0';
	char *dir = go_path_clean(head);
	free(head);
	return dir;
}

char *go_path_join(const char *directory, const char *name)
{
	if (!*directory && !*name)
		return diag_strdup("");
	char *joined = !*directory ? diag_strdup(name)
		       : !*name    ? diag_strdup(directory)
				   : diag_asprintf("%s/%s", directory, name);
	char *clean = go_path_clean(joined);
	free(joined);
	return clean;
}

int go_path_split_list(const char *list, char ***parts)
{
	*parts = NULL;
	if (!*list)
		return 0;
	int count = 1;
	for (const char *c = list; *c; c++)
		count += *c == ':';
	*parts = diag_calloc((size_t)count, sizeof **parts);
	const char *start = list;
	for (int i = 0; i < count; i++) {
		const char *end = strchr(start, ':');
		size_t length = end ? (size_t)(end - start) : strlen(start);
		(*parts)[i] = diag_malloc(length + 1);
		memcpy((*parts)[i], start, length);
		(*parts)[i][length] = '\0';
		start += length + 1;
	}
	return count;
}

void go_path_free_list(char **parts, int count)
{
	for (int i = 0; i < count; i++)
		free(parts[i]);
	free(parts);
}
