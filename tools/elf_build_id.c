#include "elf_build_id.h"

#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { MOST_NOTE_BYTES = 1 << 16 };

/* Looks through one PT_NOTE segment for the NT_GNU_BUILD_ID note. */
static bool build_id_in_notes(const unsigned char *notes, size_t size, char *hex, size_t hex_size)
{
	size_t at = 0;
	while (size - at >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr header;
		memcpy(&header, notes + at, sizeof header);
		at += sizeof header;
		size_t name_size = (header.n_namesz + 3u) & ~3u, desc_size = (header.n_descsz + 3u) & ~3u;
		if (name_size > size - at || desc_size > size - at - name_size)
			return false;
		const unsigned char *name = notes + at, *desc = notes + at + name_size;
		at += name_size + desc_size;
		if (header.n_type != NT_GNU_BUILD_ID || header.n_namesz != 4 || memcmp(name, "GNU", 4))
			continue;
		if (header.n_descsz == 0 || header.n_descsz * 2 + 1 > hex_size)
			return false;
		static const char digits[] = "0123456789abcdef";
		for (size_t i = 0; i < header.n_descsz; i++) {
			hex[2 * i] = digits[desc[i] >> 4];
			hex[2 * i + 1] = digits[desc[i] & 15];
		}
		hex[2 * header.n_descsz] = '\0';
		return true;
	}
	return false;
}

bool elf_build_id_read(const char *path, char *hex, size_t hex_size)
{
	/* A FIFO would block the open, a terminal become ours: neither is an ELF file. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return false;
	Elf64_Ehdr header;
	bool found = false;
	struct stat status;
	if (!fstat(fd, &status) && S_ISREG(status.st_mode) &&
	    pread(fd, &header, sizeof header, 0) == (ssize_t)sizeof header &&
	    !memcmp(header.e_ident, ELFMAG, SELFMAG) && header.e_ident[EI_CLASS] == ELFCLASS64 &&
	    header.e_phentsize == sizeof(Elf64_Phdr)) {
		for (unsigned i = 0; i < header.e_phnum && !found; i++) {
			Elf64_Phdr segment;
			if (pread(fd, &segment, sizeof segment,
				  (off_t)(header.e_phoff + i * sizeof segment)) != (ssize_t)sizeof segment)
				break;
			if (segment.p_type != PT_NOTE || segment.p_filesz > MOST_NOTE_BYTES)
				continue;
			unsigned char notes[MOST_NOTE_BYTES];
			if (pread(fd, notes, segment.p_filesz, (off_t)segment.p_offset) ==
			    (ssize_t)segment.p_filesz)
				found = build_id_in_notes(notes, segment.p_filesz, hex, hex_size);
		}
	}
	close(fd);
	return found;
}
