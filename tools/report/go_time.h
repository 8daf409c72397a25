/* Go's local time, for pprof's Time: line: the zone Go's time package loads
   (TZ as Go reads it, zone files as Go validates them, UTC when none), and
   the time in it as Go computes it, leap seconds ignored. */
#ifndef HEAPPROF_TOOLS_GO_TIME_H
#define HEAPPROF_TOOLS_GO_TIME_H

#include <stdint.h>
#include <time.h>

enum { GO_ZONE_NAME_SIZE = 64 };

/* The broken-down local time of seconds since the epoch, and the zone's
   abbreviation ("UTC" when Go falls back to it). */
void go_time_local(int64_t seconds, struct tm *local, char zone[GO_ZONE_NAME_SIZE]);

#endif
