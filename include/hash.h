/* hash.h — 64-bit hashes that must not depend on ranks or threads. */
#ifndef LINREG_HASH_H
#define LINREG_HASH_H

#include <stddef.h>
#include <stdint.h>

/* splitmix64's finaliser: every input bit affects every output bit. */
static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 30, x *= 0xBF58476D1CE4E5B9u;
    x ^= x >> 27, x *= 0x94D049BB133111EBu;
    return x ^ (x >> 31);
}

/* The bytes s[0..n): FNV-1a, then mixed so that the low bits are as good as the high. */
static inline uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xCBF29CE484222325u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001B3u;
    return mix64(h ^ n);
}

#endif
