/* C++ names that pprof simplifies in ways a text simplifier got wrong, and names that
   demangle to gigabytes: each function allocates, so that the profile names it. Built
   without debug information, which would spell those types out, gigabytes of them. */
#include <cstdio>
#include <cstdlib>
#include <string>

namespace names {

template <class A, class B>
struct P {
};

/* P<P<...>, P<...>> nested N + 1 times: its name doubles with each level. */
template <int N>
struct Nest {
	using type = P<typename Nest<N - 1>::type, typename Nest<N - 1>::type>;
};

template <>
struct Nest<0> {
	using type = P<int, int>;
};

template <int N>
using Deep = typename Nest<N>::type;

template <class T>
struct Holder {
	__attribute__((noinline)) static void *alloc()
	{
		return std::malloc(64);
	}
};

/* pprof: names::in_params, its parameters not even read. */
__attribute__((noinline)) void *in_params(Deep<0> *, Deep<1> *, Deep<2> *, Deep<3> *, Deep<4> *, Deep<5> *,
					  Deep<6> *, Deep<7> *, Deep<8> *, Deep<9> *, Deep<10> *, Deep<11> *,
					  Deep<12> *, Deep<13> *, Deep<14> *, Deep<15> *, Deep<16> *,
					  Deep<17> *, Deep<18> *, Deep<19> *, Deep<20> *, Deep<21> *,
					  Deep<22> *, Deep<23> *, Deep<24> *, Deep<25> *, Deep<26> *,
					  Deep<27> *)
{
	return std::malloc(32);
}

__attribute__((noinline)) void *in_lambda(Deep<0> *, Deep<1> *, Deep<2> *, Deep<3> *, Deep<4> *, Deep<5> *,
					  Deep<6> *, Deep<7> *, Deep<8> *, Deep<9> *, Deep<10> *, Deep<11> *,
					  Deep<12> *, Deep<13> *, Deep<14> *, Deep<15> *, Deep<16> *,
					  Deep<17> *, Deep<18> *, Deep<19> *, Deep<20> *, Deep<21> *,
					  Deep<22> *, Deep<23> *, Deep<24> *, Deep<25> *, Deep<26> *,
					  Deep<27> *)
{
	return [] { return std::malloc(16); }();
}

template <class T>
struct Box {
	T value;
};

template <class T>
__attribute__((noinline)) std::string operator+(const Box<T> &box, int count)
{
	return std::string(count + sizeof box.value, 'x');
}

struct Base {
	explicit Base(int count) : text(count, 'x')
	{
	}
	std::string text;
};

/* An inheriting constructor: pprof names it names::Derived::Derived. */
struct Derived : Base {
	using Base::Base;
};

} /* namespace names */

int main()
{
	void *holder = names::Holder<names::Deep<27>>::alloc();
	void *params = names::in_params(nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
					nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
					nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
					nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
	void *lambda = names::in_lambda(nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
					nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
					nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
					nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
	void *local = [](int count) { return std::malloc(count); }(40);
	std::string text = names::Box<long>{7} + 100;
	names::Derived derived(200);
	std::printf("%zu %zu\n", text.size(), derived.text.size());
	std::free(holder);
	std::free(params);
	std::free(lambda);
	std::free(local);
	return 0;
}
