#include "labels.h"

#include <pthread.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "thread_state.h"

#define NANOS_PER_SECOND 1000000000ULL
/* Buckets keep this many leading bits of the age in seconds. */
#define BUCKET_BITS 3

static __thread char thread_name[LABELS_THREAD_NAME_BYTES] TLS_MODEL;
/* The second of labels_clock at which thread_name was read, plus one: 0 is never. */
static __thread uint64_t name_second TLS_MODEL;

/* The distinct names seen so far, zero-padded; read and extended under names_lock, at
   most once a second per thread. A fork waits for every recording, so the lock is
   never inherited held. */
static char known_names[LABELS_THREAD_NAMES][LABELS_THREAD_NAME_BYTES];
static unsigned known_count;
static pthread_mutex_t names_lock = PTHREAD_MUTEX_INITIALIZER;

uint64_t labels_clock(void)
{
	struct timespec now;
	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &now) != 0)
		return 0;
	return (uint64_t)now.tv_sec * NANOS_PER_SECOND + (uint64_t)now.tv_nsec;
}

uint64_t labels_age_bucket(uint64_t born, uint64_t now)
{
	uint64_t seconds = now > born ? (now - born) / NANOS_PER_SECOND : 0;
	if (seconds >> BUCKET_BITS == 0)
		return seconds;
	unsigned dropped = (unsigned)(63 - __builtin_clzll(seconds)) - (BUCKET_BITS - 1);
	return seconds >> dropped << dropped;
}

/* Whether `name` is one of the first LABELS_THREAD_NAMES distinct names, which it
   becomes when there is room. */
static bool admitted(const char name[LABELS_THREAD_NAME_BYTES])
{
	pthread_mutex_lock(&names_lock);
	unsigned i = 0;
	while (i < known_count && memcmp(known_names[i], name, LABELS_THREAD_NAME_BYTES) != 0)
		i++;
	if (i == known_count && known_count < LABELS_THREAD_NAMES)
		memcpy(known_names[known_count++], name, LABELS_THREAD_NAME_BYTES);
	bool known = i < known_count;
	pthread_mutex_unlock(&names_lock);
	return known;
}

const char *labels_thread_name(uint64_t now)
{
	uint64_t second = now / NANOS_PER_SECOND + 1;
	if (second != name_second) {
		char name[LABELS_THREAD_NAME_BYTES] = {0};
		if (prctl(PR_GET_NAME, name) == 0) {
			if (!admitted(name))
				strcpy(name, LABELS_OTHER_THREADS);
			memcpy(thread_name, name, sizeof name - 1);
		}
		name_second = second;
	}
	return thread_name;
}
