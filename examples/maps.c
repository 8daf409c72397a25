/* The C counterpart of the Go program that builds 800,000 small maps of five strings:
   each "map" is a small hash table of five string keys and values, kept live. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAP_COUNT 800000
#define ENTRIES 5

struct entry {
	char *key;
	char *value;
};

struct map {
	size_t count;
	struct entry *entries;
};

static char *format_string(const char *prefix, int number)
{
	char buffer[32];
	int length = snprintf(buffer, sizeof buffer, "%s%d", prefix, number);
	char *copy = malloc((size_t)length + 1);
	memcpy(copy, buffer, (size_t)length + 1);
	return copy;
}

static struct map *new_map(int seed)
{
	struct map *map = malloc(sizeof *map);
	map->count = ENTRIES;
	map->entries = calloc(ENTRIES, sizeof *map->entries);
	for (int i = 0; i < ENTRIES; i++) {
		map->entries[i].key = format_string("key-", i);
		map->entries[i].value = format_string("value-", seed + i);
	}
	return map;
}

static void free_map(struct map *map)
{
	for (size_t i = 0; i < map->count; i++) {
		free(map->entries[i].key);
		free(map->entries[i].value);
	}
	free(map->entries);
	free(map);
}

int main(void)
{
	struct map **maps = malloc(MAP_COUNT * sizeof *maps);
	size_t total = 0;
	for (int i = 0; i < MAP_COUNT; i++) {
		maps[i] = new_map(i);
		total += strlen(maps[i]->entries[ENTRIES - 1].value);
	}
	/* Drop every other map, so the profile shows both freed and live memory. */
	for (int i = 0; i < MAP_COUNT; i += 2)
		free_map(maps[i]);
	printf("built %d maps, %zu value bytes\n", MAP_COUNT, total);
	return 0;
}
