#include "sites.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "thread_state.h"

#define SHARD_COUNT 64
#define INITIAL_SLOTS 256
/* A thread's sites and stacks go to the shard it is given, in turn, at its first
   sample or first new lifetime count, so that two threads that sample the same stack
   never wait for each other's sample: a lock whose holder is preempted holds its
   waiter for a scheduler tick (docs/performance.md, "The endpoint under a scraper").
   A shard is never given back, so threads share one once more than SHARD_COUNT have
   been given one, exited threads included. */
static atomic_uint next_thread_shard;
/* The thread's shard plus one; 0 until it has one. */
static __thread uint8_t thread_shard TLS_MODEL;
/* Per-thread memos of recently used sites and stacks. A hot allocation site costs no
   lock; a new size at a known stack skips the stack table. Each entry keeps its keys,
   so a miss is decided without touching the shared site it names. */
#define RECENT_SITES 16
#define RECENT_STACKS 16

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

/* What a new site touches comes first: the lock, the site table, the shard's list
   of sites and the arena. The list and counts are written under the lock and read
   without it, so that a new site costs no shared atomic of its own. */
struct shard {
	pthread_mutex_t lock;
	struct table sites;                /* struct site *, by stack hash and size */
	_Atomic(struct site *) first_site; /* newest first */
	owned_counter site_count;
	struct arena arena;
	struct table stacks; /* struct stack *, by stack hash */
	owned_counter stack_count;
} __attribute__((aligned(64)));

static struct shard shards[SHARD_COUNT] = {
	[0 ... SHARD_COUNT - 1] = {.lock = PTHREAD_MUTEX_INITIALIZER},
};
/* The thread's name is compared on the site itself, which a hit touches anyway: kept
   here it would take every thread's stack 256 bytes more (docs/reliability.md). */
struct recent_site {
	uint64_t hash;
	size_t size, rate;
	struct site *site;
};

struct recent_stack {
	uint64_t hash;
	struct stack *stack;
};

static __thread struct recent_site recent_sites[RECENT_SITES] TLS_MODEL;
static __thread struct recent_stack recent_stacks[RECENT_STACKS] TLS_MODEL;

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

static uint64_t hash_site(uint64_t stack_hash, size_t size, size_t rate, const char *thread)
{
	uint64_t name[2];
	memcpy(name, thread, sizeof name);
	uint64_t hash = (stack_hash ^ size ^ (rate * 0x9e3779b97f4a7c15ULL) ^ name[0] ^ (name[1] << 1)) *
			0xff51afd7ed558ccdULL;
	return hash ^ (hash >> 32);
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
static struct slot *probe(struct table *table, uint64_t hash,
			  bool (*matches)(const void *entry, const void *key), const void *key)
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
	uint64_t hash;
	const uintptr_t *pcs;
	unsigned depth;
};

/* Every caller has compared the hash first, with a copy kept beside the stack (a slot's,
   a memo entry's), so that a mismatch seldom touches the stack itself. */
static bool stack_matches(const void *entry, const void *key)
{
	const struct stack *stack = entry;
	const struct stack_key *wanted = key;
	return stack->depth == wanted->depth &&
	       memcmp(stack->pcs, wanted->pcs, wanted->depth * sizeof *wanted->pcs) == 0;
}

struct site_key {
	const struct stack *stack;
	size_t size, rate;
	const char *thread; /* LABELS_THREAD_NAME_BYTES, zero-padded */
};

static bool site_matches(const void *entry, const void *key)
{
	const struct site *site = entry;
	const struct site_key *wanted = key;
	return site->stack == wanted->stack && site->size == wanted->size && site->rate == wanted->rate &&
	       memcmp(site->thread, wanted->thread, sizeof site->thread) == 0;
}

static struct stack *intern_stack(struct shard *shard, const struct stack_key *key)
{
	struct table *table = &shard->stacks;
	if (!has_room(table))
		return NULL;
	struct slot *slot = probe(table, key->hash, stack_matches, key);
	if (slot->entry)
		return slot->entry;
	struct stack *stack = arena_alloc(&shard->arena, sizeof *stack + key->depth * sizeof *key->pcs);
	if (!stack)
		return NULL;
	stack->hash = key->hash;
	stack->depth = key->depth;
	stack->shard = (uint8_t)(shard - shards);
	memcpy(stack->pcs, key->pcs, key->depth * sizeof *key->pcs);
	fill(table, slot, key->hash, stack);
	counter_add(&shard->stack_count, 1); /* one writer: the lock holder */
	return stack;
}

/* Under the shard's lock; walkers of the list may read it at any time. */
static void publish(struct shard *shard, struct site *site)
{
	site->next_site = atomic_load_explicit(&shard->first_site, memory_order_relaxed);
	atomic_store_explicit(&shard->first_site, site, memory_order_release);
	counter_add(&shard->site_count, 1); /* one writer: the lock holder */
}

/* Finds or creates the site and counts one allocation on it. */
static struct site *record_locked(struct shard *shard, struct stack *stack, size_t size, size_t rate,
				  const char *thread)
{
	struct table *table = &shard->sites;
	if (!has_room(table))
		return NULL;
	uint64_t key_hash = hash_site(stack->hash, size, rate, thread);
	struct site_key key = {stack, size, rate, thread};
	struct slot *slot = probe(table, key_hash, site_matches, &key);
	struct site *site = slot->entry;
	if (site) {
		atomic_fetch_add_explicit(&site->alloc_objects, 1, memory_order_relaxed);
		return site;
	}
	site = arena_alloc(&shard->arena, sizeof *site);
	if (!site)
		return NULL;
	site->stack = stack;
	site->size = size;
	site->rate = rate;
	memcpy(site->thread, thread, sizeof site->thread);
	/* No other thread can see it yet: no atomic increment needed. */
	atomic_init(&site->alloc_objects, 1);
	fill(table, slot, key_hash, site);
	publish(shard, site);
	return site;
}

static struct shard *own_shard(void)
{
	if (!thread_shard) {
		unsigned turn = atomic_fetch_add_explicit(&next_thread_shard, 1, memory_order_relaxed);
		thread_shard = (uint8_t)(turn % SHARD_COUNT + 1);
	}
	return &shards[thread_shard - 1];
}

/* Stacks and their sites share the thread's shard, so one lock covers both. `stack`
   is the interned stack when the caller knows it: the thread's memo only holds
   stacks of its own shard. */
static struct site *record(const struct stack_key *key, struct stack *stack, size_t size, size_t rate,
			   const char *thread)
{
	struct shard *shard = own_shard();
	struct site *site = NULL;
	pthread_mutex_lock(&shard->lock);
	if (!stack)
		stack = intern_stack(shard, key);
	if (stack)
		site = record_locked(shard, stack, size, rate, thread);
	pthread_mutex_unlock(&shard->lock);
	return site;
}

static struct stack *remembered_stack(const struct stack_key *key)
{
	const struct recent_stack *recent = &recent_stacks[key->hash % RECENT_STACKS];
	if (recent->stack && recent->hash == key->hash && stack_matches(recent->stack, key))
		return recent->stack;
	return NULL;
}

/* `thread` as a site keeps it: its name, zero-padded, or all zeros for none. */
static void thread_key(char key[LABELS_THREAD_NAME_BYTES], const char *thread)
{
	memset(key, 0, LABELS_THREAD_NAME_BYTES);
	if (thread)
		strncpy(key, thread, LABELS_THREAD_NAME_BYTES - 1);
}

struct site *sites_record_alloc(const uintptr_t *pcs, unsigned depth, size_t size, size_t rate,
				const char *thread)
{
	char name[LABELS_THREAD_NAME_BYTES];
	thread_key(name, thread);
	struct stack_key key = {hash_stack(pcs, depth), pcs, depth};
	struct recent_site *recent = &recent_sites[hash_site(key.hash, size, rate, name) % RECENT_SITES];
	struct site *site = recent->site;
	if (site && recent->hash == key.hash && recent->size == size && recent->rate == rate &&
	    memcmp(site->thread, name, sizeof name) == 0 && stack_matches(site->stack, &key)) {
		atomic_fetch_add_explicit(&site->alloc_objects, 1, memory_order_relaxed);
		return site;
	}
	site = record(&key, remembered_stack(&key), size, rate, name);
	if (site) {
		*recent = (struct recent_site){key.hash, size, rate, site};
		recent_stacks[key.hash % RECENT_STACKS] = (struct recent_stack){key.hash, site->stack};
	}
	return site;
}

static struct lifetime_count *lifetime_at(const struct site *site, uint64_t bucket)
{
	struct lifetime_count *count = atomic_load_explicit(&site->lifetimes, memory_order_acquire);
	while (count && count->bucket < bucket)
		count = atomic_load_explicit(&count->next, memory_order_acquire);
	return count && count->bucket == bucket ? count : NULL;
}

/* The site's count at `spare`'s bucket: `spare`, linked in before the first count of a
   longer bucket, or the count another thread linked in first. Without a lock: counts
   are only ever inserted, so a failed exchange resumes from the same link. */
static struct lifetime_count *link_lifetime(struct site *site, struct lifetime_count *spare)
{
	_Atomic(struct lifetime_count *) *link = &site->lifetimes;
	for (;;) {
		struct lifetime_count *count = atomic_load_explicit(link, memory_order_acquire);
		if (count && count->bucket < spare->bucket) {
			link = &count->next;
			continue;
		}
		if (count && count->bucket == spare->bucket)
			return count;
		atomic_init(&spare->next, count);
		/* Release: a free walking the list sees the node whole. */
		if (atomic_compare_exchange_weak_explicit(link, &count, spare, memory_order_release,
							  memory_order_relaxed))
			return spare;
	}
}

/* The site's count at `bucket`, made in the freeing thread's own shard's arena, not the
   site's, whose lock the site's thread holds while it samples. NULL when that lock was
   not free and `wait` false, or memory ran out. */
static struct lifetime_count *add_lifetime(struct site *site, uint64_t bucket, bool wait)
{
	struct shard *shard = own_shard();
	if ((wait ? pthread_mutex_lock(&shard->lock) : pthread_mutex_trylock(&shard->lock)) != 0)
		return NULL;
	struct lifetime_count *spare = arena_alloc(&shard->arena, sizeof *spare);
	pthread_mutex_unlock(&shard->lock);
	if (!spare)
		return NULL;
	spare->bucket = bucket;
	return link_lifetime(site, spare);
}

/* Release: a dump that sees the lifetime sees the free counted before it (ages.c). */
void sites_record_free(struct site *site, uint64_t lifetime, bool wait)
{
	atomic_fetch_add_explicit(&site->free_objects, 1, memory_order_relaxed);
	struct lifetime_count *count = lifetime_at(site, lifetime);
	if (!count)
		count = add_lifetime(site, lifetime, wait);
	if (count)
		atomic_fetch_add_explicit(&count->frees, 1, memory_order_release);
}

/* The first site of the shards from `index` on. */
static struct site *first_from(unsigned index)
{
	for (; index < SHARD_COUNT; index++) {
		struct site *site = atomic_load_explicit(&shards[index].first_site, memory_order_acquire);
		if (site)
			return site;
	}
	return NULL;
}

struct site *sites_first(void)
{
	return first_from(0);
}

struct site *sites_next(const struct site *site)
{
	return site->next_site ? site->next_site : first_from((unsigned)site->stack->shard + 1);
}

struct sites_counts sites_counts(void)
{
	struct sites_counts counts = {0, 0};
	for (unsigned i = 0; i < SHARD_COUNT; i++) {
		counts.stacks += counter_get(&shards[i].stack_count);
		counts.sites += counter_get(&shards[i].site_count);
	}
	return counts;
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
