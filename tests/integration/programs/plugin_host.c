/* Loads the allocating plugin, calls it, unloads it, and repeats. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: plugin_host PLUGIN.so\n");
		return 2;
	}
	long total = 0;
	for (int round = 0; round < 3; round++) {
		void *plugin = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
		if (!plugin) {
			fprintf(stderr, "dlopen: %s\n", dlerror());
			return 1;
		}
		long (*allocate)(void) = (long (*)(void))dlsym(plugin, "plugin_allocate");
		total += allocate();
		dlclose(plugin);
	}
	printf("plugin total %ld\n", total);
	return 0;
}
