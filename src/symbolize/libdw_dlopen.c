/* libdw_api for the preload library: elfutils is opened with RTLD_LOCAL when a profile
   is written, so it never joins the host's scope and costs nothing at start-up. */
#include "libdw_api.h"

#include <dlfcn.h>
#include <stdbool.h>

#include "descriptors.h"
#include "log.h"

static struct libdw_api api;
static bool loaded, failed;

#define LIBDW_RESOLVE(name)                                 \
	if (!(*(void **)&api.name = dlsym(library, #name))) \
		return false;

static bool resolve_all(void *library)
{
	LIBDW_FUNCTIONS(LIBDW_RESOLVE)
	return true;
}

const struct libdw_api *libdw_api_load(void)
{
	if (loaded || failed)
		return loaded ? &api : NULL;
	void *library = descriptor_dlopen_local("libdw.so.1");
	if (!library || !resolve_all(library)) {
		log_message("cannot load libdw.so.1 (elfutils); the profile has addresses but no symbols");
		failed = true;
		return NULL;
	}
	loaded = true;
	return &api;
}
