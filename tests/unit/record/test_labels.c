#include "record/labels.h"

#include <pthread.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <time.h>

#include "check.h"

#define SECOND 1000000000ULL

static uint64_t bucket_of_seconds(uint64_t seconds)
{
	return labels_age_bucket(1000 * SECOND, (1000 + seconds) * SECOND);
}

/* Whole seconds below 8, then four buckets per doubling, each labelled with its lower
   bound and at most a quarter wider than it. */
static void test_buckets(void)
{
	for (uint64_t seconds = 0; seconds < 8; seconds++)
		CHECK_UINT(bucket_of_seconds(seconds), seconds);
	CHECK_UINT(bucket_of_seconds(9), 8);
	CHECK_UINT(bucket_of_seconds(10), 10);
	CHECK_UINT(bucket_of_seconds(19), 16);
	CHECK_UINT(bucket_of_seconds(20), 20);
	CHECK_UINT(bucket_of_seconds(639), 512);
	CHECK_UINT(bucket_of_seconds(640), 640);
	uint64_t previous = 0, buckets = 0;
	for (uint64_t seconds = 1; seconds < 100000; seconds++) {
		uint64_t bucket = bucket_of_seconds(seconds);
		CHECK(bucket <= seconds);
		CHECK(seconds < 8 || 4 * (seconds - bucket) < bucket);
		CHECK(bucket >= previous);
		buckets += bucket != previous;
		previous = bucket;
	}
	/* From 1 s to 99,999 s, over a day, in 62 buckets. */
	CHECK_UINT(buckets, 62);
	/* Part of a second counts as none, and a block born after `now` as 0. */
	CHECK_UINT(labels_age_bucket(SECOND, 2 * SECOND - 1), 0);
	CHECK_UINT(labels_age_bucket(5 * SECOND, SECOND), 0);
}

static void test_clock(void)
{
	uint64_t before = labels_clock();
	nanosleep(&(struct timespec){0, 50000000}, NULL);
	uint64_t after = labels_clock();
	CHECK(after - before >= 40000000 && after - before < 5 * SECOND);
}

static void *renamed_thread(void *unused)
{
	(void)unused;
	uint64_t now = labels_clock();
	pthread_setname_np(pthread_self(), "worker-7");
	CHECK_STR(labels_thread_name(now), "worker-7");
	/* Read again only in the next second. */
	pthread_setname_np(pthread_self(), "renamed");
	CHECK_STR(labels_thread_name(now), "worker-7");
	CHECK_STR(labels_thread_name(now + SECOND), "renamed");
	return NULL;
}

static void test_thread_name(void)
{
	/* The program's name until a thread is given one. */
	CHECK_STR(labels_thread_name(labels_clock()), "test_labels");
	pthread_t thread;
	CHECK(pthread_create(&thread, NULL, renamed_thread, NULL) == 0);
	CHECK(pthread_join(thread, NULL) == 0);
}

/* A thread named anew for each of 300 requests: the names the table has room for are
   labels, the rest "other"; a name already known stays a label. */
static void *named_per_request(void *known_before)
{
	unsigned room = LABELS_THREAD_NAMES - *(unsigned *)known_before;
	uint64_t now = labels_clock();
	for (unsigned request = 0; request < 300; request++) {
		char name[LABELS_THREAD_NAME_BYTES];
		snprintf(name, sizeof name, "req-%u", request);
		CHECK(prctl(PR_SET_NAME, name) == 0);
		now += SECOND;
		CHECK_STR(labels_thread_name(now), request < room ? name : LABELS_OTHER_THREADS);
	}
	CHECK(prctl(PR_SET_NAME, "req-0") == 0);
	CHECK_STR(labels_thread_name(now + SECOND), "req-0");
	return NULL;
}

static void test_thread_names_capped(void)
{
	/* test_thread_name's: test_labels, worker-7, renamed. */
	unsigned known_before = 3;
	pthread_t thread;
	CHECK(pthread_create(&thread, NULL, named_per_request, &known_before) == 0);
	CHECK(pthread_join(thread, NULL) == 0);
}

int main(void)
{
	test_buckets();
	test_clock();
	test_thread_name();
	test_thread_names_capped();
	puts("labels: ok");
	return 0;
}
