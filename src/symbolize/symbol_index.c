#include "symbol_index.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct symbol {
	uint64_t start;
	uint64_t end; /* == start for a label */
	/* The furthest end of this and all symbols before it in the sorted order: a
	   backward scan for the symbol containing pc stops where this is <= pc. */
	uint64_t furthest_end;
	const char *name; /* owned by libdw, alive as long as the module */
	uint32_t order;   /* position in the file's table, for a stable sort */
	uint8_t binding_rank;
};

/* Sized symbols, and labels (sizeless symbols, as hand-written assembly has), each
   sorted. */
struct symbol_index {
	struct symbol *sized, *labels;
	size_t sized_count, label_count;
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

/* By address; at one address libdw's preference first: the stronger binding, then
   the smaller symbol, then the file's order. */
static int compare_symbols(const void *left_pointer, const void *right_pointer)
{
	const struct symbol *left = left_pointer, *right = right_pointer;
	if (left->start != right->start)
		return left->start < right->start ? -1 : 1;
	if (left->binding_rank != right->binding_rank)
		return left->binding_rank > right->binding_rank ? -1 : 1;
	if (left->end != right->end)
		return left->end < right->end ? -1 : 1;
	return left->order < right->order ? -1 : left->order > right->order;
}

/* A stable sort by start address, one pass per byte in which the starts differ: a
   module spans a few MiB, so three passes. Ties keep the file's order. */
static void radix_sort_by_start(struct symbol *symbols, struct symbol *scratch, size_t count)
{
	uint64_t varying = 0;
	for (size_t i = 1; i < count; i++)
		varying |= symbols[i].start ^ symbols[0].start;
	struct symbol *from = symbols, *to = scratch;
	for (unsigned shift = 0; shift < 64; shift += 8) {
		if (!((varying >> shift) & 0xff))
			continue;
		size_t starts[256] = {0};
		for (size_t i = 0; i < count; i++)
			starts[(from[i].start >> shift) & 0xff]++;
		size_t position = 0;
		for (unsigned digit = 0; digit < 256; digit++) {
			size_t here = starts[digit];
			starts[digit] = position;
			position += here;
		}
		for (size_t i = 0; i < count; i++)
			to[starts[(from[i].start >> shift) & 0xff]++] = from[i];
		struct symbol *sorted = to;
		to = from;
		from = sorted;
	}
	if (from != symbols)
		memcpy(symbols, from, count * sizeof *symbols);
}

/* Puts each run of symbols at one address in compare_symbols' order: the runs are
   aliases, a few symbols long. */
static void order_aliases(struct symbol *symbols, size_t count)
{
	for (size_t i = 1; i < count; i++) {
		struct symbol moving = symbols[i];
		size_t j = i;
		for (; j > 0 && symbols[j - 1].start == moving.start &&
		       compare_symbols(&symbols[j - 1], &moving) > 0;
		     j--)
			symbols[j] = symbols[j - 1];
		symbols[j] = moving;
	}
}

/* In compare_symbols' order. qsort of libc's full table (10,000 symbols with its
   debug file) was a third of a short process's exit dump: 3.4M instructions, where
   this takes 1.3M. */
static void sort_symbols(struct symbol *symbols, size_t count)
{
	struct symbol *scratch = count > 1 ? malloc(count * sizeof *scratch) : NULL;
	if (!scratch) {
		qsort(symbols, count, sizeof *symbols, compare_symbols);
		return;
	}
	radix_sort_by_start(symbols, scratch, count);
	free(scratch);
	order_aliases(symbols, count);
}

static struct symbol symbol_of(const struct symbol_table_entry *entry, int index)
{
	return (struct symbol){
		.start = entry->start,
		.end = entry->start + entry->size,
		.name = entry->name,
		.order = (uint32_t)index,
		.binding_rank = binding_rank(entry->binding),
	};
}

static bool read_symbols(const struct symbol_table *table, struct symbol_index *index)
{
	index->sized = malloc((size_t)table->count * sizeof *index->sized);
	index->labels = malloc((size_t)table->count * sizeof *index->labels);
	if (!index->sized || !index->labels)
		return false;
	for (int i = 1; i < table->count; i++) {
		struct symbol_table_entry entry;
		if (!symbol_table_get(table, i, &entry))
			continue;
		if (entry.size)
			index->sized[index->sized_count++] = symbol_of(&entry, i);
		else
			index->labels[index->label_count++] = symbol_of(&entry, i);
	}
	sort_symbols(index->sized, index->sized_count);
	sort_symbols(index->labels, index->label_count);
	uint64_t furthest = 0;
	for (size_t i = 0; i < index->sized_count; i++) {
		if (index->sized[i].end > furthest)
			furthest = index->sized[i].end;
		index->sized[i].furthest_end = furthest;
	}
	return true;
}

struct symbol_index *symbol_index_build(const struct symbol_table *table)
{
	struct symbol_index *index = calloc(1, sizeof *index);
	if (!index)
		return NULL;
	if (!read_symbols(table, index)) {
		symbol_index_free(index);
		return NULL;
	}
	return index;
}

/* The number of symbols in `symbols` that start at or below pc. */
static size_t count_at_or_below(const struct symbol *symbols, size_t count, uint64_t pc)
{
	size_t low = 0, high = count;
	while (low < high) {
		size_t middle = low + (high - low) / 2;
		if (symbols[middle].start <= pc)
			low = middle + 1;
		else
			high = middle;
	}
	return low;
}

static const struct symbol *sized_symbol_at(const struct symbol_index *index, uint64_t pc)
{
	const struct symbol *found = NULL;
	for (size_t i = count_at_or_below(index->sized, index->sized_count, pc); i > 0; i--) {
		const struct symbol *symbol = &index->sized[i - 1];
		if (found ? symbol->start != found->start : symbol->furthest_end <= pc)
			break;
		/* At one address the sort put the preferred symbol first, so the one this
		   backward walk meets last wins. */
		if (symbol->end > pc)
			found = symbol;
	}
	return found;
}

/* Whether a label could name pc: libdw takes the closest one at or below pc that
   no sized symbol below pc reaches past, if it passes section tests of its own. */
static bool label_may_name(const struct symbol_index *index, uint64_t pc)
{
	size_t labels_below = count_at_or_below(index->labels, index->label_count, pc);
	if (labels_below == 0)
		return false;
	size_t sized_below = count_at_or_below(index->sized, index->sized_count, pc);
	uint64_t sized_reach = sized_below ? index->sized[sized_below - 1].furthest_end : 0;
	return index->labels[labels_below - 1].start >= sized_reach;
}

const char *symbol_index_lookup(const struct symbol_index *index, uint64_t pc, bool *ask_libdw)
{
	const struct symbol *symbol = sized_symbol_at(index, pc);
	*ask_libdw = !symbol && label_may_name(index, pc);
	return symbol ? symbol->name : NULL;
}

/* What symbol_index_lookup answers, from one pass over the table: the sized symbol
   containing pc that starts closest below it, preferred as compare_symbols orders
   aliases; else whether the closest label at or below pc lies beyond every sized
   symbol below pc. */
const char *symbol_index_scan(const struct symbol_table *table, uint64_t pc, bool *ask_libdw)
{
	struct symbol found = {0};
	bool any_found = false, any_label = false;
	uint64_t sized_reach = 0, label_start = 0;
	for (int i = 1; i < table->count; i++) {
		struct symbol_table_entry entry;
		if (symbol_table_starts_above(table, i, pc) || !symbol_table_get(table, i, &entry) ||
		    entry.start > pc)
			continue;
		if (!entry.size) {
			label_start = any_label && label_start > entry.start ? label_start : entry.start;
			any_label = true;
			continue;
		}
		struct symbol symbol = symbol_of(&entry, i);
		if (symbol.end > sized_reach)
			sized_reach = symbol.end;
		if (symbol.end > pc &&
		    (!any_found || symbol.start > found.start ||
		     (symbol.start == found.start && compare_symbols(&symbol, &found) < 0))) {
			found = symbol;
			any_found = true;
		}
	}
	*ask_libdw = !any_found && any_label && label_start >= sized_reach;
	return any_found ? found.name : NULL;
}

void symbol_index_free(struct symbol_index *index)
{
	if (!index)
		return;
	free(index->sized);
	free(index->labels);
	free(index);
}
