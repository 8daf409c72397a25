/* A module's symbol table sorted by address, for naming many addresses: libdw's
   dwfl_module_addrinfo scans the whole table on every call, and a distribution's
   libc has tens of thousands of symbols. */
#ifndef HEAPPROF_SYMBOL_INDEX_H
#define HEAPPROF_SYMBOL_INDEX_H

#include <stdbool.h>
#include <stdint.h>

#include "libdw_api.h"

struct symbol_index;

/* NULL when out of memory or the module has no symbol table. */
struct symbol_index *symbol_index_build(const struct libdw_api *dw, Dwfl_Module *module);

/* The name of the sized symbol `pc` is in, chosen as libdw chooses: the closest one
   that contains pc, a global one before a weak or local one at the same address.
   NULL if there is none; then *ask_libdw says whether a sizeless symbol (an
   assembly label) might name pc, which only libdw's own search decides. */
const char *symbol_index_lookup(const struct symbol_index *index, uint64_t pc, bool *ask_libdw);

void symbol_index_free(struct symbol_index *index);

#endif
