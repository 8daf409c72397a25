#include "symbolize.h"

#include "cxx_names.h"
#include "descriptors.h"
#include "elf_file.h"
#include "frame_cache.h"
#include "function_index.h"
#include "symbol_index.h"

#include <dwarf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The function index of one compilation unit, by the address of its entry. */
struct unit_functions {
	const void *unit;
	struct function_index *index; /* NULL when it could not be built */
	struct unit_functions *next;
};

/* What the symbolizer keeps per module, in the module's userdata slot. */
struct module_data {
	Dwfl_Module *module;
	uint64_t start;      /* of the mapping it was added for */
	bool embedded_dwarf; /* the module's own file carries DWARF */
	bool symbols_tried, has_symbols;
	struct symbol_table table;
	size_t scans; /* addresses named by scanning the table, up to the index */
	struct symbol_index *symbols;
	struct unit_functions *units;
	struct module_data *next;
};

struct symbolizer {
	const struct libdw_api *dw;
	Dwfl *dwfl;
	Dwfl_Callbacks callbacks;
	char *debuginfo_path;
	bool reporting; /* between dwfl_report_begin_add and dwfl_report_end */
	bool skip_separate_dwarf;
	bool without_function_index;
	struct frame_cache frames;
	struct module_data *modules;
};

#define DEBUG_DIRECTORY "/usr/lib/debug"

/* The table the callbacks below use: libdw gives them no context of their own. */
static const struct libdw_api *callback_api;

/* Files are always reported by path: there is nothing to find. */
static int no_elf_lookup(Dwfl_Module *module, void **userdata, const char *name, Dwarf_Addr base,
			 char **file_name, Elf **elf)
{
	(void)module, (void)userdata, (void)name, (void)base, (void)file_name, (void)elf;
	return -1;
}

static int open_debug_file(const char *path, char **found)
{
	int fd = descriptor_open_read_only(path);
	if (fd >= 0 && !(*found = strdup(path))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Separate debug information, looked for on this machine only: by build ID under
   /usr/lib/debug/.build-id, then by .gnu_debuglink beside the file, in .debug/ and
   under /usr/lib/debug. libdw's standard lookup would also start the debuginfod
   client, which initialises libcurl and OpenSSL: at exit, after OpenSSL's own
   cleanup, that crashes the host (and it may reach for the network). */
static int find_local_debuginfo(Dwfl_Module *module, void **userdata, const char *name, Dwarf_Addr base,
				const char *file_name, const char *debuglink, GElf_Word crc, char **found)
{
	(void)userdata, (void)name, (void)base, (void)crc;
	char path[4096];
	const unsigned char *id;
	GElf_Addr id_address;
	int length = callback_api->dwfl_module_build_id(module, &id, &id_address);
	if (length > 1 && (size_t)length * 2 + 64 < sizeof path) {
		int used = snprintf(path, sizeof path, DEBUG_DIRECTORY "/.build-id/%02x/", id[0]);
		for (int i = 1; i < length; i++)
			used += snprintf(path + used, sizeof path - (size_t)used, "%02x", id[i]);
		snprintf(path + used, sizeof path - (size_t)used, ".debug");
		int fd = open_debug_file(path, found);
		if (fd >= 0)
			return fd;
	}
	if (!debuglink || !file_name)
		return -1;
	const char *slash = strrchr(file_name, '/');
	int directory = slash ? (int)(slash - file_name) : 0;
	static const char *const layouts[] = {"%.*s/%s", "%.*s/.debug/%s", DEBUG_DIRECTORY "%.*s/%s"};
	for (unsigned i = 0; i < sizeof layouts / sizeof layouts[0]; i++) {
		if (snprintf(path, sizeof path, layouts[i], directory, file_name, debuglink) >=
		    (int)sizeof path)
			continue;
		int fd = strcmp(path, file_name) == 0 ? -1 : open_debug_file(path, found);
		if (fd >= 0)
			return fd;
	}
	return -1;
}

struct symbolizer *symbolizer_create(const struct libdw_api *dw)
{
	struct symbolizer *symbolizer = calloc(1, sizeof *symbolizer);
	if (!symbolizer)
		return NULL;
	symbolizer->dw = dw;
	callback_api = dw;
	symbolizer->callbacks.find_elf = no_elf_lookup;
	symbolizer->callbacks.find_debuginfo = find_local_debuginfo;
	symbolizer->callbacks.section_address = dw->dwfl_offline_section_address;
	symbolizer->callbacks.debuginfo_path = &symbolizer->debuginfo_path;
	symbolizer->dwfl = dw->dwfl_begin(&symbolizer->callbacks);
	if (!symbolizer->dwfl) {
		free(symbolizer);
		return NULL;
	}
	return symbolizer;
}

void symbolizer_skip_separate_dwarf(struct symbolizer *symbolizer)
{
	symbolizer->skip_separate_dwarf = true;
}

void symbolizer_without_function_index(struct symbolizer *symbolizer)
{
	symbolizer->without_function_index = true;
}

void symbolizer_destroy(struct symbolizer *symbolizer)
{
	if (!symbolizer)
		return;
	symbolizer->dw->dwfl_end(symbolizer->dwfl);
	frame_cache_clear(&symbolizer->frames);
	while (symbolizer->modules) {
		struct module_data *next = symbolizer->modules->next;
		symbol_index_free(symbolizer->modules->symbols);
		symbol_table_close(&symbolizer->modules->table);
		while (symbolizer->modules->units) {
			struct unit_functions *unit = symbolizer->modules->units;
			symbolizer->modules->units = unit->next;
			function_index_free(unit->index);
			free(unit);
		}
		free(symbolizer->modules);
		symbolizer->modules = next;
	}
	free(symbolizer);
}

bool symbolizer_add_mapping(struct symbolizer *symbolizer, const char *path, uint64_t start, uint64_t limit,
			    uint64_t file_offset)
{
	(void)limit;
	uint64_t bias;
	bool embedded_dwarf = false;
	if (!elf_file_load_bias(path, start, file_offset, &bias, &embedded_dwarf))
		return false;
	if (!symbolizer->reporting) {
		symbolizer->dw->dwfl_report_begin_add(symbolizer->dwfl);
		symbolizer->reporting = true;
	}
	/* libdw keeps the file open for the process's life: ours, close-on-exec and out of
	   the numbers the program's files take, rather than the plain open it would make.
	   It is libdw's once reported; ours to close if the report fails. For ET_DYN, BASE
	   with add_p_vaddr is the load bias; ET_EXEC ignores it. */
	int fd = descriptor_open_read_only(path);
	if (fd < 0)
		return false;
	Dwfl_Module *module = symbolizer->dw->dwfl_report_elf(symbolizer->dwfl, path, path, fd, bias, true);
	if (!module)
		close(fd);
	void **userdata;
	if (!module ||
	    !symbolizer->dw->dwfl_module_info(module, &userdata, NULL, NULL, NULL, NULL, NULL, NULL))
		return false;
	if (!*userdata) {
		struct module_data *data = calloc(1, sizeof *data);
		if (!data)
			return false;
		data->module = module;
		data->start = start;
		data->embedded_dwarf = embedded_dwarf;
		data->next = symbolizer->modules;
		symbolizer->modules = data;
		*userdata = data;
	}
	return true;
}

static struct module_data *module_data_of(struct symbolizer *symbolizer, Dwfl_Module *module)
{
	void **userdata;
	if (!symbolizer->dw->dwfl_module_info(module, &userdata, NULL, NULL, NULL, NULL, NULL, NULL))
		return NULL;
	return *userdata;
}

/* The DIE that declares `die`: through its abstract origin (an inlined or out-of-line
   instance) and its specification (a definition outside its class). */
static Dwarf_Die *declaration_of(const struct libdw_api *dw, Dwarf_Die *die, Dwarf_Die *storage)
{
	static const int links[] = {DW_AT_abstract_origin, DW_AT_specification};
	Dwarf_Die *current = die;
	for (unsigned i = 0; i < sizeof links / sizeof links[0]; i++) {
		Dwarf_Attribute attribute;
		if (dw->dwarf_attr(current, links[i], &attribute) &&
		    dw->dwarf_formref_die(&attribute, storage))
			current = storage;
	}
	return current;
}

static bool is_cplusplus(const struct libdw_api *dw, Dwarf_Die *die)
{
	Dwarf_Die unit;
	if (!dw->dwarf_diecu(die, &unit, NULL, NULL))
		return false;
	int language = dw->dwarf_srclang(&unit);
	return language == DW_LANG_C_plus_plus || language == DW_LANG_C_plus_plus_11 ||
	       language == DW_LANG_C_plus_plus_14 || language == 0x21 /* C++17 */ ||
	       language == 0x2a /* C++20 */;
}

/* "ns::Class::name" from the scopes around the declaration: GCC writes no linkage
   name for functions with internal linkage, such as those in anonymous namespaces. */
static char *qualified_name(const struct libdw_api *dw, Dwarf_Die *die, const char *name)
{
	Dwarf_Die storage, *declaration = declaration_of(dw, die, &storage);
	Dwarf_Die *scopes = NULL;
	int count = dw->dwarf_getscopes_die(declaration, &scopes);
	size_t length = strlen(name) + 1;
	for (int i = 1; i < count; i++)
		length += strlen(dw->dwarf_diename(&scopes[i]) ? dw->dwarf_diename(&scopes[i])
							       : "(anonymous namespace)") +
			  2;
	char *qualified = malloc(length);
	if (qualified) {
		qualified[0] = '\0';
		for (int i = count - 1; i >= 1; i--) {
			int tag = dw->dwarf_tag(&scopes[i]);
			if (tag != DW_TAG_namespace && tag != DW_TAG_class_type &&
			    tag != DW_TAG_structure_type && tag != DW_TAG_union_type)
				continue;
			const char *scope = dw->dwarf_diename(&scopes[i]);
			strcat(qualified, scope ? scope : "(anonymous namespace)");
			strcat(qualified, "::");
		}
		strcat(qualified, name);
	}
	free(scopes);
	return qualified;
}

static const char *linkage_name(const struct libdw_api *dw, Dwarf_Die *die)
{
	Dwarf_Attribute attribute;
	if (dw->dwarf_attr_integrate(die, DW_AT_linkage_name, &attribute) ||
	    dw->dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attribute))
		return dw->dwarf_formstring(&attribute);
	return NULL;
}

/* A function's linkage name, or for C++ functions without one its qualified name (in
   *scratch, which the caller frees); NULL if the DIE has no name. */
static const char *die_function_name(const struct libdw_api *dw, Dwarf_Die *die, char **scratch)
{
	Dwarf_Attribute attribute;
	const char *name = linkage_name(dw, die);
	if (name)
		return name;
	if (dw->dwarf_attr_integrate(die, DW_AT_name, &attribute))
		name = dw->dwarf_formstring(&attribute);
	if (name && is_cplusplus(dw, die)) {
		*scratch = qualified_name(dw, die, name);
		if (*scratch)
			return *scratch;
	}
	return name;
}

static int64_t die_unsigned(const struct libdw_api *dw, Dwarf_Die *die, int name)
{
	Dwarf_Attribute attribute;
	Dwarf_Word value;
	if (!dw->dwarf_attr_integrate(die, name, &attribute) || dw->dwarf_formudata(&attribute, &value) != 0)
		return 0;
	return (int64_t)value;
}

/* The file an inlined call was made from, by index into its unit's file table. */
static const char *call_file(const struct libdw_api *dw, Dwarf_Die *inlined)
{
	Dwarf_Die unit;
	Dwarf_Files *files;
	size_t count;
	int64_t index = die_unsigned(dw, inlined, DW_AT_call_file);
	if (!dw->dwarf_diecu(inlined, &unit, NULL, NULL) ||
	    dw->dwarf_getsrcfiles(&unit, &files, &count) != 0 || index <= 0 || (size_t)index >= count)
		return NULL;
	return dw->dwarf_filesrc(files, (size_t)index, NULL, NULL);
}

struct position {
	const char *file;
	int64_t line;
};

static struct position line_at(const struct libdw_api *dw, Dwfl_Module *module, Dwarf_Addr pc)
{
	struct position position = {NULL, 0};
	Dwfl_Line *line = dw->dwfl_module_getsrc(module, pc);
	int number = 0;
	if (line)
		position.file = dw->dwfl_lineinfo(line, NULL, &number, NULL, NULL, NULL);
	position.line = position.file ? number : 0;
	return position;
}

static void emit(symbolize_callback *callback, void *context, const char *system_name,
		 struct position position, int64_t start_line)
{
	/* Symbol tables name versioned symbols "__libc_start_main@@GLIBC_2.34": the
	   version is not part of the function's name. */
	char unversioned[512];
	const char *at = system_name ? strchr(system_name, '@') : NULL;
	if (at && at > system_name && (size_t)(at - system_name) < sizeof unversioned) {
		memcpy(unversioned, system_name, (size_t)(at - system_name));
		unversioned[at - system_name] = '\0';
		system_name = unversioned;
	}
	char *simplified = system_name ? cxx_names_demangle(system_name) : NULL;
	struct symbolized_frame frame = {
		.function = simplified ? simplified : system_name,
		.system_name = system_name,
		.file = position.file,
		.line = position.line,
		.start_line = start_line,
	};
	callback(context, &frame);
	free(simplified);
}

/* A path from the line table made absolute against the unit's compilation directory
   and cleaned of "." and ".." components, so pprof -list finds the source. */
static const char *absolute_path(const char *file, const char *directory, char *buffer, size_t size)
{
	if (!file || file[0] == '/' || !directory)
		return file;
	size_t length = strlen(directory) + 1 + strlen(file) + 1;
	if (length > size)
		return file;
	strcpy(buffer, directory);
	strcat(buffer, "/");
	strcat(buffer, file);
	char *out = buffer;
	for (const char *cursor = buffer; *cursor;) {
		const char *end = strchr(cursor, '/');
		size_t part = end ? (size_t)(end - cursor) : strlen(cursor);
		if (part == 0 || (part == 1 && cursor[0] == '.')) {
			/* skip */
		} else if (part == 2 && cursor[0] == '.' && cursor[1] == '.') {
			while (out > buffer && *--out != '/')
				;
		} else {
			*out++ = '/';
			memmove(out, cursor, part);
			out += part;
		}
		cursor += part + (end ? 1 : 0);
	}
	*out = '\0';
	return buffer;
}

static const char *compilation_directory(const struct libdw_api *dw, Dwarf_Die *unit)
{
	Dwarf_Attribute attribute;
	return unit && dw->dwarf_attr(unit, DW_AT_comp_dir, &attribute) ? dw->dwarf_formstring(&attribute)
									: NULL;
}

static void emit_at(symbolize_callback *callback, void *context, const char *system_name,
		    struct position position, int64_t start_line, const char *directory)
{
	char path[4096];
	position.file = absolute_path(position.file, directory, path, sizeof path);
	emit(callback, context, system_name, position, start_line);
}

/* A module's first addresses are named by scanning its table, each scan a fraction
   of what building the index costs (reading the table, then sorting it): a short
   process names two or three addresses in libc. A module asked more builds the index
   at its fifth address, having spent less than half an index on scans
   (docs/performance.md, "The fixed cost of a process"). */
#define SCANS_BEFORE_INDEX 4

/* From the module's symbol table; *ask_libdw when only libdw's own search decides. */
static const char *table_symbol_name(struct module_data *data, Dwarf_Addr pc, bool *ask_libdw)
{
	if (!data->symbols && data->scans++ == SCANS_BEFORE_INDEX)
		data->symbols = symbol_index_build(&data->table);
	return data->symbols ? symbol_index_lookup(data->symbols, pc, ask_libdw)
			     : symbol_index_scan(&data->table, pc, ask_libdw);
}

static const char *symbol_name(struct symbolizer *symbolizer, Dwfl_Module *module, Dwarf_Addr pc)
{
	struct module_data *data = module_data_of(symbolizer, module);
	if (data && !data->symbols_tried) {
		data->has_symbols = symbol_table_open(symbolizer->dw, module, &data->table);
		data->symbols_tried = true;
	}
	if (data && data->has_symbols) {
		bool ask_libdw;
		const char *name = table_symbol_name(data, pc, &ask_libdw);
		if (!ask_libdw)
			return name;
	}
	GElf_Off offset;
	GElf_Sym symbol;
	return symbolizer->dw->dwfl_module_addrinfo(module, pc, &offset, &symbol, NULL, NULL, NULL);
}

/* The name of the function the pc is really in: DWARF's, as addr2line, and so pprof,
   gives it. GCC's clones of a function (f.constprop.0, f.isra.0, f.part.0, f.cold)
   have ELF symbols of their own, but DWARF names the function they came from. Where
   DWARF has only a C++ function's plain name (GCC writes no linkage name for internal
   linkage), the ELF symbol, mangled, says more. */
static const char *subprogram_name(struct symbolizer *symbolizer, Dwfl_Module *module, Dwarf_Addr pc,
				   Dwarf_Die *die, char **scratch)
{
	const struct libdw_api *dw = symbolizer->dw;
	const char *name = linkage_name(dw, die);
	if (!name && !is_cplusplus(dw, die))
		name = die_function_name(dw, die, scratch);
	if (!name)
		name = symbol_name(symbolizer, module, pc);
	return name ? name : die_function_name(dw, die, scratch);
}

/* Emits the frames of `chain`, innermost first, up to and including the function
   the pc is really in (a subprogram). Entries of other kinds are skipped. */
static unsigned emit_chain(struct symbolizer *symbolizer, Dwfl_Module *module, Dwarf_Addr pc,
			   struct position position, Dwarf_Die *chain, int count, const char *directory,
			   symbolize_callback *callback, void *context)
{
	const struct libdw_api *dw = symbolizer->dw;
	unsigned frames = 0;
	for (int i = 0; i < count; i++) {
		int tag = dw->dwarf_tag(&chain[i]);
		if (tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine)
			continue;
		char *qualified = NULL;
		const char *name = tag == DW_TAG_subprogram
					   ? subprogram_name(symbolizer, module, pc, &chain[i], &qualified)
					   : die_function_name(dw, &chain[i], &qualified);
		int64_t start_line = die_unsigned(dw, &chain[i], DW_AT_decl_line);
		emit_at(callback, context, name, position, start_line, directory);
		free(qualified);
		frames++;
		if (tag == DW_TAG_subprogram)
			break;
		position.file = call_file(dw, &chain[i]);
		position.line = die_unsigned(dw, &chain[i], DW_AT_call_line);
	}
	return frames;
}

static struct function_index *function_index_for(struct symbolizer *symbolizer, Dwfl_Module *module,
						 Dwarf_Die *unit)
{
	struct module_data *data = module_data_of(symbolizer, module);
	if (!data)
		return NULL;
	for (struct unit_functions *known = data->units; known; known = known->next) {
		if (known->unit == unit->addr)
			return known->index;
	}
	struct unit_functions *added = malloc(sizeof *added);
	if (!added)
		return NULL;
	*added = (struct unit_functions){unit->addr, function_index_build(symbolizer->dw, unit), data->units};
	data->units = added;
	return added->index;
}

/* Inlined calls nest deeper than this only in pathological code; dwarf_getscopes
   takes over there. */
#define MAX_INLINE_DEPTH 64

/* The function containing `address` from the unit's index, then down through the
   inlined copies (in lexical blocks or not) that contain it. Fills `chain`
   innermost first; 0 when the index does not know the address. */
static int chain_from_index(struct symbolizer *symbolizer, Dwfl_Module *module, Dwarf_Die *unit,
			    Dwarf_Addr address, Dwarf_Die chain[MAX_INLINE_DEPTH])
{
	const struct libdw_api *dw = symbolizer->dw;
	struct function_index *index =
		symbolizer->without_function_index ? NULL : function_index_for(symbolizer, module, unit);
	Dwarf_Die outward[MAX_INLINE_DEPTH], scope;
	if (!index || !function_index_find(index, address, &outward[0]))
		return 0;
	int count = 1;
	scope = outward[0];
	Dwarf_Die child;
	bool descended = true;
	while (descended && dw->dwarf_child(&scope, &child) == 0) {
		descended = false;
		do {
			int tag = dw->dwarf_tag(&child);
			if ((tag != DW_TAG_inlined_subroutine && tag != DW_TAG_lexical_block) ||
			    dw->dwarf_haspc(&child, address) != 1)
				continue;
			if (tag == DW_TAG_inlined_subroutine) {
				if (count == MAX_INLINE_DEPTH)
					return 0;
				outward[count++] = child;
			}
			scope = child;
			descended = true;
			break;
		} while (dw->dwarf_siblingof(&child, &child) == 0);
	}
	for (int i = 0; i < count; i++)
		chain[i] = outward[count - 1 - i];
	return count;
}

/* The chain of functions at pc: each inlined call outwards to the real function.
   Without the index: dwarf_getscopes follows an inlined instance into its abstract
   origin, so the concrete chain comes from dwarf_getscopes_die on the innermost
   instance. */
static unsigned inlined_frames(struct symbolizer *symbolizer, Dwfl_Module *module, Dwarf_Addr pc,
			       struct position position, symbolize_callback *callback, void *context)
{
	const struct libdw_api *dw = symbolizer->dw;
	Dwarf_Addr bias;
	Dwarf_Die *unit = dw->dwfl_module_addrdie(module, pc, &bias);
	if (!unit)
		return 0;
	const char *directory = compilation_directory(dw, unit);
	Dwarf_Die indexed[MAX_INLINE_DEPTH];
	int count = chain_from_index(symbolizer, module, unit, pc - bias, indexed);
	if (count > 0)
		return emit_chain(symbolizer, module, pc, position, indexed, count, directory, callback,
				  context);
	Dwarf_Die *scopes = NULL, *chain = NULL;
	count = dw->dwarf_getscopes(unit, pc - bias, &scopes);
	int innermost = 0;
	while (innermost < count && dw->dwarf_tag(&scopes[innermost]) != DW_TAG_subprogram &&
	       dw->dwarf_tag(&scopes[innermost]) != DW_TAG_inlined_subroutine)
		innermost++;
	if (innermost < count && dw->dwarf_tag(&scopes[innermost]) == DW_TAG_inlined_subroutine) {
		count = dw->dwarf_getscopes_die(&scopes[innermost], &chain);
		innermost = 0;
	}
	Dwarf_Die *walk = chain ? chain : scopes;
	unsigned frames = count > innermost ? emit_chain(symbolizer, module, pc, position, walk + innermost,
							 count - innermost, directory, callback, context)
					    : 0;
	free(scopes);
	free(chain);
	return frames;
}

/* The module added for the mapping at `start`; libdw's module at `pc` for a mapping
   not added. Not libdw's first: one library loaded, unloaded and loaded again at
   another address is two modules whose images overlap, and libdw answers an address
   of the first with the second, where it lies in data (torture seed 2033). */
static Dwfl_Module *module_of(struct symbolizer *symbolizer, uint64_t start, uint64_t pc)
{
	for (struct module_data *data = symbolizer->modules; data; data = data->next) {
		if (data->start == start)
			return data->module;
	}
	return symbolizer->dw->dwfl_addrmodule(symbolizer->dwfl, pc);
}

static unsigned lookup_uncached(struct symbolizer *symbolizer, uint64_t start, uint64_t pc,
				symbolize_callback *callback, void *context)
{
	const struct libdw_api *dw = symbolizer->dw;
	if (symbolizer->reporting) {
		dw->dwfl_report_end(symbolizer->dwfl, NULL, NULL);
		symbolizer->reporting = false;
	}
	Dwfl_Module *module = module_of(symbolizer, start, pc);
	if (!module)
		return 0;
	struct module_data *data = module_data_of(symbolizer, module);
	bool use_dwarf = !symbolizer->skip_separate_dwarf || (data && data->embedded_dwarf);
	struct position position = use_dwarf ? line_at(dw, module, pc) : (struct position){NULL, 0};
	unsigned frames = use_dwarf ? inlined_frames(symbolizer, module, pc, position, callback, context) : 0;
	if (frames)
		return frames;
	const char *name = symbol_name(symbolizer, module, pc);
	if (!name && !position.file)
		return 0;
	Dwarf_Addr bias;
	const char *directory =
		position.file ? compilation_directory(dw, dw->dwfl_module_addrdie(module, pc, &bias)) : NULL;
	emit_at(callback, context, name, position, 0, directory);
	return 1;
}

/* A new cache entry taking the frames of an address's first lookup; failed when one
   could not be added, and the lookup is then answered uncached. */
struct entry_filling {
	struct frame_cache_entry *entry;
	bool failed;
};

static void add_to_entry(void *context, const struct symbolized_frame *frame)
{
	struct entry_filling *filling = context;
	filling->failed |= !frame_cache_add(filling->entry, frame);
}

unsigned symbolizer_lookup(struct symbolizer *symbolizer, uint64_t start, uint64_t pc,
			   symbolize_callback *callback, void *context)
{
	const struct frame_cache_entry *known = frame_cache_find(&symbolizer->frames, pc);
	if (known)
		return frame_cache_replay(known, callback, context);
	struct entry_filling filling = {frame_cache_entry_create(pc), false};
	if (filling.entry)
		lookup_uncached(symbolizer, start, pc, add_to_entry, &filling);
	if (!filling.entry || filling.failed) {
		if (filling.entry)
			frame_cache_entry_free(filling.entry);
		return lookup_uncached(symbolizer, start, pc, callback, context);
	}
	unsigned count = frame_cache_replay(filling.entry, callback, context);
	frame_cache_store(&symbolizer->frames, filling.entry);
	return count;
}
