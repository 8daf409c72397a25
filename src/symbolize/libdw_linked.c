/* libdw_api for programs linked against elfutils (the CLI). */
#include "libdw_api.h"

#define LIBDW_ADDRESS(name) .name = name,

static const struct libdw_api api = {LIBDW_FUNCTIONS(LIBDW_ADDRESS)};

const struct libdw_api *libdw_api_load(void)
{
	return &api;
}
