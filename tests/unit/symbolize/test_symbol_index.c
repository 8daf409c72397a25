/* symbol_index must name every address in a sized symbol as libdw's own linear
   search does: checked over the modules of this very process (libc's full symbol
   table included when its debug file is installed), at each function's first,
   middle, last and one-past bytes, just beyond, past the module's last symbol, and
   over a sweep of the code. A scan of the table (a module's first few addresses)
   must answer as the index does, and the table read in place must give every
   symbol as libdw gives it. */
#include "symbol_index.h"

#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

static const struct libdw_api *dw;
static unsigned long compared;

/* A function with another inside it, as hand-written assembly has them: the address
   just past the inner one is still the outer one's. check_module compares it with
   this executable's other symbols. */
__asm__(".text\n"
	".globl nested_outer\n.type nested_outer, @function\nnested_outer:\n.skip 16, 0x90\n"
	".globl nested_inner\n.type nested_inner, @function\nnested_inner:\n.skip 16, 0x90\n"
	".size nested_inner, 16\n.skip 32, 0x90\n.size nested_outer, 64\n");

/* Aliases at one address, each reaching 16 bytes further: at each address the
   global one that ends first covering it, then the weak one, then the local one. */
__asm__(".text\n"
	".globl alias_small\n.type alias_small, @function\n.globl alias_large\n.type alias_large, @function\n"
	".weak alias_weak\n.type alias_weak, @function\n.type alias_local, @function\n"
	"alias_small:\nalias_large:\nalias_weak:\nalias_local:\n.skip 64, 0x90\n"
	".size alias_small, 16\n.size alias_large, 32\n.size alias_weak, 48\n.size alias_local, 64\n"
	".globl sizeless_label\n.type sizeless_label, @function\nsizeless_label:\n.skip 16, 0x90\n");
extern char alias_small[], sizeless_label[];

static void compare_scan(const struct symbol_table *table, const struct symbol_index *index, GElf_Addr pc)
{
	bool index_asks, scan_asks;
	const char *indexed = symbol_index_lookup(index, pc, &index_asks);
	const char *scanned = symbol_index_scan(table, pc, &scan_asks);
	if (indexed != scanned || index_asks != scan_asks)
		CHECK_FAILED("at %#llx: the index says %s%s, a scan %s%s", (unsigned long long)pc,
			     indexed ? indexed : "(none)", index_asks ? " (ask libdw)" : "",
			     scanned ? scanned : "(none)", scan_asks ? " (ask libdw)" : "");
}

static void compare_at(Dwfl_Module *module, const struct symbol_table *table,
		       const struct symbol_index *index, GElf_Addr pc)
{
	GElf_Off offset;
	GElf_Sym symbol;
	const char *expected = dwfl_module_addrinfo(module, pc, &offset, &symbol, NULL, NULL, NULL);
	bool ask_libdw;
	const char *actual = symbol_index_lookup(index, pc, &ask_libdw);
	compare_scan(table, index, pc);
	compared++;
	if (ask_libdw) {
		/* The index must not defer where a sized symbol names pc. */
		CHECK(!actual && (!expected || symbol.st_size == 0));
		return;
	}
	if (!expected && !actual)
		return;
	if (!expected || !actual || strcmp(expected, actual) != 0)
		CHECK_FAILED("%s at %#llx: libdw says %s, the index %s",
			     dwfl_module_info(module, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
			     (unsigned long long)pc, expected ? expected : "(none)",
			     actual ? actual : "(none)");
}

/* Addresses all over the module's code, as return addresses are: in functions only
   a full symbol table names, in padding, at section ends. */
static void sweep_code(Dwfl_Module *module, const struct symbol_table *table,
		       const struct symbol_index *index)
{
	GElf_Addr bias;
	Elf *elf = dwfl_module_getelf(module, &bias);
	CHECK(elf);
	for (Elf_Scn *section = NULL; (section = elf_nextscn(elf, section));) {
		GElf_Shdr header;
		CHECK(gelf_getshdr(section, &header));
		if (!(header.sh_flags & SHF_EXECINSTR))
			continue;
		GElf_Addr start = header.sh_addr + bias, end = start + header.sh_size;
		for (GElf_Addr pc = start; pc <= end + 16; pc += header.sh_size / 1500 + 1)
			compare_at(module, table, index, pc);
	}
}

/* Every symbol read in place is the one libdw reads: a table left to libdw's
   dwfl_module_getsym_info agrees on each. */
static void compare_with_libdw(const struct symbol_table *table)
{
	struct symbol_table from_libdw = *table;
	from_libdw.symbols = NULL;
	for (int i = 1; i < table->count; i++) {
		struct symbol_table_entry ours, theirs;
		bool named = symbol_table_get(table, i, &ours);
		CHECK(named == symbol_table_get(&from_libdw, i, &theirs));
		if (named)
			CHECK(ours.start == theirs.start && ours.size == theirs.size &&
			      ours.name == theirs.name && ours.binding == theirs.binding);
	}
}

/* The first byte past every symbol of the module. */
static GElf_Addr end_of_symbols(const struct symbol_table *table)
{
	GElf_Addr end = 0;
	for (int i = 1; i < table->count; i++) {
		struct symbol_table_entry entry;
		if (symbol_table_get(table, i, &entry) && entry.start + entry.size > end)
			end = entry.start + (entry.size ? entry.size : 1);
	}
	return end;
}

static int check_module(Dwfl_Module *module, void **userdata, const char *name, Dwarf_Addr start, void *arg)
{
	(void)userdata, (void)name, (void)start, (void)arg;
	struct symbol_table table;
	bool opened = symbol_table_open(dw, module, &table);
	int total = dwfl_module_getsymtab(module);
	if (total <= 1) {
		CHECK(!opened);
		return DWARF_CB_OK;
	}
	CHECK(opened);
	/* Every table here is one ELF section, read in place. */
	CHECK(table.symbols);
	compare_with_libdw(&table);
	struct symbol_index *index = symbol_index_build(&table);
	CHECK(index);
	/* Every symbol of a small module; a sample of a large one's, so the O(n) libdw
	   side of the comparison stays within seconds. */
	int step = total > 2000 ? total / 2000 : 1;
	for (int i = 1; i < total; i += step) {
		GElf_Sym symbol;
		GElf_Addr address;
		const char *symbol_name =
			dwfl_module_getsym_info(module, i, &symbol, &address, NULL, NULL, NULL);
		if (!symbol_name || GELF_ST_TYPE(symbol.st_info) != STT_FUNC || symbol.st_shndx == SHN_UNDEF)
			continue;
		compare_at(module, &table, index, address);
		compare_at(module, &table, index, address + symbol.st_size / 2);
		compare_at(module, &table, index, address + (symbol.st_size ? symbol.st_size - 1 : 0));
		compare_at(module, &table, index, address + symbol.st_size);
		compare_at(module, &table, index, address + symbol.st_size + 7);
	}
	GElf_Addr end = end_of_symbols(&table);
	compare_at(module, &table, index, end);
	compare_at(module, &table, index, end + 4096);
	sweep_code(module, &table, index);
	symbol_index_free(index);
	symbol_table_close(&table);
	return DWARF_CB_OK;
}

/* The aliases and the label above, named by the index and by a scan alike. */
static void check_fixtures(Dwfl *dwfl)
{
	static const char *const expected[] = {"alias_small", "alias_large", "alias_weak", "alias_local"};
	Dwfl_Module *module = dwfl_addrmodule(dwfl, (uintptr_t)alias_small);
	struct symbol_table table;
	CHECK(module && symbol_table_open(dw, module, &table));
	struct symbol_index *index = symbol_index_build(&table);
	CHECK(index);
	bool ask_libdw;
	for (unsigned i = 0; i < 4; i++) {
		for (unsigned byte = 0; byte < 16; byte += 5) {
			GElf_Addr pc = (uintptr_t)alias_small + 16 * i + byte;
			const char *name = symbol_index_scan(&table, pc, &ask_libdw);
			CHECK(name && strcmp(name, expected[i]) == 0 && !ask_libdw);
			compare_at(module, &table, index, pc);
		}
	}
	/* A sizeless symbol: neither names it, both leave it to libdw, which does. */
	GElf_Addr label = (uintptr_t)sizeless_label + 4;
	CHECK(!symbol_index_scan(&table, label, &ask_libdw) && ask_libdw);
	compare_at(module, &table, index, label);
	GElf_Off offset;
	GElf_Sym symbol;
	const char *libdw_name = dwfl_module_addrinfo(module, label, &offset, &symbol, NULL, NULL, NULL);
	CHECK(libdw_name && strcmp(libdw_name, "sizeless_label") == 0);
	symbol_index_free(index);
	symbol_table_close(&table);
}

/* A copy of this executable whose symbol string table does not end its last string:
   read in place, a name there would run past the table, so the table is libdw's. */
static void check_unterminated_strings(void)
{
	FILE *self = fopen("/proc/self/exe", "rb");
	CHECK(self);
	static char image[64 << 20];
	size_t length = fread(image, 1, sizeof image, self);
	fclose(self);
	const Elf64_Ehdr *header = (const Elf64_Ehdr *)image;
	CHECK(length > sizeof *header &&
	      header->e_shoff + (size_t)header->e_shnum * sizeof(Elf64_Shdr) <= length);
	const Elf64_Shdr *sections = (const Elf64_Shdr *)(image + header->e_shoff);
	const Elf64_Shdr *strings = NULL;
	for (unsigned i = 0; i < header->e_shnum && !strings; i++) {
		if (sections[i].sh_type == SHT_SYMTAB)
			strings = &sections[sections[i].sh_link];
	}
	CHECK(strings && strings->sh_size && strings->sh_offset + strings->sh_size <= length);
	image[strings->sh_offset + strings->sh_size - 1] = 'x';
	char path[] = "/tmp/heapprof-symbols-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0 && write(fd, image, length) == (ssize_t)length);
	close(fd);
	const Dwfl_Callbacks callbacks = {.find_elf = dwfl_build_id_find_elf,
					  .find_debuginfo = dwfl_standard_find_debuginfo};
	Dwfl *dwfl = dwfl_begin(&callbacks);
	CHECK(dwfl);
	Dwfl_Module *module = dwfl_report_elf(dwfl, "unterminated", path, -1, 0x100000, false);
	CHECK(module && dwfl_report_end(dwfl, NULL, NULL) == 0);
	struct symbol_table table;
	CHECK(symbol_table_open(dw, module, &table));
	CHECK(!table.symbols);
	struct symbol_table_entry entry;
	unsigned named = 0;
	for (int i = 1; i < table.count; i++)
		named += symbol_table_get(&table, i, &entry);
	CHECK(named > 10);
	symbol_table_close(&table);
	dwfl_end(dwfl);
	unlink(path);
}

int main(void)
{
	dw = libdw_api_load();
	char *debuginfo_path = NULL;
	const Dwfl_Callbacks callbacks = {
		.find_elf = dwfl_linux_proc_find_elf,
		.find_debuginfo = dwfl_standard_find_debuginfo,
		.debuginfo_path = &debuginfo_path,
	};
	unsetenv("DEBUGINFOD_URLS");
	Dwfl *dwfl = dwfl_begin(&callbacks);
	CHECK(dwfl);
	CHECK(dwfl_linux_proc_report(dwfl, getpid()) == 0);
	CHECK(dwfl_report_end(dwfl, NULL, NULL) == 0);
	check_fixtures(dwfl);
	check_unterminated_strings();
	CHECK(dwfl_getmodules(dwfl, check_module, NULL, 0) == 0);
	/* The executable, libc, libdw, libelf and their neighbours: thousands of symbols. */
	CHECK(compared > 10000);
	dwfl_end(dwfl);
	return 0;
}
