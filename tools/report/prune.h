/* Applies a profile's drop_frames/keep_frames the way pprof does when it
   opens a profile: frames matching drop_frames (and not keep_frames) are cut
   from every stack, together with everything they called. */
#ifndef HEAPPROF_TOOLS_PRUNE_H
#define HEAPPROF_TOOLS_PRUNE_H

#include "reader/profile_reader.h"

void prune_dropped_frames(struct profile *prof);

#endif
