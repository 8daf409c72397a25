/* The unit tests' assertions: on failure, print where and what, and exit 1. */
#ifndef HEAPPROF_TEST_CHECK_H
#define HEAPPROF_TEST_CHECK_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_FAILED(...)                                       \
	do {                                                    \
		fprintf(stderr, "%s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__);                   \
		fputc('\n', stderr);                            \
		exit(1);                                        \
	} while (0)

#define CHECK(expression)                                              \
	do {                                                           \
		if (!(expression))                                     \
			CHECK_FAILED("check failed: %s", #expression); \
	} while (0)

#define CHECK_UINT(actual, expected)                                                                 \
	do {                                                                                         \
		uint64_t actual_value = (uint64_t)(actual), expected_value = (uint64_t)(expected);   \
		if (actual_value != expected_value)                                                  \
			CHECK_FAILED("check failed: %s == %s (%" PRIu64 " != %" PRIu64 ")", #actual, \
				     #expected, actual_value, expected_value);                       \
	} while (0)

#define CHECK_STR(actual, expected)                                                                   \
	do {                                                                                          \
		const char *actual_text = (actual), *expected_text = (expected);                      \
		if (!actual_text || strcmp(actual_text, expected_text) != 0)                          \
			CHECK_FAILED("check failed: %s == %s (\"%s\" != \"%s\")", #actual, #expected, \
				     actual_text ? actual_text : "(null)", expected_text);            \
	} while (0)

#define CHECK_BYTES(actual, actual_length, expected, expected_length)                                     \
	do {                                                                                              \
		size_t actual_size = (actual_length), expected_size = (expected_length);                  \
		if (actual_size != expected_size ||                                                       \
		    (expected_size && memcmp((actual), (expected), expected_size) != 0))                  \
			CHECK_FAILED("check failed: bytes of %s (%zu) == %s (%zu)", #actual, actual_size, \
				     #expected, expected_size);                                           \
	} while (0)

#endif
