/* libFuzzer target for the profile reader and the reports: decompression,
   protobuf decoding, validation, and, for a profile that passed them,
   everything top, list and flame do with it (display names, drop_frames,
   merging for the total, the graph, units, source files, the flame graph's
   sort and layout). */
#include <stdint.h>
#include <stdio.h>

#include "reader/profile_reader.h"
#include "report/flame.h"
#include "report/list.h"
#include "report/report.h"
#include "report/top.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char error[512];
	struct profile *prof = profile_reader_parse(data, size, error, sizeof error);
	if (!prof)
		return 0;
	if (prof->n_sample_types == 0) {
		profile_reader_free(prof);
		return 0;
	}
	static FILE *sink;
	if (!sink)
		sink = fopen("/dev/null", "w");
	struct report_options options = REPORT_OPTIONS_DEFAULT;
	struct report rpt;
	report_prepare(&rpt, prof, &options);
	top_print(&rpt, sink);
	rpt.output_unit = options.unit; /* top chose one for its own nodes */
	list_print(&rpt, ".", sink);
	flame_write_svg(&rpt, sink, error, sizeof error);
	report_close(&rpt);
	return 0;
}
