#include "units.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "go_utf8.h"

struct unit {
	const char *name;
	const char *aliases[4];
	double factor; /* size of one of these in the kind's base unit */
};

struct unit_kind {
	const struct unit *units;
	int n_units;
	struct unit fallback; /* used when the target unit is not of this kind */
};

static const struct unit byte_units[] = {
	{"B", {"b", "byte"}, 1},
	{"kB", {"kb", "kbyte", "kilobyte"}, 1024.0},
	{"MB", {"mb", "mbyte", "megabyte"}, 1048576.0},
	{"GB", {"gb", "gbyte", "gigabyte"}, 1073741824.0},
	{"TB", {"tb", "tbyte", "terabyte"}, 1099511627776.0},
	{"PB", {"pb", "pbyte", "petabyte"}, 1125899906842624.0},
};

static const struct unit time_units[] = {
	{"ns", {"ns", "nanosecond"}, 1},    {"us", {"\xce\xbcs", "us", "microsecond"}, 1e3},
	{"ms", {"ms", "millisecond"}, 1e6}, {"s", {"s", "sec", "second"}, 1e9},
	{"hrs", {"hour", "hr"}, 3600e9},
};

static const struct unit gcu_units[] = {
	{"n*GCU", {"nanogcu"}, 1e-9}, {"u*GCU", {"microgcu"}, 1e-6}, {"m*GCU", {"milligcu"}, 1e-3},
	{"GCU", {"gcu"}, 1},          {"k*GCU", {"kilogcu"}, 1e3},   {"M*GCU", {"megagcu"}, 1e6},
	{"G*GCU", {"gigagcu"}, 1e9},  {"T*GCU", {"teragcu"}, 1e12},  {"P*GCU", {"petagcu"}, 1e15},
};

#define COUNT(array) ((int)(sizeof(array) / sizeof *(array)))

static const struct unit_kind kinds[] = {
	{byte_units, COUNT(byte_units), {"B", {0}, 1}},
	{time_units, COUNT(time_units), {"s", {0}, 1e9}},
	{gcu_units, COUNT(gcu_units), {"GCU", {0}, 1}},
};

/* pprof lower-cases the name and drops one trailing 's' from names longer
   than two bytes, so "Bytes" and "seconds" are found but "ms" stays "ms". */
static const struct unit *find_unit(const struct unit_kind *kind, const char *name)
{
	char simple[64];
	size_t length = strlen(name);
	if (length >= sizeof simple)
		return NULL;
	for (size_t i = 0; i < length; i++)
		simple[i] = (char)tolower((unsigned char)name[i]);
	if (length > 2 && simple[length - 1] == 's')
		length--;
	simple[length] = '\0';
	for (int i = 0; i < kind->n_units; i++)
		for (int j = 0; j < 4 && kind->units[i].aliases[j]; j++)
			if (!strcmp(simple, kind->units[i].aliases[j]))
				return &kind->units[i];
	return NULL;
}

/* The largest unit in which the value is at least 1. */
static const struct unit *readable_unit(const struct unit_kind *kind, double base_value)
{
	const struct unit *best = NULL;
	for (int i = 0; i < kind->n_units; i++)
		if ((!best || kind->units[i].factor >= best->factor) &&
		    base_value / kind->units[i].factor >= 1.0)
			best = &kind->units[i];
	return best;
}

static int convert(const struct unit_kind *kind, int64_t value, const char *from_unit, const char *to_unit,
		   double *result, const char **unit_out)
{
	const struct unit *from = find_unit(kind, from_unit);
	if (!from)
		return 0;
	double base_value = (double)value * from->factor;
	const struct unit *to;
	if (!strcmp(to_unit, "minimum") || !strcmp(to_unit, "auto"))
		to = readable_unit(kind, base_value);
	else
		to = find_unit(kind, to_unit);
	if (!to)
		to = &kind->fallback;
	*result = base_value / to->factor;
	*unit_out = to->name;
	return 1;
}

double units_scale(int64_t value, const char *from_unit, const char *to_unit, const char **unit_out)
{
	if (value < 0 && value != INT64_MIN) {
		double magnitude = units_scale(-value, from_unit, to_unit, unit_out);
		return -magnitude;
	}
	double result;
	for (int i = 0; i < COUNT(kinds); i++)
		if (convert(&kinds[i], value, from_unit, to_unit, &result, unit_out))
			return result;
	static const char *const plain[] = {"count", "sample", "unit", "minimum", "auto"};
	*unit_out = to_unit;
	for (int i = 0; i < COUNT(plain); i++)
		if (!strcmp(to_unit, plain[i]))
			*unit_out = "";
	return (double)value;
}

bool units_compatible(const char *left, const char *right)
{
	if (!strcmp(left, right))
		return true;
	for (int i = 0; i < COUNT(kinds); i++)
		if (find_unit(&kinds[i], left) && find_unit(&kinds[i], right))
			return true;
	return false;
}

void units_label(char text[VALUE_TEXT_SIZE], int64_t value, const char *from_unit, const char *to_unit)
{
	const char *unit_name;
	double scaled = units_scale(value, from_unit, to_unit, &unit_name);
	char number[VALUE_TEXT_SIZE];
	snprintf(number, sizeof number, "%.2f", scaled);
	size_t length = strlen(number);
	if (length >= 3 && !strcmp(number + length - 3, ".00"))
		number[length - 3] = '\0';
	if (!strcmp(number, "0") || !strcmp(number, "-0")) {
		strcpy(text, "0");
		return;
	}
	snprintf(text, VALUE_TEXT_SIZE, "%s%s", number, unit_name);
}

int units_width(const char *text, int width)
{
	return width + (int)(strlen(text) - go_utf8_count(text));
}

void units_percentage(char text[VALUE_TEXT_SIZE], int64_t value, int64_t total)
{
	double ratio = 0;
	if (total != 0)
		ratio = fabs((double)value / (double)total) * 100;
	if (ratio >= 99.95 && ratio <= 100.05)
		snprintf(text, VALUE_TEXT_SIZE, "  100%%");
	else if (ratio >= 1.0)
		snprintf(text, VALUE_TEXT_SIZE, "%5.2f%%", ratio);
	else
		snprintf(text, VALUE_TEXT_SIZE, "%5.2g%%", ratio);
}
