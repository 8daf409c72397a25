/* Every HEAPPROF_* setting, read from the environment once, in one place. */
#ifndef HEAPPROF_OPTIONS_H
#define HEAPPROF_OPTIONS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serve/address.h"

enum unwinder {
	UNWINDER_LIBUNWIND,      /* DWARF call frame information: works for any code */
	UNWINDER_FRAME_POINTERS, /* the rbp chain: much faster, for code built with frame pointers */
};

enum compression {
	COMPRESSION_AUTO, /* chosen by the output name's suffix */
	COMPRESSION_GZIP,
	COMPRESSION_ZSTD,
	COMPRESSION_NONE,
};

#define OPTIONS_DEFAULT_RATE ((size_t)512 * 1024)
#define OPTIONS_DEFAULT_DEPTH 64
#define OPTIONS_MAX_DEPTH 256

struct options {
	size_t rate;                  /* HEAPPROF_RATE: mean bytes between samples; 0 = off */
	unsigned depth;               /* HEAPPROF_DEPTH: frames kept per stack */
	enum compression compression; /* HEAPPROF_COMPRESS */
	enum unwinder unwinder;       /* HEAPPROF_UNWIND */
	bool seeded;                  /* HEAPPROF_SEED given */
	uint64_t seed;
	bool verbose;              /* HEAPPROF_VERBOSE */
	bool peak;                 /* HEAPPROF_PEAK: also write the profile at the in-use peak */
	bool symbolize;            /* HEAPPROF_SYMBOLIZE: name functions and lines when writing */
	bool thread_labels;        /* HEAPPROF_LABELS=thread: label samples with their thread's name */
	int dump_signal;           /* HEAPPROF_DUMP_SIGNAL: 0 = none */
	uint64_t dump_interval;    /* HEAPPROF_DUMP_INTERVAL: bytes; 0 = none */
	uint64_t dump_period;      /* HEAPPROF_DUMP_PERIOD: seconds; 0 = none */
	char out[PATH_MAX];        /* HEAPPROF_OUT: template with %p, %e, %n, %% */
	struct serve_address http; /* HEAPPROF_HTTP: the endpoint; kind SERVE_OFF = none */
};

extern struct options options;

/* Reads the environment; a malformed value prints one "heapprof:" line and keeps the default.
   Uses neither malloc nor stdio, so it may run inside the first malloc. */
void options_read(void);

/* Parses a byte count: decimal digits with an optional K, M or G (binary) suffix.
   Returns false when `text` is not one or exceeds `max`. */
bool options_parse_size(const char *text, uint64_t max, uint64_t *value);

#endif
