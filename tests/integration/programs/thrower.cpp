/* C++ code that throws, dlopen'ed by the C program exceptions_host. It also reports
   which objects its own references to the unwinder bind to: the same lookup the C++
   runtime's __cxa_throw goes through. */
#include <dlfcn.h>
#include <execinfo.h>
#include <stdexcept>
#include <string.h>
#include <unwind.h>

static const char *provider(const void *address)
{
	Dl_info info;
	if (!dladdr(address, &info) || !info.dli_fname)
		return "(none)";
	const char *slash = strrchr(info.dli_fname, '/');
	return slash ? slash + 1 : info.dli_fname;
}

extern "C" const char *thrower_provider(const char *symbol)
{
	if (strcmp(symbol, "_Unwind_RaiseException") == 0)
		return provider((const void *)&_Unwind_RaiseException);
	if (strcmp(symbol, "_Unwind_Backtrace") == 0)
		return provider((const void *)&_Unwind_Backtrace);
	return provider((const void *)&backtrace);
}
extern "C" long thrower_run(long rounds)
{
	long caught = 0;
	for (long i = 0; i < rounds; i++) {
		try {
			throw std::runtime_error("expected");
		} catch (const std::exception &) {
			caught++;
		}
	}
	return caught;
}
