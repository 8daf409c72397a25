/* pprof merges every profile it opens with itself (profile.Merge): samples
   whose stacks and labels are equal become one, their values summed. Sums of
   absolute values, like a report's total, see the difference when values are
   negative, so the total is computed over merged samples. */
#ifndef HEAPPROF_TOOLS_SAMPLE_MERGE_H
#define HEAPPROF_TOOLS_SAMPLE_MERGE_H

#include <stdint.h>

#include "reader/profile_reader.h"

/* pprof's report total: the sum over merged samples of |value|, or over the
   merged samples labelled pprof::base=true when there are any. */
int64_t sample_merge_total(const struct profile *prof, size_t value_index);

/* Which merged sample each sample becomes (merged: one per sample, in
   order of first appearance); returns the number of merged samples. */
size_t sample_merge_groups(const struct profile *prof, uint32_t *merged);

/* The weight each sample adds to pprof's graph, which is built from merged
   samples: its merged sample's sum on the first of them, 0 on the others.
   malloc'd, one per sample. */
int64_t *sample_merge_weights(const struct profile *prof, size_t value_index);

/* profile.Merge's comments: those of the sources in order, each once,
   written to out, which has room for them all (and may be the one source's
   own). Returns how many. */
size_t sample_merge_comments(const char **out, const struct profile *const *sources, size_t n_sources);

/* Whether the sample carries pprof's diff-base label, pprof::base=true. */
bool sample_merge_is_diff_base(const struct profile *prof, const Perftools__Profiles__Sample *sample);

/* Whether profile.Merge keeps a sample with a location that wanted (one flag
   per location) marks: it drops the samples whose values sum to zero in
   every sample type. */
bool sample_merge_keeps_location(const struct profile *prof, const bool *wanted);

/* The samples profile.Merge keeps, one for each merged sample (its first
   with a value), in Merge's order: malloc'd indices into prof->samples, and
   how many in *count. */
size_t *sample_merge_kept(const struct profile *prof, size_t *count);

/* Points each location at the mapping profile.Merge keeps for its own, the
   first of those it takes for one that the merge meets: the first mapping,
   then those of the samples that have a value, in order (a sample whose
   values later cancel out has been met). Their files name the frames
   without a function. */
void sample_merge_mappings(struct profile *prof);

/* Whether profile.Merge takes two mappings for one: the same size rounded up
   to pages, the same offset, and the same build ID or, without one, file. */
bool sample_merge_same_mapping(const struct profile_mapping *left, const struct profile_mapping *right);

#endif
