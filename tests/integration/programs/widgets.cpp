/* C++ allocations through operator new: the profile must name the caller of new. */
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace shapes {

struct Widget {
	long id;
	double weights[14];
};

__attribute__((noinline)) Widget *make_widget(long id)
{
	return new Widget{id, {}};
}

__attribute__((noinline)) std::vector<std::string> make_labels(int count)
{
	std::vector<std::string> labels;
	for (int i = 0; i < count; i++)
		labels.push_back("a label long enough to leave the small-string buffer " + std::to_string(i));
	return labels;
}

} /* namespace shapes */

int main()
{
	std::vector<std::unique_ptr<shapes::Widget>> widgets;
	for (long i = 0; i < 5000; i++)
		widgets.emplace_back(shapes::make_widget(i));
	auto labels = shapes::make_labels(2000);
	std::map<int, std::string> index;
	for (int i = 0; i < 2000; i++)
		index[i] = labels[i];
	std::printf("widgets %zu labels %zu index %zu widget_size %zu\n", widgets.size(), labels.size(),
		    index.size(), sizeof(shapes::Widget));
	return 0;
}
