/* A protobuf writer for profile.proto: just the wire types a profile uses; and plain
   bytes and text, for the endpoint's other answers. Buffers come from malloc; a failed
   allocation marks the buffer and is reported once at the end, so callers need not
   check every call. */
#ifndef HEAPPROF_PPROF_WRITER_H
#define HEAPPROF_PPROF_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pprof_buffer {
	uint8_t *data;
	size_t length;
	size_t capacity;
	bool failed;
};

/* Empty, and no longer failed; its memory is kept. */
void pprof_buffer_reset(struct pprof_buffer *buffer);
void pprof_buffer_free(struct pprof_buffer *buffer);

/* Fields with zero values are omitted, as proto3 encoders do. */
void pprof_uint(struct pprof_buffer *buffer, unsigned field, uint64_t value);
void pprof_int(struct pprof_buffer *buffer, unsigned field, int64_t value);
void pprof_bool(struct pprof_buffer *buffer, unsigned field, bool value);
/* Always written, even when empty: the string table needs its "" entry. */
void pprof_bytes(struct pprof_buffer *buffer, unsigned field, const void *data, size_t length);
void pprof_packed(struct pprof_buffer *buffer, unsigned field, const uint64_t *values, size_t count);
/* Appends `length` bytes as they are. */
void pprof_append(struct pprof_buffer *buffer, const void *data, size_t length);
/* Appends printf-formatted text, without its terminating NUL. */
void pprof_printf(struct pprof_buffer *buffer, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* Appends `message` as a length-delimited field. */
void pprof_message(struct pprof_buffer *buffer, unsigned field, const struct pprof_buffer *message);

#endif
