/*
 * prodcons.c -- producers and consumers over a bounded ring buffer guarded
 * by a wg_mutex with two wg_cond (not full, not empty).  Every item must be
 * consumed exactly once: the count and the sum of the items are checked.
 */
#include <stdio.h>

#include "weft_guest.h"

#define PRODUCERS 3
#define CONSUMERS 3
#define ITEMS 20000 /* per producer */
#define SLOTS 8

static wg_mutex lock = WG_MUTEX_INIT;
static wg_cond not_full = WG_COND_INIT, not_empty = WG_COND_INIT;
static uint64_t ring[SLOTS];
static unsigned head, count;
static bool finished; /* all producers are done: consumers drain and leave */

struct tally {
    uint64_t items, sum;
};

static void *produce(void *arg)
{
    uint64_t base = (uint64_t)(uintptr_t)arg * 1000000u;
    for (uint64_t i = 1; i <= ITEMS; i++) {
        wg_mutex_lock(&lock);
        while (count == SLOTS)
            wg_cond_wait(&not_full, &lock);
        ring[(head + count) % SLOTS] = base + i;
        count++;
        wg_cond_signal(&not_empty);
        wg_mutex_unlock(&lock);
    }
    return NULL;
}

static void *consume(void *arg)
{
    struct tally *t = arg;
    wg_mutex_lock(&lock);
    for (;;) {
        while (count == 0 && !finished)
            wg_cond_wait(&not_empty, &lock);
        if (count == 0)
            break;
        uint64_t v = ring[head];
        head = (head + 1) % SLOTS;
        count--;
        wg_cond_signal(&not_full);
        wg_mutex_unlock(&lock);
        t->items++;
        t->sum += v;
        wg_mutex_lock(&lock);
    }
    wg_mutex_unlock(&lock);
    return NULL;
}

int main(void)
{
    wg_thread *p[PRODUCERS], *c[CONSUMERS];
    struct tally tally[CONSUMERS] = {{0, 0}};
    for (int i = 0; i < CONSUMERS; i++)
        if (wg_thread_create(&c[i], 0, consume, &tally[i]))
            return printf("spawn failed\n"), 1;
    for (int i = 0; i < PRODUCERS; i++)
        if (wg_thread_create(&p[i], 0, produce, (void *)(uintptr_t)(i + 1)))
            return printf("spawn failed\n"), 1;
    for (int i = 0; i < PRODUCERS; i++)
        wg_thread_join(p[i]);
    wg_mutex_lock(&lock);
    finished = true;
    wg_cond_broadcast(&not_empty);
    wg_mutex_unlock(&lock);
    uint64_t items = 0, sum = 0, expected_sum = 0;
    for (int i = 0; i < CONSUMERS; i++) {
        wg_thread_join(c[i]);
        items += tally[i].items;
        sum += tally[i].sum;
    }
    for (uint64_t p_ = 1; p_ <= PRODUCERS; p_++)
        expected_sum += p_ * 1000000u * ITEMS + (uint64_t)ITEMS * (ITEMS + 1) / 2;
    bool ok = items == (uint64_t)PRODUCERS * ITEMS && sum == expected_sum;
    printf("consumed %llu items: %s\n", (unsigned long long)items, ok ? "ok" : "WRONG");
    if (!ok)
        printf("sum %llu, expected %llu\n", (unsigned long long)sum,
               (unsigned long long)expected_sum);
    return ok ? 0 : 1;
}
