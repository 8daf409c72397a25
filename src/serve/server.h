/* The endpoint's server: a listening socket and one heapprof thread that serves every
   connection without blocking on any (docs/usage.md, "The endpoint"). */
#ifndef HEAPPROF_SERVE_SERVER_H
#define HEAPPROF_SERVE_SERVER_H

/* Listens where HEAPPROF_HTTP says and starts the thread: at start-up, and in a fork
   child once it may start threads (service.c), there on an address of its own.
   Failures cost one "heapprof:" line and leave the endpoint off. */
void serve_start(void);

/* Removes the unix socket's file, if this process made it and it is still there:
   at exit, and before a stop signal ends the process. */
void serve_remove_socket(void);

/* Around fork: the child closes the parent's sockets, which it never serves on. */
void serve_fork_prepare(void);
void serve_fork_parent(void);
void serve_fork_child(void);

#endif
