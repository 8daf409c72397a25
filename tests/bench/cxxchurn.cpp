/* C++ container churn: the allocation pattern of ordinary C++ code, where the
   standard containers and std::string call operator new, not the program itself.

   usage: cxxchurn [OPERATIONS [SEED]]
     OPERATIONS  steps of the loop below (default 3500000)
     SEED        the random sequence (default 1)

   Each step does one of:
     - a std::map<std::string, std::vector<uint32_t>> index: append to a key's
       vector (growing by reallocation), trim it, or erase the key;
     - a std::unordered_map<uint64_t, std::string> cache: insert or replace a
       string built by concatenation, or erase it;
     - a std::list<std::string> bounded queue: push at the back, pop at the front;
     - a std::deque<std::vector<uint8_t>> of buffers: push at one end, pop at the other.
   Keys are long enough that most strings live on the heap (beyond the 15-byte
   small-string buffer), and the live sets are bounded, so blocks are freed in an
   order unrelated to their allocation, as in real programs.

   Prints one checksum, which depends only on the arguments: a run under a preload
   that prints something else was broken by it. Nothing in it depends on addresses
   or on unordered_map's iteration order. */
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <list>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

/* xorshift64*, as in mallocbench.c: the same sequence under every allocator. */
struct Random {
	uint64_t state;
	explicit Random(uint64_t seed) : state(seed * 0x9e3779b97f4a7c15ULL + 1)
	{
	}
	uint64_t next()
	{
		state ^= state >> 12;
		state ^= state << 25;
		state ^= state >> 27;
		return state * 0x2545f4914f6cdd1dULL;
	}
};

const char *const words[] = {
	"alpha", "bravo",   "charlie", "delta", "echo", "foxtrot",  "golf",  "hotel",
	"india", "juliett", "kilo",    "lima",  "mike", "november", "oscar", "papa",
};
constexpr unsigned word_count = sizeof words / sizeof words[0];

/* One of `distinct` keys such as "charlie/kilo:12345", 12-26 bytes: mostly past
   the small-string buffer. */
std::string make_key(uint64_t r, unsigned distinct)
{
	uint64_t id = (r >> 8) % distinct;
	std::string key = words[id % word_count];
	key += '/';
	key += words[(id / word_count) % word_count];
	key += ':';
	key += std::to_string(id);
	return key;
}

/* Repeated concatenation: each += may reallocate, like building a message. */
std::string make_text(uint64_t r)
{
	std::string text;
	unsigned parts = 1 + (unsigned)(r % 12);
	for (unsigned i = 0; i < parts; i++) {
		text += words[(r >> (i * 4)) % word_count];
		text += i + 1 < parts ? ' ' : '.';
	}
	return text;
}

} /* namespace */

int main(int argc, char **argv)
{
	long operations = argc > 1 ? atol(argv[1]) : 3500000;
	uint64_t seed = argc > 2 ? strtoull(argv[2], nullptr, 10) : 1;
	if (argc > 3 || operations < 1) {
		fputs("usage: cxxchurn [OPERATIONS [SEED]]\n", stderr);
		return 1;
	}
	Random random(seed);
	std::map<std::string, std::vector<uint32_t>> index;
	std::unordered_map<uint64_t, std::string> cache;
	std::list<std::string> queue;
	std::deque<std::vector<uint8_t>> buffers;
	uint64_t checksum = 0;

	for (long i = 0; i < operations; i++) {
		uint64_t r = random.next();
		switch ((r >> 56) % 8) {
		case 0:
		case 1:
		case 2: {
			auto &values = index[make_key(r, 40000)];
			values.push_back((uint32_t)i);
			/* Bounded, so vectors keep growing and shrinking instead of only growing. */
			if (values.size() > 64)
				values.erase(values.begin(), values.begin() + 48);
			checksum += values.size();
			break;
		}
		case 3: {
			auto found = index.find(make_key(r, 40000));
			if (found != index.end()) {
				checksum += found->second.front() + found->first.size();
				index.erase(found);
			}
			break;
		}
		case 4:
		case 5: {
			uint64_t id = (r >> 20) % 50000;
			if (r & 1) {
				cache[id] = make_text(r) + "#" + std::to_string(i);
				checksum += cache[id].size();
			} else {
				checksum += cache.erase(id);
			}
			break;
		}
		case 6:
			queue.push_back(make_key(r, 1000000) + make_text(r >> 3));
			while (queue.size() > 3000) {
				checksum += queue.front().size();
				queue.pop_front();
			}
			break;
		default: {
			/* 16 B-4 KiB buffers, the first and last byte touched. */
			std::vector<uint8_t> buffer(16 + (r >> 8) % 4080, (uint8_t)i);
			buffer.back() = (uint8_t)(r >> 40);
			if (r & 2)
				buffers.push_back(std::move(buffer));
			else
				buffers.push_front(std::move(buffer));
			if (buffers.size() > 2000) {
				auto &oldest = (r & 2) ? buffers.front() : buffers.back();
				checksum += oldest.size() + oldest.back();
				if (r & 2)
					buffers.pop_front();
				else
					buffers.pop_back();
			}
			break;
		}
		}
	}
	/* std::map iterates in key order, so this fold is the same everywhere. */
	for (const auto &entry : index)
		checksum = checksum * 31 + entry.first.size() + entry.second.size();
	printf("%llu %zu %zu %zu %zu\n", (unsigned long long)checksum, index.size(), cache.size(),
	       queue.size(), buffers.size());
	return 0;
}
