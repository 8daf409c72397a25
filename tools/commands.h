// The subcommands of heapprof; each takes the arguments after its name and
// returns the process exit status.
#ifndef HEAPPROF_TOOLS_COMMANDS_H
#define HEAPPROF_TOOLS_COMMANDS_H

int command_top(int argc, char **argv);
int command_diff(int argc, char **argv);
int command_flame(int argc, char **argv);
int command_list(int argc, char **argv);
int command_symbolize(int argc, char **argv);
int command_run(int argc, char **argv);

#endif
