/* Recognizes gzip, zstd or an uncompressed profile by its first bytes (never
   by its name) and inflates it into memory, refusing to grow past a limit so
   that a compression bomb costs a bounded amount of memory. */
#ifndef HEAPPROF_TOOLS_DECOMPRESS_H
#define HEAPPROF_TOOLS_DECOMPRESS_H

#include <stddef.h>

struct byte_buffer {
	unsigned char *bytes; /* malloc'd when owned, else borrowed from the input */
	size_t size;
	int owned;
};

/* The most a profile of input_size compressed bytes may inflate to. */
size_t decompress_limit(size_t input_size);

/* Returns 0 and fills out (borrowing input when it is not compressed), or -1
   with a one-line reason in error. */
int decompress_profile(const unsigned char *input, size_t input_size, size_t limit, struct byte_buffer *out,
		       char *error, size_t error_size);

void decompress_buffer_free(struct byte_buffer *buffer);

#endif
