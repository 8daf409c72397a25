/* Regular expressions as Go's regexp takes them, for what pprof matches
   with one: drop_frames, keep_frames and list's argument. RE2, whose syntax
   Go's is, in linear time; less what Go refuses and RE2 takes
   (regex_bounds.h); invalid UTF-8 matched as Go decodes it, each byte out of
   place one U+FFFD. */
#ifndef HEAPPROF_TOOLS_GO_REGEXP_H
#define HEAPPROF_TOOLS_GO_REGEXP_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct go_regexp;

/* NULL, with the reason in error, when Go's regexp refuses pattern. */
struct go_regexp *go_regexp_compile(const char *pattern, char *error, size_t error_size);
/* Whether text holds a match, as Go's MatchString says. */
bool go_regexp_match(const struct go_regexp *regexp, const char *text);
void go_regexp_free(struct go_regexp *regexp);

#ifdef __cplusplus
}
#endif

#endif
