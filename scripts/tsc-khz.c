// SPDX-License-Identifier: GPL-2.0
/*
 * Print this x86 host's TSC rate in kHz: TSC ticks over 200 ms of
 * CLOCK_MONOTONIC_RAW, each end read between two clock reads no more than
 * 20 us apart.
 */
#include <stdio.h>
#include <time.h>
#include <x86intrin.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A TSC read and the clock's time at it (the middle of two clock reads). */
static unsigned long long sample(double *t)
{
	for (;;) {
		double a = now();
		unsigned long long tsc = __rdtsc();
		double b = now();

		if (b - a < 20e-6) {
			*t = (a + b) / 2;
			return tsc;
		}
	}
}

int main(void)
{
	struct timespec pause = { 0, 200 * 1000 * 1000 };
	double t0, t1;
	unsigned long long c0 = sample(&t0), c1;

	nanosleep(&pause, NULL);
	c1 = sample(&t1);
	printf("%.0f\n", (c1 - c0) / (t1 - t0) / 1000);
	return 0;
}
