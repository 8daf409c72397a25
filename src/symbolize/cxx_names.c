#include "cxx_names.h"

#include <ctype.h>
#include <libiberty/demangle.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define COUNT(array) (sizeof(array) / sizeof(array)[0])

static const char anonymous_namespace[] = "(anonymous namespace)";

/* The names the compiler makes for thunks, clones and data, as the demangler words
   them. pprof shows these whole, parameters included. */
static const char *const special_prefixes[] = {
	"non-virtual thunk to ",
	"virtual thunk to ",
	"covariant return thunk to ",
	"transaction clone for ",
	"non-transaction clone for ",
	"hidden alias for ",
	"TLS init function for ",
	"TLS wrapper function for ",
	"guard variable for ",
	"vtable for ",
	"VTT for ",
	"construction vtable for ",
	"typeinfo for ",
	"typeinfo name for ",
	"typeinfo fn for ",
	"template parameter object for ",
	"java Class for ",
};

/* Longest first: "operator<<=" is not "operator<<" followed by "=". */
static const char *const operator_symbols[] = {
	"->*", "<<=", ">>=", "<=>", "()", "[]", "->", "<<", ">>", "<=", ">=", "==", "!=",
	"&&",  "||",  "++",  "--",  "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "+",
	"-",   "*",   "/",   "%",   "^",  "&",  "|",  "~",  "!",  "=",  "<",  ">",  ",",
};

/* What may follow a function's parameters: qualifiers of a member function. */
static const char *const qualifiers[] = {" const", " volatile", " restrict", " &&", " &"};

static bool starts_with(const char *text, const char *prefix)
{
	return strncmp(text, prefix, strlen(prefix)) == 0;
}

static bool is_identifier_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static char *copy_span(char *out, const char *from, const char *to)
{
	memcpy(out, from, (size_t)(to - from));
	return out + (to - from);
}

/* The end of the balanced group that starts at `open` (one of ( < {), or of the
   string. Parentheses nest inside the others whole: template arguments hold
   expressions ("enable_if<((16)>=(16)), void>") whose comparisons close nothing. */
static const char *group_end(const char *open)
{
	char opening = *open, closing = opening == '(' ? ')' : opening == '<' ? '>' : '}';
	int depth = 0, parentheses = 0;
	const char *cursor = open;
	for (; *cursor; cursor++) {
		if (opening != '(' && *cursor == '(')
			parentheses++;
		else if (opening != '(' && *cursor == ')' && parentheses > 0)
			parentheses--;
		else if (parentheses > 0)
			continue;
		else if (*cursor == opening)
			depth++;
		else if (*cursor == closing && --depth == 0)
			return cursor + 1;
	}
	return cursor;
}

/* Copies [from, to) without its template arguments. */
static char *copy_without_templates(char *out, const char *from, const char *to)
{
	while (from < to) {
		if (*from == '<') {
			const char *end = group_end(from);
			from = end < to ? end : to;
		} else {
			*out++ = *from++;
		}
	}
	return out;
}

/* The length of the first of `prefixes` that `text` starts with, or 0. */
static size_t matching_prefix_length(const char *text, const char *const *prefixes, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (starts_with(text, prefixes[i]))
			return strlen(prefixes[i]);
	}
	return 0;
}

/* Whether `cursor`, inside `name`, starts the word "operator". */
static bool is_operator(const char *name, const char *cursor)
{
	return starts_with(cursor, "operator") && (cursor == name || !is_identifier_char(cursor[-1])) &&
	       !is_identifier_char(cursor[8]);
}

/* After "operator": the end of a symbol ("<<", "()", "->*"), or NULL. */
static const char *symbol_operator_end(const char *cursor)
{
	size_t length = matching_prefix_length(cursor, operator_symbols, COUNT(operator_symbols));
	return length ? cursor + length : NULL;
}

/* After "operator": the end of a word operator (" new", " delete[]"), a literal
   operator ("\"\" _km") or a conversion's type (" char const*", " void (Foo::*)()"),
   which is where the parameters begin. A parenthesis after a space opens a
   declarator, which the type's own parameters follow. */
static const char *word_operator_end(const char *cursor)
{
	while (*cursor) {
		if (*cursor == '<') {
			cursor = group_end(cursor);
		} else if (*cursor == '(' && cursor[-1] == ' ') {
			cursor = group_end(cursor);
			if (*cursor == '(')
				cursor = group_end(cursor);
		} else if (*cursor == '(') {
			return cursor;
		} else {
			cursor++;
		}
	}
	return cursor;
}

/* Copies the operator at `cursor` and returns where it, and any template arguments
   of its own ("operator<< <int>", "operator><long>"), end. */
static const char *copy_operator(const char *cursor, char **out)
{
	const char *end = symbol_operator_end(cursor + 8);
	if (end) {
		*out = copy_span(*out, cursor, end);
	} else {
		end = word_operator_end(cursor + 8);
		*out = copy_without_templates(*out, cursor, end);
	}
	if (end[0] == ' ' && end[1] == '<')
		return group_end(end + 1);
	return *end == '<' ? group_end(end) : end;
}

static const char *qualifiers_end(const char *cursor)
{
	size_t length;
	while ((length = matching_prefix_length(cursor, qualifiers, COUNT(qualifiers))) > 0)
		cursor += length;
	return cursor;
}

/* A parenthesis that follows a return type: "void (*f(int))(int)" returns a function
   pointer, and the name is inside; "decltype (a+b) f()" has an expression. */
static const char *return_type_parenthesis_end(const char *cursor)
{
	if (cursor[1] == '*' || cursor[1] == '&')
		return cursor + 1 + strspn(cursor + 1, "*&");
	return group_end(cursor);
}

/* The simplified form is pprof's demangler's (ianlancetaylor/demangle with NoParams
   and NoTemplateParams), written from the demangler's text: no return type, no
   template arguments anywhere, no parameters, qualifiers or clone suffix after the
   name; an enclosing function's parameters and qualifiers in a local name stay.
   Asked for no parameters, the demangler leaves out the name's own, but not those of
   an enclosing function or a thunk's target: the text may come with both. */
void cxx_names_simplify(const char *name, char *out)
{
	char *start = out;
	size_t special = matching_prefix_length(name, special_prefixes, COUNT(special_prefixes));
	out = copy_span(out, name, name + special);
	const char *cursor = name + special;
	while (*cursor) {
		const char *end = cursor + 1;
		if (starts_with(cursor, anonymous_namespace)) {
			end = cursor + sizeof anonymous_namespace - 1;
			out = copy_span(out, cursor, end);
		} else if (is_operator(name, cursor)) {
			end = copy_operator(cursor, &out);
		} else if (*cursor == '<') {
			end = group_end(cursor);
		} else if (*cursor == '{') {
			/* A lambda or unnamed type: "{lambda(int)#1}" is its name. */
			end = group_end(cursor);
			out = copy_without_templates(out, cursor, end);
		} else if (*cursor == '(' && !special && cursor > name && cursor[-1] == ' ') {
			end = return_type_parenthesis_end(cursor);
		} else if (*cursor == '(') {
			end = qualifiers_end(group_end(cursor));
			if (!special && !starts_with(end, "::"))
				break;
			out = copy_without_templates(out, cursor, end);
		} else if (*cursor == ' ' && !special) {
			/* What came before a space outside any group was a return type. */
			out = start;
		} else {
			*out++ = *cursor;
		}
		cursor = end;
	}
	*out = '\0';
}

/* Demangling is bounded: a few hundred bytes can demangle to gigabytes (docs/cli.md,
   "Names"). libiberty recurses as deep as a name nests, so longer names are not
   demangled (docs/design.md, "Writing the profile", has the stack they need). */
#define MANGLED_MAX 1024
/* 18 times the longest in libstdc++ and LLVM: the output's size bounds the time. */
#define DEMANGLED_MAX (64 << 10)

/* A demangler's output as it streams out, up to DEMANGLED_MAX bytes. */
struct demangled {
	char *text;
	size_t length;
	jmp_buf overflow;
};

/* libiberty's printing interfaces keep their state on the stack and allocate nothing,
   so a longjmp out of them leaves nothing behind. */
static void append(const char *piece, size_t length, void *opaque)
{
	struct demangled *out = opaque;
	if (length > DEMANGLED_MAX - out->length)
		longjmp(out->overflow, 1);
	memcpy(out->text + out->length, piece, length);
	out->length += length;
	out->text[out->length] = '\0';
}

static void start(struct demangled *out)
{
	out->length = 0;
	out->text[0] = '\0';
}

/* No DMGL_VERBOSE: the hash is left out. */
static bool demangle_rust(const char *name, struct demangled *out)
{
	start(out);
	if (setjmp(out->overflow))
		return false;
	return rust_demangle_callback(name, DMGL_NO_OPTS, append, out);
}

static bool print_cxx(struct demangle_component *tree, struct demangled *out)
{
	start(out);
	if (setjmp(out->overflow))
		return false;
	return cplus_demangle_print_callback(DMGL_NO_OPTS, tree, append, out);
}

#define LEFT(component) ((component)->u.s_binary.left)
#define RIGHT(component) ((component)->u.s_binary.right)

/* The last component of a qualified name: the class a constructor belongs to. */
static struct demangle_component *innermost(struct demangle_component *name)
{
	for (;;) {
		switch (name->type) {
		case DEMANGLE_COMPONENT_TEMPLATE:
		case DEMANGLE_COMPONENT_TAGGED_NAME:
			name = LEFT(name);
			break;
		case DEMANGLE_COMPONENT_QUAL_NAME:
		case DEMANGLE_COMPONENT_LOCAL_NAME:
			name = RIGHT(name);
			break;
		default:
			return name;
		}
	}
}

/* libiberty names a constructor or destructor after the last name it read: an
   inheriting constructor (C1I) after its base class, an unnamed type's or a lambda's
   after the enclosing class. pprof, as the ABI means, names it after the class it is
   in. (libiberty's own names for the standard substitutions, such as std::allocator's
   "allocator", stay.) */
static void name_after_class(struct demangle_component *structor, struct demangle_component *scope)
{
	struct demangle_component *owner = innermost(scope);
	if (owner->type != DEMANGLE_COMPONENT_NAME && owner->type != DEMANGLE_COMPONENT_UNNAMED_TYPE &&
	    owner->type != DEMANGLE_COMPONENT_LAMBDA)
		return;
	if (structor->type == DEMANGLE_COMPONENT_CTOR)
		structor->u.s_ctor.name = owner;
	else if (structor->type == DEMANGLE_COMPONENT_DTOR)
		structor->u.s_dtor.name = owner;
}

/* Names each constructor and destructor after its class, among the names a symbol's
   tree prints: the function's, a local name's enclosing function and entity, a
   thunk's or a clone's target (none is inside a type). */
static void name_structors(struct demangle_component *name)
{
	while (name) {
		switch (name->type) {
		case DEMANGLE_COMPONENT_LOCAL_NAME:
			name_structors(RIGHT(name));
			name = LEFT(name);
			break;
		case DEMANGLE_COMPONENT_QUAL_NAME:
			name_after_class(RIGHT(name), LEFT(name));
			name = RIGHT(name);
			break;
		case DEMANGLE_COMPONENT_TYPED_NAME:
		case DEMANGLE_COMPONENT_TEMPLATE:
		case DEMANGLE_COMPONENT_TAGGED_NAME:
		case DEMANGLE_COMPONENT_THUNK:
		case DEMANGLE_COMPONENT_VIRTUAL_THUNK:
		case DEMANGLE_COMPONENT_COVARIANT_THUNK:
		case DEMANGLE_COMPONENT_HIDDEN_ALIAS:
		case DEMANGLE_COMPONENT_TRANSACTION_CLONE:
		case DEMANGLE_COMPONENT_NONTRANSACTION_CLONE:
			name = LEFT(name);
			break;
		default:
			return;
		}
	}
}

/* No DMGL_PARAMS: as with pprof's NoParams, the name's parameters are not even read. */
static char *demangle_cxx(const char *name, struct demangled *out)
{
	void *components = NULL;
	struct demangle_component *tree = cplus_demangle_v3_components(name, DMGL_NO_OPTS, &components);
	char *simple = NULL;
	if (tree) {
		name_structors(tree);
		if (print_cxx(tree, out) && (simple = malloc(out->length + 1)))
			cxx_names_simplify(out->text, simple);
	}
	free(components);
	return simple;
}

char *cxx_names_demangle(const char *name)
{
	if (strncmp(name, "_Z", 2) != 0 || strnlen(name, MANGLED_MAX + 1) > MANGLED_MAX)
		return NULL;
	struct demangled out = {.text = malloc(DEMANGLED_MAX + 1)};
	char *simple = NULL;
	/* pprof reads a name as legacy Rust ("_ZN...17h<16 hex digits>E") before C++, and
	   shows it whole. */
	if (out.text && strncmp(name, "_ZN", 3) == 0 && demangle_rust(name, &out))
		simple = strdup(out.text);
	else if (out.text)
		simple = demangle_cxx(name, &out);
	free(out.text);
	return simple;
}
