#include "write/compress.h"

#include <stdlib.h>
#include <zlib.h>
#include <zstd.h>

#include "check.h"

static void fill(struct pprof_buffer *buffer, size_t length)
{
	*buffer = (struct pprof_buffer){0};
	buffer->data = malloc(length ? length : 1);
	CHECK(buffer->data);
	buffer->length = buffer->capacity = length;
	uint64_t state = 1;
	for (size_t i = 0; i < length; i++) {
		/* Compressible, but not a constant run. */
		state = state * 6364136223846793005ULL + 1442695040888963407ULL;
		buffer->data[i] = (uint8_t)("heapprof"[i % 8] + (state >> 62));
	}
}

static uint8_t *gunzip(const struct pprof_buffer *compressed, size_t expected_length, size_t *length)
{
	uint8_t *out = malloc(expected_length + 16);
	z_stream stream = {0};
	CHECK(inflateInit2(&stream, 15 + 16) == Z_OK);
	stream.next_in = compressed->data;
	stream.avail_in = (uInt)compressed->length;
	stream.next_out = out;
	stream.avail_out = (uInt)(expected_length + 16);
	CHECK(inflate(&stream, Z_FINISH) == Z_STREAM_END);
	CHECK_UINT(stream.avail_in, 0);
	*length = stream.total_out;
	inflateEnd(&stream);
	return out;
}

static uint8_t *unzstd(const struct pprof_buffer *compressed, size_t expected_length, size_t *length)
{
	CHECK_UINT(ZSTD_getFrameContentSize(compressed->data, compressed->length), expected_length);
	uint8_t *out = malloc(expected_length + 16);
	*length = ZSTD_decompress(out, expected_length + 16, compressed->data, compressed->length);
	CHECK(!ZSTD_isError(*length));
	return out;
}

typedef uint8_t *decompressor(const struct pprof_buffer *, size_t, size_t *);

static void check_round_trip(enum compression compression, decompressor *decompress, const uint8_t *magic,
			     size_t magic_length, size_t length)
{
	struct pprof_buffer original, buffer;
	fill(&original, length);
	fill(&buffer, length);
	struct compressor compressor = {0};
	CHECK(compress_buffer(compression, &buffer, &compressor));
	compressor_free(&compressor);
	CHECK(buffer.length >= magic_length && memcmp(buffer.data, magic, magic_length) == 0);
	CHECK(buffer.capacity >= buffer.length);
	/* From 4 KiB on, gzip deflates; below, it stores (compress.c). */
	if (length >= 4096)
		CHECK(buffer.length < length / 2);
	size_t decompressed_length;
	uint8_t *decompressed = decompress(&buffer, length, &decompressed_length);
	CHECK_BYTES(decompressed, decompressed_length, original.data, length);
	free(decompressed);
	pprof_buffer_free(&original);
	pprof_buffer_free(&buffer);
}

static void test_gzip(void)
{
	static const uint8_t gzip_magic[] = {0x1f, 0x8b, 0x08};
	static const size_t lengths[] = {0, 1, 100, 4095, 4096, 65536, 3 << 20};
	for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++)
		check_round_trip(COMPRESSION_GZIP, gunzip, gzip_magic, sizeof gzip_magic, lengths[i]);
}

static void test_zstd(void)
{
	static const uint8_t zstd_magic[] = {0x28, 0xb5, 0x2f, 0xfd};
	static const size_t lengths[] = {0, 1, 100, 65536, 3 << 20};
	for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++)
		check_round_trip(COMPRESSION_ZSTD, unzstd, zstd_magic, sizeof zstd_magic, lengths[i]);
}

static void test_uncompressed_untouched(void)
{
	static const enum compression unchanged[] = {COMPRESSION_NONE, COMPRESSION_AUTO};
	for (size_t i = 0; i < 2; i++) {
		struct pprof_buffer original, buffer;
		fill(&original, 1000);
		fill(&buffer, 1000);
		uint8_t *data = buffer.data;
		struct compressor compressor = {0};
		CHECK(compress_buffer(unchanged[i], &buffer, &compressor));
		compressor_free(&compressor);
		CHECK(buffer.data == data);
		CHECK_BYTES(buffer.data, buffer.length, original.data, original.length);
		pprof_buffer_free(&original);
		pprof_buffer_free(&buffer);
	}
}

static void test_compression_for_path(void)
{
	CHECK_UINT(compress_for_path("heap.pb.gz"), COMPRESSION_GZIP);
	CHECK_UINT(compress_for_path("/a/b.c/heap.gz"), COMPRESSION_GZIP);
	CHECK_UINT(compress_for_path(".gz"), COMPRESSION_GZIP);
	CHECK_UINT(compress_for_path("heap.pb.zst"), COMPRESSION_ZSTD);
	CHECK_UINT(compress_for_path("heap.zst"), COMPRESSION_ZSTD);
	CHECK_UINT(compress_for_path("heap.pb"), COMPRESSION_NONE);
	CHECK_UINT(compress_for_path("heap"), COMPRESSION_NONE);
	CHECK_UINT(compress_for_path(""), COMPRESSION_NONE);
	CHECK_UINT(compress_for_path("gz"), COMPRESSION_NONE);
	CHECK_UINT(compress_for_path("heap.GZ"), COMPRESSION_NONE);
	CHECK_UINT(compress_for_path("heap.zstd"), COMPRESSION_NONE);
	CHECK_UINT(compress_for_path("heap.gz.pb"), COMPRESSION_NONE);
	CHECK_UINT(compress_for_path("heap.gz/heap"), COMPRESSION_NONE);
}

int main(void)
{
	test_gzip();
	test_zstd();
	test_uncompressed_untouched();
	test_compression_for_path();
	return 0;
}
