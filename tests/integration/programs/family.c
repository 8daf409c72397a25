/* Calls every malloc-family function and prints what it observed: contents,
   alignment, errno. The output must not change under heapprof. */
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;

static void expect(int condition, const char *what)
{
	printf("%-40s %s\n", what, condition ? "ok" : "FAILED");
	failures += !condition;
}

static int aligned(const void *pointer, size_t alignment)
{
	return ((uintptr_t)pointer & (alignment - 1)) == 0;
}

static int filled(const unsigned char *bytes, size_t size, unsigned char value)
{
	for (size_t i = 0; i < size; i++) {
		if (bytes[i] != value)
			return 0;
	}
	return 1;
}

static void check_malloc_free(void)
{
	for (size_t size = 0; size <= (1 << 20); size = size ? size * 4 : 1) {
		unsigned char *block = malloc(size);
		memset(block, 0xab, size);
		if (!block || !aligned(block, 16) || malloc_usable_size(block) < size)
			expect(0, "malloc size/alignment");
		errno = 1234;
		free(block);
		if (errno != 1234)
			expect(0, "free keeps errno");
	}
	expect(1, "malloc sizes 0..1MiB, free keeps errno");
	errno = 0;
	void *huge = malloc(SIZE_MAX - 4096);
	expect(huge == NULL && errno == ENOMEM, "malloc(SIZE_MAX) ENOMEM");
	free(NULL);
	expect(1, "free(NULL)");
}

static void check_calloc(void)
{
	unsigned char *block = calloc(1000, 33);
	expect(block && filled(block, 33000, 0), "calloc zeroed");
	free(block);
	errno = 0;
	expect(calloc(SIZE_MAX / 2, 3) == NULL && errno == ENOMEM, "calloc overflow ENOMEM");
	block = calloc(0, 10);
	expect(block != NULL, "calloc(0, n) non-NULL");
	free(block);
}

static void check_realloc(void)
{
	unsigned char *block = realloc(NULL, 100);
	memset(block, 7, 100);
	block = realloc(block, 100000);
	expect(block && filled(block, 100, 7), "realloc grow keeps contents");
	block = realloc(block, 10);
	expect(block && filled(block, 10, 7), "realloc shrink keeps contents");
	errno = 0;
	unsigned char *failed = realloc(block, SIZE_MAX - 4096);
	expect(failed == NULL && errno == ENOMEM && filled(block, 10, 7), "realloc failure keeps block");
	expect(realloc(block, 0) == NULL, "realloc(p, 0) frees");
	block = reallocarray(NULL, 10, 10);
	memset(block, 9, 100);
	block = reallocarray(block, 100, 10);
	expect(block && filled(block, 100, 9), "reallocarray keeps contents");
	errno = 0;
	expect(reallocarray(block, SIZE_MAX / 2, 3) == NULL && errno == ENOMEM,
	       "reallocarray overflow ENOMEM");
	free(block);
}

static void check_aligned(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	for (size_t alignment = 16; alignment <= 65536; alignment *= 4) {
		void *block = NULL;
		int error = posix_memalign(&block, alignment, 3000);
		if (error || !aligned(block, alignment))
			expect(0, "posix_memalign alignment");
		free(block);
		block = aligned_alloc(alignment, alignment * 3);
		if (!block || !aligned(block, alignment))
			expect(0, "aligned_alloc alignment");
		free(block);
		block = memalign(alignment, 100);
		if (!block || !aligned(block, alignment))
			expect(0, "memalign alignment");
		free(block);
	}
	expect(1, "posix_memalign/aligned_alloc/memalign 16..64K");
	void *block = (void *)1;
	expect(posix_memalign(&block, 3, 100) == EINVAL && block == (void *)1, "posix_memalign EINVAL");
	expect(posix_memalign(&block, 64, SIZE_MAX - 4096) == ENOMEM, "posix_memalign ENOMEM");
	errno = 0;
	block = aligned_alloc(3, 100);
	printf("%-40s %s errno=%d\n", "aligned_alloc(3, 100)", block ? "non-NULL" : "NULL",
	       block ? 0 : errno);
	free(block);
	block = valloc(100);
	expect(block && aligned(block, page), "valloc page aligned");
	free(block);
	/* jemalloc has no pvalloc: glibc's would then hand jemalloc a foreign block. */
	if (getenv("FAMILY_SKIP_PVALLOC"))
		return;
	block = pvalloc(100);
	expect(block && aligned(block, page) && malloc_usable_size(block) >= page, "pvalloc page rounded");
	free(block);
}

/* free_sized and free_aligned_sized are newer than this glibc: call them where the
   process has them (heapprof always does), plain free otherwise. */
static void check_sized_frees(void)
{
	void (*sized)(void *, size_t) = (void (*)(void *, size_t))dlsym(RTLD_DEFAULT, "free_sized");
	void (*aligned_sized)(void *, size_t, size_t) =
		(void (*)(void *, size_t, size_t))dlsym(RTLD_DEFAULT, "free_aligned_sized");
	for (int i = 0; i < 1000; i++) {
		void *block = malloc(200);
		if (sized)
			sized(block, 200);
		else
			free(block);
		block = aligned_alloc(64, 640);
		if (aligned_sized)
			aligned_sized(block, 64, 640);
		else
			free(block);
	}
	expect(1, "free_sized/free_aligned_sized");
}

int main(void)
{
	check_malloc_free();
	check_calloc();
	check_realloc();
	check_aligned();
	check_sized_frees();
	printf("failures: %d\n", failures);
	return failures != 0;
}
