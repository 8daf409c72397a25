#include "symbolize.h"

#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <link.h>
#include <unistd.h>

#include "check.h"
#include "cxx_names.h"
#include "symbolize_fixture.h"

#define MAX_FRAMES 32

struct copied_frame {
	char function[256];
	char system_name[256];
	char file[PATH_MAX];
	int64_t line;
	int64_t start_line;
};

struct frames {
	unsigned count;
	struct copied_frame frame[MAX_FRAMES];
};

struct expected_frame {
	const char *function;
	const char *system_name;
	const char *file;
	int line;
	int start_line;
};

static struct symbolizer *symbolizer;
static char fixture_c_path[PATH_MAX + 32], fixture_cpp_path[PATH_MAX + 32];

static void copy_text(char *to, size_t size, const char *from)
{
	snprintf(to, size, "%s", from ? from : "(null)");
}

static void collect_frame(void *context, const struct symbolized_frame *frame)
{
	struct frames *frames = context;
	CHECK(frames->count < MAX_FRAMES);
	struct copied_frame *copy = &frames->frame[frames->count++];
	copy_text(copy->function, sizeof copy->function, frame->function);
	copy_text(copy->system_name, sizeof copy->system_name, frame->system_name);
	copy_text(copy->file, sizeof copy->file, frame->file);
	copy->line = frame->line;
	copy->start_line = frame->start_line;
}

struct text_segment {
	uintptr_t start, limit;
	uint64_t file_offset;
};

/* The program's own, as add_own_executable adds it. */
static struct text_segment text;

static struct frames look_up(uintptr_t pc)
{
	struct frames frames = {0};
	unsigned count = symbolizer_lookup(symbolizer, text.start, pc, collect_frame, &frames);
	CHECK_UINT(count, frames.count);
	return frames;
}

/* Twice: the second answer comes from the symbolizer's cache and must be the same. */
static void check_frames(uintptr_t pc, const struct expected_frame *expected, unsigned count)
{
	for (int round = 0; round < 2; round++) {
		struct frames frames = look_up(pc);
		CHECK_UINT(frames.count, count);
		for (unsigned i = 0; i < count; i++) {
			const struct copied_frame *actual = &frames.frame[i];
			CHECK_STR(actual->function, expected[i].function);
			CHECK_STR(actual->system_name, expected[i].system_name);
			CHECK_STR(actual->file, expected[i].file);
			CHECK_UINT(actual->line, expected[i].line);
			CHECK_UINT(actual->start_line, expected[i].start_line);
		}
	}
}

/* The executable segment of the main program, as modules.c would describe it. */
static int find_text_segment(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	struct text_segment *segment = data;
	uintptr_t code = (uintptr_t)fixture_call_static;
	uintptr_t page_mask = ~((uintptr_t)sysconf(_SC_PAGESIZE) - 1);
	for (unsigned i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *header = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + header->p_vaddr;
		if (header->p_type != PT_LOAD || !(header->p_flags & PF_X) || code < start ||
		    code >= start + header->p_memsz)
			continue;
		segment->start = start & page_mask;
		segment->limit = start + header->p_memsz;
		segment->file_offset = header->p_offset & page_mask;
		return 1;
	}
	return 0;
}

static char executable_path[PATH_MAX];

static void add_own_executable(void)
{
	ssize_t length = readlink("/proc/self/exe", executable_path, sizeof executable_path - 1);
	CHECK(length > 0);
	executable_path[length] = '\0';
	CHECK(dl_iterate_phdr(find_text_segment, &text) == 1);
	CHECK(symbolizer_add_mapping(symbolizer, executable_path, text.start, text.limit, text.file_offset));
}

static void find_fixture_sources(void)
{
	char directory[PATH_MAX];
	CHECK(realpath(FIXTURE_DIRECTORY, directory));
	snprintf(fixture_c_path, sizeof fixture_c_path, "%s/symbolize_fixture.c", directory);
	snprintf(fixture_cpp_path, sizeof fixture_cpp_path, "%s/symbolize_fixture_cpp.cpp", directory);
}

static void test_static_function(void)
{
	fixture_call_static();
	const struct expected_frame expected[] = {
		{"static_function", "static_function", fixture_c_path, fixture_capture.line,
		 fixture_static_function_line},
	};
	check_frames(fixture_capture.pc, expected, 1);
}

static void test_inlined_functions(void)
{
	fixture_call_inlined();
	const struct expected_frame expected[] = {
		{"inner_inline", "inner_inline", fixture_c_path, fixture_capture.line,
		 fixture_inner_inline_line},
		{"outer_inline", "outer_inline", fixture_c_path, fixture_capture.inlined_call_lines[0],
		 fixture_outer_inline_line},
		{"fixture_call_inlined", "fixture_call_inlined", fixture_c_path,
		 fixture_capture.inlined_call_lines[1], fixture_call_inlined_line},
	};
	check_frames(fixture_capture.pc, expected, 3);
}

/* Whether this program's own symbol table names `wanted`. */
static bool has_symbol(const char *wanted)
{
	int fd = open(executable_path, O_RDONLY);
	CHECK(fd >= 0 && elf_version(EV_CURRENT) != EV_NONE);
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	bool found = false;
	for (Elf_Scn *section = NULL; elf && !found && (section = elf_nextscn(elf, section));) {
		GElf_Shdr header;
		Elf_Data *data = elf_getdata(section, NULL);
		if (!gelf_getshdr(section, &header) || header.sh_type != SHT_SYMTAB || !data)
			continue;
		for (size_t i = 0; !found && i < header.sh_size / header.sh_entsize; i++) {
			GElf_Sym symbol;
			const char *name = gelf_getsym(data, (int)i, &symbol)
						   ? elf_strptr(elf, header.sh_link, symbol.st_name)
						   : NULL;
			found = name && strcmp(name, wanted) == 0;
		}
	}
	elf_end(elf);
	close(fd);
	return found;
}

/* A function GCC cloned is named by DWARF, as pprof names it, not by the clone's
   own ELF symbol. */
static void test_cloned_function(void)
{
	if (!has_symbol("cloned_function.constprop.0"))
		CHECK_FAILED("the fixture has no cloned_function.constprop.0: the compiler did not clone "
			     "it, so this test would prove nothing");
	fixture_call_cloned();
	const struct expected_frame expected[] = {
		{"cloned_function", "cloned_function", fixture_c_path, fixture_capture.line,
		 fixture_cloned_function_line},
	};
	check_frames(fixture_capture.pc, expected, 1);
}

static void test_cpp_method(void)
{
	fixture_call_method();
	const struct expected_frame expected[] = {
		{"heapprof_fixture::Widget::method", "_ZNK16heapprof_fixture6Widget6methodEiPKc",
		 fixture_cpp_path, fixture_capture.line, fixture_method_line},
	};
	check_frames(fixture_capture.pc, expected, 1);
}

static void test_cpp_anonymous_namespace(void)
{
	fixture_call_anonymous();
	const struct expected_frame expected[] = {
		{"(anonymous namespace)::hidden_function", "_ZN12_GLOBAL__N_115hidden_functionEv",
		 fixture_cpp_path, fixture_capture.line, fixture_anonymous_line},
	};
	check_frames(fixture_capture.pc, expected, 1);
}

static void test_cpp_template(void)
{
	fixture_call_template();
	const struct expected_frame expected[] = {
		{"heapprof_fixture::twice", "_ZN16heapprof_fixture5twiceIiEET_S1_", fixture_cpp_path,
		 fixture_capture.line, fixture_template_line},
	};
	check_frames(fixture_capture.pc, expected, 1);
}

/* The program's file added again a page higher, as a library unloaded and loaded
   again elsewhere is: the two images overlap, and libdw's module for an address of
   the first mapping is the second. An address of the first mapping looked up after
   is still named from the first (torture seed 2033: it had no name). */
static void test_same_file_mapped_again(void)
{
	struct symbolizer *reloaded = symbolizer_create(libdw_api_load());
	CHECK(reloaded);
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	CHECK(symbolizer_add_mapping(reloaded, executable_path, text.start, text.limit, text.file_offset));
	CHECK(symbolizer_add_mapping(reloaded, executable_path, text.start + page, text.limit + page,
				     text.file_offset));
	struct frames frames = {0};
	CHECK_UINT(symbolizer_lookup(reloaded, text.start, fixture_capture.pc, collect_frame, &frames), 1);
	CHECK_STR(frames.frame[0].function, "static_function");
	symbolizer_destroy(reloaded);
}

static void test_unknown_addresses(void)
{
	for (int round = 0; round < 2; round++) {
		CHECK_UINT(look_up(0).count, 0);
		CHECK_UINT(look_up(1).count, 0);
		CHECK_UINT(look_up((uintptr_t)&write).count, 0);
	}
}

static void test_unusable_files(void)
{
	struct symbolizer *other = symbolizer_create(libdw_api_load());
	CHECK(other);
	CHECK(!symbolizer_add_mapping(other, "/nonexistent/program", 0x400000, 0x401000, 0));
	CHECK(!symbolizer_add_mapping(other, fixture_c_path, 0x400000, 0x401000, 0));
	CHECK(!symbolizer_add_mapping(other, executable_path, 0x400000, 0x401000, (uint64_t)1 << 40));
	symbolizer_destroy(other);
}

static bool same_frames(const struct frames *left, const struct frames *right)
{
	if (left->count != right->count)
		return false;
	for (unsigned i = 0; i < left->count; i++) {
		const struct copied_frame *a = &left->frame[i], *b = &right->frame[i];
		if (strcmp(a->function, b->function) || strcmp(a->system_name, b->system_name) ||
		    strcmp(a->file, b->file) || a->line != b->line || a->start_line != b->start_line)
			return false;
	}
	return true;
}

/* The per-unit function index must give, at every byte of this program's code
   (C, C++ templates inlined many levels deep, a lambda), what dwarf_getscopes gives. */
static void test_function_index_agrees(void)
{
	struct symbolizer *reference = symbolizer_create(libdw_api_load());
	CHECK(reference);
	symbolizer_without_function_index(reference);
	struct text_segment segment = {0};
	CHECK(dl_iterate_phdr(find_text_segment, &segment) == 1);
	CHECK(symbolizer_add_mapping(reference, executable_path, segment.start, segment.limit,
				     segment.file_offset));
	unsigned deepest = 0;
	for (uintptr_t pc = segment.start; pc < segment.limit; pc++) {
		struct frames indexed = look_up(pc), scanned = {0};
		symbolizer_lookup(reference, segment.start, pc, collect_frame, &scanned);
		if (!same_frames(&indexed, &scanned))
			CHECK_FAILED("at %#lx: %u frames with the index, %u without; innermost %s / %s",
				     (unsigned long)pc, indexed.count, scanned.count,
				     indexed.count ? indexed.frame[0].function : "-",
				     scanned.count ? scanned.frame[0].function : "-");
		if (indexed.count > deepest)
			deepest = indexed.count;
	}
	CHECK(deepest >= 6);
	symbolizer_destroy(reference);
}

static void check_simplified(const char *name, const char *expected)
{
	char out[256];
	CHECK(strlen(name) < sizeof out);
	memset(out, 'X', sizeof out);
	cxx_names_simplify(name, out);
	CHECK_STR(out, expected);
}

static void test_simplify_name(void)
{
	check_simplified("ns::Foo::bar(int, char const*) const", "ns::Foo::bar");
	check_simplified("std::vector<int, std::allocator<int> >::push_back(int const&)",
			 "std::vector::push_back");
	check_simplified("(anonymous namespace)::f()", "(anonymous namespace)::f");
	check_simplified("operator<<(std::ostream&, int)", "operator<<");
	check_simplified("Foo::operator()(int)", "Foo::operator()");
	check_simplified("Foo::operator<(Foo const&) const", "Foo::operator<");
	check_simplified("Foo::operator->() const", "Foo::operator->");
	check_simplified("Foo::operator new(unsigned long)", "Foo::operator new");
	check_simplified("ns::Box<(anonymous namespace)::Key>::get()", "ns::Box::get");
	check_simplified("(anonymous namespace)::Outer::inner(std::function<void (int)>)",
			 "(anonymous namespace)::Outer::inner");
	check_simplified("Foo::operator delete(void*)", "Foo::operator delete");
	check_simplified("(anonymous namespace)::Foo::bar()", "(anonymous namespace)::Foo::bar");
	check_simplified("std::map<int, int, std::less<int>, std::allocator<std::pair<int const, int> > >"
			 "::operator[](int const&)",
			 "std::map::operator[]");
	check_simplified("ns::Foo::~Foo()", "ns::Foo::~Foo");
	check_simplified("Foo::operator int() const", "Foo::operator int");
	check_simplified("std::function<void (int)>::function()", "std::function::function");
	check_simplified("plain_c_function", "plain_c_function");
	check_simplified("", "");
}

/* Names pprof's demangler simplifies differently: function templates come with a
   return type, which pprof leaves out, and a lambda's call operator keeps its
   enclosing function and lambda signature. */
static void test_simplify_like_pprof(void)
{
	check_simplified("int heapprof_fixture::twice<int>(int)", "heapprof_fixture::twice");
	check_simplified("std::basic_ostream<char, std::char_traits<char> >& operator<< <int>"
			 "(std::basic_ostream<char, std::char_traits<char> >&, Box<int> const&)",
			 "operator<<");
	check_simplified("foo()::{lambda(int)#1}::operator()(int) const",
			 "foo()::{lambda(int)#1}::operator()");
}

/* What pprof's demangler (NoParams, NoTemplateParams) shows where more than a
   parameter list and template arguments must go or stay: return types that wrap
   the name, operators next to template arguments, conversions, local names whose
   enclosing function keeps its parameters, and the compiler's own thunks. */
static void test_simplify_as_pprof_shows(void)
{
	check_simplified("bool ns::Box<int>::operator><long>(long)", "ns::Box::operator>");
	check_simplified("bool ns::Box<int>::operator< <long>(long)", "ns::Box::operator<");
	check_simplified(
		"std::basic_istream<char, std::char_traits<char> >& std::operator>><char, "
		"std::char_traits<char> >(std::basic_istream<char, std::char_traits<char> >&, char&)",
		"std::operator>>");
	check_simplified("llvm::TypeSize::operator unsigned long() const",
			 "llvm::TypeSize::operator unsigned long");
	check_simplified("ns::Box<int>::operator std::vector<int, std::allocator<int> >() const",
			 "ns::Box::operator std::vector");
	check_simplified("std::__exception_ptr::exception_ptr::operator void "
			 "(std::__exception_ptr::exception_ptr::*)()() const",
			 "std::__exception_ptr::exception_ptr::operator void "
			 "(std::__exception_ptr::exception_ptr::*)()");
	check_simplified("ns::operator\"\" _km[abi:cxx11](unsigned long long)",
			 "ns::operator\"\" _km[abi:cxx11]");
	check_simplified("llvm::FoldingSet<clang::AtomicType>::getFoldingSetInfo()::Info",
			 "llvm::FoldingSet::getFoldingSetInfo()::Info");
	check_simplified("ns::S::m(int) const &::{lambda()#1}::operator()() const [clone .isra.0]",
			 "ns::S::m(int) const &::{lambda()#1}::operator()");
	check_simplified(
		"ns::lam(std::vector<int, std::allocator<int> >)::{lambda(std::vector<int, "
		"std::allocator<int> >)#1}::operator()(std::vector<int, std::allocator<int> >) const",
		"ns::lam(std::vector)::{lambda(std::vector)#1}::operator()");
	check_simplified("int (*ns::fp_ret<int>(int))(int)", "ns::fp_ret");
	check_simplified("decltype ({parm#1}+{parm#2}) ns::add<int, double>(int, double)", "ns::add");
	check_simplified("std::enable_if<((5)>(3)), int>::type ns::big<5>()", "ns::big");
	check_simplified("int ns::variadic<int, double>(int, double) [clone .constprop.0]", "ns::variadic");
	check_simplified("non-virtual thunk to std::basic_iostream<wchar_t, std::char_traits<wchar_t> "
			 ">::~basic_iostream()",
			 "non-virtual thunk to std::basic_iostream::~basic_iostream()");
	check_simplified("TLS init function for ns::tls_name[abi:cxx11]",
			 "TLS init function for ns::tls_name[abi:cxx11]");
}

static void check_demangled(const char *mangled, const char *expected)
{
	char *name = cxx_names_demangle(mangled);
	if (expected)
		CHECK_STR(name, expected);
	else if (name)
		CHECK_FAILED("%.80s... demangled to %.80s...", mangled, name);
	free(name);
}

/* `head`, then std::pair<std::pair<...>, std::pair<...>> 28 levels deep in the
   parameters, then `tail`: gigabytes when demangled whole. */
static void demangler_bomb(char *out, const char *head, const char *tail)
{
	static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	out += sprintf(out, "%sSt4pairIiiE", head);
	for (int level = 0; level < 28; level++)
		out += sprintf(out, "S_IS%c_S%c_E", digits[level], digits[level]);
	strcpy(out, tail);
}

/* Names that demangle to gigabytes, and names too long for libiberty: pprof's name
   where the parameters need not be read, else no name. */
static void test_demangle_bounds(void)
{
	char bomb[512];
	demangler_bomb(bomb, "_Z1f", "");
	check_demangled(bomb, "f");
	demangler_bomb(bomb, "_ZZ1f", "E1gv");
	check_demangled(bomb, NULL);

	char name[1100];
	for (int components = 254; components <= 255; components++) {
		strcpy(name, "_ZN");
		for (int i = 0; i < components; i++)
			strcat(name, "3abc");
		strcat(name, "1fEv");
		char *demangled = cxx_names_demangle(name);
		if (strlen(name) > 1024)
			CHECK(!demangled);
		else
			CHECK(demangled && strncmp(demangled, "abc::abc::", 10) == 0);
		free(demangled);
	}
}

/* Names whose return type (decltype(auto), a member pointer) the simplifier took for
   the name in __cxa_demangle's full form, and constructors and destructors libiberty
   names after another class than their own: an inheriting constructor after its base,
   an unnamed type's and a lambda's after the enclosing class. */
static void test_demangle_like_pprof(void)
{
	check_demangled("_ZN2ns3refIRiEEDcOT_", "ns::ref");
	check_demangled("_ZSt7forwardIMSt6threadFvvEEOT_RNSt16remove_referenceIS3_E4typeE", "std::forward");
	check_demangled(
		"_ZNSt15__uniq_ptr_dataINSt6thread6_StateESt14default_deleteIS1_ELb1ELb1EECI2St15__uniq_"
		"ptr_implIS1_S3_EEPS1_",
		"std::__uniq_ptr_data::__uniq_ptr_data");
	check_demangled("_ZN6icu_728numparse4impl16NumberParserImplUt_C2Ev",
			"icu_72::numparse::impl::NumberParserImpl::{unnamed type#1}::{unnamed type#1}");
	check_demangled("_ZN6icu_726number4impl10MicroPropsUt_D1Ev",
			"icu_72::number::impl::MicroProps::{unnamed type#1}::~{unnamed type#1}");
	check_demangled("_ZZN2ns2eqIiEEDaRKNS_3BoxIT_EES5_ENUlvE_D2Ev",
			"ns::eq(ns::Box const&, ns::Box const&)::{lambda()#1}::~{lambda()#1}");
	check_demangled("_ZNSaIcEC2Ev", "std::allocator::allocator");
}

/* Legacy Rust names as pprof shows them: Rust's own escapes decoded and generic
   arguments kept, the hash left out; a "hash" of fewer than five distinct digits makes
   a C++ name. */
static void test_demangle_rust(void)
{
	check_demangled("_ZN4core3fmt5write17h0123456789abcdefE", "core::fmt::write");
	check_demangled("_ZN5alloc7raw_vec19RawVec$LT$T$C$A$GT$11allocate_in17h0123456789abcdefE",
			"alloc::raw_vec::RawVec<T,A>::allocate_in");
	check_demangled("_ZN3std2rt10lang_start28_$u7b$$u7b$closure$u7d$$u7d$17h0123456789abcdefE.llvm.123",
			"std::rt::lang_start::{{closure}}");
	check_demangled("_ZN4core3fmt5write17h0000000000000000E", "core::fmt::write::h0000000000000000");
}

int main(void)
{
	test_simplify_name();
	test_simplify_as_pprof_shows();
	test_demangle_bounds();
	test_demangle_rust();
	test_demangle_like_pprof();
	find_fixture_sources();
	symbolizer = symbolizer_create(libdw_api_load());
	CHECK(symbolizer);
	add_own_executable();
	test_static_function();
	test_same_file_mapped_again();
	test_inlined_functions();
	test_cloned_function();
	test_cpp_method();
	test_unknown_addresses();
	test_unusable_files();
	test_simplify_like_pprof();
	test_cpp_template();
	test_cpp_anonymous_namespace();
	test_function_index_agrees();
	symbolizer_destroy(symbolizer);
	return 0;
}
