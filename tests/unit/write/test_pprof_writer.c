#include "write/pprof_writer.h"

#include "check.h"

#define CHECK_ENCODING(buffer, ...)                                                                 \
	do {                                                                                        \
		static const uint8_t expected_bytes[] = {__VA_ARGS__};                              \
		CHECK_BYTES((buffer).data, (buffer).length, expected_bytes, sizeof expected_bytes); \
	} while (0)

static void test_varints(void)
{
	struct pprof_buffer buffer = {0};
	pprof_uint(&buffer, 1, 1);
	CHECK_ENCODING(buffer, 0x08, 0x01);
	pprof_buffer_reset(&buffer);
	pprof_uint(&buffer, 1, 127);
	CHECK_ENCODING(buffer, 0x08, 0x7f);
	pprof_buffer_reset(&buffer);
	pprof_uint(&buffer, 1, 128);
	CHECK_ENCODING(buffer, 0x08, 0x80, 0x01);
	pprof_buffer_reset(&buffer);
	pprof_uint(&buffer, 1, 300);
	CHECK_ENCODING(buffer, 0x08, 0xac, 0x02);
	pprof_buffer_reset(&buffer);
	pprof_uint(&buffer, 1, (uint64_t)1 << 63);
	CHECK_ENCODING(buffer, 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01);
	pprof_buffer_reset(&buffer);
	pprof_uint(&buffer, 1, UINT64_MAX);
	CHECK_ENCODING(buffer, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
	pprof_buffer_free(&buffer);
	CHECK(!buffer.data && !buffer.length && !buffer.capacity && !buffer.failed);
}

/* int64 fields are two's complement varints: a negative value takes ten bytes. */
static void test_signed(void)
{
	struct pprof_buffer buffer = {0};
	pprof_int(&buffer, 1, -1);
	CHECK_ENCODING(buffer, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
	pprof_buffer_reset(&buffer);
	pprof_int(&buffer, 1, -2);
	CHECK_ENCODING(buffer, 0x08, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
	pprof_buffer_reset(&buffer);
	pprof_int(&buffer, 1, INT64_MIN);
	CHECK_ENCODING(buffer, 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01);
	pprof_buffer_reset(&buffer);
	pprof_int(&buffer, 1, 150);
	CHECK_ENCODING(buffer, 0x08, 0x96, 0x01);
	pprof_buffer_free(&buffer);
}

static void test_zero_fields_omitted(void)
{
	struct pprof_buffer buffer = {0};
	pprof_uint(&buffer, 1, 0);
	pprof_int(&buffer, 2, 0);
	pprof_bool(&buffer, 3, false);
	pprof_packed(&buffer, 4, NULL, 0);
	CHECK_UINT(buffer.length, 0);
	pprof_bool(&buffer, 3, true);
	CHECK_ENCODING(buffer, 0x18, 0x01);
	pprof_buffer_free(&buffer);
}

static void test_field_keys(void)
{
	struct pprof_buffer buffer = {0};
	pprof_uint(&buffer, 15, 1);
	pprof_uint(&buffer, 16, 1);
	pprof_uint(&buffer, 2047, 1);
	pprof_bytes(&buffer, 16, "", 0);
	CHECK_ENCODING(buffer, 0x78, 0x01, 0x80, 0x01, 0x01, 0xf8, 0x7f, 0x01, 0x82, 0x01, 0x00);
	pprof_buffer_free(&buffer);
}

static void test_bytes(void)
{
	struct pprof_buffer buffer = {0};
	pprof_bytes(&buffer, 6, "", 0);
	CHECK_ENCODING(buffer, 0x32, 0x00);
	pprof_bytes(&buffer, 6, "abc", 3);
	CHECK_ENCODING(buffer, 0x32, 0x00, 0x32, 0x03, 'a', 'b', 'c');
	pprof_buffer_reset(&buffer);

	char long_text[200];
	memset(long_text, 'x', sizeof long_text);
	pprof_bytes(&buffer, 6, long_text, sizeof long_text);
	CHECK_UINT(buffer.length, 3 + sizeof long_text);
	static const uint8_t long_key_and_length[] = {0x32, 0xc8, 0x01};
	CHECK_BYTES(buffer.data, 3, long_key_and_length, 3);
	CHECK_BYTES(buffer.data + 3, buffer.length - 3, long_text, sizeof long_text);
	pprof_buffer_free(&buffer);
}

static void test_packed(void)
{
	struct pprof_buffer buffer = {0};
	static const uint64_t values[] = {1, 300, 0, (uint64_t)1 << 63};
	pprof_packed(&buffer, 1, values, 4);
	CHECK_ENCODING(buffer, 0x0a, 0x0e, 0x01, 0xac, 0x02, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
		       0x80, 0x80, 0x01);
	pprof_buffer_free(&buffer);
}

/* A Sample {location_id: [1, 2], value: [3], label: {key: 4, num: 150}} in a Profile. */
static void test_nested_messages(void)
{
	struct pprof_buffer label = {0}, sample = {0}, profile = {0};
	pprof_int(&label, 1, 4);
	pprof_int(&label, 3, 150);
	static const uint64_t locations[] = {1, 2}, values[] = {3};
	pprof_packed(&sample, 1, locations, 2);
	pprof_packed(&sample, 2, values, 1);
	pprof_message(&sample, 3, &label);
	pprof_message(&profile, 2, &sample);
	pprof_bytes(&profile, 6, "", 0);
	CHECK_ENCODING(profile, 0x12, 0x0e, 0x0a, 0x02, 0x01, 0x02, 0x12, 0x01, 0x03, 0x1a, 0x05, 0x08, 0x04,
		       0x18, 0x96, 0x01, 0x32, 0x00);

	/* An empty message is still a field: a Sample with no values exists. */
	struct pprof_buffer empty = {0};
	pprof_buffer_reset(&profile);
	pprof_message(&profile, 2, &empty);
	CHECK_ENCODING(profile, 0x12, 0x00);
	pprof_buffer_free(&label);
	pprof_buffer_free(&sample);
	pprof_buffer_free(&profile);
}

static void test_growth(void)
{
	struct pprof_buffer buffer = {0};
	for (uint64_t i = 1; i <= 100000; i++)
		pprof_uint(&buffer, 1, 300);
	CHECK(!buffer.failed);
	CHECK_UINT(buffer.length, 3 * 100000);
	CHECK(buffer.capacity >= buffer.length);
	for (size_t i = 0; i < buffer.length; i += 3)
		CHECK(buffer.data[i] == 0x08 && buffer.data[i + 1] == 0xac && buffer.data[i + 2] == 0x02);
	size_t capacity = buffer.capacity;
	pprof_buffer_reset(&buffer);
	CHECK_UINT(buffer.length, 0);
	CHECK_UINT(buffer.capacity, capacity);
	pprof_buffer_free(&buffer);
}

/* A failed buffer takes no more bytes, and embedding it fails the outer one. */
static void test_failure_propagates(void)
{
	struct pprof_buffer inner = {0}, outer = {0};
	pprof_uint(&inner, 1, 1);
	inner.failed = true;
	pprof_uint(&inner, 1, 1);
	CHECK_UINT(inner.length, 2);
	pprof_uint(&outer, 1, 1);
	pprof_message(&outer, 2, &inner);
	CHECK(outer.failed);
	CHECK_ENCODING(outer, 0x08, 0x01);
	pprof_buffer_free(&inner);
	pprof_buffer_free(&outer);
}

/* Plain bytes and text, for the endpoint's bodies: no key, no length, no NUL. */
static void test_text(void)
{
	struct pprof_buffer buffer = {0};
	pprof_append(&buffer, "ab", 2);
	pprof_append(&buffer, "", 0);
	pprof_printf(&buffer, "%s=%d;", "x", 42);
	CHECK_BYTES(buffer.data, buffer.length, "abx=42;", 7);
	char long_text[3000];
	memset(long_text, 'z', sizeof long_text - 1);
	long_text[sizeof long_text - 1] = '\0';
	pprof_printf(&buffer, "%s", long_text);
	CHECK_UINT(buffer.length, 7 + sizeof long_text - 1);
	CHECK(buffer.data[buffer.length - 1] == 'z' && !buffer.failed);
	pprof_buffer_free(&buffer);
}

int main(void)
{
	test_varints();
	test_signed();
	test_zero_fields_omitted();
	test_field_keys();
	test_bytes();
	test_packed();
	test_nested_messages();
	test_growth();
	test_failure_propagates();
	test_text();
	return 0;
}
