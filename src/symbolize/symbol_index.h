/* A module's symbol table sorted by address, for naming many addresses: libdw's
   dwfl_module_addrinfo scans the whole table on every call, and a distribution's
   libc has tens of thousands of symbols. A few addresses are named by one pass
   over the table each, without the index. */
#ifndef HEAPPROF_SYMBOL_INDEX_H
#define HEAPPROF_SYMBOL_INDEX_H

#include <stdbool.h>
#include <stdint.h>

#include "symbol_table.h"

struct symbol_index;

/* NULL when out of memory. */
struct symbol_index *symbol_index_build(const struct symbol_table *table);

/* The name of the sized symbol `pc` is in, chosen as libdw chooses: the closest one
   that contains pc, a global one before a weak or local one at the same address.
   NULL if there is none; then *ask_libdw says whether a sizeless symbol (an
   assembly label) might name pc, which only libdw's own search decides. */
const char *symbol_index_lookup(const struct symbol_index *index, uint64_t pc, bool *ask_libdw);

/* What symbol_index_lookup would answer for the table's index, without building it:
   one pass over the table. */
const char *symbol_index_scan(const struct symbol_table *table, uint64_t pc, bool *ask_libdw);

void symbol_index_free(struct symbol_index *index);

#endif
