#include "process_stat.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "descriptors.h"

uint64_t process_stat_field(unsigned field)
{
	char text[1024];
	int fd = descriptor_open_read_only("/proc/self/stat");
	if (fd < 0)
		return 0;
	ssize_t length = read(fd, text, sizeof text - 1);
	close(fd);
	if (length <= 0)
		return 0;
	text[length] = '\0';
	/* The name, field 2, may hold spaces and parentheses: count from its end. */
	const char *cursor = strrchr(text, ')');
	for (unsigned at = 2; at < field && cursor; at++)
		cursor = strchr(cursor + 1, ' ');
	return cursor ? strtoull(cursor + 1, NULL, 10) : 0;
}
