#include "go_utf8.h"

size_t go_utf8_length(const char *text)
{
	const unsigned char *at = (const unsigned char *)text;
	unsigned char lead = at[0], low = 0x80, high = 0xbf;
	size_t length;
	if (lead < 0x80)
		return 1;
	if (lead >= 0xc2 && lead <= 0xdf) {
		length = 2;
	} else if (lead >= 0xe0 && lead <= 0xef) {
		length = 3;
		low = lead == 0xe0 ? 0xa0 : 0x80;
		high = lead == 0xed ? 0x9f : 0xbf;
	} else if (lead >= 0xf0 && lead <= 0xf4) {
		length = 4;
		low = lead == 0xf0 ? 0x90 : 0x80;
		high = lead == 0xf4 ? 0x8f : 0xbf;
	} else {
		return 0;
	}
	if (at[1] < low || at[1] > high)
		return 0;
	for (size_t i = 2; i < length; i++)
		if ((at[i] & 0xc0) != 0x80)
			return 0;
	return length;
}

size_t go_utf8_count(const char *text)
{
	size_t count = 0;
	for (size_t length; *text; text += length ? length : 1, count++)
		length = go_utf8_length(text);
	return count;
}
