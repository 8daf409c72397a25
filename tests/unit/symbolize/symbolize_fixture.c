#include "symbolize_fixture.h"

volatile struct fixture_capture fixture_capture;

FIXTURE_NOINLINE uintptr_t fixture_return_site(void)
{
	return (uintptr_t)__builtin_return_address(0) - 1;
}

const int fixture_static_function_line = __LINE__ + 1;
static FIXTURE_NOINLINE void static_function(void)
{
	FIXTURE_CAPTURE();
}

void fixture_call_static(void)
{
	static_function();
}

const int fixture_inner_inline_line = __LINE__ + 1;
static inline __attribute__((always_inline)) void inner_inline(void)
{
	FIXTURE_CAPTURE();
}

const int fixture_outer_inline_line = __LINE__ + 1;
static inline __attribute__((always_inline)) void outer_inline(void)
{
	/* The call is on the next line: the style puts each statement on a line of its own. */
	fixture_capture.inlined_call_lines[0] = __LINE__ + 1;
	inner_inline();
}

const int fixture_call_inlined_line = __LINE__ + 1;
FIXTURE_NOINLINE void fixture_call_inlined(void)
{
	fixture_capture.inlined_call_lines[1] = __LINE__ + 1;
	outer_inline();
}

/* GCC clones this function for the constant its one caller passes: its code is
   cloned_function.constprop.0, which test_symbolize checks is there. */
static volatile int cloned_function_sink;
const int fixture_cloned_function_line = __LINE__ + 1;
static __attribute__((noinline)) void cloned_function(int scale)
{
	cloned_function_sink *= scale;
	FIXTURE_CAPTURE();
}

void fixture_call_cloned(void)
{
	cloned_function(3);
}
