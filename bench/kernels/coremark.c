/*
 * coremark.c -- a CoreMark-like mix (our own code, not EEMBC's): each round
 * builds and walks a linked list (search, reverse, merge sort), multiplies
 * small integer matrices, and runs a character-class state machine over a
 * text of numbers, folding every result into a CRC-16.
 */
#include "kernel.h"

#define ROUNDS 5000
#define LIST_NODES 600
#define MAT_N 24
#define TEXT_LEN 2048

/* ---- CRC-16 (CCITT, bitwise as CoreMark does) ---------------------------- */

static uint16_t crc16_u8(uint8_t b, uint16_t crc)
{
    crc ^= (uint16_t)b << 8;
    for (int i = 0; i < 8; i++)
        crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    return crc;
}

static uint16_t crc16_u32(uint32_t v, uint16_t crc)
{
    crc = crc16_u8((uint8_t)v, crc);
    crc = crc16_u8((uint8_t)(v >> 8), crc);
    crc = crc16_u8((uint8_t)(v >> 16), crc);
    return crc16_u8((uint8_t)(v >> 24), crc);
}

/* ---- linked list ------------------------------------------------------------ */

typedef struct node {
    struct node *next;
    int32_t key;
    int32_t data;
} node;

static node nodes[LIST_NODES];

static node *list_build(prng *p)
{
    node *head = 0;
    for (int i = LIST_NODES - 1; i >= 0; i--) {
        nodes[i].key = i;
        nodes[i].data = (int32_t)(prng_u32(p) & 0xffff) - 0x8000;
        nodes[i].next = head;
        head = &nodes[i];
    }
    return head;
}

static node *list_find(node *head, int32_t data)
{
    for (; head; head = head->next)
        if (head->data == data)
            return head;
    return 0;
}

static node *list_reverse(node *head)
{
    node *prev = 0;
    while (head) {
        node *next = head->next;
        head->next = prev;
        prev = head;
        head = next;
    }
    return prev;
}

/* Bottom-up merge sort on `data`, stable, O(n log n) without recursion. */
static node *list_sort(node *head)
{
    for (int width = 1;; width *= 2) {
        node *p = head, *tail = 0;
        head = 0;
        int merges = 0;
        while (p) {
            merges++;
            node *q = p;
            int psize = 0;
            for (int i = 0; i < width && q; i++) {
                psize++;
                q = q->next;
            }
            int qsize = width;
            while (psize > 0 || (qsize > 0 && q)) {
                node *e;
                if (psize == 0) {
                    e = q, q = q->next, qsize--;
                } else if (qsize == 0 || !q || p->data <= q->data) {
                    e = p, p = p->next, psize--;
                } else {
                    e = q, q = q->next, qsize--;
                }
                if (tail)
                    tail->next = e;
                else
                    head = e;
                tail = e;
            }
            p = q;
        }
        tail->next = 0;
        if (merges <= 1)
            return head;
    }
}

static uint16_t bench_list(prng *p, uint16_t crc)
{
    node *head = list_build(p);
    for (int i = 0; i < 16; i++) {
        node *hit = list_find(head, nodes[(i * 37) % LIST_NODES].data);
        crc = crc16_u32(hit ? (uint32_t)hit->key : 0xffffffffu, crc);
    }
    head = list_reverse(head);
    head = list_sort(head);
    int32_t prev = -0x8001;
    uint32_t sum = 0;
    for (node *n = head; n; n = n->next) {
        if (n->data < prev)
            return 0xdead; /* not sorted: the checksum shows it */
        prev = n->data;
        sum = sum * 31 + (uint32_t)n->key;
    }
    return crc16_u32(sum, crc);
}

/* ---- matrices ------------------------------------------------------------- */

static int16_t mat_a[MAT_N * MAT_N], mat_b[MAT_N * MAT_N];
static int32_t mat_c[MAT_N * MAT_N];

static uint16_t bench_matrix(prng *p, uint16_t crc)
{
    for (int i = 0; i < MAT_N * MAT_N; i++) {
        uint32_t r = prng_u32(p);
        mat_a[i] = (int16_t)(r & 0x0fff) - 0x800;
        mat_b[i] = (int16_t)((r >> 16) & 0x0fff) - 0x800;
    }
    /* A += constant, then C = A * B, then C's bit-field sums, as CoreMark's phases. */
    int16_t k = (int16_t)(p->s & 0xff);
    for (int i = 0; i < MAT_N * MAT_N; i++)
        mat_a[i] = (int16_t)(mat_a[i] + k);
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            int32_t acc = 0;
            for (int x = 0; x < MAT_N; x++)
                acc += (int32_t)mat_a[i * MAT_N + x] * mat_b[x * MAT_N + j];
            mat_c[i * MAT_N + j] = acc;
        }
    uint32_t sum = 0;
    for (int i = 0; i < MAT_N * MAT_N; i++) {
        int32_t v = mat_c[i];
        sum += (uint32_t)((v >> 2) & 0x0f) * (uint32_t)((v >> 5) & 0x7f);
        if (v > 0)
            sum ^= (uint32_t)v;
    }
    return crc16_u32(sum, crc);
}

/* ---- state machine ---------------------------------------------------------- */

enum { S_START, S_INT, S_FLOAT, S_EXP, S_EXP_SIGN, S_SCI, S_HEX, S_BAD, S_COUNT };

static char text[TEXT_LEN];

static void text_fill(prng *p)
{
    static const char *const words[] = {"5012", "1234", "-874", "+122", "3.14", "-0.7e-3",
                                        "6.02e23", "0x1F", "0xbeef", "T0.3e-1F", "-.1e", "12a"};
    int pos = 0;
    while (pos < TEXT_LEN - 16) {
        const char *w = words[prng_u32(p) % (sizeof words / sizeof words[0])];
        while (*w)
            text[pos++] = *w++;
        text[pos++] = ',';
    }
    while (pos < TEXT_LEN - 1)
        text[pos++] = ',';
    text[TEXT_LEN - 1] = 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static uint16_t bench_state(uint16_t crc)
{
    uint32_t finals[S_COUNT] = {0}, transitions = 0;
    const char *s = text;
    while (*s) {
        int state = S_START;
        for (; *s && *s != ','; s++) {
            char c = *s;
            int next = state;
            switch (state) {
            case S_START:
                if (is_digit(c))
                    next = S_INT;
                else if (c == '+' || c == '-')
                    next = S_INT;
                else if (c == '.')
                    next = S_FLOAT;
                else
                    next = S_BAD;
                break;
            case S_INT:
                if (c == '.')
                    next = S_FLOAT;
                else if (c == 'x' && s[-1] == '0')
                    next = S_HEX;
                else if (!is_digit(c))
                    next = S_BAD;
                break;
            case S_FLOAT:
                if (c == 'e' || c == 'E')
                    next = S_EXP;
                else if (!is_digit(c))
                    next = S_BAD;
                break;
            case S_EXP:
                next = (c == '+' || c == '-') ? S_EXP_SIGN : is_digit(c) ? S_SCI : S_BAD;
                break;
            case S_EXP_SIGN:
            case S_SCI:
                next = is_digit(c) ? S_SCI : S_BAD;
                break;
            case S_HEX:
                if (!(is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
                    next = S_BAD;
                break;
            default:
                break;
            }
            transitions += next != state;
            state = next;
        }
        finals[state]++;
        if (*s)
            s++;
    }
    for (int i = 0; i < S_COUNT; i++)
        crc = crc16_u32(finals[i], crc);
    return crc16_u32(transitions, crc);
}

KERNEL_RUN
{
    prng p;
    prng_init(&p, kernel_get_seed());
    uint16_t crc = 0;
    uint64_t h = 0;
    for (int r = 0; r < ROUNDS; r++) {
        crc = bench_list(&p, crc);
        crc = bench_matrix(&p, crc);
        if (r % 8 == 0)
            text_fill(&p);
        crc = bench_state(crc);
        h = mix64(h, crc);
    }
    return h;
}
