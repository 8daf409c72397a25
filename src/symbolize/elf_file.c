#include "elf_file.h"

#include <elf.h>
#include <string.h>
#include <unistd.h>

#include "descriptors.h"

/* Whether the file has a .debug_info section of its own. */
static bool has_embedded_dwarf(int fd, const Elf64_Ehdr *header)
{
	Elf64_Shdr names;
	if (header->e_shentsize != sizeof names || header->e_shstrndx >= header->e_shnum ||
	    pread(fd, &names, sizeof names, (off_t)(header->e_shoff + header->e_shstrndx * sizeof names)) !=
		    (ssize_t)sizeof names)
		return false;
	for (unsigned i = 0; i < header->e_shnum; i++) {
		Elf64_Shdr section;
		char name[16] = {0};
		if (pread(fd, &section, sizeof section, (off_t)(header->e_shoff + i * sizeof section)) !=
			    (ssize_t)sizeof section ||
		    pread(fd, name, sizeof name - 1, (off_t)(names.sh_offset + section.sh_name)) < 0)
			return false;
		if (strcmp(name, ".debug_info") == 0 && section.sh_type != SHT_NOBITS)
			return true;
	}
	return false;
}

bool elf_file_load_bias(const char *path, uint64_t start, uint64_t file_offset, uint64_t *bias,
			bool *embedded_dwarf)
{
	int fd = descriptor_open_read_only(path);
	if (fd < 0)
		return false;
	Elf64_Ehdr header;
	bool found = false;
	if (pread(fd, &header, sizeof header, 0) == (ssize_t)sizeof header &&
	    memcmp(header.e_ident, ELFMAG, SELFMAG) == 0 && header.e_ident[EI_CLASS] == ELFCLASS64 &&
	    header.e_phentsize == sizeof(Elf64_Phdr)) {
		for (unsigned i = 0; i < header.e_phnum && !found; i++) {
			Elf64_Phdr segment;
			if (pread(fd, &segment, sizeof segment,
				  (off_t)(header.e_phoff + i * sizeof segment)) != (ssize_t)sizeof segment)
				break;
			uint64_t align = segment.p_align > 1 ? segment.p_align : 1;
			uint64_t offset = segment.p_offset & ~(align - 1);
			if (segment.p_type != PT_LOAD || file_offset < offset ||
			    file_offset >= segment.p_offset + segment.p_filesz)
				continue;
			uint64_t vaddr = segment.p_vaddr - (segment.p_offset - file_offset);
			*bias = start - vaddr;
			found = true;
		}
		*embedded_dwarf = found && has_embedded_dwarf(fd, &header);
	}
	close(fd);
	return found;
}
