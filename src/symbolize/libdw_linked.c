/* libdw_api for programs linked against elfutils and the C++ runtime (the CLI). */
#include "libdw_api.h"

extern char *__cxa_demangle(const char *mangled, char *buffer, size_t *length, int *status);

#define LIBDW_ADDRESS(name) .name = name,

static const struct libdw_api api = {
	LIBDW_FUNCTIONS(LIBDW_ADDRESS).demangle = __cxa_demangle,
};

const struct libdw_api *libdw_api_load(void)
{
	return &api;
}
