/* An allocation whose caller leaves no frame chain: malloc is called with %rbp cleared,
   as code built without frame pointers may leave it, so a frame-pointer walk ends at
   the allocation's caller and HEAPPROF_UNWIND=fp must fall back to libunwind for the
   rest of the stack. Built with -fomit-frame-pointer (meson.build). Prints the site's
   exact totals at rate 1: "site alloc_objects alloc_space inuse_objects inuse_space". */
#include <stdio.h>
#include <stdlib.h>

enum { COUNT = 1000, SIZE = 200, KEPT = 300 };

static void *blocks[COUNT];

__attribute__((noinline)) static void *allocate_without_frame_chain(size_t size)
{
	register long frame_pointer __asm__("rbp") = 0;
	__asm__ volatile("" : "+r"(frame_pointer));
	void *block = malloc(size);
	/* Keeps the cleared %rbp live across the call. */
	__asm__ volatile("" : : "r"(frame_pointer));
	return block;
}

int main(void)
{
	for (int i = 0; i < COUNT; i++)
		blocks[i] = allocate_without_frame_chain(SIZE);
	for (int i = KEPT; i < COUNT; i++)
		free(blocks[i]);
	printf("allocate_without_frame_chain %d %d %d %d\n", COUNT, COUNT * SIZE, KEPT, KEPT * SIZE);
	return 0;
}
