/* What a regular expression may cost before glibc compiles it. glibc's
   regcomp copies a repeated group once per repetition, so that a 24-byte
   drop_frames like ((a{1000}){1000}){1000} took 24 GB, recurses once per
   nested group (100,000 of them overflowed the stack), and back-references
   make matching exponential. Go's regexp, which pprof uses, refuses all
   three: a compiled size over 128 MiB (3,355,443 instructions, counted as
   Go counts them), groups nested over 1,000 deep, and \1 to \9. */
#ifndef HEAPPROF_TOOLS_REGEX_BOUNDS_H
#define HEAPPROF_TOOLS_REGEX_BOUNDS_H

/* NULL when the POSIX extended pattern is within the bounds, else why not,
   in Go's words. */
const char *regex_bounds_check(const char *pattern);

#endif
