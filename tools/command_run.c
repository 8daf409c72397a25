/* heapprof run: runs a program with the preload library, then lists the
   profiles the run wrote (children included), symbolizes those that need it
   and shows the head of top for the program's own profile. The program's
   standard streams and exit status (or fatal signal) pass through; heapprof's
   own words go to stderr. */
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "flags.h"
#include "name_template.h"
#include "preload_check.h"
#include "profile_symbolizer.h"
#include "reader/diag.h"
#include "reader/profile_reader.h"
#include "report/top.h"

enum { TOP_LINES_SHOWN = 20 };

static const char run_help[] =
	"usage: heapprof run [--rate N] [-o TEMPLATE] [--depth N] [--] CMD [ARGS...]\n"
	"\n"
	"Runs CMD with the heapprof library preloaded and reports the profiles it\n"
	"wrote. CMD's input, output and exit status pass through unchanged.\n"
	"\n"
	"  --rate N       sample one allocation every N bytes on average (HEAPPROF_RATE)\n"
	"  -o TEMPLATE    where profiles go: %p is the process id, %e the program name,\n"
	"                 %n a sequence number (HEAPPROF_OUT; default\n"
	"                 heapprof.%e.%p.pb.gz in the current directory)\n"
	"  --depth N      record at most N frames per stack (HEAPPROF_DEPTH)\n";

static char *directory_of_self(void)
{
	char self[PATH_MAX];
	ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
	if (length <= 0)
		return NULL;
	self[length] = '\0';
	char *slash = strrchr(self, '/');
	*slash = '\0';
	return diag_strdup(self);
}

/* The library beside this command: in the build tree (tools/ and src/), or
   installed (bin/ and lib/ or lib/<multiarch>/), or in the same directory. */
static char *find_library(void)
{
	char *dir = directory_of_self();
	if (!dir)
		return NULL;
	const char *patterns[] = {"%s/../src/libheapprof.so", "%s/../lib/*/libheapprof.so",
				  "%s/../lib/libheapprof.so", "%s/../lib64/libheapprof.so",
				  "%s/libheapprof.so"};
	char *found = NULL;
	for (size_t i = 0; i < sizeof patterns / sizeof *patterns && !found; i++) {
		char *pattern = diag_asprintf(patterns[i], dir);
		glob_t matches;
		if (glob(pattern, 0, NULL, &matches) == 0)
			found = realpath(matches.gl_pathv[0], NULL);
		globfree(&matches);
		free(pattern);
	}
	free(dir);
	return found;
}

static bool is_count(const char *text)
{
	return *text && strspn(text, "0123456789") == strlen(text);
}

/* The profile template made absolute, so that a program that changes its
   directory still writes where the user looks. */
static char *absolute_template(const char *template)
{
	if (template[0] == '/')
		return diag_strdup(template);
	char *cwd = getcwd(NULL, 0);
	if (!cwd)
		diag_die("cannot read the current directory: %s", strerror(errno));
	char *absolute = diag_asprintf("%s/%s", cwd, template);
	free(cwd);
	return absolute;
}

/* A glob(3) pattern matching every file name the template can produce; with
   a pid, only that process's files. */
static char *template_pattern(const char *template, pid_t pid)
{
	char digits[32];
	snprintf(digits, sizeof digits, "%d", (int)pid);
	const struct name_template_values values = {
		.pid = pid > 0 ? digits : "*", .program = "*", .sequence = "*", .escaped = "*?[\\"};
	size_t size = name_template_expand(template, &values, NULL, 0) + 1;
	char *pattern = diag_malloc(size);
	name_template_expand(template, &values, pattern, size);
	return pattern;
}

static void set_environment(const char *library, const char *template, const char *rate, const char *depth)
{
	const char *preload = getenv("LD_PRELOAD");
	char *value = preload && *preload ? diag_asprintf("%s %s", library, preload) : diag_strdup(library);
	if (setenv("LD_PRELOAD", value, 1) || setenv("HEAPPROF_OUT", template, 1) ||
	    (rate && setenv("HEAPPROF_RATE", rate, 1)) || (depth && setenv("HEAPPROF_DEPTH", depth, 1)))
		diag_die("cannot set the environment: %s", strerror(errno));
	free(value);
}

static pid_t child_pid;

static void forward_signal(int signal_number)
{
	if (child_pid > 0)
		kill(child_pid, signal_number);
}

/* Runs the program and returns its wait status. While it runs, terminal
   interrupts are the program's to handle, and terminations are passed on. */
static int run_program(char **command, const char *path)
{
	struct sigaction ignore = {.sa_handler = SIG_IGN}, forward = {.sa_handler = forward_signal};
	struct sigaction old_interrupt, old_quit, old_terminate, old_hangup;
	sigaction(SIGINT, &ignore, &old_interrupt);
	sigaction(SIGQUIT, &ignore, &old_quit);
	sigaction(SIGTERM, &forward, &old_terminate);
	sigaction(SIGHUP, &forward, &old_hangup);
	child_pid = fork();
	if (child_pid < 0)
		diag_die("cannot start %s: %s", command[0], strerror(errno));
	if (child_pid == 0) {
		sigaction(SIGINT, &old_interrupt, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		sigaction(SIGTERM, &old_terminate, NULL);
		sigaction(SIGHUP, &old_hangup, NULL);
		execv(path, command);
		fprintf(stderr, "heapprof: cannot run %s: %s\n", command[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	int status;
	while (waitpid(child_pid, &status, 0) < 0)
		if (errno != EINTR)
			diag_die("waiting for %s: %s", command[0], strerror(errno));
	sigaction(SIGINT, &old_interrupt, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	sigaction(SIGTERM, &old_terminate, NULL);
	sigaction(SIGHUP, &old_hangup, NULL);
	return status;
}

/* The files a template matched before the run, to tell what the run wrote. */
struct file_snapshot {
	char **paths;
	struct stat *states;
	size_t count;
};

static void snapshot_files(const char *pattern, struct file_snapshot *snapshot)
{
	memset(snapshot, 0, sizeof *snapshot);
	glob_t matches;
	if (glob(pattern, 0, NULL, &matches) != 0)
		return;
	snapshot->paths = diag_calloc(matches.gl_pathc, sizeof *snapshot->paths);
	snapshot->states = diag_calloc(matches.gl_pathc, sizeof *snapshot->states);
	for (size_t i = 0; i < matches.gl_pathc; i++) {
		if (stat(matches.gl_pathv[i], &snapshot->states[snapshot->count]) == 0)
			snapshot->paths[snapshot->count++] = diag_strdup(matches.gl_pathv[i]);
	}
	globfree(&matches);
}

static void free_snapshot(struct file_snapshot *snapshot)
{
	for (size_t i = 0; i < snapshot->count; i++)
		free(snapshot->paths[i]);
	free(snapshot->paths);
	free(snapshot->states);
}

/* A file the run created or rewrote. */
static bool written_by_run(const char *path, const struct file_snapshot *before)
{
	struct stat now;
	if (stat(path, &now) != 0 || !S_ISREG(now.st_mode))
		return false;
	for (size_t i = 0; i < before->count; i++) {
		if (strcmp(before->paths[i], path))
			continue;
		const struct stat *then = &before->states[i];
		return now.st_ino != then->st_ino || now.st_size != then->st_size ||
		       now.st_mtim.tv_sec != then->st_mtim.tv_sec ||
		       now.st_mtim.tv_nsec != then->st_mtim.tv_nsec;
	}
	return true;
}

static void symbolize_if_needed(const char *path)
{
	char error[1024];
	struct profile *prof = profile_reader_read_file(path, error, sizeof error);
	if (!prof) {
		fprintf(stderr, "heapprof: %s\n", error);
		return;
	}
	bool needed = profile_symbolizer_needed(prof);
	profile_reader_free(prof);
	if (!needed)
		return;
	struct symbolize_stats stats;
	if (profile_symbolizer_write(path, path, stderr, &stats, error, sizeof error))
		fprintf(stderr, "heapprof: %s\n", error);
	else
		fprintf(stderr, "heapprof: symbolized %zu locations of %s\n", stats.locations_symbolized,
			path);
}

/* The files matching pattern that the run created or rewrote, malloc'd. */
static size_t written_profiles(const char *pattern, const struct file_snapshot *before, char ***paths)
{
	*paths = NULL;
	glob_t matches;
	if (glob(pattern, 0, NULL, &matches) != 0)
		return 0;
	size_t count = 0;
	*paths = diag_calloc(matches.gl_pathc, sizeof **paths);
	for (size_t i = 0; i < matches.gl_pathc; i++)
		if (written_by_run(matches.gl_pathv[i], before))
			(*paths)[count++] = diag_strdup(matches.gl_pathv[i]);
	globfree(&matches);
	return count;
}

/* Lists, symbolizes and summarizes what the run wrote. */
static void report_profiles(const char *template, const char *pattern, pid_t pid,
			    const struct file_snapshot *before)
{
	char **paths;
	size_t count = written_profiles(pattern, before, &paths);
	if (count == 0)
		fprintf(stderr, "heapprof: no profile was written to %s\n", template);
	else
		fprintf(stderr, "heapprof: %zu profile%s written:\n", count, count > 1 ? "s" : "");
	char *main_pattern = template_pattern(template, pid);
	const char *main_profile = NULL;
	for (size_t i = 0; i < count; i++) {
		fprintf(stderr, "  %s\n", paths[i]);
		if (!main_profile && fnmatch(main_pattern, paths[i], FNM_PATHNAME) == 0)
			main_profile = paths[i];
	}
	for (size_t i = 0; i < count; i++)
		symbolize_if_needed(paths[i]);
	if (main_profile) {
		fprintf(stderr, "heapprof: top of %s:\n", main_profile);
		fflush(stderr);
		top_print_head(main_profile, TOP_LINES_SHOWN, stderr);
	}
	free(main_pattern);
	for (size_t i = 0; i < count; i++)
		free(paths[i]);
	free(paths);
}

/* Ends heapprof the way the program ended: same exit status, or same signal. */
static int pass_on(int status, const char *command)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	int signal_number = WTERMSIG(status);
	fprintf(stderr, "heapprof: %s was killed by signal %d (%s)\n", command, signal_number,
		strsignal(signal_number));
	fflush(NULL);
	signal(signal_number, SIG_DFL);
	raise(signal_number);
	return 128 + signal_number; /* the signal does not kill us */
}

int command_run(int argc, char **argv)
{
	const char *rate = NULL, *template = NULL, *depth = NULL;
	const struct flag_spec specs[] = {
		{"rate", NULL, FLAG_STRING, &rate},
		{"output", "o", FLAG_STRING, &template},
		{"depth", NULL, FLAG_STRING, &depth},
	};
	const struct flag_set flags = {
		.command = "run",
		.usage = run_help,
		.specs = specs,
		.n_specs = sizeof specs / sizeof *specs,
		.min_positional = 1,
		.max_positional = -1,
		.stop_at_positional = true,
	};
	struct parsed_args args;
	flags_parse(argc, argv, &flags, &args);
	if ((rate && !is_count(rate)) || (depth && !is_count(depth)))
		diag_die_usage("run: --rate and --depth take a whole number");
	char **command = args.positional;
	char *path = preload_check_find_program(command[0]);
	if (!path) {
		fprintf(stderr, "heapprof: cannot run %s: command not found\n", command[0]);
		return 127;
	}
	const char *obstacle = preload_check_obstacle(path);
	if (obstacle)
		diag_die("cannot profile %s: %s", command[0], obstacle);
	char *library = find_library();
	if (!library)
		diag_die("cannot find libheapprof.so beside this heapprof (looked in ../src, ../lib and "
			 "../lib/*)");
	if (!template)
		template = getenv("HEAPPROF_OUT") ? getenv("HEAPPROF_OUT") : NAME_TEMPLATE_DEFAULT;
	char *absolute = absolute_template(template);
	set_environment(library, absolute, rate, depth);
	/* The library refuses a template it cannot expand (it says so) and writes
	   to its default name instead: that is where the profiles are. */
	char *written = name_template_is_valid(absolute) ? diag_strdup(absolute)
							 : absolute_template(NAME_TEMPLATE_DEFAULT);
	char *pattern = template_pattern(written, 0);
	struct file_snapshot before;
	snapshot_files(pattern, &before);
	int status = run_program(command, path);
	report_profiles(written, pattern, child_pid, &before);
	free_snapshot(&before);
	free(pattern);
	free(written);
	free(absolute);
	free(library);
	free(path);
	return pass_on(status, command[0]);
}
