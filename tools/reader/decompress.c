#include "decompress.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#include <zstd.h>

/* Real profiles shrink by 3-20x under gzip; 256x leaves room for odd ones
   while a bomb (1000x and more) is stopped early. Small inputs may always
   reach 256 MiB, and nothing may pass 1 GiB: no honest profile that large
   decodes within the reader's budget anyway (profile_reader.c). */
enum { BOMB_RATIO = 256 };
#define SMALL_INPUT_LIMIT ((size_t)256 << 20)
#define ABSOLUTE_LIMIT ((size_t)1 << 30)

size_t decompress_limit(size_t input_size)
{
	size_t limit = input_size > ABSOLUTE_LIMIT / BOMB_RATIO ? ABSOLUTE_LIMIT : input_size * BOMB_RATIO;
	return limit < SMALL_INPUT_LIMIT ? SMALL_INPUT_LIMIT : limit;
}

static int is_gzip(const unsigned char *input, size_t size)
{
	return size >= 2 && input[0] == 0x1f && input[1] == 0x8b;
}

static int is_zstd(const unsigned char *input, size_t size)
{
	return size >= 4 && input[0] == 0x28 && input[1] == 0xb5 && input[2] == 0x2f && input[3] == 0xfd;
}

/* Makes room for at least one more byte in out, never beyond limit. */
static int grow_output(struct byte_buffer *out, size_t *capacity, size_t limit)
{
	if (*capacity >= limit)
		return -1;
	size_t grown = *capacity ? *capacity * 2 : 1 << 16;
	if (grown > limit)
		grown = limit;
	unsigned char *bytes = realloc(out->bytes, grown);
	if (!bytes)
		return -1;
	out->bytes = bytes;
	*capacity = grown;
	return 0;
}

static int fail(struct byte_buffer *out, char *error, size_t error_size, const char *reason)
{
	snprintf(error, error_size, "%s", reason);
	free(out->bytes);
	*out = (struct byte_buffer){0};
	return -1;
}

/* Output could not grow: the limit was reached, or memory ran out. */
static int fail_to_grow(struct byte_buffer *out, size_t capacity, size_t limit, char *error,
			size_t error_size)
{
	if (capacity < limit)
		return fail(out, error, error_size, "out of memory while decompressing");
	char reason[128];
	snprintf(reason, sizeof reason, "decompressed profile is larger than %zu MiB (a compression bomb?)",
		 limit >> 20);
	return fail(out, error, error_size, reason);
}

static int gunzip(const unsigned char *input, size_t size, size_t limit, struct byte_buffer *out, char *error,
		  size_t error_size)
{
	z_stream stream = {0};
	if (inflateInit2(&stream, 15 + 16) != Z_OK)
		return fail(out, error, error_size, "cannot start gzip decompression");
	size_t capacity = 0;
	const unsigned char *next = input, *end = input + size;
	int status = Z_OK;
	while (next < end || status != Z_STREAM_END) {
		if (status == Z_STREAM_END)
			inflateReset(&stream); /* another gzip member follows, as Go's reader accepts */
		if (out->size == capacity && grow_output(out, &capacity, limit)) {
			inflateEnd(&stream);
			return fail_to_grow(out, capacity, limit, error, error_size);
		}
		size_t input_left = (size_t)(end - next), output_left = capacity - out->size;
		stream.next_in = (unsigned char *)next;
		stream.avail_in = input_left > UINT_MAX ? UINT_MAX : (unsigned)input_left;
		stream.next_out = out->bytes + out->size;
		stream.avail_out = output_left > UINT_MAX ? UINT_MAX : (unsigned)output_left;
		unsigned given_in = stream.avail_in, given_out = stream.avail_out;
		status = inflate(&stream, Z_NO_FLUSH);
		next += given_in - stream.avail_in;
		out->size += given_out - stream.avail_out;
		if (status == Z_BUF_ERROR && given_in == stream.avail_in && given_out == stream.avail_out)
			status = Z_DATA_ERROR; /* no progress: the stream is cut short */
		if (status != Z_OK && status != Z_STREAM_END) {
			inflateEnd(&stream);
			return fail(out, error, error_size,
				    "decompressing profile: gzip data is corrupt or truncated");
		}
	}
	inflateEnd(&stream);
	return 0;
}

static int unzstd(const unsigned char *input, size_t size, size_t limit, struct byte_buffer *out, char *error,
		  size_t error_size)
{
	ZSTD_DStream *stream = ZSTD_createDStream();
	if (!stream)
		return fail(out, error, error_size, "out of memory while decompressing");
	/* Refuse frames that ask for a huge window: that memory is spent up front. */
	ZSTD_DCtx_setParameter(stream, ZSTD_d_windowLogMax, 27);
	size_t capacity = 0;
	ZSTD_inBuffer in = {input, size, 0};
	for (;;) {
		if (out->size == capacity && grow_output(out, &capacity, limit)) {
			ZSTD_freeDStream(stream);
			return fail_to_grow(out, capacity, limit, error, error_size);
		}
		ZSTD_outBuffer chunk = {out->bytes + out->size, capacity - out->size, 0};
		size_t result = ZSTD_decompressStream(stream, &chunk, &in);
		out->size += chunk.pos;
		if (ZSTD_isError(result)) {
			ZSTD_freeDStream(stream);
			char reason[128];
			snprintf(reason, sizeof reason, "decompressing profile: zstd: %s",
				 ZSTD_getErrorName(result));
			return fail(out, error, error_size, reason);
		}
		if (in.pos == in.size && result == 0)
			break; /* every frame is complete */
		if (in.pos == in.size && chunk.pos < chunk.size) {
			ZSTD_freeDStream(stream);
			return fail(out, error, error_size, "decompressing profile: zstd data is truncated");
		}
	}
	ZSTD_freeDStream(stream);
	return 0;
}

int decompress_profile(const unsigned char *input, size_t input_size, size_t limit, struct byte_buffer *out,
		       char *error, size_t error_size)
{
	*out = (struct byte_buffer){0};
	if (is_gzip(input, input_size)) {
		out->owned = 1;
		return gunzip(input, input_size, limit, out, error, error_size);
	}
	if (is_zstd(input, input_size)) {
		out->owned = 1;
		return unzstd(input, input_size, limit, out, error, error_size);
	}
	*out = (struct byte_buffer){(unsigned char *)input, input_size, 0};
	return 0;
}

void decompress_buffer_free(struct byte_buffer *buffer)
{
	if (buffer->owned)
		free(buffer->bytes);
	*buffer = (struct byte_buffer){0};
}
