/* The services heapprof runs beside the program: the dump thread and the endpoint.
   At start-up; and in a fork child, which inherits neither, from its first allocation
   made where starting a thread is safe (docs/design.md, "A fork child's services"). */
#ifndef HEAPPROF_SERVICE_H
#define HEAPPROF_SERVICE_H

#include <stdatomic.h>
#include <stdint.h>

/* Set in a fork child until its services have started. */
extern atomic_bool service_pending __attribute__((visibility("hidden")));

void service_start(void);

/* Around fork (lifecycle.c). The child only closes what it must not keep and asks
   for its next allocation to take the slow path, which calls service_resume. */
void service_fork_prepare(void);
void service_fork_parent(void);
void service_fork_child(void);

/* From an allocation's slow path, after the allocator has returned, when
   service_pending is set: starts the child's services unless `caller`, the
   allocation's return address, is in the loader or the thread is inside heapprof;
   then it waits for the next allocation. */
void service_resume(uintptr_t caller);

#endif
