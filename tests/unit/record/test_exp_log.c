#include "record/exp_log.h"

#include <math.h>

#include "check.h"

#define DRAWS 2000000

static uint64_t ulps_apart(double a, double b)
{
	int64_t x, y;
	memcpy(&x, &a, sizeof x);
	memcpy(&y, &b, sizeof y);
	return (uint64_t)(x > y ? x - y : y - x);
}

static uint64_t xorshift(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dULL;
}

/* The sampler's uniform draws in (0, 1], as sampler.c makes them: every interval at
   the default rate is the one libm's log gives. */
static void test_log_of_draws(void)
{
	uint64_t state = 42;
	uint64_t worst = 0;
	for (int i = 0; i < DRAWS; i++) {
		double uniform = (double)((xorshift(&state) >> 11) + 1) * 0x1.0p-53;
		double ours = exp_log_log(uniform), libm = log(uniform);
		uint64_t apart = ulps_apart(ours, libm);
		worst = apart > worst ? apart : worst;
		CHECK_UINT((uint64_t)(-ours * 524288.0), (uint64_t)(-libm * 524288.0));
	}
	CHECK(worst <= 2);
	CHECK(exp_log_log(1) == 0);
	CHECK(ulps_apart(exp_log_log(0x1p-53), log(0x1p-53)) <= 1);
	CHECK(ulps_apart(exp_log_log(1e300), log(1e300)) <= 1);
}

/* exp(-size / rate) over every ratio the unsampling scale meets, and the extremes. */
static void test_exp(void)
{
	uint64_t state = 7;
	for (int i = 0; i < DRAWS; i++) {
		uint64_t random = xorshift(&state);
		double x = -(double)(random % 750000000) * 1e-6 * (random >> 63 ? 1e-5 : 1);
		CHECK(ulps_apart(exp_log_exp(x), exp(x)) <= 1);
	}
	const double edges[] = {0, -1e-300, -708.5, -744.4, -745, -800, 1, 709.7, 710, 1000};
	for (unsigned i = 0; i < sizeof edges / sizeof edges[0]; i++)
		CHECK(ulps_apart(exp_log_exp(edges[i]), exp(edges[i])) <= 1);
}

int main(void)
{
	test_log_of_draws();
	test_exp();
	puts("exp_log: ok");
	return 0;
}
