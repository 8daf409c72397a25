#include "loaded_object.h"

#include <elf.h>
#include <string.h>

bool loaded_object_holds(const struct dl_phdr_info *info, uintptr_t address)
{
	for (unsigned i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + segment->p_vaddr;
		if (segment->p_type == PT_LOAD && address >= start && address < start + segment->p_memsz)
			return true;
	}
	return false;
}

/* The parts of the dynamic section a lookup reads; NULL where the object has none. */
struct dynamic_tables {
	const ElfW(Sym) *symbols;
	const char *strings;
	const uint32_t *gnu_hash;
	const ElfW(Versym) *versions;
	ElfW(Xword) flags;
};

static struct dynamic_tables dynamic_tables_of(const struct dl_phdr_info *info)
{
	struct dynamic_tables tables = {0};
	const ElfW(Dyn) *entry = NULL;
	for (unsigned i = 0; i < info->dlpi_phnum && !entry; i++) {
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			entry = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
	}
	for (; entry && entry->d_tag != DT_NULL; entry++) {
		uintptr_t address = loaded_object_address(info->dlpi_addr, entry->d_un.d_ptr);
		switch (entry->d_tag) {
		case DT_SYMTAB:
			tables.symbols = (const ElfW(Sym) *)address;
			break;
		case DT_STRTAB:
			tables.strings = (const char *)address;
			break;
		case DT_GNU_HASH:
			tables.gnu_hash = (const uint32_t *)address;
			break;
		case DT_VERSYM:
			tables.versions = (const ElfW(Versym) *)address;
			break;
		case DT_FLAGS_1:
			tables.flags = entry->d_un.d_val;
			break;
		}
	}
	if (!tables.symbols || !tables.strings)
		tables.gnu_hash = NULL;
	return tables;
}

/* The GNU hash table: bucket and bloom filter sizes, the first hashed symbol, the
   filter's shift; then the filter, the buckets, and a hash per hashed symbol whose low
   bit ends a bucket's chain. */
struct gnu_hash {
	uint32_t bucket_count, first_symbol;
	const uint32_t *buckets, *chain;
};

static struct gnu_hash gnu_hash_of(const uint32_t *table)
{
	const ElfW(Addr) *bloom = (const ElfW(Addr) *)(table + 4);
	const uint32_t *buckets = (const uint32_t *)(bloom + table[2]);
	return (struct gnu_hash){table[0], table[1], buckets, buckets + table[0]};
}

static uint32_t gnu_hash_of_name(const char *name)
{
	uint32_t hash = 5381;
	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		hash = hash * 33 + *c;
	return hash;
}

static bool defined_function(const struct dynamic_tables *tables, uint32_t index, const char *name)
{
	const ElfW(Sym) *symbol = &tables->symbols[index];
	unsigned char binding = ELF64_ST_BIND(symbol->st_info);
	/* The hidden bit marks a version other than the default. */
	return symbol->st_shndx != SHN_UNDEF && ELF64_ST_TYPE(symbol->st_info) == STT_FUNC &&
	       (binding == STB_GLOBAL || binding == STB_WEAK) &&
	       !(tables->versions && (tables->versions[index] & 0x8000)) &&
	       strcmp(tables->strings + symbol->st_name, name) == 0;
}

void *loaded_object_function(const struct dl_phdr_info *info, const char *name)
{
	struct dynamic_tables tables = dynamic_tables_of(info);
	if (!tables.gnu_hash)
		return NULL;
	struct gnu_hash table = gnu_hash_of(tables.gnu_hash);
	uint32_t hash = gnu_hash_of_name(name);
	if (!table.bucket_count)
		return NULL;
	uint32_t index = table.buckets[hash % table.bucket_count];
	if (index < table.first_symbol)
		return NULL;
	for (;; index++) {
		uint32_t chained = table.chain[index - table.first_symbol];
		if ((chained | 1) == (hash | 1) && defined_function(&tables, index, name))
			return (void *)(info->dlpi_addr + tables.symbols[index].st_value);
		if (chained & 1)
			return NULL;
	}
}

/* How many symbols the table has: one past the end of the last bucket's chain. */
static uint32_t symbol_count(const struct gnu_hash *table)
{
	uint32_t last = 0;
	for (uint32_t i = 0; i < table->bucket_count; i++) {
		if (table->buckets[i] > last)
			last = table->buckets[i];
	}
	if (last < table->first_symbol)
		return table->first_symbol;
	while (!(table->chain[last - table->first_symbol] & 1))
		last++;
	return last + 1;
}

bool loaded_object_kept(const struct dl_phdr_info *info)
{
	struct dynamic_tables tables = dynamic_tables_of(info);
	if (tables.flags & DF_1_NODELETE)
		return true;
	if (!tables.gnu_hash)
		return false;
	struct gnu_hash table = gnu_hash_of(tables.gnu_hash);
	uint32_t count = symbol_count(&table);
	for (uint32_t i = table.first_symbol; i < count; i++) {
		if (ELF64_ST_BIND(tables.symbols[i].st_info) == STB_GNU_UNIQUE &&
		    tables.symbols[i].st_shndx != SHN_UNDEF)
			return true;
	}
	return false;
}
