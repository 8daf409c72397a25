/* -base as pprof applies it: the base profile's values are negated and the
   two profiles merged (profile.Merge), so that a report shows what changed. */
#ifndef HEAPPROF_TOOLS_BASE_PROFILE_H
#define HEAPPROF_TOOLS_BASE_PROFILE_H

#include <stdbool.h>

#include "reader/profile_reader.h"

/* A profile holding current's samples and base's with negated values, with
   the headers profile.Merge combines. It borrows from both profiles, which
   must outlive it. Exits with status 1 when pprof would refuse the merge
   (different sample or period types). With as_diff_base, base's samples are
   labelled pprof::base=true, as -diff_base labels them: the report's total is
   then theirs (sample_merge.h). */
struct profile *base_profile_subtract(const struct profile *current, const struct profile *base,
				      bool as_diff_base);

#endif
