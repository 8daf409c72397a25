#include "compress.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "descriptors.h"
#include "log.h"

static bool ends_with(const char *text, const char *suffix)
{
	size_t length = strlen(text), suffix_length = strlen(suffix);
	return length >= suffix_length && strcmp(text + length - suffix_length, suffix) == 0;
}

enum compression compress_for_path(const char *path)
{
	if (ends_with(path, ".gz"))
		return COMPRESSION_GZIP;
	if (ends_with(path, ".zst"))
		return COMPRESSION_ZSTD;
	return COMPRESSION_NONE;
}

/* Resolves `count` functions from a library opened with RTLD_LOCAL; false, with one
   line, when any is missing. */
static bool load_functions(const char *library_name, const char *const *names, void **functions, size_t count)
{
	void *library = descriptor_dlopen_local(library_name);
	for (size_t i = 0; i < count; i++) {
		functions[i] = library ? dlsym(library, names[i]) : NULL;
		if (!functions[i]) {
			struct log_line line;
			log_begin(&line);
			log_text(&line, "cannot load ");
			log_text(&line, library_name);
			log_text(&line, "; writing the profile uncompressed");
			log_end(&line);
			return false;
		}
	}
	return true;
}

/* `kept->output`, with room for `capacity` bytes; its memory is reused. */
static uint8_t *output_room(struct compressor *kept, size_t capacity)
{
	struct pprof_buffer *output = &kept->output;
	pprof_buffer_reset(output);
	if (output->capacity < capacity) {
		uint8_t *data = realloc(output->data, capacity);
		if (!data)
			return NULL;
		output->data = data;
		output->capacity = capacity;
	}
	return output->data;
}

/* `data` takes the compressed bytes; `kept->output` the memory `data` had. */
static bool replace(struct pprof_buffer *data, struct compressor *kept, size_t length)
{
	struct pprof_buffer input = *data;
	*data = kept->output;
	data->length = length;
	kept->output = input;
	return true;
}

/* The size below which a profile is stored uncompressed inside its gzip wrapper. */
#define GZIP_STORED_BELOW 4096

struct zlib_functions {
	__typeof__(deflateInit2_) *init;
	__typeof__(deflate) *compress;
	__typeof__(deflateEnd) *end;
	__typeof__(deflateBound) *bound;
	__typeof__(deflateReset) *reset;
};

static bool load_zlib(struct zlib_functions *zlib)
{
	static const char *const names[] = {"deflateInit2_", "deflate", "deflateEnd", "deflateBound",
					    "deflateReset"};
	void *functions[5];
	if (!load_functions("libz.so.1", names, functions, 5))
		return false;
	zlib->init = (__typeof__(deflateInit2_) *)functions[0];
	zlib->compress = (__typeof__(deflate) *)functions[1];
	zlib->end = (__typeof__(deflateEnd) *)functions[2];
	zlib->bound = (__typeof__(deflateBound) *)functions[3];
	zlib->reset = (__typeof__(deflateReset) *)functions[4];
	return true;
}

/* The kept stream, set to store or to deflate: reset when it already does, made
   again when it does the other. */
static bool start_stream(const struct zlib_functions *zlib, struct compressor *kept, bool store)
{
	if (kept->stream_started && kept->storing == store)
		return zlib->reset(&kept->stream) == Z_OK;
	if (kept->stream_started)
		zlib->end(&kept->stream);
	memset(&kept->stream, 0, sizeof kept->stream);
	/* A gzip wrapper (window bits + 16), which is what pprof reads. The fastest level,
	   as Go's runtime/pprof uses: the dump runs in the exiting program. A small
	   profile (a short process's, with few samples or none) is stored instead, with
	   the smallest tables: deflate's fixed cost, clearing its tables and building
	   Huffman trees, is most of such a process's dump, and saves a few hundred bytes. */
	kept->stream_started = zlib->init(&kept->stream, store ? Z_NO_COMPRESSION : Z_BEST_SPEED, Z_DEFLATED,
					  (store ? 9 : 15) + 16, store ? 1 : 8, Z_DEFAULT_STRATEGY,
					  ZLIB_VERSION, (int)sizeof kept->stream) == Z_OK;
	kept->storing = store;
	return kept->stream_started;
}

static bool gzip(struct pprof_buffer *data, struct compressor *kept)
{
	struct zlib_functions zlib;
	if (!load_zlib(&zlib) || !start_stream(&zlib, kept, data->length < GZIP_STORED_BELOW))
		return false;
	z_stream *stream = &kept->stream;
	size_t capacity = zlib.bound(stream, (uLong)data->length);
	uint8_t *compressed = output_room(kept, capacity);
	if (!compressed)
		return false;
	stream->next_in = data->data;
	stream->avail_in = (uInt)data->length;
	stream->next_out = compressed;
	stream->avail_out = (uInt)capacity;
	if (zlib.compress(stream, Z_FINISH) != Z_STREAM_END)
		return false;
	return replace(data, kept, stream->total_out);
}

static bool zstd(struct pprof_buffer *data, struct compressor *kept)
{
	static const char *const names[] = {"ZSTD_compressBound", "ZSTD_compress", "ZSTD_isError"};
	void *functions[3];
	if (!load_functions("libzstd.so.1", names, functions, 3))
		return false;
	__typeof__(ZSTD_compressBound) *bound = (__typeof__(ZSTD_compressBound) *)functions[0];
	__typeof__(ZSTD_compress) *compress = (__typeof__(ZSTD_compress) *)functions[1];
	__typeof__(ZSTD_isError) *is_error = (__typeof__(ZSTD_isError) *)functions[2];
	size_t capacity = bound(data->length);
	uint8_t *compressed = output_room(kept, capacity);
	if (!compressed)
		return false;
	size_t length = compress(compressed, capacity, data->data, data->length, 3);
	if (is_error(length))
		return false;
	return replace(data, kept, length);
}

bool compress_buffer(enum compression compression, struct pprof_buffer *data, struct compressor *kept)
{
	switch (compression) {
	case COMPRESSION_GZIP:
		return gzip(data, kept);
	case COMPRESSION_ZSTD:
		return zstd(data, kept);
	default:
		return true;
	}
}

void compressor_free(struct compressor *kept)
{
	struct zlib_functions zlib;
	if (kept->stream_started && load_zlib(&zlib))
		zlib.end(&kept->stream);
	pprof_buffer_free(&kept->output);
	*kept = (struct compressor){0};
}

size_t compressor_bytes(const struct compressor *kept)
{
	return kept->output.capacity;
}
