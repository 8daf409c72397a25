/* Aggregates a profile's samples into report nodes the way pprof's graph
   package does: every (location, line) pair maps to a node, a sample adds its
   value once to the cumulative weight of each distinct node on its stack and
   to the flat weight of its leaf, and caller->callee edges remember whether
   the call was inlined. */
#ifndef HEAPPROF_TOOLS_GRAPH_H
#define HEAPPROF_TOOLS_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reader/intern_table.h"
#include "reader/profile_reader.h"

#define NO_NODE UINT32_MAX

/* What identifies a node; two frames with equal info share a node. */
struct node_info {
	const char *name;
	const char *orig_name;
	uint64_t address;
	const char *file;
	int64_t start_line;
	int64_t lineno;
	const char *objfile;
};

/* Fills out the identity of one frame; line is NULL for a location without
   lines. Strings must outlive the node space. */
typedef void describe_frame_fn(const struct profile *prof, const struct profile_location *location,
			       const struct profile_line *line, struct node_info *out, void *context);

struct node_space {
	struct intern_table keys;
	struct node_info *infos;
	size_t n_nodes;
	/* The nodes of location i are line_nodes[location_first[i] .. location_first[i+1]),
       innermost frame first, as the location lists its lines. */
	uint32_t *location_first;
	uint32_t *line_nodes;
};

void graph_node_space_build(struct node_space *space, const struct profile *prof, describe_frame_fn *describe,
			    void *context);
void graph_node_space_free(struct node_space *space);

struct graph {
	int64_t *flat;
	int64_t *cum;
	size_t *last_sample; /* the last sample that added to a node's cum */
};

/* kept, when not NULL, restricts the graph to the nodes it marks; frames of
   other nodes are skipped as pprof skips trimmed nodes. */
void graph_build(struct graph *g, const struct profile *prof, const struct node_space *space,
		 size_t value_index, const bool *kept);
void graph_free(struct graph *g);

enum { CALLS_INLINED = 1, CALLS_NOT_INLINED = 2 };

/* For each node of the graph that kept describes, which kinds of calls into
   it weigh at least cutoff (CALLS_* bits): pprof labels a node "(inline)"
   when only inlined calls do, "(partial-inline)" when both kinds do. Only
   nodes that appear as inlined frames somewhere can get a label, so only
   calls into those are followed. Returns a malloc'd array. */
unsigned char *graph_classify_calls(const struct profile *prof, const struct node_space *space,
				    size_t value_index, const bool *kept, int64_t cutoff);

/* pprof keeps a node in a graph only when it carries some weight. */
static inline bool graph_has_node(const struct graph *g, uint32_t node)
{
	return g->flat[node] != 0 || g->cum[node] != 0;
}

/* The sum over samples of |value|, as pprof computes a report's total; when
   samples are marked as the diff base (label pprof::base=true), only those. */
int64_t graph_profile_total(const struct profile *prof, size_t value_index);

/* The name pprof prints for a node ("main.f", "[libc.so.6]", "<unknown>",
   with address and file:line when the node has them). malloc'd. */
char *graph_node_printable_name(const struct node_info *info);

/* pprof's last tie-break between two nodes: their info printed as Go prints
   a struct. Returns <0, 0 or >0 like strcmp. */
int graph_node_info_compare(const struct node_info *left, const struct node_info *right);
#endif
