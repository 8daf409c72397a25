/* libdw_api for the preload library: elfutils and the demangler are opened with
   RTLD_LOCAL only when needed (elfutils when a profile is written, the C++ runtime
   when a C++ name is), so they never join the host's scope and cost nothing at
   start-up; a C program's exit never loads the C++ runtime. */
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

static char *no_demangler(const char *mangled, char *buffer, size_t *length, int *status)
{
	(void)mangled, (void)buffer, (void)length;
	*status = -1;
	return NULL;
}

/* The first mangled name loads the demangler; symbolizers run under the dump lock, so
   one thread at a time gets here. */
static char *demangle_on_first_use(const char *mangled, char *buffer, size_t *length, int *status)
{
	void *runtime = descriptor_dlopen_local("libstdc++.so.6");
	void *demangle = runtime ? dlsym(runtime, "__cxa_demangle") : NULL;
	if (demangle)
		*(void **)&api.demangle = demangle;
	else
		api.demangle = no_demangler;
	return api.demangle(mangled, buffer, length, status);
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
	api.demangle = demangle_on_first_use;
	loaded = true;
	return &api;
}
