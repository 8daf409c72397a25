/* A loaded object's definitions, found from its own symbol table, are what dlsym finds
   in it; the loader's marks of an object it never unloads are read. libstdc++ defines
   the operators new and delete and STB_GNU_UNIQUE symbols; the fixture (argv[1]) is
   marked NODELETE and has a weak definition; libm has versioned definitions and
   neither mark.

   usage: test_loaded_object FIXTURE.so */
#include "record/loaded_object.h"

#include <dlfcn.h>
#include <string.h>

#include "check.h"

struct wanted {
	const char *path;
	void *handle;
	bool seen, kept;
	uintptr_t own_address;
};

/* libm's exp and lgamma have an old version beside the default one. */
static const char *const names[] = {
	"_Znwm",
	"_ZdlPv",
	"_ZnamSt11align_val_t",
	"exp",
	"lgamma",
	"loaded_object_fixture",
	"no_such_function",
};

static int check_object(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	struct wanted *wanted = data;
	if (!strstr(info->dlpi_name, wanted->path))
		return 0;
	wanted->seen = true;
	wanted->kept = loaded_object_kept(info);
	CHECK(loaded_object_holds(info, wanted->own_address));
	CHECK(!loaded_object_holds(info, (uintptr_t)check_object));
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
		/* dlsym searches the object's dependencies too: only its own definitions count. */
		void *found = dlsym(wanted->handle, names[i]);
		Dl_info where;
		if (found && (!dladdr(found, &where) || !strstr(where.dli_fname, wanted->path)))
			found = NULL;
		CHECK(loaded_object_function(info, names[i]) == found);
	}
	return 1;
}

static bool kept(const char *path)
{
	struct wanted wanted = {path, dlopen(path, RTLD_NOW | RTLD_LOCAL), false, false, 0};
	if (!wanted.handle)
		CHECK_FAILED("%s: %s", path, dlerror());
	struct link_map *map;
	CHECK(dlinfo(wanted.handle, RTLD_DI_LINKMAP, &map) == 0);
	wanted.own_address = (uintptr_t)map->l_ld;
	dl_iterate_phdr(check_object, &wanted);
	CHECK(wanted.seen);
	return wanted.kept;
}

int main(int argc, char **argv)
{
	CHECK(argc == 2);
	CHECK(kept("libstdc++.so.6"));
	CHECK(kept(argv[1]));
	CHECK(!kept("libm.so.6"));
	CHECK(loaded_object_address(0x7f0000000000, 0x1000) == 0x7f0000001000);
	CHECK(loaded_object_address(0x7f0000000000, 0x7f0000001000) == 0x7f0000001000);
	return 0;
}
