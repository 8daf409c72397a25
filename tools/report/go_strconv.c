#include "go_strconv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reader/diag.h"

static char lower(char c)
{
	return (char)(c | 0x20);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex_letter(char c)
{
	return lower(c) >= 'a' && lower(c) <= 'f';
}

/* Go's underscoreOK: a '_' only between digits, or after a base prefix. */
static bool underscores_ok(const char *s)
{
	char saw = '^'; /* ^ the start, 0 a digit or prefix, _ an underscore, ! anything else */
	if (*s == '+' || *s == '-')
		s++;
	bool hex = false;
	size_t i = 0;
	if (s[0] == '0' && s[1] && (lower(s[1]) == 'b' || lower(s[1]) == 'o' || lower(s[1]) == 'x')) {
		i = 2;
		saw = '0';
		hex = lower(s[1]) == 'x';
	}
	for (; s[i]; i++) {
		if (is_digit(s[i]) || (hex && is_hex_letter(s[i]))) {
			saw = '0';
		} else if (s[i] == '_') {
			if (saw != '0')
				return false;
			saw = '_';
		} else if (saw == '_') {
			return false;
		} else {
			saw = '!';
		}
	}
	return saw != '_';
}

/* The base a base-0 number's prefix gives, and where its digits start. */
static int prefixed_base(const char **s)
{
	const char *text = *s;
	if (text[0] != '0')
		return 10;
	bool long_enough = strlen(text) >= 3;
	int base = long_enough && lower(text[1]) == 'b'   ? 2
		   : long_enough && lower(text[1]) == 'o' ? 8
		   : long_enough && lower(text[1]) == 'x' ? 16
							  : 0;
	*s += base ? 2 : 1;
	return base ? base : 8;
}

/* strconv.ParseUint(s, base, 64). */
static bool parse_uint64(const char *s, int base, uint64_t *value)
{
	const char *whole = s;
	if (!*s)
		return false;
	bool base0 = base == 0, underscores = false;
	if (base0)
		base = prefixed_base(&s);
	uint64_t n = 0;
	for (; *s; s++) {
		if (*s == '_' && base0) {
			underscores = true;
			continue;
		}
		int digit = is_digit(*s)                           ? *s - '0'
			    : lower(*s) >= 'a' && lower(*s) <= 'z' ? lower(*s) - 'a' + 10
								   : 99;
		if (digit >= base || n > (UINT64_MAX - (uint64_t)digit) / (uint64_t)base)
			return false;
		n = n * (uint64_t)base + (uint64_t)digit;
	}
	if (underscores && !underscores_ok(whole))
		return false;
	*value = n;
	return true;
}

bool go_parse_int64(const char *text, int base, int64_t *value)
{
	bool negative = *text == '-';
	uint64_t magnitude;
	if (!*text || !parse_uint64(text + (*text == '+' || *text == '-'), base, &magnitude))
		return false;
	if (magnitude > (negative ? (uint64_t)1 << 63 : ((uint64_t)1 << 63) - 1))
		return false;
	*value = negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
	return true;
}

/* How many bytes of text prefix match word, ignoring case. */
static size_t common_prefix(const char *text, const char *word)
{
	size_t n = 0;
	while (text[n] && word[n] && lower(text[n]) == word[n])
		n++;
	return n;
}

/* Go's special: [+-]inf, [+-]infinity, nan. Returns the bytes taken, 0 if none. */
static size_t special_value(const char *text, double *value)
{
	size_t sign = *text == '+' || *text == '-';
	if (sign || lower(*text) == 'i') {
		size_t n = common_prefix(text + sign, "infinity");
		if (n > 3 && n < 8)
			n = 3;
		if (n == 3 || n == 8) {
			*value = *text == '-' ? -INFINITY : INFINITY;
			return sign + n;
		}
	} else if (common_prefix(text, "nan") == 3) {
		*value = NAN;
		return 3;
	}
	return 0;
}

/* The end of the digits (with '.' and '_') of a float's mantissa; NULL
   without a digit. */
static const char *mantissa_end(const char *s, bool hex)
{
	bool dot = false, digits = false;
	for (;; s++) {
		if (*s == '.' && !dot)
			dot = true;
		else if (is_digit(*s) || (hex && is_hex_letter(*s)))
			digits = true;
		else if (*s != '_')
			return digits ? s : NULL;
	}
}

/* Go's readFloat, for whether text is a float in Go's syntax, whole. */
static bool float_syntax(const char *text)
{
	const char *s = text + (*text == '+' || *text == '-');
	bool hex = s[0] == '0' && lower(s[1]) == 'x' && s[2];
	s = mantissa_end(s + (hex ? 2 : 0), hex);
	if (!s)
		return false;
	if (lower(*s) == (hex ? 'p' : 'e')) {
		s++;
		s += *s == '+' || *s == '-';
		if (!is_digit(*s))
			return false;
		s += strspn(s, "0123456789_");
	} else if (hex) {
		return false; /* a hexadecimal mantissa needs its exponent */
	}
	return !*s && (!strchr(text, '_') || underscores_ok(text));
}

bool go_parse_float64(const char *text, double *value)
{
	size_t special = special_value(text, value);
	if (special || !float_syntax(text))
		return special && !text[special];
	char *digits = diag_malloc(strlen(text) + 1), *out = digits;
	for (const char *in = text; *in; in++)
		if (*in != '_')
			*out++ = *in;
	*out = '\0';
	*value = strtod(digits, NULL);
	free(digits);
	return !isinf(*value);
}

bool go_parse_bool(const char *text, bool *value)
{
	static const char *const truths[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const falsehoods[] = {"0", "f", "F", "FALSE", "false", "False"};
	for (size_t i = 0; i < sizeof truths / sizeof *truths; i++) {
		if (!strcmp(text, truths[i]) || !strcmp(text, falsehoods[i])) {
			*value = !strcmp(text, truths[i]);
			return true;
		}
	}
	return false;
}
