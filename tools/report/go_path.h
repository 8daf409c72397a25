/* Lexical path helpers that behave exactly like Go's path/filepath on Unix,
   because pprof shows and looks up file names through them. */
#ifndef HEAPPROF_TOOLS_GO_PATH_H
#define HEAPPROF_TOOLS_GO_PATH_H

/* All return a malloc'd string. */
char *go_path_clean(const char *path);
char *go_path_base(const char *path);
char *go_path_dir(const char *path);
char *go_path_join(const char *directory, const char *name);

/* Splits a colon-separated list as filepath.SplitList does ("" gives none).
   Returns the count; *parts and each part are malloc'd. */
int go_path_split_list(const char *list, char ***parts);
void go_path_free_list(char **parts, int count);

#endif
