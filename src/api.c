/* The public API of include/heapprof.h. */
#include "heapprof.h"

#include <errno.h>

#include "dump.h"
#include "sampler.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT void heapprof_set_rate(size_t bytes)
{
	sampler_set_rate(bytes);
}

EXPORT size_t heapprof_get_rate(void)
{
	return sampler_get_rate();
}

EXPORT int heapprof_write_profile(const char *path)
{
	int error = dump_write(path);
	if (error) {
		errno = error;
		return -1;
	}
	return 0;
}

EXPORT const char *heapprof_version(void)
{
	return HEAPPROF_VERSION;
}
