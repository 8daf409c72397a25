#include "dump.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compress.h"
#include "describe.h"
#include "dump_stack.h"
#include "log.h"
#include "options.h"
#include "output.h"
#include "profile.h"
#include "record/estimate.h"
#include "record/sampler.h"
#include "record/sites.h"
#include "thread_state.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t start_nanos;
static uint64_t sequence;
static atomic_bool exited;

void dump_start_clock(void)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	start_nanos = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

static void report_failure(const char *path, int error)
{
	struct log_line line;
	log_begin(&line);
	log_text(&line, "cannot write the profile to ");
	log_text(&line, path);
	log_text(&line, ": ");
	if (error == EEXIST)
		log_text(&line, "a file that heapprof did not write is in the way");
	else
		log_error(&line, error);
	log_end(&line);
}

static int64_t monotonic_nanos(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

static void report_written(const char *path, const struct profile_summary *summary, int64_t nanos)
{
	struct log_line line;
	log_begin(&line);
	log_text(&line, "wrote ");
	log_text(&line, path);
	log_text(&line, ": ");
	log_unsigned(&line, summary->samples);
	log_text(&line, " samples, ");
	log_unsigned(&line, summary->stacks);
	log_text(&line, " stacks, ");
	log_unsigned(&line, summary->alloc_bytes);
	log_text(&line, " bytes allocated and ");
	log_unsigned(&line, summary->inuse_bytes);
	log_text(&line, " in use (estimated), in ");
	log_unsigned(&line, (uint64_t)(nanos / 1000000));
	log_text(&line, " ms");
	log_end(&line);
}

/* The file a dump goes to: `requested`, or the next name from the template. */
static int choose_path(const char *requested, char *path, size_t size)
{
	if (requested) {
		if (strlen(requested) >= size)
			return ENAMETOOLONG;
		strcpy(path, requested);
		return 0;
	}
	if (!output_expand(options.out, sequence++, path, size)) {
		report_failure(options.out, ENAMETOOLONG);
		return ENAMETOOLONG;
	}
	return 0;
}

/* The profile's comment: the process it is of. A copy that a collector keeps, or one
   fetched with go tool pprof, would name neither the program nor its pid otherwise, as
   Go's do not (docs/fleet.md). */
#define PROCESS_COMMENT_SIZE (NAME_MAX + 32)

static const char *process_comment(char *text, size_t size)
{
	snprintf(text, size, "Process: %s, pid %d", output_program_name(), (int)getpid());
	return text;
}

static int write_locked(const char *path, enum output_base base, enum profile_view view)
{
	int64_t started = monotonic_nanos();
	struct pprof_buffer data = {0};
	struct profile_summary summary;
	char comment[PROCESS_COMMENT_SIZE];
	struct profile_request request = {
		.view = view,
		.start_nanos = start_nanos,
		.comment = process_comment(comment, sizeof comment),
	};
	struct profile_workspace tables = {0};
	bool encoded = profile_encode(&data, &request, &summary, &tables);
	profile_workspace_free(&tables);
	if (!encoded) {
		report_failure(path, ENOMEM);
		return ENOMEM;
	}
	enum compression compression = options.compression;
	if (compression == COMPRESSION_AUTO)
		compression = compress_for_path(path);
	struct compressor compressor = {0};
	compress_buffer(compression, &data, &compressor);
	compressor_free(&compressor);
	int error = output_write(path, base, data.data, data.length);
	pprof_buffer_free(&data);
	if (error)
		report_failure(path, error);
	else if (options.verbose)
		report_written(path, &summary, monotonic_nanos() - started);
	return error;
}

/* Runs `work(argument)` with the thread marked busy (what it allocates is not sampled
   and does not recurse into the tables), the lock held and errno kept, on the dump
   stack. */
static void run_locked(void (*work)(void *argument), void *argument)
{
	struct thread_state *state = &thread_state;
	bool was_busy = state->busy;
	int saved_errno = errno;
	state->busy = true;
	pthread_mutex_lock(&lock);
	dump_stack_run(work, argument);
	pthread_mutex_unlock(&lock);
	state->busy = was_busy;
	errno = saved_errno;
}

/* What the endpoint's profiles are built in, kept from one to the next: a request
   after the first then maps no memory, and takes none of the kernel's locks that the
   program's threads need to fault pages in (docs/design.md, "The endpoint"). Only
   the endpoint's thread uses it, under the dump lock. */
static struct {
	struct profile_workspace tables;
	struct compressor compressor;
	struct pprof_buffer profile;
} kept;

struct build_job {
	const struct profile_base *base;
	const char *default_sample_type;
	bool built;
};

static void build(void *argument)
{
	struct build_job *job = argument;
	char comment[PROCESS_COMMENT_SIZE];
	struct profile_request request = {
		.view = job->base ? PROFILE_DELTA : PROFILE_CURRENT,
		.start_nanos = start_nanos,
		.at_moment = !job->base,
		.base = job->base,
		.default_sample_type = job->default_sample_type,
		.comment = process_comment(comment, sizeof comment),
	};
	struct profile_summary summary;
	job->built = profile_encode(&kept.profile, &request, &summary, &kept.tables);
	if (job->built)
		compress_buffer(COMPRESSION_GZIP, &kept.profile, &kept.compressor);
}

const struct pprof_buffer *dump_build(const struct profile_base *base, const char *default_sample_type)
{
	struct build_job job = {.base = base, .default_sample_type = default_sample_type};
	run_locked(build, &job);
	return job.built ? &kept.profile : NULL;
}

static void free_kept_if_large(void *unused)
{
	(void)unused;
	if (kept.profile.capacity + profile_workspace_bytes(&kept.tables) +
		    compressor_bytes(&kept.compressor) <=
	    DUMP_KEPT_LIMIT)
		return;
	profile_workspace_free(&kept.tables);
	compressor_free(&kept.compressor);
	pprof_buffer_free(&kept.profile);
}

/* Under the dump lock, which a fork holds: a child never inherits `kept` half freed. */
void dump_build_finished(void)
{
	run_locked(free_kept_if_large, NULL);
}

struct describe_job {
	struct pprof_buffer *text;
	unsigned sample_index, count;
};

static void describe(void *argument)
{
	struct describe_job *job = argument;
	struct profile_request request = {.view = PROFILE_CURRENT, .start_nanos = start_nanos};
	describe_top_sites(job->text, &request, job->sample_index, job->count);
}

void dump_describe(struct pprof_buffer *text, unsigned sample_index, unsigned count)
{
	struct describe_job job = {.text = text, .sample_index = sample_index, .count = count};
	run_locked(describe, &job);
}

struct write_job {
	const char *path;
	int error;
};

static void write_requested(void *argument)
{
	struct write_job *job = argument;
	char chosen[PATH_MAX];
	job->error = choose_path(job->path, chosen, sizeof chosen);
	if (!job->error)
		job->error =
			write_locked(chosen, job->path ? OUTPUT_WORKING_DIRECTORY : OUTPUT_START_DIRECTORY,
				     PROFILE_CURRENT);
}

int dump_write(const char *path)
{
	struct write_job job = {.path = path};
	run_locked(write_requested, &job);
	return job.error;
}

/* The peak profile, named after the final one (from the template) with ".peak" before
   its suffix. */
static void write_peak(const char *final_path)
{
	char path[PATH_MAX];
	if (!output_insert_tag(final_path, "peak", path, sizeof path)) {
		report_failure(final_path, ENAMETOOLONG);
		return;
	}
	if (estimate_hold_peak()) {
		write_locked(path, OUTPUT_START_DIRECTORY, PROFILE_PEAK);
		estimate_unlock_snapshot();
	}
}

static void write_final(void *argument)
{
	(void)argument;
	char path[PATH_MAX];
	/* One failure, one line: no peak profile where the final one could not go. */
	if (choose_path(NULL, path, sizeof path) == 0 &&
	    write_locked(path, OUTPUT_START_DIRECTORY, PROFILE_CURRENT) == 0 && options.peak)
		write_peak(path);
}

bool dump_exit_started(void)
{
	return atomic_load(&exited);
}

void dump_at_exit(void)
{
	if (atomic_exchange(&exited, true))
		return;
	if (options.rate != 0 || sites_first())
		run_locked(write_final, NULL);
	/* Destructors still run and free after this: the tables stay, recording stops. */
	sampler_set_rate(0);
}

void dump_lock(void)
{
	pthread_mutex_lock(&lock);
}

void dump_unlock(void)
{
	pthread_mutex_unlock(&lock);
}
