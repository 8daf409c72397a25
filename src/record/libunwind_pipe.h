/* Keeps libunwind's address-checking pipe out of the program's descriptors. */
#ifndef HEAPPROF_LIBUNWIND_PIPE_H
#define HEAPPROF_LIBUNWIND_PIPE_H

/* Redirects libunwind's own pipe2, read and close (`library_handle` from dlopen);
   must run before libunwind first unwinds, which opens the pipe. */
void libunwind_pipe_guard(void *library_handle);

/* In a forked child: a thread that was using the table of pipes is not there to
   give it back (the program's own libunwind, if it is the same object, is not held
   back by a fork as heapprof's recordings are). */
void libunwind_pipe_fork_child(void);

/* After heapprof's libunwind walk, when its reads of the pipe held SIGPIPE back:
   drops the SIGPIPE that a write into a pipe the program broke meanwhile raised,
   and unblocks SIGPIPE as it was. */
void libunwind_pipe_release_sigpipe(void);

#endif
