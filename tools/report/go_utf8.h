/* Go's UTF-8 decoding (unicode/utf8), which decides what a regular
   expression sees as one character and how fmt pads a column: a byte out of
   place is one character, U+FFFD. */
#ifndef HEAPPROF_TOOLS_GO_UTF8_H
#define HEAPPROF_TOOLS_GO_UTF8_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The bytes of the character at text as utf8.DecodeRune takes it, or 0 when
   it takes the first byte alone for U+FFFD (text ends in NUL). */
size_t go_utf8_length(const char *text);

/* utf8.RuneCountInString. */
size_t go_utf8_count(const char *text);

#ifdef __cplusplus
}
#endif

#endif
