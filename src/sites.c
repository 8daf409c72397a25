#include "sites.h"

#include <pthread.h>
#include <string.h>

#include "arena.h"
#include "thread_state.h"

#define SHARD_COUNT 64
#define INITIAL_SLOTS 256
/* Per-thread memo of recently used sites, so a hot allocation site costs no lock. */
#define RECENT_SITES 16

struct table {
	void **slots;
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
static int grow(struct table *table, uint64_t (*hash_of)(const void *))
{
	size_t capacity = table->capacity ? table->capacity * 2 : INITIAL_SLOTS;
	void **slots = arena_map(capacity * sizeof *slots);
	if (!slots)
		return 0;
	for (size_t i = 0; i < table->capacity; i++) {
		void *entry = table->slots[i];
		if (!entry)
			continue;
		size_t index = hash_of(entry) & (capacity - 1);
		while (slots[index])
			index = (index + 1) & (capacity - 1);
		slots[index] = entry;
	}
	arena_unmap(table->slots, table->capacity * sizeof *slots);
	table->slots = slots;
	table->capacity = capacity;
	return 1;
}

static uint64_t stack_hash_of(const void *entry)
{
	return ((const struct stack *)entry)->hash;
}

static uint64_t site_hash_of(const void *entry)
{
	const struct site *site = entry;
	return hash_site(site->stack->hash, site->size);
}

static int has_room(struct table *table, uint64_t (*hash_of)(const void *))
{
	return 2 * (table->count + 1) <= table->capacity || grow(table, hash_of);
}

static const struct stack *intern_stack(struct shard *shard, uint64_t hash, const uintptr_t *pcs, unsigned depth)
{
	struct table *table = &shard->stacks;
	if (!has_room(table, stack_hash_of))
		return NULL;
	size_t index = hash & (table->capacity - 1);
	for (struct stack *stack; (stack = table->slots[index]); index = (index + 1) & (table->capacity - 1)) {
		if (same_stack(stack, hash, pcs, depth))
			return stack;
	}
	struct stack *stack = arena_alloc(&shard->arena, sizeof *stack + depth * sizeof *pcs);
	if (!stack)
		return NULL;
	stack->hash = hash;
	stack->depth = depth;
	memcpy(stack->pcs, pcs, depth * sizeof *pcs);
	table->slots[index] = stack;
	table->count++;
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

/* Stacks and their sites share the shard chosen by the stack hash, so one lock covers both. */
static struct site *find_or_create(uint64_t hash, const uintptr_t *pcs, unsigned depth, size_t size)
{
	struct shard *shard = &shards[hash % SHARD_COUNT];
	struct site *result = NULL;
	pthread_mutex_lock(&shard->lock);
	struct table *table = &shard->sites;
	const struct stack *stack = intern_stack(shard, hash, pcs, depth);
	if (!stack || !has_room(table, site_hash_of))
		goto out;
	size_t index = hash_site(hash, size) & (table->capacity - 1);
	for (struct site *site; (site = table->slots[index]); index = (index + 1) & (table->capacity - 1)) {
		if (site->stack == stack && site->size == size) {
			result = site;
			goto out;
		}
	}
	result = arena_alloc(&shard->arena, sizeof *result);
	if (!result)
		goto out;
	result->stack = stack;
	result->size = size;
	table->slots[index] = result;
	table->count++;
	publish(result);
out:
	pthread_mutex_unlock(&shard->lock);
	return result;
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
