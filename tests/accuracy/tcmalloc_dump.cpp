/* Writes gperftools' sampled heap (MallocExtension::GetHeapSample: the live sampled
   objects, in the legacy "heap profile: ... @ heap_v2/RATE" text that pprof reads). */
#include <cstdio>
#include <gperftools/malloc_extension.h>
#include <string>

extern "C" void tcmalloc_dump_heap_sample(const char *path)
{
	std::string text;
	MallocExtension::instance()->GetHeapSample(&text);
	FILE *out = std::fopen(path, "w");
	if (!out) {
		std::perror(path);
		return;
	}
	std::fwrite(text.data(), 1, text.size(), out);
	std::fclose(out);
}
