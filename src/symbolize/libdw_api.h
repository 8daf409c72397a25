/* The elfutils functions this folder uses (libdw's, and libelf's beneath it), as a
   table: the preload library fills it from a private dlopen of libdw, whose lookups
   reach libelf too (libdw_dlopen.c), the CLI from its link (libdw_linked.c). */
#ifndef HEAPPROF_LIBDW_API_H
#define HEAPPROF_LIBDW_API_H

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stddef.h>

#define LIBDW_FUNCTIONS(X)              \
	X(dwfl_begin)                   \
	X(dwfl_end)                     \
	X(dwfl_report_begin_add)        \
	X(dwfl_report_elf)              \
	X(dwfl_report_end)              \
	X(dwfl_addrmodule)              \
	X(dwfl_module_addrinfo)         \
	X(dwfl_module_getsymtab)        \
	X(dwfl_module_getsym_info)      \
	X(dwfl_module_getsrc)           \
	X(dwfl_lineinfo)                \
	X(dwfl_module_addrdie)          \
	X(dwfl_module_build_id)         \
	X(dwfl_module_info)             \
	X(dwfl_offline_section_address) \
	X(dwarf_getscopes)              \
	X(dwarf_child)                  \
	X(dwarf_siblingof)              \
	X(dwarf_ranges)                 \
	X(dwarf_haspc)                  \
	X(dwarf_getscopes_die)          \
	X(dwarf_attr)                   \
	X(dwarf_tag)                    \
	X(dwarf_attr_integrate)         \
	X(dwarf_formstring)             \
	X(dwarf_formudata)              \
	X(dwarf_getsrcfiles)            \
	X(dwarf_filesrc)                \
	X(dwarf_decl_line)              \
	X(dwarf_diecu)                  \
	X(dwarf_formref_die)            \
	X(dwarf_srclang)                \
	X(dwarf_diename)                \
	X(elf_getshdrnum)               \
	X(elf_getscn)                   \
	X(elf64_getehdr)                \
	X(elf64_getshdr)                \
	X(elf_getdata)

#define LIBDW_MEMBER(name) __typeof__(name) *name;

struct libdw_api {
	LIBDW_FUNCTIONS(LIBDW_MEMBER)
};

/* The table, or NULL when elfutils cannot be used (a "heapprof:" line says why). */
const struct libdw_api *libdw_api_load(void);

#endif
