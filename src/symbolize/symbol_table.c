#include "symbol_table.h"

#include <stdlib.h>

/* libdw takes a symbol's value as it is on these machines; ARM's carry the Thumb bit
   and ppc64's point at function descriptors, and there libdw rewrites them. */
static bool values_kept(unsigned machine)
{
	return machine == EM_X86_64 || machine == EM_AARCH64;
}

static Elf_Scn *section_of_type(const struct libdw_api *dw, Elf *elf, size_t count, unsigned type)
{
	for (size_t i = 1; i < count; i++) {
		Elf_Scn *section = dw->elf_getscn(elf, i);
		Elf64_Shdr *header = section ? dw->elf64_getshdr(section) : NULL;
		if (header && header->sh_type == type)
			return section;
	}
	return NULL;
}

/* libdw reads a file's .symtab where it has one, else its .dynsym. */
static Elf_Scn *table_section(const struct libdw_api *dw, Elf *elf, size_t count)
{
	Elf_Scn *symtab = section_of_type(dw, elf, count, SHT_SYMTAB);
	return symtab ? symtab : section_of_type(dw, elf, count, SHT_DYNSYM);
}

/* Whether libdw's symbol `index` is ours: the same string, from the same file. */
static bool same_as_libdw(const struct symbol_table *table, int index, Elf *elf)
{
	GElf_Sym symbol;
	GElf_Addr address;
	Elf *symbol_elf = NULL;
	Dwarf_Addr bias = 0;
	const char *name = table->dw->dwfl_module_getsym_info(table->module, index, &symbol, &address, NULL,
							      &symbol_elf, &bias);
	const Elf64_Sym *ours = &table->symbols[index];
	return name && symbol_elf == elf && bias == table->bias && ours->st_name < table->strings_size &&
	       name == table->strings + ours->st_name;
}

static uint8_t *allocated_sections(const struct libdw_api *dw, Elf *elf, size_t count)
{
	uint8_t *allocated = malloc(count ? count : 1);
	for (size_t i = 0; allocated && i < count; i++) {
		Elf_Scn *section = dw->elf_getscn(elf, i);
		Elf64_Shdr *header = section ? dw->elf64_getshdr(section) : NULL;
		/* libdw counts a section whose header it cannot read as loaded. */
		allocated[i] = !header || (header->sh_flags & SHF_ALLOC);
	}
	return allocated;
}

/* Points the table at the ELF symbols libdw reads, when they are all one section's
   and libdw uses their values unchanged; it agrees at the first and last symbol. */
static void read_in_place(struct symbol_table *table)
{
	const struct libdw_api *dw = table->dw;
	GElf_Sym symbol;
	GElf_Addr address;
	Elf *elf = NULL;
	Dwarf_Addr bias = 0;
	size_t section_count;
	if (!dw->dwfl_module_getsym_info(table->module, 1, &symbol, &address, NULL, &elf, &bias) || !elf ||
	    dw->elf_getshdrnum(elf, &section_count) != 0)
		return;
	Elf64_Ehdr *header = dw->elf64_getehdr(elf);
	Elf_Scn *section = header && header->e_type != ET_REL && values_kept(header->e_machine)
				   ? table_section(dw, elf, section_count)
				   : NULL;
	Elf64_Shdr *section_header = section ? dw->elf64_getshdr(section) : NULL;
	Elf_Data *symbols = section_header ? dw->elf_getdata(section, NULL) : NULL;
	Elf_Scn *string_section = symbols ? dw->elf_getscn(elf, section_header->sh_link) : NULL;
	Elf_Data *strings = string_section ? dw->elf_getdata(string_section, NULL) : NULL;
	/* A string table that does not end its last string is left to libdw, which checks
	   each name: a name read in place could run past the table. */
	if (!strings || !strings->d_size || ((const char *)strings->d_buf)[strings->d_size - 1] ||
	    symbols->d_type != ELF_T_SYM || symbols->d_size / sizeof(Elf64_Sym) != (size_t)table->count)
		return;
	table->symbols = symbols->d_buf;
	table->strings = strings->d_buf;
	table->strings_size = strings->d_size;
	table->bias = bias;
	if (!same_as_libdw(table, 1, elf) || !same_as_libdw(table, table->count - 1, elf) ||
	    !(table->allocated = allocated_sections(dw, elf, section_count))) {
		table->symbols = NULL;
		return;
	}
	table->section_count = section_count;
}

bool symbol_table_open(const struct libdw_api *dw, Dwfl_Module *module, struct symbol_table *table)
{
	*table =
		(struct symbol_table){.dw = dw, .module = module, .count = dw->dwfl_module_getsymtab(module)};
	if (table->count <= 1)
		return false;
	read_in_place(table);
	return true;
}

static bool names_code(unsigned type)
{
	return type != STT_SECTION && type != STT_FILE && type != STT_TLS;
}

static bool get_from_libdw(const struct symbol_table *table, int index, struct symbol_table_entry *entry)
{
	GElf_Sym symbol;
	GElf_Addr address;
	GElf_Word section;
	const char *name = table->dw->dwfl_module_getsym_info(table->module, index, &symbol, &address,
							      &section, NULL, NULL);
	/* libdw says -1 for a section that is not loaded. */
	if (!name || !name[0] || !names_code(GELF_ST_TYPE(symbol.st_info)) || section == SHN_UNDEF ||
	    (int32_t)section == -1)
		return false;
	*entry = (struct symbol_table_entry){address, symbol.st_size, name, GELF_ST_BIND(symbol.st_info)};
	return true;
}

bool symbol_table_get(const struct symbol_table *table, int index, struct symbol_table_entry *entry)
{
	if (!table->symbols)
		return get_from_libdw(table, index, entry);
	const Elf64_Sym *symbol = &table->symbols[index];
	unsigned section = symbol->st_shndx;
	if (section == SHN_XINDEX)
		return get_from_libdw(table, index, entry);
	if (section == SHN_UNDEF || !names_code(ELF64_ST_TYPE(symbol->st_info)) ||
	    symbol->st_name >= table->strings_size || !table->strings[symbol->st_name])
		return false;
	if (section < SHN_LORESERVE && section < table->section_count && !table->allocated[section])
		return false;
	/* As libdw: the load bias for every value but an absolute or common one. */
	uint64_t bias = section == SHN_ABS || section == SHN_COMMON ? 0 : table->bias;
	*entry =
		(struct symbol_table_entry){symbol->st_value + bias, symbol->st_size,
					    table->strings + symbol->st_name, ELF64_ST_BIND(symbol->st_info)};
	return true;
}

void symbol_table_close(struct symbol_table *table)
{
	free(table->allocated);
	table->allocated = NULL;
	table->symbols = NULL;
}
