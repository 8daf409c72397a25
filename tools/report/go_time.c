#include "go_time.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader/diag.h"

/* Go reads no zone file over 10 MiB (time's maxFileSize). */
#define MOST_ZONE_FILE_BYTES ((size_t)10 << 20)

struct zone_data {
	const unsigned char *at, *end;
};

static bool take(struct zone_data *data, size_t count, const unsigned char **bytes)
{
	if ((size_t)(data->end - data->at) < count)
		return false;
	*bytes = data->at;
	data->at += count;
	return true;
}

static bool take_counts(struct zone_data *data, uint32_t counts[6])
{
	const unsigned char *bytes;
	if (!take(data, 24, &bytes))
		return false;
	for (int i = 0; i < 6; i++)
		counts[i] = (uint32_t)bytes[4 * i] << 24 | (uint32_t)bytes[4 * i + 1] << 16 |
			    (uint32_t)bytes[4 * i + 2] << 8 | bytes[4 * i + 3];
	return true;
}

enum { UTC_LOCAL, STD_WALL, LEAP, TIME, ZONE, CHAR };

/* What Go's LoadLocationFromTZData refuses: no TZif magic, an unknown
   version, data shorter than its counts, no zone, an index out of range. */
static bool go_takes_zone_data(struct zone_data data)
{
	const unsigned char *header, *skipped, *times, *indices, *zones, *rest;
	uint32_t n[6];
	if (!take(&data, 20, &header) || memcmp(header, "TZif", 4) ||
	    (header[4] != 0 && header[4] != '2' && header[4] != '3') || !take_counts(&data, n))
		return false;
	size_t width = 4;
	if (header[4] != 0) {
		size_t first = (size_t)n[TIME] * 5 + (size_t)n[ZONE] * 6 + n[CHAR] + (size_t)n[LEAP] * 8 +
			       n[STD_WALL] + n[UTC_LOCAL] + 20;
		if (!take(&data, first, &skipped) || !take_counts(&data, n))
			return false;
		width = 8;
	}
	if (!take(&data, (size_t)n[TIME] * width, &times) || !take(&data, n[TIME], &indices) ||
	    !take(&data, (size_t)n[ZONE] * 6, &zones) ||
	    !take(&data, (size_t)n[CHAR] + (size_t)n[LEAP] * (width + 4) + n[STD_WALL] + n[UTC_LOCAL],
		  &rest) ||
	    n[ZONE] == 0)
		return false;
	for (uint32_t i = 0; i < n[ZONE]; i++)
		if (zones[6 * i + 5] >= n[CHAR])
			return false;
	for (uint32_t i = 0; i < n[TIME]; i++)
		if (indices[i] >= n[ZONE])
			return false;
	return true;
}

/* Whether Go's time package loads path as a zone: a regular file it reads
   whole, in TZif form. */
static bool go_takes_zone_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return false;
	struct stat status;
	bool taken = false;
	if (fstat(fd, &status) == 0 && S_ISREG(status.st_mode) &&
	    (size_t)status.st_size <= MOST_ZONE_FILE_BYTES) {
		size_t size = (size_t)status.st_size;
		unsigned char *bytes = diag_malloc(size + 1);
		taken = read(fd, bytes, size) == (ssize_t)size &&
			go_takes_zone_data((struct zone_data){bytes, bytes + size});
		free(bytes);
	}
	close(fd);
	return taken;
}

/* The zone file Go takes for the local zone (zoneinfo_unix.go's initLocal),
   or NULL for UTC: TZ unset means /etc/localtime, empty or "UTC" UTC, an
   absolute path that file, a name a file of the zone directories. malloc'd. */
static char *go_zone_file(void)
{
	const char *tz = getenv("TZ");
	if (!tz)
		tz = "/etc/localtime";
	tz += *tz == ':';
	if (!*tz || (*tz != '/' && !strcmp(tz, "UTC")))
		return NULL;
	if (*tz == '/')
		return go_takes_zone_file(tz) ? diag_strdup(tz) : NULL;
	static const char *const zone_dirs[] = {"/usr/share/zoneinfo/", "/usr/share/lib/zoneinfo/",
						"/usr/lib/locale/TZ/"};
	for (size_t i = 0; i < sizeof zone_dirs / sizeof *zone_dirs; i++) {
		char *path = diag_asprintf("%s%s", zone_dirs[i], tz);
		if (go_takes_zone_file(path))
			return path;
		free(path);
	}
	return NULL;
}

/* The date and time of seconds since the epoch, without leap seconds (days
   to a civil date as in Howard Hinnant's algorithm). */
static void civil_time(int64_t seconds, struct tm *out)
{
	int64_t days = seconds / 86400, rest = seconds % 86400;
	if (rest < 0) {
		rest += 86400;
		days--;
	}
	days += 719468; /* from 0000-03-01 */
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	int64_t day_of_era = days - era * 146097;
	int64_t year_of_era =
		(day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
	int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
	int64_t month = (5 * day_of_year + 2) / 153; /* from March */
	*out = (struct tm){.tm_sec = (int)(rest % 60),
			   .tm_min = (int)(rest / 60 % 60),
			   .tm_hour = (int)(rest / 3600),
			   .tm_mday = (int)(day_of_year - (153 * month + 2) / 5 + 1),
			   .tm_mon = (int)(month < 10 ? month + 2 : month - 10),
			   .tm_year = (int)(year_of_era + era * 400 + (month >= 10) - 1900)};
}

void go_time_local(int64_t seconds, struct tm *local, char zone[GO_ZONE_NAME_SIZE])
{
	char *file = go_zone_file();
	if (!file) {
		civil_time(seconds, local);
		snprintf(zone, GO_ZONE_NAME_SIZE, "UTC");
		return;
	}
	/* The C library reads the very file Go does, for the zone's offset and
	   name; its time, and gmtime's, it moves by the leap seconds a right/
	   zone lists, which Go ignores. */
	setenv("TZ", file, 1);
	tzset();
	free(file);
	time_t when = (time_t)seconds;
	struct tm zoned;
	localtime_r(&when, &zoned);
	snprintf(zone, GO_ZONE_NAME_SIZE, "%s", zoned.tm_zone ? zoned.tm_zone : "");
	civil_time(seconds + zoned.tm_gmtoff, local);
}
