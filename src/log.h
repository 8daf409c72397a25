/* One-line diagnostics on stderr without stdio: safe inside malloc and at exit. */
#ifndef HEAPPROF_LOG_H
#define HEAPPROF_LOG_H

#include <stddef.h>
#include <stdint.h>

struct log_line {
	char text[1024];
	size_t length;
};

/* Starts a line with the "heapprof: " prefix. */
void log_begin(struct log_line *line);
void log_text(struct log_line *line, const char *text);
void log_unsigned(struct log_line *line, uint64_t value);
void log_signed(struct log_line *line, int64_t value);
/* Appends the text of errno value `error`. */
void log_error(struct log_line *line, int error);
/* Adds the newline and writes the line with one write(2). */
void log_end(struct log_line *line);

/* The common case: "heapprof: <message>\n". */
void log_message(const char *message);

#endif
