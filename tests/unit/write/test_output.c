#include "write/output.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static char directory[] = "/tmp/heapprof-test-output-XXXXXX";

static void check_expand(const char *template, uint64_t sequence, const char *expected)
{
	char path[256];
	if (!output_expand(template, sequence, path, sizeof path))
		CHECK_FAILED("output_expand(\"%s\") failed", template);
	CHECK_STR(path, expected);
}

static void test_expand(void)
{
	char pid[32], expected[256];
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	check_expand("heap.pb.gz", 0, "heap.pb.gz");
	check_expand("", 0, "");
	snprintf(expected, sizeof expected, "heap.%s.pb", pid);
	check_expand("heap.%p.pb", 0, expected);
	check_expand("heap.%e.pb", 0, "heap.test_output.pb");
	check_expand("heap.%n.pb", 7, "heap.7.pb");
	check_expand("%n", UINT64_MAX, "18446744073709551615");
	check_expand("100%%", 0, "100%");
	check_expand("%%p", 0, "%p");
	check_expand("trailing%", 0, "trailing%");
	snprintf(expected, sizeof expected, "/tmp/test_output-%s-3-%%.pb.gz", pid);
	check_expand("/tmp/%e-%p-%n-%%.pb.gz", 3, expected);

	char path[8];
	CHECK(output_expand("1234567", 0, path, 8));
	CHECK_STR(path, "1234567");
	CHECK(!output_expand("12345678", 0, path, 8));
	CHECK(output_expand("%n", 1234567, path, 8));
	CHECK(!output_expand("%n", 12345678, path, 8));
	CHECK(!output_expand("%e", 0, path, 8));
	CHECK(output_expand("", 0, path, 1));
	CHECK(!output_expand("", 0, path, 0));
}

static void check_tag(const char *path, const char *expected)
{
	char out[256];
	if (!output_insert_tag(path, "peak", out, sizeof out))
		CHECK_FAILED("output_insert_tag(\"%s\") failed", path);
	CHECK_STR(out, expected);
}

static void test_insert_tag(void)
{
	check_tag("heap.pb.gz", "heap.peak.pb.gz");
	check_tag("heap.pb.zst", "heap.peak.pb.zst");
	check_tag("heap.pb", "heap.peak.pb");
	check_tag("heap.txt", "heap.peak.txt");
	check_tag("heap", "heap.peak");
	check_tag("./a.b/heap", "./a.b/heap.peak");
	check_tag("./a.b/heap.pb.gz", "./a.b/heap.peak.pb.gz");
	check_tag("/x.pb.gz/heap", "/x.pb.gz/heap.peak");
	check_tag("heapprof.app.1234.pb.gz", "heapprof.app.1234.peak.pb.gz");
	check_tag("my.pbfile.pb.gz", "my.pbfile.peak.pb.gz");
	check_tag(".hidden", ".hidden.peak");
	check_tag("dir/.hidden", "dir/.hidden.peak");

	char out[13];
	CHECK(output_insert_tag("heap.pb", "peak", out, 13));
	CHECK_STR(out, "heap.peak.pb");
	CHECK(!output_insert_tag("heap.pb", "peak", out, 12));
}

/* The profile suffix is the one at the end, not the first one found. */
static void test_insert_tag_repeated_suffix(void)
{
	check_tag("x.pb.gz.pb.gz", "x.pb.gz.peak.pb.gz");
	check_tag("x.pb.zst.pb.zst", "x.pb.zst.peak.pb.zst");
}

/* `name` in the test directory; the last four results stay valid together. */
static char *path_in_directory(const char *name)
{
	static char path[4][512];
	static unsigned next;
	char *result = path[next++ % 4];
	snprintf(result, sizeof path[0], "%s/%s", directory, name);
	return result;
}

static void write_file(const char *name, const char *content)
{
	int fd = open(path_in_directory(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK(write(fd, content, strlen(content)) == (ssize_t)strlen(content));
	CHECK(close(fd) == 0);
}

static void check_content(const char *name, const char *expected)
{
	static char content[4096];
	int fd = open(path_in_directory(name), O_RDONLY | O_NOFOLLOW);
	if (fd < 0)
		CHECK_FAILED("cannot open %s: %s", name, strerror(errno));
	ssize_t length = read(fd, content, sizeof content - 1);
	close(fd);
	CHECK(length >= 0);
	content[length] = '\0';
	CHECK_STR(content, expected);
}

/* The directory holds exactly `expected_count` entries, none a temporary file. */
static void check_entries(unsigned expected_count)
{
	DIR *listing = opendir(directory);
	CHECK(listing);
	unsigned count = 0;
	for (struct dirent *entry; (entry = readdir(listing));) {
		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		if (strstr(entry->d_name, ".tmp."))
			CHECK_FAILED("temporary file left behind: %s", entry->d_name);
		count++;
	}
	closedir(listing);
	CHECK_UINT(count, expected_count);
}

static int write_profile(const char *name, const char *content)
{
	return output_write(path_in_directory(name), OUTPUT_WORKING_DIRECTORY, content, strlen(content));
}

static void test_write_new_and_replace_own(void)
{
	CHECK_UINT(write_profile("heap.pb", "first"), 0);
	check_content("heap.pb", "first");
	check_entries(1);
	CHECK_UINT(write_profile("heap.pb", "second, longer"), 0);
	check_content("heap.pb", "second, longer");
	CHECK_UINT(write_profile("heap.pb", "3"), 0);
	check_content("heap.pb", "3");
	CHECK_UINT(output_write(path_in_directory("empty.pb"), OUTPUT_WORKING_DIRECTORY, "", 0), 0);
	check_content("empty.pb", "");
	check_entries(2);
}

static void test_foreign_file_kept(void)
{
	write_file("foreign.pb", "not ours");
	CHECK_UINT(write_profile("foreign.pb", "profile"), EEXIST);
	check_content("foreign.pb", "not ours");
	check_entries(3);
}

static void test_symlink_not_followed(void)
{
	write_file("target", "link target");
	CHECK(symlink("target", path_in_directory("link.pb")) == 0);
	CHECK_UINT(write_profile("link.pb", "profile"), EEXIST);
	check_content("target", "link target");

	/* Even a link to a file heapprof wrote is not written through. */
	CHECK(symlink("heap.pb", path_in_directory("link-to-ours.pb")) == 0);
	CHECK_UINT(write_profile("link-to-ours.pb", "profile"), EEXIST);
	check_content("heap.pb", "3");

	CHECK(symlink("missing", path_in_directory("dangling.pb")) == 0);
	CHECK_UINT(write_profile("dangling.pb", "profile"), EEXIST);
	CHECK(access(path_in_directory("missing"), F_OK) != 0);

	struct stat status;
	CHECK(lstat(path_in_directory("link.pb"), &status) == 0 && S_ISLNK(status.st_mode));
	check_entries(7);
}

/* Temporary names are predictable (path.tmp.pid.n): links planted there are not
   followed, and not removed either. */
static void test_planted_temporary_not_followed(void)
{
	enum { PLANTED = 200 };
	char name[64];
	for (unsigned i = 0; i < PLANTED; i++) {
		snprintf(name, sizeof name, "planted.pb.tmp.%d.%u", (int)getpid(), i);
		CHECK(symlink("target", path_in_directory(name)) == 0);
	}
	CHECK_UINT(write_profile("planted.pb", "profile"), EEXIST);
	check_content("target", "link target");
	CHECK(access(path_in_directory("planted.pb"), F_OK) != 0);
	for (unsigned i = 0; i < PLANTED; i++) {
		snprintf(name, sizeof name, "planted.pb.tmp.%d.%u", (int)getpid(), i);
		CHECK(unlink(path_in_directory(name)) == 0);
	}
}

static void test_directory_in_the_way(void)
{
	CHECK(mkdir(path_in_directory("dir.pb"), 0755) == 0);
	CHECK_UINT(write_profile("dir.pb", "profile"), EEXIST);
	check_entries(8);
}

static void test_unusable_paths(void)
{
	CHECK_UINT(write_profile("no-such-directory/heap.pb", "profile"), ENOENT);
	CHECK_UINT(write_profile("target/heap.pb", "profile"), ENOTDIR);
	char long_name[4090];
	memset(long_name, 'a', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	CHECK_UINT(output_write(long_name, OUTPUT_WORKING_DIRECTORY, "x", 1), ENAMETOOLONG);
	check_entries(8);
}

/* A write that fails part way (here the file size limit) leaves nothing behind. */
static void test_failed_write(void)
{
	struct rlimit saved, small;
	CHECK(getrlimit(RLIMIT_FSIZE, &saved) == 0);
	small = saved;
	small.rlim_cur = 10;
	CHECK(signal(SIGXFSZ, SIG_IGN) != SIG_ERR);
	CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
	int error = write_profile("big.pb", "more than ten bytes");
	CHECK(setrlimit(RLIMIT_FSIZE, &saved) == 0);
	CHECK_UINT(error, EFBIG);
	CHECK(access(path_in_directory("big.pb"), F_OK) != 0);
	check_entries(8);
}

/* In a fork child (another pid, another start time): the parent's files are not the
   child's, its own are. */
static void test_forget_written(void)
{
	pid_t child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		output_forget_written();
		CHECK_UINT(write_profile("heap.pb", "after fork"), EEXIST);
		check_content("heap.pb", "3");
		CHECK_UINT(write_profile("child.pb", "child"), 0);
		CHECK_UINT(write_profile("child.pb", "child again"), 0);
		check_content("child.pb", "child again");
		_exit(0);
	}
	int status;
	CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	check_entries(9);
}

/* Relative names from the template go to the directory output_start saw (the test
   directory), whatever the working directory is now, and after the program has
   closed every descriptor and filled the numbers with a directory of its own. */
static void test_start_directory(void)
{
	CHECK(chdir("/proc") == 0);
	CHECK_UINT(output_write("start.pb", OUTPUT_START_DIRECTORY, "start", 5), 0);
	check_content("start.pb", "start");
	CHECK(output_write("here.pb", OUTPUT_WORKING_DIRECTORY, "here", 4) != 0);

	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	int proc = open("/proc", O_PATH | O_DIRECTORY);
	CHECK(proc == 3);
	for (int fd = proc + 1; fd < 1024; fd++)
		CHECK(dup2(proc, fd) == fd);
	CHECK_UINT(output_write("reopened.pb", OUTPUT_START_DIRECTORY, "reopened", 8), 0);
	for (int fd = 3; fd < 1023; fd++)
		close(fd);
	check_content("reopened.pb", "reopened");

	/* Held open again, the directory is followed when it is renamed. */
	char moved[sizeof directory + 8];
	snprintf(moved, sizeof moved, "%s.moved", directory);
	CHECK(rename(directory, moved) == 0);
	CHECK_UINT(output_write("renamed.pb", OUTPUT_START_DIRECTORY, "renamed", 7), 0);
	CHECK(rename(moved, directory) == 0);
	check_content("renamed.pb", "renamed");
	check_entries(12);
}

static void remove_directory(void)
{
	DIR *listing = opendir(directory);
	CHECK(listing);
	for (struct dirent *entry; (entry = readdir(listing));) {
		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		const char *path = path_in_directory(entry->d_name);
		CHECK(unlink(path) == 0 || (errno == EISDIR && rmdir(path) == 0));
	}
	closedir(listing);
	CHECK(rmdir(directory) == 0);
}

int main(void)
{
	CHECK(mkdtemp(directory));
	CHECK(chdir(directory) == 0);
	output_start("heap.%e.pb");
	test_expand();
	test_insert_tag();
	test_write_new_and_replace_own();
	test_foreign_file_kept();
	test_symlink_not_followed();
	test_planted_temporary_not_followed();
	test_directory_in_the_way();
	test_unusable_paths();
	test_failed_write();
	test_forget_written();
	test_start_directory();
	remove_directory();
	test_insert_tag_repeated_suffix();
	return 0;
}
