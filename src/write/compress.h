/* gzip and zstd for profiles, through zlib and libzstd opened privately at dump time. */
#ifndef HEAPPROF_COMPRESS_H
#define HEAPPROF_COMPRESS_H

#include <stdbool.h>

#include "options.h"
#include "pprof_writer.h"

/* The compression a file name asks for: .gz gzip, .zst zstd, anything else none. */
enum compression compress_for_path(const char *path);

/* Replaces `data` with its compressed form. False (data untouched) on failure, with
   one "heapprof:" line. */
bool compress_buffer(enum compression compression, struct pprof_buffer *data);

#endif
