/*
 * sort.c -- sorts arrays of pseudo-random 32-bit integers with a quicksort
 * (median of three, insertion sort below 16 elements, recursing on the
 * smaller side) and a heapsort, then checks both results are sorted and
 * equal.  Compare-and-branch heavy, with data-dependent branches.
 */
#include "kernel.h"

#define N 100000
#define ROUNDS 21

static uint32_t a[N], b[N];

static void insertion_sort(uint32_t *v, int n)
{
    for (int i = 1; i < n; i++) {
        uint32_t x = v[i];
        int j = i - 1;
        while (j >= 0 && v[j] > x) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
}

static inline void swap(uint32_t *x, uint32_t *y)
{
    uint32_t t = *x;
    *x = *y;
    *y = t;
}

static void quicksort(uint32_t *v, int n)
{
    while (n > 16) {
        int mid = n / 2;
        if (v[mid] < v[0])
            swap(&v[mid], &v[0]);
        if (v[n - 1] < v[0])
            swap(&v[n - 1], &v[0]);
        if (v[n - 1] < v[mid])
            swap(&v[n - 1], &v[mid]);
        uint32_t pivot = v[mid];
        int i = 0, j = n - 1;
        for (;;) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i >= j)
                break;
            swap(&v[i], &v[j]);
            i++, j--;
        }
        /* Recurse on the smaller half, loop on the larger: O(log n) depth. */
        int left = j + 1;
        if (left < n - left) {
            quicksort(v, left);
            v += left;
            n -= left;
        } else {
            quicksort(v + left, n - left);
            n = left;
        }
    }
    insertion_sort(v, n);
}

static void sift_down(uint32_t *v, int root, int n)
{
    for (;;) {
        int child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && v[child + 1] > v[child])
            child++;
        if (v[root] >= v[child])
            return;
        swap(&v[root], &v[child]);
        root = child;
    }
}

static void heapsort(uint32_t *v, int n)
{
    for (int i = n / 2 - 1; i >= 0; i--)
        sift_down(v, i, n);
    for (int end = n - 1; end > 0; end--) {
        swap(&v[0], &v[end]);
        sift_down(v, 0, end);
    }
}

KERNEL_RUN
{
    prng p;
    prng_init(&p, kernel_get_seed());
    uint64_t h = 0;
    for (int r = 0; r < ROUNDS; r++) {
        /* Some rounds draw from a small range, so equal keys are common. */
        uint32_t mask = (r % 3 == 2) ? 0x3ff : 0xffffffffu;
        for (int i = 0; i < N; i++)
            a[i] = b[i] = prng_u32(&p) & mask;
        quicksort(a, N);
        heapsort(b, N);
        uint64_t bad = 0, sum = 0;
        for (int i = 0; i < N; i++) {
            bad += (i > 0 && a[i - 1] > a[i]) + (a[i] != b[i]);
            sum = sum * 1000003 + a[i];
        }
        h = mix64(h, sum);
        h = mix64(h, bad);
    }
    return h;
}
