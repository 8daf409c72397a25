/* The services heapprof runs beside the program: the dump thread and the endpoint.
   At start-up; and in a fork child, which inherits neither, from its first allocation
   made where starting a thread is safe (docs/design.md, "A fork child's services").
   A stop signal that found no safe moment (stop.c) waits for such an allocation too. */
#ifndef HEAPPROF_SERVICE_H
#define HEAPPROF_SERVICE_H

#include <stdatomic.h>
#include <stdint.h>

/* Set while something waits for an allocation made at a safe point. */
extern atomic_bool service_safe_point_wanted __attribute__((visibility("hidden")));

void service_start(void);

/* Around fork (lifecycle.c). The child only closes what it must not keep and wants
   a safe point for the rest. */
void service_fork_prepare(void);
void service_fork_parent(void);
void service_fork_child(void);

/* Makes every thread's next allocation take its slow path, which calls
   service_safe_point. Async-signal-safe. */
void service_want_safe_point(void);

/* From an allocation's slow path, after the allocator has returned, when
   service_safe_point_wanted is set: unless `caller`, the allocation's return address,
   is in the loader or the thread is inside heapprof (then it waits for the next
   allocation), ends the process for a pending stop signal, or starts a fork child's
   services. */
void service_safe_point(uintptr_t caller);

#endif
