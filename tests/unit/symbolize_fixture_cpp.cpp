#include "symbolize_fixture.h"

namespace heapprof_fixture {

struct Widget {
	int method(int value, const char *name) const;
	int weight;
};

template <typename T> T twice(T value);

} // namespace heapprof_fixture

extern "C" const int fixture_method_line = __LINE__ + 1;
FIXTURE_NOINLINE int heapprof_fixture::Widget::method(int value, const char *name) const
{
	FIXTURE_CAPTURE();
	return value + weight + name[0];
}

extern "C" const int fixture_anonymous_line = __LINE__ + 3;
namespace {

FIXTURE_NOINLINE void hidden_function()
{
	FIXTURE_CAPTURE();
}

} // namespace

extern "C" const int fixture_template_line = __LINE__ + 2;
template <typename T>
FIXTURE_NOINLINE T heapprof_fixture::twice(T value)
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
