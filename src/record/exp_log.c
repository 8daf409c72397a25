#include "exp_log.h"

#include <stdint.h>
#include <string.h>

/* ln 2 in two parts: the high part has its low 32 bits clear, so that k * LN2_HIGH is
   exact for every exponent k a double can have. */
#define LN2_HIGH 6.93147180369123816490e-01
#define LN2_LOW 1.90821492927058770002e-10
#define SQRT2 1.41421356237309504880
/* Terms of each series: enough for the last one to fall below 2^-60 of the first. */
#define LOG_TERMS 12
#define EXP_TERMS 18

static uint64_t bits_of(double value)
{
	uint64_t bits;
	memcpy(&bits, &value, sizeof bits);
	return bits;
}

static double double_of(uint64_t bits)
{
	double value;
	memcpy(&value, &bits, sizeof value);
	return value;
}

/* 2^k for k from -1022 to 1023: the exponent field alone. */
static double power_of_two(int k)
{
	return double_of((uint64_t)(k + 1023) << 52);
}

/* x = m * 2^e with m in (sqrt(1/2), sqrt(2)]; log m = 2 atanh(s), s = (m - 1) / (m + 1),
   |s| < 0.172, whose odd series converges fast. */
double exp_log_log(double x)
{
	uint64_t bits = bits_of(x);
	int exponent = (int)(bits >> 52) - 1023;
	double m = double_of((bits & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1023) << 52));
	if (m > SQRT2) {
		m /= 2;
		exponent++;
	}
	double s = (m - 1) / (m + 1);
	double s2 = s * s;
	double series = 0;
	for (int term = LOG_TERMS; term >= 1; term--)
		series = series * s2 + 1.0 / (2 * term + 1);
	double log_m = 2 * s + 2 * s * s2 * series;
	return exponent * LN2_HIGH + (exponent * LN2_LOW + log_m);
}

/* x = k ln 2 + r with |r| <= ln 2 / 2; exp r = 1 + p, p the rest of its Taylor series,
   added to 1 last so that the sum is rounded once; then times 2^k in one or two steps
   (two where 2^k alone is not a normal double). */
double exp_log_exp(double x)
{
	if (x < -746)
		return 0;
	if (x > 710)
		return double_of(UINT64_C(0x7ff) << 52);
	double scaled = x / (LN2_HIGH + LN2_LOW);
	int k = (int)(scaled < 0 ? scaled - 0.5 : scaled + 0.5);
	double r = (x - k * LN2_HIGH) - k * LN2_LOW;
	double tail = 1;
	for (int term = EXP_TERMS; term >= 2; term--)
		tail = 1 + tail * r / term;
	double series = 1 + r * tail;
	if (k < -1022)
		return series * power_of_two(k + 600) * power_of_two(-600);
	if (k > 1023)
		return series * power_of_two(k - 1) * 2;
	return series * power_of_two(k);
}
