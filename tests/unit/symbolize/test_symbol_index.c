/* symbol_index must name every address in a sized symbol as libdw's own linear
   search does: checked over the modules of this very process (libc's full symbol
   table included when its debug file is installed), at each function's first,
   middle, last and one-past bytes, just beyond, and over a sweep of the code. */
#include "symbol_index.h"

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

static void compare_at(Dwfl_Module *module, const struct symbol_index *index, GElf_Addr pc)
{
	GElf_Off offset;
	GElf_Sym symbol;
	const char *expected = dwfl_module_addrinfo(module, pc, &offset, &symbol, NULL, NULL, NULL);
	bool ask_libdw;
	const char *actual = symbol_index_lookup(index, pc, &ask_libdw);
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
static void sweep_code(Dwfl_Module *module, const struct symbol_index *index)
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
			compare_at(module, index, pc);
	}
}

static int check_module(Dwfl_Module *module, void **userdata, const char *name, Dwarf_Addr start, void *arg)
{
	(void)userdata, (void)name, (void)start, (void)arg;
	struct symbol_index *index = symbol_index_build(dw, module);
	int total = dwfl_module_getsymtab(module);
	if (total <= 1) {
		CHECK(!index);
		return DWARF_CB_OK;
	}
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
		compare_at(module, index, address);
		compare_at(module, index, address + symbol.st_size / 2);
		compare_at(module, index, address + (symbol.st_size ? symbol.st_size - 1 : 0));
		compare_at(module, index, address + symbol.st_size);
		compare_at(module, index, address + symbol.st_size + 7);
	}
	sweep_code(module, index);
	symbol_index_free(index);
	return DWARF_CB_OK;
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
	CHECK(dwfl_getmodules(dwfl, check_module, NULL, 0) == 0);
	/* The executable, libc, libdw, libelf and their neighbours: thousands of symbols. */
	CHECK(compared > 10000);
	dwfl_end(dwfl);
	return 0;
}
