/* Every operator new and delete of the C++ runtime, called by name from sites with
   known counts and sizes, some blocks kept and some freed (each delete variant frees
   some). Prints the exact totals each site must show in a profile recorded at rate 1:
   "site alloc_objects alloc_space inuse_objects inuse_space".

   Under heapprof, heapprof_read_stats must count each site's calls exactly too,
   whatever the allocator's own operators call: the exit status says whether it did.

   operators failures: what each operator new does when memory runs out, with a
   new_handler that gives up on its third call. */
#include <cstdio>
#include <cstring>
#include <heapprof.h>
#include <new>

/* Weak: the program runs without heapprof too. */
extern "C" int heapprof_read_stats(struct heapprof_stats *stats) __attribute__((weak));

static constexpr long count = 1000;
static constexpr long freed = 600;
static constexpr std::align_val_t alignment{64};

static void *blocks[count];
static void *kept[8 * count];
static long kept_count;

static void account(const char *site, long size)
{
	std::printf("%s %ld %ld %ld %ld\n", site, count, count * size, count - freed, (count - freed) * size);
}

/* Keeps the blocks past `freed` live, and touches each, so none is optimized away. */
static void keep_rest()
{
	for (long i = 0; i < count; i++) {
		std::memset(blocks[i], 1, 8);
		if (i >= freed)
			kept[kept_count++] = blocks[i];
	}
}

__attribute__((noinline)) static void site_new()
{
	for (long i = 0; i < count; i++)
		blocks[i] = ::operator new(40);
	keep_rest();
	for (long i = 0; i < freed; i += 2) {
		::operator delete(blocks[i]);
		::operator delete(blocks[i + 1], 40);
	}
	account("site_new", 40);
}

__attribute__((noinline)) static void site_new_array()
{
	for (long i = 0; i < count; i++)
		blocks[i] = ::operator new[](1000);
	keep_rest();
	for (long i = 0; i < freed; i += 2) {
		::operator delete[](blocks[i]);
		::operator delete[](blocks[i + 1], 1000);
	}
	account("site_new_array", 1000);
}

__attribute__((noinline)) static void site_new_nothrow()
{
	for (long i = 0; i < count; i++)
		blocks[i] = ::operator new(72, std::nothrow);
	keep_rest();
	for (long i = 0; i < freed; i++)
		::operator delete(blocks[i], std::nothrow);
	account("site_new_nothrow", 72);
}

__attribute__((noinline)) static void site_new_array_nothrow()
{
	for (long i = 0; i < count; i++)
		blocks[i] = ::operator new[](136, std::nothrow);
	keep_rest();
	for (long i = 0; i < freed; i++)
		::operator delete[](blocks[i], std::nothrow);
	account("site_new_array_nothrow", 136);
}

__attribute__((noinline)) static void site_new_aligned()
{
	for (long i = 0; i < count; i++)
		blocks[i] = ::operator new(256, alignment);
	keep_rest();
	for (long i = 0; i < freed; i += 2) {
		::operator delete(blocks[i], alignment);
		::operator delete(blocks[i + 1], 256, alignment);
	}
	account("site_new_aligned", 256);
}

__attribute__((noinline)) static void site_new_array_aligned()
{
	for (long i = 0; i < count; i++)
		blocks[i] = ::operator new[](320, alignment);
	keep_rest();
	for (long i = 0; i < freed; i += 2) {
		::operator delete[](blocks[i], alignment);
		::operator delete[](blocks[i + 1], 320, alignment);
	}
	account("site_new_array_aligned", 320);
}

__attribute__((noinline)) static void site_new_aligned_nothrow()
{
	for (long i = 0; i < count; i++)
		blocks[i] = ::operator new(384, alignment, std::nothrow);
	keep_rest();
	for (long i = 0; i < freed; i++)
		::operator delete(blocks[i], alignment, std::nothrow);
	account("site_new_aligned_nothrow", 384);
}

__attribute__((noinline)) static void site_new_array_aligned_nothrow()
{
	for (long i = 0; i < count; i++)
		blocks[i] = ::operator new[](448, alignment, std::nothrow);
	keep_rest();
	for (long i = 0; i < freed; i++)
		::operator delete[](blocks[i], alignment, std::nothrow);
	account("site_new_array_aligned_nothrow", 448);
}

static int totals_wrong;

/* Runs `site`, which allocates `count` blocks and frees `freed` of them. */
static void counted(const char *name, void (*site)())
{
	struct heapprof_stats before, after;
	if (heapprof_read_stats)
		heapprof_read_stats(&before);
	site();
	if (!heapprof_read_stats)
		return;
	heapprof_read_stats(&after);
	unsigned long long allocations = after.total_alloc_objects - before.total_alloc_objects;
	unsigned long long frees = after.total_free_objects - before.total_free_objects;
	if (allocations != count || frees != freed) {
		std::fprintf(stderr,
			     "%s: heapprof counted %llu allocations and %llu frees, not %ld and %ld\n", name,
			     allocations, frees, count, freed);
		totals_wrong = 1;
	}
}

static int handler_calls;

static void give_up_on_third_call()
{
	if (++handler_calls == 3)
		std::set_new_handler(nullptr);
}

/* Runs `allocate` with a fresh handler; says whether it threw and how often the
   handler ran. */
template <typename Allocate>
static void out_of_memory(const char *name, Allocate allocate)
{
	handler_calls = 0;
	std::set_new_handler(give_up_on_third_call);
	const char *outcome;
	try {
		outcome = allocate() ? "a block" : "nullptr";
	} catch (const std::bad_alloc &) {
		outcome = "std::bad_alloc";
	}
	std::printf("%s: %s after %d handler calls\n", name, outcome, handler_calls);
}

static int failures()
{
	constexpr std::size_t huge = std::size_t{1} << 62;
	out_of_memory("new", [] { return ::operator new(huge); });
	out_of_memory("new[]", [] { return ::operator new[](huge); });
	out_of_memory("new nothrow", [] { return ::operator new(huge, std::nothrow); });
	out_of_memory("new[] nothrow", [] { return ::operator new[](huge, std::nothrow); });
	out_of_memory("new aligned", [] { return ::operator new(huge, alignment); });
	out_of_memory("new[] aligned", [] { return ::operator new[](huge, alignment); });
	out_of_memory("new aligned nothrow", [] { return ::operator new(huge, alignment, std::nothrow); });
	out_of_memory("new[] aligned nothrow",
		      [] { return ::operator new[](huge, alignment, std::nothrow); });
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && std::strcmp(argv[1], "failures") == 0)
		return failures();
	/* Before the sites: stdout's buffer is allocated at the first printf. */
	std::printf("sites\n");
	counted("site_new", site_new);
	counted("site_new_array", site_new_array);
	counted("site_new_nothrow", site_new_nothrow);
	counted("site_new_array_nothrow", site_new_array_nothrow);
	counted("site_new_aligned", site_new_aligned);
	counted("site_new_array_aligned", site_new_array_aligned);
	counted("site_new_aligned_nothrow", site_new_aligned_nothrow);
	counted("site_new_array_aligned_nothrow", site_new_array_aligned_nothrow);
	std::printf("kept %ld\n", kept_count);
	return totals_wrong;
}
