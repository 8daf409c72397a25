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

static bool replace(struct pprof_buffer *data, uint8_t *compressed, size_t length, size_t capacity)
{
	free(data->data);
	data->data = compressed;
	data->length = length;
	data->capacity = capacity;
	return true;
}

/* The size below which a profile is stored uncompressed inside its gzip wrapper. */
#define GZIP_STORED_BELOW 4096

static bool gzip(struct pprof_buffer *data)
{
	static const char *const names[] = {"deflateInit2_", "deflate", "deflateEnd", "deflateBound"};
	void *functions[4];
	if (!load_functions("libz.so.1", names, functions, 4))
		return false;
	__typeof__(deflateInit2_) *init = (__typeof__(deflateInit2_) *)functions[0];
	__typeof__(deflate) *compress = (__typeof__(deflate) *)functions[1];
	__typeof__(deflateEnd) *end = (__typeof__(deflateEnd) *)functions[2];
	__typeof__(deflateBound) *bound = (__typeof__(deflateBound) *)functions[3];
	z_stream stream;
	memset(&stream, 0, sizeof stream);
	/* A gzip wrapper (window bits + 16), which is what pprof reads. The fastest level,
	   as Go's runtime/pprof uses: the dump runs in the exiting program. A small
	   profile (a short process's, with few samples or none) is stored instead, with
	   the smallest tables: deflate's fixed cost, clearing its tables and building
	   Huffman trees, is most of such a process's dump, and saves a few hundred bytes. */
	bool store = data->length < GZIP_STORED_BELOW;
	if (init(&stream, store ? Z_NO_COMPRESSION : Z_BEST_SPEED, Z_DEFLATED, (store ? 9 : 15) + 16,
		 store ? 1 : 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, (int)sizeof stream) != Z_OK)
		return false;
	size_t capacity = bound(&stream, (uLong)data->length);
	uint8_t *compressed = malloc(capacity);
	bool ok = false;
	if (compressed) {
		stream.next_in = data->data;
		stream.avail_in = (uInt)data->length;
		stream.next_out = compressed;
		stream.avail_out = (uInt)capacity;
		ok = compress(&stream, Z_FINISH) == Z_STREAM_END;
	}
	end(&stream);
	if (!ok) {
		free(compressed);
		return false;
	}
	return replace(data, compressed, stream.total_out, capacity);
}

static bool zstd(struct pprof_buffer *data)
{
	static const char *const names[] = {"ZSTD_compressBound", "ZSTD_compress", "ZSTD_isError"};
	void *functions[3];
	if (!load_functions("libzstd.so.1", names, functions, 3))
		return false;
	__typeof__(ZSTD_compressBound) *bound = (__typeof__(ZSTD_compressBound) *)functions[0];
	__typeof__(ZSTD_compress) *compress = (__typeof__(ZSTD_compress) *)functions[1];
	__typeof__(ZSTD_isError) *is_error = (__typeof__(ZSTD_isError) *)functions[2];
	size_t capacity = bound(data->length);
	uint8_t *compressed = malloc(capacity);
	if (!compressed)
		return false;
	size_t length = compress(compressed, capacity, data->data, data->length, 3);
	if (is_error(length)) {
		free(compressed);
		return false;
	}
	return replace(data, compressed, length, capacity);
}

bool compress_buffer(enum compression compression, struct pprof_buffer *data)
{
	switch (compression) {
	case COMPRESSION_GZIP:
		return gzip(data);
	case COMPRESSION_ZSTD:
		return zstd(data);
	default:
		return true;
	}
}
