/* What Go's regexp, which pprof uses, refuses and RE2 takes: \C (one byte,
   in RE2), and patterns over Go's bounds on their parse tree's height (1,000)
   and their compiled size (3,355,443 instructions, 128 MiB). RE2 refuses the
   rest of what Go refuses itself, nested repetitions over 1,000 included. */
#ifndef HEAPPROF_TOOLS_REGEX_BOUNDS_H
#define HEAPPROF_TOOLS_REGEX_BOUNDS_H

#ifdef __cplusplus
extern "C" {
#endif

/* NULL when Go's regexp takes what RE2 does of pattern (RE2 syntax), else
   why not, in Go's words. */
const char *regex_bounds_check(const char *pattern);

#ifdef __cplusplus
}
#endif

#endif
