/* C++ code loaded by the C program plugin_host: the C++ runtime comes with the plugin,
   in its own scope, so heapprof finds the operators new and delete to forward to only
   when the plugin first calls them. */
struct Page {
	unsigned char bytes[2048];
};

static Page *pages[400];

__attribute__((noinline)) static Page *cxx_plugin_page()
{
	return new Page();
}

extern "C" long plugin_allocate(void)
{
	long sum = 0;
	for (int i = 0; i < 400; i++) {
		pages[i] = cxx_plugin_page();
		sum += pages[i]->bytes[10];
	}
	/* Half stays live after the library is gone, as in plugin.c. */
	for (int i = 0; i < 400; i += 2)
		delete pages[i];
	return sum;
}
