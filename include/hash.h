/* hash.h — a 64-bit mixer for hashes that must not depend on ranks or threads. */
#ifndef LINREG_HASH_H
#define LINREG_HASH_H

#include <stdint.h>

/* splitmix64's finaliser: every input bit affects every output bit. */
static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 30, x *= 0xBF58476D1CE4E5B9u;
    x ^= x >> 27, x *= 0x94D049BB133111EBu;
    return x ^ (x >> 31);
}

#endif
