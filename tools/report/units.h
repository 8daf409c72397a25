/* Measurement units as pprof understands them: recognizing a unit by its
   aliases, converting between units of one kind (bytes, time, GCU), choosing
   a readable scale, and formatting values and percentages exactly as
   go tool pprof prints them. */
#ifndef HEAPPROF_TOOLS_UNITS_H
#define HEAPPROF_TOOLS_UNITS_H

#include <stdbool.h>
#include <stdint.h>

enum { VALUE_TEXT_SIZE = 64 };

/* Converts value from from_unit to to_unit ("minimum" or "auto" pick a readable
   unit). *unit_out is the unit the result is in, "" when it is a plain count. */
double units_scale(int64_t value, const char *from_unit, const char *to_unit, const char **unit_out);

/* Whether pprof's measurement package takes two units for one kind: the
   same string, or both known units of one kind ("kB" and "Bytes"). */
bool units_compatible(const char *left, const char *right);

/* "1.50MB", "312", "0": the value scaled to to_unit with two decimals at most. */
void units_label(char text[VALUE_TEXT_SIZE], int64_t value, const char *from_unit, const char *to_unit);

/* The printf width that pads text to width characters as Go's fmt counts
   them (runes: "1.50μs" is six), for "%*s". */
int units_width(const char *text, int width);

/* " 3.10%", "  100%", "0.021%": value as a share of total, padded to 5 places. */
void units_percentage(char text[VALUE_TEXT_SIZE], int64_t value, int64_t total);

#endif
