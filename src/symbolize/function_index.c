#include "function_index.h"

#include <dwarf.h>
#include <stdlib.h>

struct function_range {
	Dwarf_Addr low, high;
	Dwarf_Die die;
};

struct function_index {
	size_t count, capacity;
	struct function_range *ranges;
};

/* Namespaces and classes nest deeper than this only in generated code. */
#define MAX_SCOPE_DEPTH 32

static bool add_range(struct function_index *index, Dwarf_Addr low, Dwarf_Addr high, const Dwarf_Die *die)
{
	if (index->count == index->capacity) {
		size_t capacity = index->capacity ? index->capacity * 2 : 64;
		struct function_range *grown = realloc(index->ranges, capacity * sizeof *grown);
		if (!grown)
			return false;
		index->ranges = grown;
		index->capacity = capacity;
	}
	index->ranges[index->count++] = (struct function_range){low, high, *die};
	return true;
}

/* A function split into hot and cold parts has a range for each. */
static bool add_function(const struct libdw_api *dw, struct function_index *index, Dwarf_Die *die)
{
	Dwarf_Addr base, low, high;
	ptrdiff_t offset = 0;
	while ((offset = dw->dwarf_ranges(die, offset, &base, &low, &high)) > 0) {
		if (low < high && !add_range(index, low, high, die))
			return false;
	}
	return true;
}

/* Out-of-line function bodies sit at the unit's top level, or in a namespace or
   class there: the children of a function are its inlined copies, not more bodies. */
static bool add_scope(const struct libdw_api *dw, struct function_index *index, Dwarf_Die *scope, int depth)
{
	Dwarf_Die child;
	if (depth > MAX_SCOPE_DEPTH || dw->dwarf_child(scope, &child) != 0)
		return true;
	do {
		switch (dw->dwarf_tag(&child)) {
		case DW_TAG_subprogram:
			if (!add_function(dw, index, &child))
				return false;
			break;
		case DW_TAG_namespace:
		case DW_TAG_class_type:
		case DW_TAG_structure_type:
		case DW_TAG_union_type:
			if (!add_scope(dw, index, &child, depth + 1))
				return false;
			break;
		default:
			break;
		}
	} while (dw->dwarf_siblingof(&child, &child) == 0);
	return true;
}

static int compare_ranges(const void *left_pointer, const void *right_pointer)
{
	const struct function_range *left = left_pointer, *right = right_pointer;
	return left->low < right->low ? -1 : left->low > right->low;
}

struct function_index *function_index_build(const struct libdw_api *dw, Dwarf_Die *unit)
{
	struct function_index *index = calloc(1, sizeof *index);
	if (!index)
		return NULL;
	if (!add_scope(dw, index, unit, 0)) {
		function_index_free(index);
		return NULL;
	}
	qsort(index->ranges, index->count, sizeof index->ranges[0], compare_ranges);
	return index;
}

bool function_index_find(const struct function_index *index, Dwarf_Addr address, Dwarf_Die *function)
{
	size_t low = 0, high = index->count;
	while (low < high) {
		size_t middle = low + (high - low) / 2;
		if (index->ranges[middle].low <= address)
			low = middle + 1;
		else
			high = middle;
	}
	if (low == 0 || address >= index->ranges[low - 1].high)
		return false;
	*function = index->ranges[low - 1].die;
	return true;
}

void function_index_free(struct function_index *index)
{
	if (!index)
		return;
	free(index->ranges);
	free(index);
}
