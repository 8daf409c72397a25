/* C++ names as pprof shows them: demangled, without parameters, template arguments
   or return type. The symbolizer names frames so, and the CLI names a profile's
   functions so where pprof's symbolizer would. Plain C: no libdw, no C++ runtime of
   its own (the demangler is passed in). */
#ifndef HEAPPROF_CXX_NAMES_H
#define HEAPPROF_CXX_NAMES_H

#include <stddef.h>

/* The C++ ABI's demangler, __cxa_demangle. */
typedef char *cxx_demangler(const char *mangled, char *buffer, size_t *length, int *status);

/* pprof's name for `name` when it is a mangled C++ name: a new string, which the
   caller frees. NULL when it is not one, `demangle` (which may be NULL) cannot
   demangle it, or memory runs out: the name then stands as it is. */
char *cxx_names_demangle(cxx_demangler *demangle, const char *name);

/* Writes the form pprof shows of a name as __cxa_demangle writes it (no return type,
   template arguments or parameters) into `out`, which has room for strlen(name) + 1
   bytes. */
void cxx_names_simplify(const char *name, char *out);

#endif
