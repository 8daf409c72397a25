/* What a sample is labelled with besides its size: how old its block is, from a
   coarse clock read when the block is sampled and bucketed when the block is freed or
   a profile is written, and the name of the thread that allocated it. */
#ifndef HEAPPROF_LABELS_H
#define HEAPPROF_LABELS_H

#include <stdbool.h>
#include <stdint.h>

/* A thread's name as pthread_setname_np sets it: at most 15 bytes and a NUL (the
   kernel's TASK_COMM_LEN). */
#define LABELS_THREAD_NAME_BYTES 16

/* Nanoseconds of CLOCK_MONOTONIC_COARSE: read from the vDSO's data page, no system
   call, no lock, safe inside malloc and in a signal handler. It advances by the
   kernel's tick (1-4 ms), far finer than the first bucket. */
uint64_t labels_clock(void);

/* The age bucket of a block born at `born` as seen at `now` (labels_clock values), in
   seconds, labelled with its lower bound: whole seconds below 8, then the age's three
   leading bits (8, 10, 12, 14, 16, 20, ...), four buckets per doubling, each at most
   25% wider than its bound. A lower bound makes -tagfocus=age=X: a
   promise: every block it shows is at least X old. Under a second is 0. */
uint64_t labels_age_bucket(uint64_t born, uint64_t now);

/* A thread's name is part of a site's key and sites are never freed: a program naming
   a thread per request would add sites without end. The first this many distinct
   names are labels; the threads of any later one are labelled LABELS_OTHER_THREADS. */
#define LABELS_THREAD_NAMES 256
#define LABELS_OTHER_THREADS "other"

/* The calling thread's name, read with prctl(PR_GET_NAME) at its first sample and
   then at most once per second of `now`: a thread renamed meanwhile is labelled with
   its old name for up to a second. "" when the kernel would not say. */
const char *labels_thread_name(uint64_t now);

#endif
