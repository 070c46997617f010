/*
 * hashmap.c -- an open-addressing hash table (linear probing, tombstones) of
 * 64-bit keys: bursts of inserts, lookups of present and absent keys, and
 * deletes.  Hashing is a multiply-xorshift mixer; the work is mostly
 * 64-bit arithmetic and unpredictable loads.
 */
#include "kernel.h"

#define CAP (1u << 16) /* slots; kept at most ~60% full */
#define ROUNDS 64
#define KEYS 30000

typedef struct {
    uint64_t key; /* 0: empty, 1: tombstone */
    uint64_t value;
} slot;

static slot table[CAP];
static uint64_t keys[KEYS];

static inline uint64_t hash64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

static void table_clear(void)
{
    for (uint32_t i = 0; i < CAP; i++)
        table[i].key = 0, table[i].value = 0;
}

static void insert(uint64_t key, uint64_t value)
{
    uint32_t i = (uint32_t)hash64(key) & (CAP - 1);
    int64_t tomb = -1;
    for (;; i = (i + 1) & (CAP - 1)) {
        uint64_t k = table[i].key;
        if (k == key) {
            table[i].value = value;
            return;
        }
        if (k == 1 && tomb < 0)
            tomb = i;
        if (k == 0)
            break;
    }
    if (tomb >= 0)
        i = (uint32_t)tomb;
    table[i].key = key;
    table[i].value = value;
}

static slot *find(uint64_t key)
{
    for (uint32_t i = (uint32_t)hash64(key) & (CAP - 1);; i = (i + 1) & (CAP - 1)) {
        uint64_t k = table[i].key;
        if (k == key)
            return &table[i];
        if (k == 0)
            return 0;
    }
}

static int erase(uint64_t key)
{
    slot *s = find(key);
    if (!s)
        return 0;
    s->key = 1;
    return 1;
}

KERNEL_RUN
{
    prng p;
    prng_init(&p, kernel_get_seed());
    uint64_t h = 0;
    for (int r = 0; r < ROUNDS; r++) {
        table_clear();
        for (int i = 0; i < KEYS; i++) {
            keys[i] = (prng_next(&p) | 2) >> (r & 7); /* never 0 or 1; some repeats */
            if (keys[i] < 2)
                keys[i] += 2;
            insert(keys[i], (uint64_t)i);
        }
        uint64_t found = 0, missing = 0, sum = 0;
        for (int pass = 0; pass < 4; pass++)
            for (int i = 0; i < KEYS; i++) {
                slot *s = find(keys[(i * 7 + pass) % KEYS]);
                if (s)
                    found++, sum += s->value;
                if (!find(keys[i] ^ 0x8000000000000000ull))
                    missing++;
            }
        uint64_t erased = 0;
        for (int i = 0; i < KEYS; i += 3)
            erased += (uint64_t)erase(keys[i]);
        for (int i = 0; i < KEYS; i += 2)
            insert(keys[i] + 7, (uint64_t)i);
        for (int i = 0; i < KEYS; i++) {
            slot *s = find(keys[i]);
            sum += s ? s->value : 0xabc;
        }
        h = mix64(h, found);
        h = mix64(h, missing);
        h = mix64(h, erased);
        h = mix64(h, sum);
    }
    return h;
}
