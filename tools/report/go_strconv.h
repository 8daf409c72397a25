/* Go's strconv, as Go's flag package reads pprof's flags and pprof its
   sample index: the syntax each accepts, to the byte. */
#ifndef HEAPPROF_TOOLS_GO_STRCONV_H
#define HEAPPROF_TOOLS_GO_STRCONV_H

#include <stdbool.h>
#include <stdint.h>

/* strconv.ParseInt(text, base, 64), base 10 or 0. Base 0 takes a prefix
   (0x, 0o, 0b, or 0 for octal) and '_' between digits. False for bad syntax
   or a value out of range. */
bool go_parse_int64(const char *text, int base, int64_t *value);

/* strconv.ParseFloat(text, 64): decimal or hexadecimal (0x1.8p-3), '_'
   between digits, inf, infinity and nan in any case. False for bad syntax or
   a value too large, which Go's flag package refuses. */
bool go_parse_float64(const char *text, double *value);

/* strconv.ParseBool: 1, t, T, TRUE, true, True and their opposites. */
bool go_parse_bool(const char *text, bool *value);

#endif
