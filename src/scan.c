/* scan.c — where the fields of a plain line end, many bytes at a time; see scan.h. */
#include "scan.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "numparse.h"  /* num_load8 */

#define NO_CR SIZE_MAX

/* What a scan has found so far. */
struct scan_state {
    const char *p;
    size_t n;                  /* bytes the line may span (at most 4 GiB - 1) */
    char delim;
    int max_delims, k;         /* k: delimiters stored so far */
    uint32_t *at;
    size_t cr_at;              /* the one carriage return seen, or NO_CR */
};

enum { GO_ON = -1, NOT_PLAIN = 0 };

/*
 * One step of w ≤ 32 bytes at offset i, as bit masks (bit b: byte i + b) of its line
 * feeds, delimiters, quotes and carriage returns. Returns GO_ON, NOT_PLAIN, or 1 when the
 * step holds the line's end (then *end is the offset of its '\n').
 */
static inline int step(struct scan_state *s, size_t i, uint32_t nl, uint32_t dl, uint32_t qt,
                       uint32_t cr, size_t *end)
{
    if (nl) {  /* only what comes before the first line feed belongs to the line */
        uint32_t before = (nl & -nl) - 1;
        dl &= before, qt &= before, cr &= before;
    }
    if (qt)
        return NOT_PLAIN;
    if (cr) {  /* at most one, and (checked at the end) just before the line's end */
        if (s->cr_at != NO_CR || (cr & (cr - 1)))
            return NOT_PLAIN;
        s->cr_at = i + (size_t)__builtin_ctz(cr);
    }
    while (dl) {
        if (s->k == s->max_delims)
            return NOT_PLAIN;
        s->at[s->k++] = (uint32_t)(i + (size_t)__builtin_ctz(dl));
        dl &= dl - 1;
    }
    if (!nl)
        return GO_ON;
    *end = i + (size_t)__builtin_ctz(nl);
    return 1;
}

/* The masks of the w < 32 bytes at offset i, one byte at a time (the tails). */
static inline int step_bytes(struct scan_state *s, size_t i, size_t w, size_t *end)
{
    uint32_t nl = 0, dl = 0, qt = 0, cr = 0;
    for (size_t b = 0; b < w; b++) {
        char c = s->p[i + b];
        nl |= (uint32_t)(c == '\n') << b;
        dl |= (uint32_t)(c == s->delim) << b;
        qt |= (uint32_t)(c == '"') << b;
        cr |= (uint32_t)(c == '\r') << b;
    }
    return step(s, i, nl, dl, qt, cr, end);
}

/* The scan has reached the line's end (its '\n' at end, or end = n without one): the
   carriage return, if any, must be the content's last byte. */
static size_t finish(const struct scan_state *s, size_t end, int with_nl, size_t full_n,
                     int *n_at, size_t *content)
{
    if (!with_nl && s->n < full_n)
        return 0;  /* no line feed within 4 GiB */
    if (s->cr_at != NO_CR && s->cr_at + 1 != end)
        return 0;
    *n_at = s->k;
    *content = s->cr_at != NO_CR ? s->cr_at : end;
    return end + (size_t)with_nl;
}

static void start(struct scan_state *s, const char *p, size_t n, char delim, int max_delims,
                  uint32_t *at)
{
    s->p = p;
    s->n = n < UINT32_MAX ? n : UINT32_MAX;
    s->delim = delim;
    s->max_delims = max_delims;
    s->k = 0;
    s->at = at;
    s->cr_at = NO_CR;
}

#ifdef __SSE2__
size_t scan_line_sse2(const char *p, size_t n, char delim, int max_delims, uint32_t *at,
                      int *n_at, size_t *content)
{
    struct scan_state s;
    start(&s, p, n, delim, max_delims, at);
    const __m128i vn = _mm_set1_epi8('\n'), vd = _mm_set1_epi8(delim),
                  vq = _mm_set1_epi8('"'), vr = _mm_set1_epi8('\r');
    size_t i = 0, end;
    int r = GO_ON;
    for (; i + 16 <= s.n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
        uint32_t nl = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vn));
        uint32_t dl = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vd));
        uint32_t odd = (uint32_t)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, vq), _mm_cmpeq_epi8(v, vr)));
        if (!odd && !nl) {  /* the usual step: only delimiters */
            while (dl) {
                if (s.k == max_delims)
                    return 0;
                at[s.k++] = (uint32_t)(i + (size_t)__builtin_ctz(dl));
                dl &= dl - 1;
            }
            continue;
        }
        uint32_t qt = odd ? (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vq)) : 0;
        if ((r = step(&s, i, nl, dl, qt, odd & ~qt, &end)) != GO_ON)
            break;
    }
    if (r == GO_ON && i < s.n)
        r = step_bytes(&s, i, s.n - i, &end);
    if (r == NOT_PLAIN)
        return 0;
    return r == GO_ON ? finish(&s, s.n, 0, n, n_at, content)
                      : finish(&s, end, 1, n, n_at, content);
}
#else
size_t scan_line_sse2(const char *p, size_t n, char delim, int max_delims, uint32_t *at,
                      int *n_at, size_t *content)
{
    return scan_line_portable(p, n, delim, max_delims, at, n_at, content);
}
#endif

/* ---- portable: 8 bytes in a 64-bit word (num_load8) ---- */

/* Bit b set where byte b of v equals the byte that `bytes` repeats. Exact: no carry
   crosses a byte (the low 7 bits plus 0x7F stay below 0x100), so no false positives. */
static inline uint32_t eq_mask(uint64_t v, uint64_t bytes)
{
    const uint64_t low7 = 0x7F7F7F7F7F7F7F7Full;
    uint64_t t = v ^ bytes;
    uint64_t zero = ~(((t & low7) + low7) | t) & 0x8080808080808080ull;
    /* gather bit 7 of each byte into bits 0..7: the shifted copies land on distinct
       bits of the top byte, so the product has no carries */
    return (uint32_t)(((zero >> 7) * 0x0102040810204080ull) >> 56);
}

size_t scan_line_portable(const char *p, size_t n, char delim, int max_delims, uint32_t *at,
                          int *n_at, size_t *content)
{
    struct scan_state s;
    start(&s, p, n, delim, max_delims, at);
    const uint64_t ones = 0x0101010101010101ull;
    const uint64_t bn = ones * '\n', bd = ones * (unsigned char)delim, bq = ones * '"',
                   br = ones * '\r';
    size_t i = 0, end;
    int r = GO_ON;
    for (; i + 8 <= s.n; i += 8) {
        uint64_t v = num_load8(p + i);
        r = step(&s, i, eq_mask(v, bn), eq_mask(v, bd), eq_mask(v, bq), eq_mask(v, br), &end);
        if (r != GO_ON)
            break;
    }
    if (r == GO_ON && i < s.n)
        r = step_bytes(&s, i, s.n - i, &end);
    if (r == NOT_PLAIN)
        return 0;
    return r == GO_ON ? finish(&s, s.n, 0, n, n_at, content)
                      : finish(&s, end, 1, n, n_at, content);
}
