/* Stack capture for sampled allocations, through libunwind loaded privately. */
#ifndef HEAPPROF_UNWIND_H
#define HEAPPROF_UNWIND_H

#include <stdbool.h>
#include <stdint.h>

/* Loads libunwind with RTLD_LOCAL: linked as an ordinary dependency, its _Unwind_*
   and backtrace would enter the program's global scope and take over C++ exception
   handling. Must run outside malloc (it calls dlopen). False if unavailable. */
bool unwind_load(void);

/* Fills `pcs` with up to `max` return addresses, innermost first, each minus one so
   it falls inside the call instruction: `caller` (the allocation function's return
   address) and its callers. heapprof's own frames are not included. Uses the
   unwinder options.unwinder names; the frame-pointer walk falls back to libunwind
   when it finds no chain beyond `caller`. Returns the count. */
unsigned unwind_capture(uintptr_t *pcs, unsigned max, uintptr_t caller);

#endif
