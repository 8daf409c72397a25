#include "preload_check.h"

#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader/diag.h"

char *preload_check_find_program(const char *command)
{
	if (strchr(command, '/'))
		return access(command, F_OK) == 0 ? diag_strdup(command) : NULL;
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/bin:/usr/bin";
	for (const char *dir = path;; dir++) {
		const char *end = strchrnul(dir, ':');
		char *candidate = end == dir ? diag_asprintf("./%s", command)
					     : diag_asprintf("%.*s/%s", (int)(end - dir), dir, command);
		struct stat status;
		if (stat(candidate, &status) == 0 && S_ISREG(status.st_mode) && access(candidate, X_OK) == 0)
			return candidate;
		free(candidate);
		if (!*end)
			return NULL;
		dir = end;
	}
}

/* 1 if the ELF file has a PT_INTERP program header (a dynamic loader), 0 if
   not, -1 if it is not an ELF file we can read. */
static int has_interpreter(int fd)
{
	unsigned char ident[EI_NIDENT];
	if (pread(fd, ident, sizeof ident, 0) != (ssize_t)sizeof ident || memcmp(ident, ELFMAG, SELFMAG))
		return -1;
	if (ident[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr header;
		if (pread(fd, &header, sizeof header, 0) != (ssize_t)sizeof header)
			return -1;
		for (unsigned i = 0; i < header.e_phnum; i++) {
			Elf64_Phdr program;
			off_t at = (off_t)(header.e_phoff + (uint64_t)i * header.e_phentsize);
			if (pread(fd, &program, sizeof program, at) != (ssize_t)sizeof program)
				return -1;
			if (program.p_type == PT_INTERP)
				return 1;
		}
		return 0;
	}
	Elf32_Ehdr header;
	if (ident[EI_CLASS] != ELFCLASS32 || pread(fd, &header, sizeof header, 0) != (ssize_t)sizeof header)
		return -1;
	for (unsigned i = 0; i < header.e_phnum; i++) {
		Elf32_Phdr program;
		off_t at = (off_t)(header.e_phoff + (uint32_t)i * header.e_phentsize);
		if (pread(fd, &program, sizeof program, at) != (ssize_t)sizeof program)
			return -1;
		if (program.p_type == PT_INTERP)
			return 1;
	}
	return 0;
}

/* The interpreter named on a script's "#!" line, malloc'd, or NULL. */
static char *script_interpreter(int fd)
{
	char line[256];
	ssize_t length = pread(fd, line, sizeof line - 1, 0);
	if (length < 2 || line[0] != '#' || line[1] != '!')
		return NULL;
	line[length] = '\0';
	char *start = line + 2 + strspn(line + 2, " \t");
	start[strcspn(start, " \t\n")] = '\0';
	return *start ? diag_strdup(start) : NULL;
}

/* Scripts name their interpreter, which may be a script in turn; the kernel
   follows a few levels, and so do we. */
enum { MOST_INTERPRETER_LEVELS = 4 };

static const char *obstacle_at_level(const char *path, int level)
{
	struct stat status;
	if (stat(path, &status) == 0 && (status.st_mode & (S_ISUID | S_ISGID)))
		return "it is setuid or setgid, and the dynamic loader ignores LD_PRELOAD for such programs";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL; /* exec will say what is wrong */
	const char *obstacle = NULL;
	char *interpreter = script_interpreter(fd);
	if (interpreter && level < MOST_INTERPRETER_LEVELS) {
		obstacle = obstacle_at_level(interpreter, level + 1);
	} else if (!interpreter && has_interpreter(fd) == 0) {
		obstacle = "it is statically linked, so no dynamic loader runs to preload the library";
	}
	free(interpreter);
	close(fd);
	return obstacle;
}

const char *preload_check_obstacle(const char *path)
{
	return obstacle_at_level(path, 0);
}
