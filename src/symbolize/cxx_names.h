/* C++ names as pprof shows them: demangled, without parameters, template arguments
   or return type; legacy Rust names without their hash. The symbolizer names frames
   so, and the CLI names a profile's functions so where pprof's symbolizer would.
   Plain C: the demanglers are libiberty's, linked in. */
#ifndef HEAPPROF_CXX_NAMES_H
#define HEAPPROF_CXX_NAMES_H

/* pprof's name for `name` when it is a mangled C++ or legacy Rust name: a new
   string, which the caller frees. NULL when it is not one, cannot be demangled within the bounds in
   docs/cli.md ("Names"), or memory runs out: the name then stands as it is. */
char *cxx_names_demangle(const char *name);

/* Writes the form pprof shows of a demangled C++ name (no return type, template
   arguments or parameters) into `out`, which has room for strlen(name) + 1 bytes. */
void cxx_names_simplify(const char *name, char *out);

#endif
