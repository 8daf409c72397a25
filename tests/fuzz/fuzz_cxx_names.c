/* libFuzzer target for the names the library and the CLI demangle (src/symbolize/
   cxx_names.c): any bytes as a symbol, named the same on a second call. The
   demangler's bounds keep each input within milliseconds (run_fuzz.sh's -timeout). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cxx_names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *symbol = malloc(size + 1);
	memcpy(symbol, data, size);
	symbol[size] = '\0';
	char *name = cxx_names_demangle(symbol), *again = cxx_names_demangle(symbol);
	if (!name != !again || (name && strcmp(name, again) != 0))
		abort();
	free(name);
	free(again);
	free(symbol);
	return 0;
}
