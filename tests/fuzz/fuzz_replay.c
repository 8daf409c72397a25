/* Runs the fuzz target over files and directories of inputs, without
   libFuzzer: the corpus replay the test suite runs on every build. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *file = fopen(path, "rb");
	if (!file) {
		perror(path);
		return 1;
	}
	fseek(file, 0, SEEK_END);
	long size = ftell(file);
	rewind(file);
	uint8_t *data = malloc(size > 0 ? (size_t)size : 1);
	size_t got = data ? fread(data, 1, (size_t)size, file) : 0;
	fclose(file);
	if (!data || got != (size_t)size) {
		fprintf(stderr, "%s: cannot read\n", path);
		free(data);
		return 1;
	}
	LLVMFuzzerTestOneInput(data, got);
	free(data);
	return 0;
}

static int replay(const char *path, int *count)
{
	struct stat status;
	if (stat(path, &status)) {
		perror(path);
		return 1;
	}
	if (!S_ISDIR(status.st_mode)) {
		++*count;
		return replay_file(path);
	}
	DIR *dir = opendir(path);
	if (!dir) {
		perror(path);
		return 1;
	}
	int failures = 0;
	for (struct dirent *entry; (entry = readdir(dir));) {
		if (entry->d_name[0] == '.')
			continue;
		char child[4096];
		snprintf(child, sizeof child, "%s/%s", path, entry->d_name);
		failures += replay(child, count);
	}
	closedir(dir);
	return failures;
}

int main(int argc, char **argv)
{
	int failures = 0, count = 0;
	for (int i = 1; i < argc; i++)
		failures += replay(argv[i], &count);
	printf("replayed %d inputs\n", count);
	return failures ? 1 : 0;
}
