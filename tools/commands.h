/* The subcommands of heapprof; each takes the arguments after its name and
   returns the process exit status. */
#ifndef HEAPPROF_TOOLS_COMMANDS_H
#define HEAPPROF_TOOLS_COMMANDS_H

#include <stdbool.h>

int command_top(int argc, char **argv);
int command_diff(int argc, char **argv);
/* The top report shared by top and diff: diff takes OLD NEW, top takes [-base=OLD] NEW. */
int command_top_report(int argc, char **argv, const char *name, const char *help, bool as_diff);
int command_flame(int argc, char **argv);
int command_report(int argc, char **argv);
int command_list(int argc, char **argv);
int command_symbolize(int argc, char **argv);
int command_run(int argc, char **argv);

#endif
