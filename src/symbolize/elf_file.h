/* What the symbolizer reads from an ELF file's own headers before libdw sees it:
   where the file is loaded and whether it carries its DWARF itself. */
#ifndef HEAPPROF_ELF_FILE_H
#define HEAPPROF_ELF_FILE_H

#include <stdbool.h>
#include <stdint.h>

/* The load bias that places the segment at `file_offset` at `start`, from the
   file's program headers, and whether the file has a .debug_info section of its
   own. False when the file cannot be read, is not a 64-bit ELF file, or maps
   nothing at `file_offset`. */
bool elf_file_load_bias(const char *path, uint64_t start, uint64_t file_offset, uint64_t *bias,
			bool *embedded_dwarf);

#endif
