/* Where a command's -o writes: where the user points. A regular file (or a
   new one) is written beside its final place and renamed over it, so that it
   is never half-written and may be the command's own input; a symlink is
   followed to that place. Anything else (a device such as /dev/null, a FIFO)
   is written into directly. */
#ifndef HEAPPROF_TOOLS_OUTPUT_FILE_H
#define HEAPPROF_TOOLS_OUTPUT_FILE_H

#include <stddef.h>
#include <stdio.h>

struct output_file {
	FILE *stream; /* what the command writes to */
	char *path;   /* as the user gave it, for messages */
	char *target; /* the file renamed over, or NULL when writing into path directly */
	char *temporary;
	int fd;
	int error; /* errno of the first write that failed */
};

/* Both return 0, or -1 with "PATH: reason" in error. The file must stay
   where it is until closed. A process that exits before closing it leaves
   no temporary file behind. */
int output_file_open(struct output_file *file, const char *path, char *error, size_t error_size);
/* Flushes and puts the file in place; on failure nothing replaces the target. */
int output_file_close(struct output_file *file, char *error, size_t error_size);

#endif
