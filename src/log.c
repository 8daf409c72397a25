#include "log.h"

#include <string.h>
#include <unistd.h>

void log_begin(struct log_line *line)
{
	line->length = 0;
	log_text(line, "heapprof: ");
}

void log_text(struct log_line *line, const char *text)
{
	size_t room = sizeof line->text - 1 - line->length;
	size_t length = strlen(text);
	if (length > room)
		length = room;
	memcpy(line->text + line->length, text, length);
	line->length += length;
}

void log_unsigned(struct log_line *line, uint64_t value)
{
	char digits[24];
	char *cursor = digits + sizeof digits - 1;
	*cursor = '\0';
	do {
		*--cursor = (char)('0' + value % 10);
		value /= 10;
	} while (value);
	log_text(line, cursor);
}

void log_signed(struct log_line *line, int64_t value)
{
	if (value < 0) {
		log_text(line, "-");
		log_unsigned(line, -(uint64_t)value);
	} else {
		log_unsigned(line, (uint64_t)value);
	}
}

void log_error(struct log_line *line, int error)
{
	/* strerror_r never allocates in glibc, unlike strerror for unknown values. */
	char buffer[128];
	const char *text = strerror_r(error, buffer, sizeof buffer);
	log_text(line, text);
}

void log_end(struct log_line *line)
{
	line->text[line->length++] = '\n';
	const char *cursor = line->text;
	size_t left = line->length;
	while (left > 0) {
		ssize_t written = write(STDERR_FILENO, cursor, left);
		if (written <= 0)
			return;
		cursor += written;
		left -= (size_t)written;
	}
}

void log_message(const char *message)
{
	struct log_line line;
	log_begin(&line);
	log_text(&line, message);
	log_end(&line);
}
