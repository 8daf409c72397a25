/* The natural logarithm and exponential the sampler needs, without libm: linking libm
   maps one more library into every process heapprof is loaded into, for two functions
   (docs/performance.md, "The fixed cost of a process"). Within 2 ulp of libm's over the
   sampler's arguments (tests/unit/record/test_exp_log.c). */
#ifndef HEAPPROF_EXP_LOG_H
#define HEAPPROF_EXP_LOG_H

/* log(x) for a positive, finite, normal x. */
double exp_log_log(double x);

/* exp(x) for any x but NaN: 0 below the smallest subnormal, infinity above DBL_MAX. */
double exp_log_exp(double x);

#endif
