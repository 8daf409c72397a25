/* Reads the GNU build ID of an ELF file, to tell whether a file on this
   machine is the binary a profile's mapping names. */
#ifndef HEAPPROF_TOOLS_ELF_BUILD_ID_H
#define HEAPPROF_TOOLS_ELF_BUILD_ID_H

#include <stdbool.h>
#include <stddef.h>

/* Writes the build ID as lower-case hex (as pprof stores it) into hex;
   false when the file is not a readable 64-bit ELF file with one. */
bool elf_build_id_read(const char *path, char *hex, size_t hex_size);

#endif
