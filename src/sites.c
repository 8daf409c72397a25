#include "sites.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "thread_state.h"

#define SHARD_COUNT 64
#define SHARD_SHIFT 58 /* 64 - log2(SHARD_COUNT) */
#define INITIAL_SLOTS 256
/* Per-thread memo of recently used sites, so a hot allocation site costs no lock. */
#define RECENT_SITES 16

/* Each slot keeps its entry's hash, so a probe compares hashes without touching the
   entry: at high sample rates the misses on entries dominated recording. */
struct slot {
	uint64_t hash;
	void *entry; /* NULL: empty */
};

struct table {
	struct slot *slots;
	size_t capacity; /* a power of two */
	size_t count;
};

struct shard {
	pthread_mutex_t lock;
	struct arena arena;
	struct table stacks; /* struct stack *, by stack hash */
	struct table sites;  /* struct site *, by stack hash and size */
} __attribute__((aligned(64)));

static struct shard shards[SHARD_COUNT] = {
	[0 ... SHARD_COUNT - 1] = {.lock = PTHREAD_MUTEX_INITIALIZER},
};
static _Atomic(struct site *) all_sites;
static _Atomic uint64_t stack_count, site_count;
static __thread struct site *recent_sites[RECENT_SITES] TLS_MODEL;

static uint64_t hash_stack(const uintptr_t *pcs, unsigned depth)
{
	uint64_t hash = 0x84222325cbf29ce4ULL ^ depth;
	for (unsigned i = 0; i < depth; i++) {
		hash ^= pcs[i];
		hash *= 0x9e3779b97f4a7c15ULL;
		hash ^= hash >> 29;
	}
	return hash;
}

static uint64_t hash_site(uint64_t stack_hash, size_t size)
{
	uint64_t hash = (stack_hash ^ size) * 0xff51afd7ed558ccdULL;
	return hash ^ (hash >> 32);
}

static int same_stack(const struct stack *stack, uint64_t hash, const uintptr_t *pcs, unsigned depth)
{
	return stack->hash == hash && stack->depth == depth &&
	       memcmp(stack->pcs, pcs, depth * sizeof *pcs) == 0;
}

/* Doubles the table, or creates it. False when out of memory. */
static bool grow(struct table *table)
{
	size_t capacity = table->capacity ? table->capacity * 2 : INITIAL_SLOTS;
	struct slot *slots = arena_map(capacity * sizeof *slots);
	if (!slots)
		return false;
	for (size_t i = 0; i < table->capacity; i++) {
		if (!table->slots[i].entry)
			continue;
		size_t index = table->slots[i].hash & (capacity - 1);
		while (slots[index].entry)
			index = (index + 1) & (capacity - 1);
		slots[index] = table->slots[i];
	}
	arena_unmap(table->slots, table->capacity * sizeof *slots);
	table->slots = slots;
	table->capacity = capacity;
	return true;
}

static bool has_room(struct table *table)
{
	return 2 * (table->count + 1) <= table->capacity || grow(table);
}

/* The slot holding an entry with `hash` that `matches`, or the empty slot where it
   belongs. */
static struct slot *probe(struct table *table, uint64_t hash, bool (*matches)(const void *entry, const void *key),
			  const void *key)
{
	size_t mask = table->capacity - 1;
	for (size_t index = hash & mask;; index = (index + 1) & mask) {
		struct slot *slot = &table->slots[index];
		if (!slot->entry || (slot->hash == hash && matches(slot->entry, key)))
			return slot;
	}
}

static void fill(struct table *table, struct slot *slot, uint64_t hash, void *entry)
{
	slot->hash = hash;
	slot->entry = entry;
	table->count++;
}

struct stack_key {
	const uintptr_t *pcs;
	unsigned depth;
};

static bool stack_matches(const void *entry, const void *key)
{
	const struct stack *stack = entry;
	const struct stack_key *wanted = key;
	return stack->depth == wanted->depth && memcmp(stack->pcs, wanted->pcs, wanted->depth * sizeof *wanted->pcs) == 0;
}

struct site_key {
	const struct stack *stack;
	size_t size;
};

static bool site_matches(const void *entry, const void *key)
{
	const struct site *site = entry;
	const struct site_key *wanted = key;
	return site->stack == wanted->stack && site->size == wanted->size;
}

static const struct stack *intern_stack(struct shard *shard, uint64_t hash, const uintptr_t *pcs, unsigned depth)
{
	struct table *table = &shard->stacks;
	if (!has_room(table))
		return NULL;
	struct stack_key key = {pcs, depth};
	struct slot *slot = probe(table, hash, stack_matches, &key);
	if (slot->entry)
		return slot->entry;
	struct stack *stack = arena_alloc(&shard->arena, sizeof *stack + depth * sizeof *pcs);
	if (!stack)
		return NULL;
	stack->hash = hash;
	stack->depth = depth;
	memcpy(stack->pcs, pcs, depth * sizeof *pcs);
	fill(table, slot, hash, stack);
	atomic_fetch_add_explicit(&stack_count, 1, memory_order_relaxed);
	return stack;
}

static void publish(struct site *site)
{
	struct site *head = atomic_load_explicit(&all_sites, memory_order_relaxed);
	do
		site->next_site = head;
	while (!atomic_compare_exchange_weak_explicit(&all_sites, &head, site, memory_order_release,
						      memory_order_relaxed));
	atomic_fetch_add_explicit(&site_count, 1, memory_order_relaxed);
}

static struct site *find_or_create_locked(struct shard *shard, uint64_t hash, const uintptr_t *pcs,
					 unsigned depth, size_t size)
{
	struct table *table = &shard->sites;
	const struct stack *stack = intern_stack(shard, hash, pcs, depth);
	if (!stack || !has_room(table))
		return NULL;
	uint64_t key_hash = hash_site(hash, size);
	struct site_key key = {stack, size};
	struct slot *slot = probe(table, key_hash, site_matches, &key);
	if (slot->entry)
		return slot->entry;
	struct site *site = arena_alloc(&shard->arena, sizeof *site);
	if (!site)
		return NULL;
	site->stack = stack;
	site->size = size;
	fill(table, slot, key_hash, site);
	publish(site);
	return site;
}

/* Stacks and their sites share the shard chosen by the stack hash's top bits (the
   tables use the low bits), so one lock covers both. */
static struct site *find_or_create(uint64_t hash, const uintptr_t *pcs, unsigned depth, size_t size)
{
	struct shard *shard = &shards[hash >> SHARD_SHIFT];
	pthread_mutex_lock(&shard->lock);
	struct site *site = find_or_create_locked(shard, hash, pcs, depth, size);
	pthread_mutex_unlock(&shard->lock);
	return site;
}

struct site *sites_record_alloc(const uintptr_t *pcs, unsigned depth, size_t size)
{
	uint64_t hash = hash_stack(pcs, depth);
	struct site **recent = &recent_sites[hash_site(hash, size) % RECENT_SITES];
	struct site *site = *recent;
	if (!site || site->size != size || !same_stack(site->stack, hash, pcs, depth)) {
		site = find_or_create(hash, pcs, depth, size);
		if (!site)
			return NULL;
		*recent = site;
	}
	atomic_fetch_add_explicit(&site->alloc_objects, 1, memory_order_relaxed);
	return site;
}

struct site *sites_first(void)
{
	return atomic_load_explicit(&all_sites, memory_order_acquire);
}

struct sites_counts sites_counts(void)
{
	return (struct sites_counts){
		.stacks = atomic_load_explicit(&stack_count, memory_order_relaxed),
		.sites = atomic_load_explicit(&site_count, memory_order_relaxed),
	};
}

void sites_lock_all(void)
{
	for (unsigned i = 0; i < SHARD_COUNT; i++)
		pthread_mutex_lock(&shards[i].lock);
}

void sites_unlock_all(void)
{
	for (unsigned i = 0; i < SHARD_COUNT; i++)
		pthread_mutex_unlock(&shards[i].lock);
}
