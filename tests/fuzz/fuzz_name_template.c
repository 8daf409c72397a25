/* libFuzzer target for the file name templates the library and `heapprof run`
   share: any template, any values, any room. The first byte is the room; the
   rest is the template, the pid, the program name and the sequence number,
   separated by NUL bytes. ASan sees every byte written past the room. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "name_template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next NUL-separated part of the input, as a string of its own. */
static char *next_part(const uint8_t **data, const uint8_t *end)
{
	const uint8_t *stop = memchr(*data, 0, (size_t)(end - *data));
	size_t length = (size_t)((stop ? stop : end) - *data);
	char *part = malloc(length + 1);
	memcpy(part, *data, length);
	part[length] = '\0';
	*data += stop ? length + 1 : length;
	return part;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const uint8_t *end = data + size, *cursor = data + 1;
	char *template = next_part(&cursor, end), *pid = next_part(&cursor, end);
	char *program = next_part(&cursor, end), *sequence = next_part(&cursor, end);
	const struct name_template_values values = {pid, program, sequence, data[0] & 1 ? "*?[\\" : NULL};
	size_t length = name_template_expand(template, &values, NULL, 0);
	char *whole = malloc(length + 1);
	if (name_template_expand(template, &values, whole, length + 1) != length || strlen(whole) != length)
		abort();
	size_t room = data[0] >> 1;
	char *cut = malloc(room ? room : 1);
	if (name_template_expand(template, &values, cut, room) != length)
		abort();
	if (room && (strlen(cut) != (length < room ? length : room - 1) || strncmp(cut, whole, strlen(cut))))
		abort();
	name_template_is_valid(template);
	free(cut);
	free(whole);
	free(template);
	free(pid);
	free(program);
	free(sequence);
	return 0;
}
