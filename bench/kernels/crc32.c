/*
 * crc32.c -- table-driven CRC-32 (IEEE 802.3, reflected) over a 64 KiB
 * buffer, many passes, with a few bytes of the buffer changed between passes
 * so no pass repeats the previous one.  Mostly byte loads, table lookups,
 * shifts and xors.
 */
#include "kernel.h"

#define BUF_SIZE (64 * 1024)
#define PASSES 1700

static uint32_t table[256];
static uint8_t buf[BUF_SIZE];

static void table_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
}

static uint32_t crc32(const uint8_t *p, size_t n, uint32_t crc)
{
    crc = ~crc;
    while (n--)
        crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

KERNEL_RUN
{
    prng p;
    prng_init(&p, kernel_get_seed());
    table_init();
    for (size_t i = 0; i < BUF_SIZE; i += 8) {
        uint64_t v = prng_next(&p);
        for (int k = 0; k < 8; k++)
            buf[i + k] = (uint8_t)(v >> (8 * k));
    }
    uint64_t h = 0;
    uint32_t crc = 0;
    for (int pass = 0; pass < PASSES; pass++) {
        crc = crc32(buf, BUF_SIZE, crc);
        h = mix64(h, crc);
        for (int k = 0; k < 4; k++)
            buf[prng_u32(&p) % BUF_SIZE] ^= (uint8_t)(crc >> (8 * k));
    }
    /* The check value of the standard test vector, so a wrong table shows. */
    static const uint8_t check[] = "123456789";
    return mix64(h, crc32(check, 9, 0)); /* 0xcbf43926 */
}
