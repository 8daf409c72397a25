/* The stack every dump runs on: heapprof's own, so that a dump never depends on the
   stack the program gave the thread that asks for it (a 16 KiB thread calling exit,
   say). docs/design.md, "Writing the profile". */
#ifndef HEAPPROF_DUMP_STACK_H
#define HEAPPROF_DUMP_STACK_H

/* Runs `work(argument)` on the dump stack and returns when it has. One dump at a
   time: the caller holds the dump lock. Where the stack cannot be mapped (no address
   space left), `work` runs on the caller's. */
void dump_stack_run(void (*work)(void *argument), void *argument);

#endif
