/* Go's net/url, for pprof's unsourceMappings: a mapping file without a build
   ID that url.Parse takes for an absolute URL (C:\app.exe, memfd:jit) loses
   its name once pprof has symbolized. */
#ifndef HEAPPROF_TOOLS_GO_URL_H
#define HEAPPROF_TOOLS_GO_URL_H

#include <stdbool.h>

/* Whether url.Parse(text) succeeds with a scheme (URL.IsAbs). */
bool go_url_is_absolute(const char *text);

#endif
