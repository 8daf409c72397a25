/* Whether a program can be profiled by preloading libheapprof.so: the
   dynamic loader must run (no static binaries) and must honour LD_PRELOAD
   (no setuid or setgid programs). */
#ifndef HEAPPROF_TOOLS_PRELOAD_CHECK_H
#define HEAPPROF_TOOLS_PRELOAD_CHECK_H

/* Finds command as execvp would; returns a malloc'd path or NULL. */
char *preload_check_find_program(const char *command);

/* NULL when the library can be preloaded into the program at path, else a
   sentence saying why not. */
const char *preload_check_obstacle(const char *path);

#endif
