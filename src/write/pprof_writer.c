#include "pprof_writer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { WIRE_VARINT = 0, WIRE_LENGTH_DELIMITED = 2 };

void pprof_buffer_reset(struct pprof_buffer *buffer)
{
	buffer->length = 0;
	buffer->failed = false;
}

void pprof_buffer_free(struct pprof_buffer *buffer)
{
	free(buffer->data);
	*buffer = (struct pprof_buffer){0};
}

/* Out of line: reserve, inlined in every write, is the dump's hottest check. */
__attribute__((noinline)) static bool grow(struct pprof_buffer *buffer, size_t extra)
{
	size_t capacity = buffer->capacity ? buffer->capacity : 256;
	while (capacity - buffer->length < extra)
		capacity *= 2;
	uint8_t *data = realloc(buffer->data, capacity);
	if (!data) {
		buffer->failed = true;
		return false;
	}
	buffer->data = data;
	buffer->capacity = capacity;
	return true;
}

static inline bool reserve(struct pprof_buffer *buffer, size_t extra)
{
	return !buffer->failed && (buffer->capacity - buffer->length >= extra || grow(buffer, extra));
}

void pprof_append(struct pprof_buffer *buffer, const void *data, size_t length)
{
	if (!length || !reserve(buffer, length))
		return;
	memcpy(buffer->data + buffer->length, data, length);
	buffer->length += length;
}

/* Encoded in place: the dump writes millions of these. */
static void varint(struct pprof_buffer *buffer, uint64_t value)
{
	if (!reserve(buffer, 10))
		return;
	uint8_t *out = buffer->data + buffer->length;
	while (value >= 0x80) {
		*out++ = (uint8_t)(value | 0x80);
		value >>= 7;
	}
	*out++ = (uint8_t)value;
	buffer->length = (size_t)(out - buffer->data);
}

static void key(struct pprof_buffer *buffer, unsigned field, unsigned wire_type)
{
	varint(buffer, (uint64_t)field << 3 | wire_type);
}

void pprof_uint(struct pprof_buffer *buffer, unsigned field, uint64_t value)
{
	if (!value)
		return;
	key(buffer, field, WIRE_VARINT);
	varint(buffer, value);
}

void pprof_int(struct pprof_buffer *buffer, unsigned field, int64_t value)
{
	pprof_uint(buffer, field, (uint64_t)value);
}

void pprof_bool(struct pprof_buffer *buffer, unsigned field, bool value)
{
	pprof_uint(buffer, field, value);
}

void pprof_bytes(struct pprof_buffer *buffer, unsigned field, const void *data, size_t length)
{
	key(buffer, field, WIRE_LENGTH_DELIMITED);
	varint(buffer, length);
	pprof_append(buffer, data, length);
}

static size_t varint_length(uint64_t value)
{
	size_t length = 1;
	while (value >>= 7)
		length++;
	return length;
}

void pprof_packed(struct pprof_buffer *buffer, unsigned field, const uint64_t *values, size_t count)
{
	if (!count)
		return;
	size_t length = 0;
	for (size_t i = 0; i < count; i++)
		length += varint_length(values[i]);
	key(buffer, field, WIRE_LENGTH_DELIMITED);
	varint(buffer, length);
	for (size_t i = 0; i < count; i++)
		varint(buffer, values[i]);
}

void pprof_message(struct pprof_buffer *buffer, unsigned field, const struct pprof_buffer *message)
{
	if (message->failed) {
		buffer->failed = true;
		return;
	}
	pprof_bytes(buffer, field, message->data, message->length);
}

void pprof_printf(struct pprof_buffer *buffer, const char *format, ...)
{
	va_list arguments;
	va_start(arguments, format);
	int length = vsnprintf(NULL, 0, format, arguments);
	va_end(arguments);
	if (length < 0 || !reserve(buffer, (size_t)length + 1))
		return;
	va_start(arguments, format);
	vsnprintf((char *)buffer->data + buffer->length, (size_t)length + 1, format, arguments);
	va_end(arguments);
	buffer->length += (size_t)length;
}
