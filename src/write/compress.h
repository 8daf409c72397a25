/* gzip and zstd for profiles, through zlib and libzstd opened privately at dump time. */
#ifndef HEAPPROF_COMPRESS_H
#define HEAPPROF_COMPRESS_H

#include <stdbool.h>
#include <zlib.h>

#include "options.h"
#include "pprof_writer.h"

/* The compression a file name asks for: .gz gzip, .zst zstd, anything else none. */
enum compression compress_for_path(const char *path);

/* What compressing allocates: zlib's stream and a buffer. Zero-initialized, it holds
   nothing; it keeps its memory from one profile to the next, until compressor_free,
   so that a caller that compresses often (the endpoint) allocates once. */
struct compressor {
	z_stream stream;
	bool stream_started;
	bool storing; /* the stream stores (a small profile) rather than deflates */
	struct pprof_buffer output;
};

/* Replaces `data` with its compressed form, made in `kept`'s buffer, which takes the
   memory `data` had. False (data untouched) on failure, with one "heapprof:" line when
   a library is missing. */
bool compress_buffer(enum compression compression, struct pprof_buffer *data, struct compressor *kept);

void compressor_free(struct compressor *kept);

/* The bytes `kept` holds besides zlib's stream (a few hundred KiB, fixed). */
size_t compressor_bytes(const struct compressor *kept);

#endif
