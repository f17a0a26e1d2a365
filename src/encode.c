/* encode.c — categorical levels, missing values, indicator columns; see encode.h. */
#include "encode.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "hash.h"
#include "numparse.h"
#include "par.h"

/* ---- missing values ---- */

int enc_na_init(struct enc_na *na, const char *list, struct lr_error *e)
{
    memset(na, 0, sizeof *na);
    char *copy = lr_strdup(list ? list : ENC_NA_DEFAULT), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (na->n == ENC_MAX_NA) {
            free(copy);
            enc_na_free(na);
            return lr_fail(e, LR_EUSAGE, "--na-values: more than %d strings", ENC_MAX_NA);
        }
        na->s[na->n] = lr_strdup(tok);
        na->len[na->n] = strlen(tok);
        na->len_mask |= na->len[na->n] < 64 ? 1ull << na->len[na->n] : 1ull << 63;
        double v;
        int rc = num_parse(tok, strlen(tok), &v);
        na->numeric |= rc == NUM_OK || rc == NUM_RANGE;
        na->n++;
    }
    free(copy);
    return 0;
}

void enc_na_free(struct enc_na *na)
{
    for (int k = 0; k < na->n; k++)
        free(na->s[k]);
    memset(na, 0, sizeof *na);
}

int enc_is_missing(const struct enc_na *na, const char *s, size_t n)
{
    while (n > 0 && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n == 0)
        return 1;
    if (!(na->len_mask & (n < 64 ? 1ull << n : 1ull << 63)))
        return 0;
    for (int k = 0; k < na->n; k++)
        if (na->len[k] == n && memcmp(na->s[k], s, n) == 0)
            return 1;
    return 0;
}

/* ---- level dictionaries ---- */

void dict_init(struct level_dict *d) { memset(d, 0, sizeof *d); }

void dict_clear(struct level_dict *d)
{
    if (d->slot && d->n > 0)
        memset(d->slot, -1, (size_t)d->cap * sizeof *d->slot);
    d->n = 0;
    if (d->off)
        d->off[0] = 0;
}

void dict_free(struct level_dict *d)
{
    free(d->slot);
    free(d->hash);
    free(d->off);
    free(d->bytes);
    memset(d, 0, sizeof *d);
}

static int64_t dict_probe(const struct level_dict *d, const char *s, size_t n, uint64_t h)
{
    for (int64_t at = (int64_t)(h & (uint64_t)(d->cap - 1));; at = (at + 1) & (d->cap - 1)) {
        int64_t id = d->slot[at];
        if (id < 0)
            return at;
        if (d->hash[id] == h && (size_t)(d->off[id + 1] - d->off[id]) == n &&
            memcmp(d->bytes + d->off[id], s, n) == 0)
            return at;
    }
}

static void dict_grow(struct level_dict *d)
{
    int64_t cap = d->cap ? 2 * d->cap : 64;
    free(d->slot);
    d->slot = lr_malloc(lr_bytes(cap, 1, sizeof *d->slot));
    memset(d->slot, -1, (size_t)cap * sizeof *d->slot);
    d->cap = cap;
    d->hash = lr_realloc(d->hash, lr_bytes(cap / 2, 1, sizeof *d->hash));
    d->off = lr_realloc(d->off, lr_bytes(cap / 2 + 1, 1, sizeof *d->off));
    if (d->n == 0)
        d->off[0] = 0;
    for (int64_t id = 0; id < d->n; id++) {
        int64_t at = (int64_t)(d->hash[id] & (uint64_t)(cap - 1));
        while (d->slot[at] >= 0)
            at = (at + 1) & (cap - 1);
        d->slot[at] = id;
    }
}

int64_t dict_find(const struct level_dict *d, const char *s, size_t n)
{
    if (d->cap == 0)
        return -1;
    return d->slot[dict_probe(d, s, n, hash_bytes(s, n))];
}

int64_t dict_intern(struct level_dict *d, const char *s, size_t n, int64_t max_entries,
                    int64_t max_bytes)
{
    uint64_t h = hash_bytes(s, n);
    if (d->cap > 0) {
        int64_t id = d->slot[dict_probe(d, s, n, h)];
        if (id >= 0)
            return id;
    }
    int64_t used = d->n ? d->off[d->n] : 0;
    if (d->n >= max_entries || used + (int64_t)n > max_bytes)
        return -1;
    if (2 * (d->n + 1) > d->cap)  /* at most half full */
        dict_grow(d);
    if (used + (int64_t)n > d->bytes_cap) {
        d->bytes_cap = d->bytes_cap ? 2 * d->bytes_cap : 4096;
        while (d->bytes_cap < used + (int64_t)n)
            d->bytes_cap *= 2;
        d->bytes = lr_realloc(d->bytes, (size_t)d->bytes_cap);
    }
    int64_t id = d->n++;
    memcpy(d->bytes + used, s, n);
    d->hash[id] = h;
    d->off[id + 1] = used + (int64_t)n;
    d->slot[dict_probe(d, s, n, h)] = id;
    return id;
}

void dict_pop(struct level_dict *d)
{
    /* no later entry probed past its slot (it was empty until then), and no earlier one
       either (an earlier entry found its slot before it was taken): emptying it leaves
       every other entry's probe sequence as it was */
    int64_t id = d->n - 1;
    size_t len;
    const char *s = dict_key(d, id, &len);
    d->slot[dict_probe(d, s, len, d->hash[id])] = -1;
    d->n = id;
}

/* ---- the encoding ---- */

int enc_width(const struct encoding *enc)
{
    int d = 0;
    for (int s = 0; s < enc->n_cols; s++) {
        const struct enc_column *c = &enc->cols[s];
        d += c->kind == ENC_NUMERIC ? 1 : c->n_levels - (c->reference && c->n_levels > 0);
        d += c->indicator;
    }
    return d;
}

char **enc_feature_names(const struct encoding *enc)
{
    int d = enc_width(enc), j = 0;
    char **names = lr_malloc((size_t)(d ? d : 1) * sizeof *names);
    for (int s = 0; s < enc->n_cols; s++) {
        const struct enc_column *c = &enc->cols[s];
        if (c->kind == ENC_NUMERIC)
            names[j++] = lr_strdup(c->name);
        for (int k = c->reference; c->kind == ENC_CATEGORICAL && k < c->n_levels; k++) {
            size_t len = strlen(c->name) + strlen(c->levels[k]) + 2;
            names[j] = lr_malloc(len);
            snprintf(names[j++], len, "%s=%s", c->name, c->levels[k]);
        }
        if (c->indicator) {
            size_t len = strlen(c->name) + 9;
            names[j] = lr_malloc(len);
            snprintf(names[j++], len, "%s_missing", c->name);
        }
    }
    return names;
}

int *enc_numeric_sources(const struct encoding *enc)
{
    int d = enc_width(enc), j = 0;
    int *src = lr_malloc((size_t)(d ? d : 1) * sizeof *src);
    for (int s = 0; s < enc->n_cols; s++) {
        const struct enc_column *c = &enc->cols[s];
        if (c->kind == ENC_NUMERIC)
            src[j++] = s;
        else
            for (int k = c->reference; k < c->n_levels; k++)
                src[j++] = -1;
        if (c->indicator)
            src[j++] = -1;
    }
    return src;
}

int enc_terms(const struct encoding *enc, int *term_of, char ***names)
{
    int t = 0, j = 0;
    char **nm = lr_malloc(((size_t)enc->n_cols * 2 + 1) * sizeof *nm);
    for (int s = 0; s < enc->n_cols; s++) {
        const struct enc_column *c = &enc->cols[s];
        int width = c->kind == ENC_NUMERIC ? 1 : c->n_levels - (c->reference && c->n_levels > 0);
        for (int k = 0; k < width; k++)
            term_of[j++] = t;
        nm[t++] = lr_strdup(c->name);
        if (c->indicator) {
            size_t len = strlen(c->name) + 9;
            nm[t] = lr_malloc(len);
            snprintf(nm[t], len, "%s_missing", c->name);
            term_of[j++] = t++;
        }
    }
    *names = nm;
    return t;
}

/* One row: raw (S values) → x (D values); unseen[s] counts unseen levels. */
static void expand_row(const struct encoding *enc, const double *raw, double *x, int64_t *unseen)
{
    int j = 0;
    for (int s = 0; s < enc->n_cols; s++) {
        const struct enc_column *c = &enc->cols[s];
        double v = raw[s];
        int missing = isnan(v) && enc_is_missing_value(v);
        if (c->kind == ENC_NUMERIC) {
            x[j++] = missing && c->has_fill ? c->fill : v;
        } else {
            int w = c->n_levels - c->reference;
            int64_t id = enc_level_id(v);
            for (int k = 0; k < w; k++)
                x[j + k] = 0.0;
            if (id == (int64_t)ENC_UNSEEN)
                unseen[s]++;
            else if (id >= c->reference)
                x[j + id - c->reference] = 1.0;
            j += w;
        }
        if (c->indicator)
            x[j++] = missing ? 1.0 : 0.0;
    }
}

void enc_expand(struct encoding *enc, const double *raw, int64_t n, double *X, int n_threads)
{
    int s = enc->n_cols, d = enc_width(enc);
    int64_t parts = par_chunks(n);
    int64_t *unseen = lr_calloc((size_t)(parts * s + 1), sizeof *unseen);
#pragma omp parallel for num_threads(n_threads) schedule(static) if (parts > 1)
    for (int64_t k = 0; k < parts; k++) {
        int64_t lo, hi;
        par_chunk(n, k, &lo, &hi);
        for (int64_t i = lo; i < hi; i++)
            expand_row(enc, raw + i * s, X + i * d, unseen + k * s);
    }
    for (int64_t k = 0; k < parts; k++)
        for (int c = 0; c < s; c++)
            enc->cols[c].n_unseen += unseen[k * s + c];
    free(unseen);
}

void enc_fill(double *X, int64_t n, int d, const double *fill, int n_threads)
{
#pragma omp parallel for num_threads(n_threads) schedule(static)
    for (int64_t i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            if (isnan(X[i * d + j]) && !isnan(fill[j]))
                X[i * d + j] = fill[j];
}

static const char *missing_names[] = {"error", "skip", "mean"};

void *enc_to_json(const struct encoding *enc)
{
    json_t *cols = json_array();
    for (int s = 0; s < enc->n_cols; s++) {
        const struct enc_column *c = &enc->cols[s];
        json_t *o = json_pack("{s:s, s:s}", "name", c->name, "type",
                              c->kind == ENC_NUMERIC ? "numeric" : "categorical");
        if (c->kind == ENC_CATEGORICAL) {
            json_t *lv = json_array();
            for (int k = 0; k < c->n_levels; k++)
                json_array_append_new(lv, json_string(c->levels[k]));
            json_object_set_new(o, "levels", lv);
            json_object_set_new(o, "reference", c->reference && c->n_levels > 0
                                                    ? json_string(c->levels[0]) : json_null());
        }
        json_object_set_new(o, "missing", json_integer(c->n_missing));
        if (c->has_fill)
            json_object_set_new(o, "fill", json_real(c->fill));
        if (c->indicator) {
            char name[1024];
            snprintf(name, sizeof name, "%s_missing", c->name);
            json_object_set_new(o, "indicator", json_string(name));
        }
        json_array_append_new(cols, o);
    }
    return json_pack("{s:s, s:o}", "missing", missing_names[enc->missing], "columns", cols);
}

int enc_from_json(const void *json, struct encoding *enc, const char **why)
{
    const json_t *root = json;
    json_t *cols = json_object_get(root, "columns");
    const char *miss = json_string_value(json_object_get(root, "missing"));
    memset(enc, 0, sizeof *enc);
    *why = "\"encoding\" has no \"columns\" list";
    if (!json_is_array(cols) || json_array_size(cols) == 0)
        return -1;
    for (int k = 0; miss && k < 3; k++)
        if (strcmp(miss, missing_names[k]) == 0)
            enc->missing = k;
    enc->n_cols = (int)json_array_size(cols);
    enc->cols = lr_calloc((size_t)enc->n_cols, sizeof *enc->cols);
    for (int s = 0; s < enc->n_cols; s++) {
        json_t *o = json_array_get(cols, (size_t)s), *lv = json_object_get(o, "levels");
        struct enc_column *c = &enc->cols[s];
        const char *name = json_string_value(json_object_get(o, "name"));
        const char *type = json_string_value(json_object_get(o, "type"));
        *why = "an \"encoding\" column has no name or type";
        if (!name || !type)
            goto fail;
        c->name = lr_strdup(name);
        c->kind = strcmp(type, "categorical") == 0 ? ENC_CATEGORICAL : ENC_NUMERIC;
        *why = "an \"encoding\" column's type is not numeric or categorical";
        if (c->kind == ENC_NUMERIC && strcmp(type, "numeric") != 0)
            goto fail;
        if (c->kind == ENC_CATEGORICAL) {
            *why = "a categorical column has no \"levels\" list of strings";
            if (!json_is_array(lv))
                goto fail;
            c->n_levels = (int)json_array_size(lv);
            c->levels = lr_calloc((size_t)c->n_levels + 1, sizeof *c->levels);
            for (int k = 0; k < c->n_levels; k++) {
                const char *l = json_string_value(json_array_get(lv, (size_t)k));
                if (!l)
                    goto fail;
                c->levels[k] = lr_strdup(l);
            }
            c->reference = json_is_string(json_object_get(o, "reference"));
        }
        json_t *fill = json_object_get(o, "fill");
        c->has_fill = json_is_number(fill);
        c->fill = c->has_fill ? json_number_value(fill) : NAN;
        c->indicator = json_is_string(json_object_get(o, "indicator"));
        c->n_missing = json_integer_value(json_object_get(o, "missing"));
    }
    *why = NULL;
    return 0;
fail:
    enc_free(enc);
    return -1;
}

char *enc_serialize(const struct encoding *enc)
{
    json_t *j = enc_to_json(enc);
    char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(j);
    return text;
}

int enc_deserialize(const char *text, struct encoding *enc, const char **why)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!j) {
        *why = "the encoding is not valid JSON";
        memset(enc, 0, sizeof *enc);
        return -1;
    }
    int rc = enc_from_json(j, enc, why);
    json_decref(j);
    return rc;
}

void enc_free(struct encoding *enc)
{
    for (int s = 0; enc->cols && s < enc->n_cols; s++) {
        struct enc_column *c = &enc->cols[s];
        for (int k = 0; c->levels && k < c->n_levels; k++)
            free(c->levels[k]);
        free(c->levels);
        free(c->name);
    }
    free(enc->cols);
    memset(enc, 0, sizeof *enc);
}

/* ---- merging levels across ranks ---- */

struct level_ref {
    const char *p;
    int64_t len;
    int rank;
    int64_t id;                /* the rank's own id */
};

static int cmp_level(const void *a, const void *b)
{
    const struct level_ref *x = a, *y = b;
    int64_t m = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, (size_t)m);
    if (c)
        return c;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->rank != y->rank ? (x->rank < y->rank ? -1 : 1) : (x->id < y->id ? -1 : 1);
}

static int is_merged(const unsigned char *mode, int s)
{
    return mode[s] == READ_LEVEL || mode[s] == READ_AUTO;
}

/* Is p[0..n) UTF-8 without a NUL byte (what a JSON string of the model can hold)? */
static int text_ok(const unsigned char *p, int64_t n)
{
    for (int64_t i = 0; i < n;) {
        unsigned char c = p[i];
        int k = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2
                : (c & 0xF8) == 0xF0 ? 3 : -1;
        if (c == 0 || k < 0 || (k == 1 && c < 0xC2) || i + k >= n)
            return 0;
        for (int j = 1; j <= k; j++)
            if ((p[i + j] & 0xC0) != 0x80)
                return 0;
        i += 1 + k;
    }
    return 1;
}

int enc_merge(const struct level_dict *dicts, const unsigned char *mode, int s,
              char ***levels, int *n_levels, int64_t **remap, int *bad)
{
    *bad = -1;
    /* this rank's levels, column by column: count, then length and bytes of each */
    size_t cap = 8, at = 0;
    for (int c = 0; c < s; c++)
        if (is_merged(mode, c))
            cap += 8 + (size_t)dicts[c].n * 8 + (size_t)(dicts[c].n ? dicts[c].off[dicts[c].n] : 0);
    char *buf = lr_malloc(cap);
    for (int c = 0; c < s; c++) {
        if (!is_merged(mode, c))
            continue;
        int64_t n = dicts[c].n;
        memcpy(buf + at, &n, 8), at += 8;
        for (int64_t k = 0; k < n; k++) {
            size_t len;
            const char *key = dict_key(&dicts[c], k, &len);
            int64_t l = (int64_t)len;
            memcpy(buf + at, &l, 8), at += 8;
            memcpy(buf + at, key, len), at += len;
        }
    }
    int p = comm_size(), me = comm_rank();
    int64_t *lens = lr_malloc((size_t)p * sizeof *lens);
    char *all;
    comm_allgatherv_bytes(buf, (int64_t)at, &all, lens);
    free(buf);
    const char **cursor = lr_malloc((size_t)p * sizeof *cursor);
    for (int r = 0, off = 0; r < p; off += (int)lens[r], r++)
        cursor[r] = all + off;
    for (int c = 0; c < s; c++) {
        levels[c] = NULL, n_levels[c] = 0, remap[c] = NULL;
        if (!is_merged(mode, c))
            continue;
        int64_t total = 0, *count = lr_malloc((size_t)p * sizeof *count);
        for (int r = 0; r < p; r++) {
            memcpy(&count[r], cursor[r], 8);
            total += count[r];
        }
        struct level_ref *refs = lr_malloc(lr_bytes(total ? total : 1, 1, sizeof *refs));
        int64_t m = 0;
        for (int r = 0; r < p; r++) {
            const char *q = cursor[r] + 8;
            for (int64_t k = 0; k < count[r]; k++) {
                int64_t l;
                memcpy(&l, q, 8);
                refs[m++] = (struct level_ref){q + 8, l, r, k};
                q += 8 + l;
            }
            cursor[r] = q;
        }
        qsort(refs, (size_t)m, sizeof *refs, cmp_level);
        /* NULL when this rank has no level of the column: nothing to remap */
        remap[c] = dicts[c].n ? lr_malloc(lr_bytes(dicts[c].n, 1, sizeof **remap)) : NULL;
        levels[c] = lr_malloc(lr_bytes(m ? m : 1, 1, sizeof **levels));
        int64_t u = -1;
        for (int64_t k = 0; k < m; k++) {
            if (k == 0 || refs[k].len != refs[k - 1].len ||
                memcmp(refs[k].p, refs[k - 1].p, (size_t)refs[k].len) != 0) {
                u++;
                if (*bad < 0 && !text_ok((const unsigned char *)refs[k].p, refs[k].len))
                    *bad = c;
                levels[c][u] = lr_malloc((size_t)refs[k].len + 1);
                memcpy(levels[c][u], refs[k].p, (size_t)refs[k].len);
                levels[c][u][refs[k].len] = '\0';
            }
            if (refs[k].rank == me)
                remap[c][refs[k].id] = u;
        }
        n_levels[c] = (int)(u + 1);
        free(refs);
        free(count);
    }
    free(cursor);
    free(all);
    free(lens);
    return *bad < 0 ? 0 : -1;
}
