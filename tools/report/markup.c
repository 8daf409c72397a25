#include "markup.h"

#include <stdint.h>
#include <string.h>

/* The length of the UTF-8 sequence at text, or 0 if it is not one. */
static size_t utf8_sequence_length(const unsigned char *text)
{
	size_t length = text[0] >= 0xf0 && text[0] <= 0xf4 ? 4
			: text[0] >= 0xe0                  ? 3
			: text[0] >= 0xc2                  ? 2
							   : 0;
	for (size_t i = 1; i < length; i++)
		if ((text[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong forms, UTF-16 surrogates and code points past U+10FFFF. */
	if ((text[0] == 0xe0 && text[1] < 0xa0) || (text[0] == 0xed && text[1] >= 0xa0) ||
	    (text[0] == 0xf0 && text[1] < 0x90) || (text[0] == 0xf4 && text[1] >= 0x90))
		return 0;
	return length;
}

static const char *entity(char c)
{
	switch (c) {
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '&':
		return "&amp;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		return NULL;
	}
}

/* A browser rejects a whole SVG for one byte that is not valid XML text, so
   those become '?'. */
void markup_write_text(FILE *out, const char *text, size_t length)
{
	for (size_t i = 0; i < length && text[i]; i++) {
		unsigned char byte = (unsigned char)text[i];
		if (byte >= 0x80) {
			size_t sequence = utf8_sequence_length((const unsigned char *)text + i);
			if (sequence && i + sequence <= length) {
				fwrite(text + i, 1, sequence, out);
				i += sequence - 1;
			} else {
				fputc('?', out);
			}
		} else if (byte < 0x20 && byte != '\t') {
			fputc('?', out);
		} else if (entity(text[i])) {
			fputs(entity(text[i]), out);
		} else {
			fputc(text[i], out);
		}
	}
}

void markup_write_lines(FILE *out, const char *text)
{
	for (const char *line = text; *line;) {
		const char *end = strchrnul(line, '\n');
		markup_write_text(out, line, (size_t)(end - line));
		if (!*end)
			break;
		fputc('\n', out);
		line = end + 1;
	}
}
