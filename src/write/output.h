/* Profile files: names from the HEAPPROF_OUT template, and writes that are atomic
   and never follow a symlink or replace a file heapprof did not write. */
#ifndef HEAPPROF_OUTPUT_H
#define HEAPPROF_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* At start-up, before the program can change them: remembers the program's name for
   %e and, when `template` is relative, the working directory its names go in. */
void output_start(const char *template);

/* The program's name at start-up: %e, and the profile's comment. */
const char *output_program_name(void);

/* Expands %p (pid), %e (program name at start-up), %n (dump sequence number) and %%.
   False when the result does not fit in `size` bytes. */
bool output_expand(const char *template, uint64_t sequence, char *path, size_t size);

/* Inserts `tag` before the profile suffix (.pb, .pb.gz, .pb.zst, or the last extension):
   heap.pb.gz + "peak" -> heap.peak.pb.gz. False when it does not fit. */
bool output_insert_tag(const char *path, const char *tag, char *out, size_t size);

/* What a relative path is relative to. */
enum output_base {
	OUTPUT_WORKING_DIRECTORY, /* the current one: a path the program gave */
	OUTPUT_START_DIRECTORY,   /* the one output_start saw: a name from the template */
};

/* Writes `data` to a temporary file beside `path` (O_EXCL, O_NOFOLLOW) and moves it into
   place. An existing `path` is replaced only if heapprof wrote it in this process.
   Returns 0, or an errno value (EEXIST: a file that is not ours is in the way). */
int output_write(const char *path, enum output_base base, const void *data, size_t length);

/* After fork: files the parent wrote are not the child's to replace. */
void output_forget_written(void);

#endif
