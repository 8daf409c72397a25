/* A module's symbol table, symbol by symbol as libdw numbers and adjusts it, read in
   place from the ELF data libdw already holds: dwfl_module_getsym_info costs ~270
   instructions a symbol, most of them a section header looked up and copied for
   each, and a module's table is read whole to name anything in it. */
#ifndef HEAPPROF_SYMBOL_TABLE_H
#define HEAPPROF_SYMBOL_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "libdw_api.h"

struct symbol_table {
	const struct libdw_api *dw;
	Dwfl_Module *module;
	int count; /* as dwfl_module_getsymtab counts them, the null symbol 0 included */
	/* The one ELF table libdw reads all of them from, or NULL: then each symbol is
	   libdw's (a table merged with MiniDebugInfo's, a machine whose symbol values
	   libdw rewrites, a relocatable file). */
	const Elf64_Sym *symbols;
	const char *strings;
	size_t strings_size;
	uint64_t bias;      /* the load bias of the file the table is in */
	uint8_t *allocated; /* per section: whether it is SHF_ALLOC */
	size_t section_count;
};

/* A symbol that names code: its address with the load bias, as libdw gives it. */
struct symbol_table_entry {
	uint64_t start, size;
	const char *name; /* libdw's own string, alive as long as the module */
	unsigned binding;
};

/* False when the module has no symbol table. */
bool symbol_table_open(const struct libdw_api *dw, Dwfl_Module *module, struct symbol_table *table);

/* Symbol `index` (1 to count - 1), when it can name code: it has a name, lies in a
   loaded section or is absolute, and is no section, file or thread-local symbol. */
bool symbol_table_get(const struct symbol_table *table, int index, struct symbol_table_entry *entry);

/* Whether symbol `index`, read in place, starts above `pc` as symbol_table_get would
   give it; false where that needs symbol_table_get (absolute, common and
   SHN_XINDEX symbols, whose start is not value plus bias). A scan for the symbol at
   one address passes over most of a table with this alone. */
static inline bool symbol_table_starts_above(const struct symbol_table *table, int index, uint64_t pc)
{
	return table->symbols && table->symbols[index].st_shndx < SHN_LORESERVE &&
	       table->symbols[index].st_value + table->bias > pc;
}

void symbol_table_close(struct symbol_table *table);

#endif
