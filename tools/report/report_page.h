/* heapprof report's page: one self-contained HTML file (inline CSS, SVG and
   script, nothing fetched) showing a series of profiles: in-use over time,
   the leak suspects, a flame graph of any profile, top of the last profile
   and of the growth. */
#ifndef HEAPPROF_TOOLS_REPORT_PAGE_H
#define HEAPPROF_TOOLS_REPORT_PAGE_H

#include <stdio.h>

#include "series.h"

/* The sites the chart draws besides the total, and the suspects listed. */
enum { REPORT_PAGE_CHARTED_SITES = 5, REPORT_PAGE_LISTED_SUSPECTS = 20 };

void report_page_write(struct series *series, FILE *out);

#endif
