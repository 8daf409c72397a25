#include "symbol_index.h"

#include <stdbool.h>
#include <stdlib.h>

struct symbol {
	uint64_t start;
	uint64_t end;
	/* The furthest end of this and all symbols before it in the sorted order: a
	   backward scan for the symbol containing pc stops where this is <= pc. */
	uint64_t furthest_end;
	const char *name; /* owned by libdw, alive as long as the module */
	uint32_t order;   /* position in the file's table, for a stable sort */
	uint8_t binding_rank;
};

struct symbol_index {
	size_t count;
	struct symbol symbols[];
};

/* Global before unique before weak before local, as libdw prefers them. */
static uint8_t binding_rank(unsigned binding)
{
	switch (binding) {
	case STB_GLOBAL:
		return 3;
	case STB_GNU_UNIQUE:
		return 2;
	case STB_WEAK:
		return 1;
	default:
		return 0;
	}
}

/* Sizeless symbols (assembly labels) are left to libdw, which checks their section. */
static bool indexed(const GElf_Sym *symbol, const char *name, GElf_Word section)
{
	unsigned type = GELF_ST_TYPE(symbol->st_info);
	return name && name[0] && symbol->st_size > 0 && type != STT_SECTION && type != STT_FILE &&
	       type != STT_TLS && section != SHN_UNDEF && (int32_t)section != -1;
}

/* By address; at one address the preferred binding first, then the file's order. */
static int compare_symbols(const void *left_pointer, const void *right_pointer)
{
	const struct symbol *left = left_pointer, *right = right_pointer;
	if (left->start != right->start)
		return left->start < right->start ? -1 : 1;
	if (left->binding_rank != right->binding_rank)
		return left->binding_rank > right->binding_rank ? -1 : 1;
	return left->order < right->order ? -1 : left->order > right->order;
}

struct symbol_index *symbol_index_build(const struct libdw_api *dw, Dwfl_Module *module)
{
	int total = dw->dwfl_module_getsymtab(module);
	if (total <= 1)
		return NULL;
	struct symbol_index *index = malloc(sizeof *index + (size_t)total * sizeof(struct symbol));
	if (!index)
		return NULL;
	index->count = 0;
	for (int i = 1; i < total; i++) {
		GElf_Sym symbol;
		GElf_Addr address;
		GElf_Word section;
		const char *name = dw->dwfl_module_getsym_info(module, i, &symbol, &address, &section, NULL, NULL);
		if (!indexed(&symbol, name, section))
			continue;
		index->symbols[index->count++] = (struct symbol){
			.start = address,
			.end = address + symbol.st_size,
			.name = name,
			.order = (uint32_t)i,
			.binding_rank = binding_rank(GELF_ST_BIND(symbol.st_info)),
		};
	}
	qsort(index->symbols, index->count, sizeof index->symbols[0], compare_symbols);
	uint64_t furthest = 0;
	for (size_t i = 0; i < index->count; i++) {
		if (index->symbols[i].end > furthest)
			furthest = index->symbols[i].end;
		index->symbols[i].furthest_end = furthest;
	}
	return index;
}

/* The number of symbols that start at or below pc. */
static size_t count_at_or_below(const struct symbol_index *index, uint64_t pc)
{
	size_t low = 0, high = index->count;
	while (low < high) {
		size_t middle = low + (high - low) / 2;
		if (index->symbols[middle].start <= pc)
			low = middle + 1;
		else
			high = middle;
	}
	return low;
}

const char *symbol_index_lookup(const struct symbol_index *index, uint64_t pc)
{
	const struct symbol *found = NULL;
	for (size_t i = count_at_or_below(index, pc); i > 0; i--) {
		const struct symbol *symbol = &index->symbols[i - 1];
		if (found ? symbol->start != found->start : symbol->furthest_end <= pc)
			break;
		/* At one address the sort put the preferred symbol first, so the one this
		   backward walk meets last wins. */
		if (symbol->end > pc)
			found = symbol;
	}
	return found ? found->name : NULL;
}

void symbol_index_free(struct symbol_index *index)
{
	free(index);
}
