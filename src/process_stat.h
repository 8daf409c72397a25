/* Fields of /proc/self/stat, read without allocating. */
#ifndef HEAPPROF_PROCESS_STAT_H
#define HEAPPROF_PROCESS_STAT_H

#include <stdint.h>

/* Field `field` (numbered from 1, as proc(5) numbers them; 3 or more) as a number;
   0 when it cannot be read. */
uint64_t process_stat_field(unsigned field);

#endif
