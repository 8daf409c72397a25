/* Functions whose code test_symbolize looks up: each records the address of a call
   it makes (a return address minus one, as an unwinder reports it) and the lines
   the symbolizer should give for it. Built with -g -O2. */
#ifndef HEAPPROF_TEST_SYMBOLIZE_FIXTURE_H
#define HEAPPROF_TEST_SYMBOLIZE_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FIXTURE_NOINLINE __attribute__((noinline, noclone))

struct fixture_capture {
	uintptr_t pc;
	int line; /* of the call at pc */
	/* The lines calling each inlined function, the innermost's first. */
	int inlined_call_lines[2];
};

extern volatile struct fixture_capture fixture_capture;

uintptr_t fixture_return_site(void);

/* Records the pc of a call and that call's line: a macro puts both on one line. */
#define FIXTURE_CAPTURE()                                   \
	do {                                                \
		fixture_capture.line = __LINE__;            \
		fixture_capture.pc = fixture_return_site(); \
	} while (0)

/* The first line of each function's definition. */
extern const int fixture_static_function_line, fixture_inner_inline_line, fixture_outer_inline_line,
	fixture_call_inlined_line, fixture_method_line, fixture_anonymous_line, fixture_template_line,
	fixture_cloned_function_line;

void fixture_call_static(void);
void fixture_call_inlined(void);
void fixture_call_cloned(void);
void fixture_call_method(void);
void fixture_call_anonymous(void);
void fixture_call_template(void);
size_t fixture_containers(int count);

#ifdef __cplusplus
}
#endif

#endif
