#include "symbolize_fixture.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace heapprof_fixture
{

struct Widget {
	int method(int value, const char *name) const;
	int weight;
};

template <typename T> T twice(T value);

} /* namespace heapprof_fixture */

extern "C" const int fixture_method_line = __LINE__ + 1;
FIXTURE_NOINLINE int heapprof_fixture::Widget::method(int value, const char *name) const
{
	FIXTURE_CAPTURE();
	return value + weight + name[0];
}

extern "C" const int fixture_anonymous_line = __LINE__ + 4;
namespace
{

FIXTURE_NOINLINE void hidden_function()
{
	FIXTURE_CAPTURE();
}

} /* namespace */

extern "C" const int fixture_template_line = __LINE__ + 1;
template <typename T> FIXTURE_NOINLINE T heapprof_fixture::twice(T value)
{
	FIXTURE_CAPTURE();
	return value + value;
}

extern "C" void fixture_call_method()
{
	static volatile int weight = 1;
	heapprof_fixture::Widget widget = {weight};
	widget.method(2, "x");
}

extern "C" void fixture_call_anonymous()
{
	hidden_function();
}

extern "C" void fixture_call_template()
{
	static volatile int value = 3;
	heapprof_fixture::twice<int>(value);
}

/* Never called: its code gives the symbolizer tests deep chains of inlined library
   templates, a lambda and a std::function to find functions in. */
extern "C" size_t fixture_containers(int count)
{
	std::map<std::string, std::vector<int>> table;
	for (int i = 0; i < count; i++)
		table[std::to_string(i % 7)].push_back(i);
	std::function<size_t(int)> lookup = [&table](int key) { return table.count(std::to_string(key)); };
	return table.size() + lookup(count);
}
