/* Names each line of standard input as the library's symbolizer names a symbol:
   pprof's name for a mangled one, the symbol itself for any other. The whole-table
   comparison with go tool pprof (tests/tools/cxx_symbol_tables.py) runs it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cxx_names.h"

int main(void)
{
	char *line = NULL;
	size_t size = 0;
	ssize_t length;
	while ((length = getline(&line, &size, stdin)) > 0) {
		if (line[length - 1] == '\n')
			line[length - 1] = '\0';
		char *name = cxx_names_demangle(line);
		puts(name ? name : line);
		free(name);
	}
	free(line);
	return 0;
}
