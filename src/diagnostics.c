/* diagnostics.c — residual checks after a least-squares fit; see diagnostics.h. */
#include "diagnostics.h"

#include <gsl/gsl_cdf.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "comm.h"
#include "hash.h"
#include "par.h"
#include "robust.h"

/* What one pass adds up over the rows of positive weight: their count, power sums of the
   weighted residual e = √ω·(y − ŷ), Σ(e_t − e_{t−1})² inside the part (and, apart, the
   part's first and last residual), the rows of leverage 1, then Ãᵀu for u = e² (k kept
   columns); Σu and Σu² are Σe² and Σe⁴. */
enum { S_N, S_E1, S_E2, S_E3, S_E4, S_DW, S_H1, S_FIXED };

/* Row leverage h as reported: 1 where 1 − h is within rounding of 0 (robust.h's rule, the
   rows HC2 and HC3 count as of leverage 1; R's hatvalues gives them 1), else h. */
static double leverage_of(double h, double h_tol)
{
    return 1 - h <= h_tol ? 1.0 : h;
}

/* Cook's distance up to its constant factor 1/(k s²): what orders the rows; NaN at
   leverage 1, where it is 0/0 (R's cooks.distance gives NaN). */
static double cooks_key(double e, double h)
{
    return h < 1 ? e * e * h / ((1 - h) * (1 - h)) : NAN;
}

/* a before b: the larger Cook's distance, then the earlier row */
static int ahead(const struct influence *a, const struct influence *b)
{
    return a->cooks > b->cooks || (a->cooks == b->cooks && a->row < b->row);
}

/* Row v into top (n of DIAG_TOP held, best first) when it belongs there. */
static void top_add(struct influence *top, int *n, const struct influence *v)
{
    if (isnan(v->cooks) || (*n == DIAG_TOP && !ahead(v, &top[DIAG_TOP - 1])))
        return;
    int at = *n < DIAG_TOP ? (*n)++ : DIAG_TOP - 1;
    while (at > 0 && ahead(v, &top[at - 1])) {
        top[at] = top[at - 1];
        at--;
    }
    top[at] = *v;
}

static void part_sums(const struct exact_problem *pb, const double *theta_s,
                      const struct exact_fit *f, const double *offset, int64_t lo, int64_t hi,
                      int64_t base,
                      long double *acc, double *ends, struct influence *top, int *n_top)
{
    int k = f->rank;
    double prev = 0, h_tol = robust_leverage_tol(f);
    double *x = lr_malloc(2 * (size_t)(k ? k : 1) * sizeof *x), *u = x + k;
    for (int64_t i = lo; i < hi; i++) {
        double w = pb->w ? pb->w[i] : 1.0;
        if (!(w > 0))
            continue;  /* a row of weight 0 is not part of the fit (as R's lm drops it) */
        double fit = 0;
        for (int j = 0; j <= pb->d; j++)
            if (j > 0 || pb->intercept)
                fit += theta_s[j] * exact_design(pb, i, j);
        double e = sqrt(w) * (pb->y[i] - fit), u2 = e * e;
        if (acc[S_N] > 0)
            acc[S_DW] += (e - prev) * (e - prev);
        else
            ends[0] = e;
        prev = e;
        acc[S_N] += 1;
        acc[S_E1] += e;
        acc[S_E2] += u2;
        acc[S_E3] += u2 * e;
        acc[S_E4] += u2 * u2;
        for (int q = 0; q < k; q++) {
            x[q] = exact_design(pb, i, f->kept[q]);
            acc[S_FIXED + q] += x[q] * u2;
        }
        double h = leverage_of(exact_leverage(f->R, k, x, w, u), h_tol);
        acc[S_H1] += h == 1;
        struct influence v = {.row = base + i, .cooks = cooks_key(e, h), .leverage = h,
                              .residual = e, .fitted = fit + (offset ? offset[i] : 0)};
        top_add(top, n_top, &v);
    }
    ends[1] = prev;
    free(x);
}

/* Collective: the DIAG_TOP rows of largest Cook's distance of all ranks, best first, from
   each rank's own (n of them in mine). */
static int top_merge(const struct influence *mine_top, int n, struct influence *top)
{
    int m = 0, p = comm_size();
    struct influence mine[DIAG_TOP];
    for (int a = 0; a < DIAG_TOP; a++)
        mine[a] = a < n ? mine_top[a] : (struct influence){.row = -1, .cooks = NAN};
    struct influence *all = lr_malloc((size_t)p * sizeof mine);
    comm_allgather(mine, all, sizeof mine);
    for (int a = 0; a < p * DIAG_TOP; a++)
        top_add(top, &m, &all[a]);
    free(all);
    return m;
}

/* scipy.stats.skewtest's Z for the sample skewness b (n values). */
static double skew_z(double b, double n)
{
    double y = b * sqrt((n + 1) * (n + 3) / (6.0 * (n - 2)));
    double beta2 = 3.0 * (n * n + 27 * n - 70) * (n + 1) * (n + 3) /
                   ((n - 2.0) * (n + 5) * (n + 7) * (n + 9));
    double w2 = -1 + sqrt(2 * (beta2 - 1)), delta = 1 / sqrt(0.5 * log(w2));
    double alpha = sqrt(2.0 / (w2 - 1));
    if (y == 0)
        y = 1;
    return delta * log(y / alpha + sqrt((y / alpha) * (y / alpha) + 1));
}

/* scipy.stats.kurtosistest's Z for the sample kurtosis b (Pearson's, n values). */
static double kurtosis_z(double b, double n)
{
    double e = 3.0 * (n - 1) / (n + 1);
    double var = 24.0 * n * (n - 2) * (n - 3) / ((n + 1) * (n + 1) * (n + 3) * (n + 5));
    double x = (b - e) / sqrt(var);
    double sb1 = 6.0 * (n * n - 5 * n + 2) / ((n + 7) * (n + 9)) *
                 sqrt(6.0 * (n + 3) * (n + 5) / (n * (n - 2) * (n - 3)));
    double a = 6.0 + 8.0 / sb1 * (2.0 / sb1 + sqrt(1 + 4.0 / (sb1 * sb1)));
    double t1 = 1 - 2 / (9.0 * a), denom = 1 + x * sqrt(2 / (a - 4.0));
    if (denom == 0)
        return NAN;
    double t2 = (denom < 0 ? -1 : 1) * cbrt((1 - 2.0 / a) / fabs(denom));
    return (t1 - t2) / sqrt(2 / (9.0 * a));
}

void diagnostics_begin(struct diag_pass *dp, const struct exact_problem *pb,
                       const double *theta_s, const struct exact_fit *f, int weighted)
{
    *dp = (struct diag_pass){.pb = pb, .theta_s = theta_s, .f = f, .weighted = weighted,
                             .base = comm_exscan_i64(pb->n_local)};
    dp->t = lr_calloc((size_t)S_FIXED + (size_t)f->rank, sizeof *dp->t);
}

void diagnostics_add(struct diag_pass *dp, const double *X, const double *y, const double *w,
                     const double *offset, int64_t n)
{
    const struct exact_fit *f = dp->f;
    int k = f->rank, width = S_FIXED + k;
    if (dp->fed % PAR_CHUNK_ROWS != 0 && n > 0)
        LR_FATAL("diagnostics_add: a block after %lld rows, not on a part's boundary",
                 (long long)dp->fed);
    struct exact_problem pb = *dp->pb;
    pb.X = X, pb.y = y, pb.w = w, pb.n_local = n;
    int64_t parts = par_chunks(n), base = dp->base + dp->fed;
    long double *acc = lr_calloc((size_t)parts * (size_t)width + 1, sizeof *acc);
    double *ends = lr_malloc(sizeof(double) * 2 * (size_t)parts);
    struct influence *tops = lr_malloc(((size_t)parts + 1) * DIAG_TOP * sizeof *tops);
    int *n_tops = lr_calloc((size_t)parts + 1, sizeof *n_tops);
#pragma omp parallel for num_threads(pb.n_threads) schedule(static) if (parts > 1)
    for (int64_t p = 0; p < parts; p++) {
        int64_t lo, hi;
        par_chunk(n, p, &lo, &hi);
        part_sums(&pb, dp->theta_s, f, offset, lo, hi, base, acc + (size_t)p * width,
                  ends + 2 * p, tops + p * DIAG_TOP, &n_tops[p]);
    }
    /* parts in order, the boundary between parts that hold rows counted for Durbin-Watson */
    long double *t = dp->t;
    for (int64_t p = 0; p < parts; p++) {
        for (int a = 0; a < n_tops[p]; a++)
            top_add(dp->top, &dp->n_top, &tops[p * DIAG_TOP + a]);
        if (acc[(size_t)p * width + S_N] == 0)
            continue;
        if (t[S_N] > 0)
            t[S_DW] += (long double)(ends[2 * p] - dp->last) * (ends[2 * p] - dp->last);
        else
            dp->first = ends[2 * p];
        dp->last = ends[2 * p + 1];
        for (int c = 0; c < width; c++)
            t[c] += acc[(size_t)p * width + c];
    }
    free(acc);
    free(ends);
    free(tops);
    free(n_tops);
    dp->fed += n;
}

void diagnostics_end(struct diag_pass *dp, const double *col_m2, const double *scale,
                     struct diagnostics *out)
{
    const struct exact_problem *pb = dp->pb;
    const struct exact_fit *f = dp->f;
    int k = f->rank, d = pb->d, width = S_FIXED + k;
    double *sum = lr_calloc((size_t)width + 1, sizeof *sum), first = dp->first, last = dp->last;
    for (int c = 0; c < width; c++)
        sum[c] = (double)dp->t[c];
    /* the boundary with the nearest rank before this one that holds rows */
    int np = comm_size(), me = comm_rank();
    double mine[3] = {sum[S_N] > 0, first, last};
    double *all = lr_malloc(sizeof(double) * 3 * (size_t)np);
    comm_allgather(mine, all, sizeof mine);
    for (int r = me - 1; r >= 0 && mine[0]; r--)
        if (all[3 * r]) {
            sum[S_DW] += (mine[1] - all[3 * r + 2]) * (mine[1] - all[3 * r + 2]);
            break;
        }
    free(all);
    comm_sum(sum, width);
    double n = sum[S_N];
    double mean = sum[S_E1] / n, m2 = sum[S_E2] / n - mean * mean;
    double m3 = sum[S_E3] / n - 3 * mean * sum[S_E2] / n + 2 * mean * mean * mean;
    double m4 = sum[S_E4] / n - 4 * mean * sum[S_E3] / n + 6 * mean * mean * sum[S_E2] / n -
                3 * mean * mean * mean * mean;
    *out = (struct diagnostics){.n = (int64_t)n, .d = d, .k = k,
                                .n_leverage_one = (int64_t)sum[S_H1]};
    /* Cook's distance and the studentized residual (R's cooks.distance, rstandard) with
       s² = RSS/(n − k) */
    out->n_top = top_merge(dp->top, dp->n_top, out->top);
    double s2 = out->sigma2 = sum[S_E2] / (n - k);
    for (int a = 0; a < out->n_top; a++) {
        struct influence *v = &out->top[a];
        v->cooks /= k * s2;
        v->std_residual = v->residual / sqrt(s2 * (1 - v->leverage));
        v->at = -1;
    }
    out->skew = m3 / pow(m2, 1.5);
    out->kurtosis = m4 / (m2 * m2);
    double zs = skew_z(out->skew, n), zk = kurtosis_z(out->kurtosis, n);
    out->omnibus = n >= 8 ? zs * zs + zk * zk : NAN;  /* scipy's tests need 8 rows */
    out->omnibus_p = n >= 8 ? gsl_cdf_chisq_Q(out->omnibus, 2) : NAN;
    out->jarque_bera = n / 6 * (out->skew * out->skew +
                                (out->kurtosis - 3) * (out->kurtosis - 3) / 4);
    out->jarque_bera_p = gsl_cdf_chisq_Q(out->jarque_bera, 2);
    out->durbin_watson = sum[S_DW] / sum[S_E2];
    /* Breusch-Pagan: ‖Qᵀu‖² = ‖R⁻ᵀ Ãᵀu‖² (forward substitution with Rᵀ); Q's first column
       is the intercept's, 1/√n, whose share nū² the centred sum leaves out: the rest is
       what the other columns explain */
    double *v = lr_malloc(sizeof(double) * ((size_t)k + 1)), explained = 0;
    for (int q = 0; q < k; q++) {
        double s = sum[S_FIXED + q];
        for (int a = 0; a < q; a++)
            s -= f->R[(size_t)q * k + a] * v[a];
        v[q] = s / f->R[(size_t)q * k + q];
        if (f->kept[q] != 0)
            explained += v[q] * v[q];
    }
    free(v);
    double ubar = sum[S_E2] / n, sst = sum[S_E4] - n * ubar * ubar;
    out->breusch_pagan = n * explained / sst;
    out->breusch_pagan_df = k - 1;
    out->breusch_pagan_p = k > 1 ? gsl_cdf_chisq_Q(out->breusch_pagan, k - 1) : NAN;
    if (dp->weighted || !pb->intercept) {  /* not one test that R and statsmodels agree on */
        out->breusch_pagan = out->breusch_pagan_p = NAN;
        out->breusch_pagan_df = 0;
    }
    /* VIF: [(RᵀR)⁻¹]_qq = ‖row q of R⁻¹‖², times the scaled column's spread */
    double *Ri = lr_malloc(sizeof(double) * (size_t)(k ? k * k : 1));
    memcpy(Ri, f->R, sizeof(double) * (size_t)k * (size_t)k);
    if (k > 0)
        LAPACKE_dtrtri(LAPACK_COL_MAJOR, 'U', 'N', k, Ri, k);
    out->vif = lr_malloc(sizeof(double) * (size_t)(d ? d : 1));
    for (int j = 0; j < d; j++)
        out->vif[j] = NAN;
    for (int q = 0; q < k; q++) {
        int j = f->kept[q] - 1;
        if (j < 0 || !pb->intercept)  /* no intercept: R² about 0 (statsmodels) or the
                                        mean (car warns): left out */
            continue;
        double s = 0;
        for (int c = q; c < k; c++)  /* R⁻¹ is upper triangular: row q from column q on */
            s += Ri[(size_t)c * k + q] * Ri[(size_t)c * k + q];
        double sd = scale ? scale[j] : 1.0;
        out->vif[j] = s * col_m2[j] / (sd * sd);
    }
    free(Ri);
    free(sum);
    free(dp->t);
    *dp = (struct diag_pass){0};
}

int diagnostics_place(struct diagnostics *dg, diag_row_at_fn row_at, const void *ctx,
                      int64_t n_local, const struct row_places *pl, struct lr_error *e)
{
    int64_t base = comm_exscan_i64(n_local), off[DIAG_TOP], line[DIAG_TOP];
    double at[DIAG_TOP];
    int file[DIAG_TOP];
    for (int a = 0; a < dg->n_top; a++) {  /* each row's offset, from the rank that holds it */
        int64_t i = dg->top[a].row - base, got = -1;
        if (row_at && i >= 0 && i < n_local && e->code == LR_OK)
            row_at(ctx, i, &got, e);
        at[a] = (double)got;
    }
    if (comm_agree(e) != LR_OK)
        return -1;
    comm_max(at, dg->n_top);
    for (int a = 0; a < dg->n_top; a++)
        dg->top[a].at = off[a] = (int64_t)at[a];
    if (locate_rows(pl, off, dg->n_top, file, line, e) < 0)
        return -1;
    for (int a = 0; a < dg->n_top; a++) {
        char buf[64];
        snprintf(buf, sizeof buf, "row %lld", (long long)dg->top[a].row + 1);
        free(dg->top[a].place);
        if (file[a] < 0) {
            dg->top[a].place = lr_strdup(buf);
            continue;
        }
        size_t len = strlen(pl->path[file[a]]) + 24;
        dg->top[a].place = lr_malloc(len);
        snprintf(dg->top[a].place, len, "%s:%lld", pl->path[file[a]], (long long)line[a]);
    }
    return 0;
}

void diagnostics_print(const struct diagnostics *dg, char *const *names, FILE *out)
{
    fprintf(out, "Residual diagnostics (%lld rows):\n", (long long)dg->n);
    if (isnan(dg->omnibus)) {  /* its skewness test needs 8 rows */
        fprintf(out, "  Omnibus:      %12s   Durbin-Watson:     %12.4f\n", "(< 8 rows)",
                dg->durbin_watson);
        fprintf(out, "  Prob(Omnibus):%12s   Jarque-Bera (JB):  %12.4f\n", "",
                dg->jarque_bera);
    } else {
        fprintf(out, "  Omnibus:      %12.4f   Durbin-Watson:     %12.4f\n", dg->omnibus,
                dg->durbin_watson);
        fprintf(out, "  Prob(Omnibus):%12.4g   Jarque-Bera (JB):  %12.4f\n", dg->omnibus_p,
                dg->jarque_bera);
    }
    fprintf(out, "  Skew:         %12.4f   Prob(JB):          %12.4g\n", dg->skew,
            dg->jarque_bera_p);
    if (isnan(dg->breusch_pagan))
        fprintf(out, "  Kurtosis:     %12.4f   Breusch-Pagan:     not for weights or without "
                "an intercept\n", dg->kurtosis);
    else
        fprintf(out, "  Kurtosis:     %12.4f   Breusch-Pagan:     %12.4f on %d DF, p %.4g\n",
                dg->kurtosis, dg->breusch_pagan, dg->breusch_pagan_df, dg->breusch_pagan_p);
    int any = 0;
    for (int j = 0; j < dg->d; j++)
        any |= !isnan(dg->vif[j]);
    fprintf(out, "  VIF:%s", any || dg->d == 0 ? "" : " not without an intercept");
    for (int j = 0; j < dg->d && any; j++) {  /* NaN: an aliased column */
        if (isnan(dg->vif[j]))
            fprintf(out, "%s %s aliased", j ? "," : "", names[j]);
        else
            fprintf(out, "%s %s %.4g", j ? "," : "", names[j], dg->vif[j]);
    }
    fputc('\n', out);
    if (dg->n_top == 0 && dg->n_leverage_one == 0)
        return;
    fprintf(out, "\nMost influential rows (Cook's distance):\n");
    if (dg->n_top > 0)
        fprintf(out, "  %-32s %12s %12s %12s\n", "row", "Cook's D", "leverage", "std. resid");
    for (int a = 0; a < dg->n_top; a++)
        fprintf(out, "  %-32s %12.6g %12.6g %12.6g\n", dg->top[a].place ? dg->top[a].place : "",
                dg->top[a].cooks, dg->top[a].leverage, dg->top[a].std_residual);
    if (dg->n_leverage_one > 0)  /* NaN for them, as R: said so rather than printed */
        fprintf(out, "  leverage 1: %lld row%s fitted alone, no Cook's D or std. resid "
                "(not ranked)\n", (long long)dg->n_leverage_one,
                dg->n_leverage_one == 1 ? "" : "s");
}

/* One row of the sample, as the plots read it. */
struct sample_row {
    double row;                /* 1-based, in data order (exact below 2^53) */
    double fitted, residual, std_residual, leverage, cooks, top;
    double quantile;           /* the normal quantile of its std_residual's rank (rank 0) */
};

/* Row i's fit and influence at theta_s (s2 = RSS/(n − k)); with weights, of √ω·e. */
static void sample_row_of(const struct exact_problem *pb, const double *theta_s,
                          const struct exact_fit *f, const double *offset, double s2, int64_t i,
                          double *x, struct sample_row *r)
{
    int k = f->rank;
    double fit = 0;
    for (int j = 0; j <= pb->d; j++)
        if (j > 0 || pb->intercept)
            fit += theta_s[j] * exact_design(pb, i, j);
    for (int q = 0; q < k; q++)
        x[q] = exact_design(pb, i, f->kept[q]);
    double w = pb->w ? pb->w[i] : 1.0;
    double e = sqrt(w) * (pb->y[i] - fit);
    double h = leverage_of(exact_leverage(f->R, k, x, w, x + k), robust_leverage_tol(f));
    r->fitted = fit + (offset ? offset[i] : 0);
    r->residual = e;
    r->leverage = h;
    r->std_residual = h < 1 ? e / sqrt(s2 * (1 - h)) : NAN;
    r->cooks = cooks_key(e, h) / (k * s2);
}

static int by_std_residual(const void *a, const void *b)
{
    const struct sample_row *x = *(const struct sample_row *const *)a;
    const struct sample_row *y = *(const struct sample_row *const *)b;
    if (x->std_residual != y->std_residual)
        return x->std_residual < y->std_residual ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* Rank 0: the sample (n rows in data order) as CSV text, with R's qqnorm quantiles. */
static char *sample_text(struct sample_row *rows, int64_t n, const struct diagnostics *dg,
                         uint64_t seed, int64_t max_rows)
{
    const struct sample_row **ord = lr_malloc((size_t)(n ? n : 1) * sizeof *ord);
    int64_t m = 0;  /* the rows with a studentized residual, in its order */
    for (int64_t a = 0; a < n; a++)
        if (!isnan(rows[a].std_residual))
            ord[m++] = &rows[a];
    qsort(ord, (size_t)m, sizeof *ord, by_std_residual);
    double off = m <= 10 ? 3.0 / 8 : 0.5;  /* R's ppoints */
    for (int64_t a = 0; a < n; a++)
        rows[a].quantile = NAN;
    for (int64_t a = 0; a < m; a++)
        ((struct sample_row *)ord[a])->quantile =
            gsl_cdf_ugaussian_Pinv((a + 1 - off) / (m + 1 - 2 * off));
    free(ord);
    size_t cap = 256 + (size_t)n * 256, len = 0;  /* a row: 8 numbers of at most 25 bytes */
    char *t = lr_malloc(cap);
    len += (size_t)snprintf(t + len, cap - len, "# linreg_mpi diagnostics sample: %lld of %lld rows "
                            "(at most %lld by --seed %llu, and the %d most influential); k=%d\n"
                            "row,fitted,residual,std_residual,leverage,cooks_distance,"
                            "influential,theoretical_quantile\n", (long long)n,
                            (long long)dg->n, (long long)max_rows, (unsigned long long)seed,
                            dg->n_top, dg->k);
    for (int64_t a = 0; a < n; a++)
        len += (size_t)snprintf(t + len, cap - len, "%.0f,%.17g,%.17g,%.17g,%.17g,%.17g,%d,%.17g\n",
                                rows[a].row, rows[a].fitted, rows[a].residual,
                                rows[a].std_residual, rows[a].leverage, rows[a].cooks,
                                (int)rows[a].top, rows[a].quantile);
    return t;
}

void diagnostics_sample_begin(struct diag_sample *ds, const struct exact_problem *pb,
                              const double *theta_s, const struct exact_fit *f,
                              const struct diagnostics *dg, uint64_t seed, int64_t max_rows)
{
    int64_t n = pb->n_local;
    *ds = (struct diag_sample){.pb = pb, .theta_s = theta_s, .f = f, .dg = dg, .seed = seed,
                               .max_rows = max_rows, .base = comm_exscan_i64(n),
                               .key = mix64(seed ^ 0xBB67AE8584CAA73Bu), .t = UINT64_MAX};
    /* the threshold t: rows whose hash of their position is ≤ t number at most max_rows
       (bisection; the hashes made again each step rather than held) */
    uint64_t lo = 0, hi = UINT64_MAX, key = ds->key;
    int64_t base = ds->base;
    if (pb->n_total > max_rows) {
        while (lo < hi) {
            uint64_t mid = lo + (hi - lo) / 2, c = 0;
#pragma omp parallel for num_threads(pb->n_threads) schedule(static) reduction(+ : c)
            for (int64_t i = 0; i < n; i++)
                c += mix64(key ^ (uint64_t)(base + i)) <= mid;
            comm_sum_u64(&c, 1);
            if (c <= (uint64_t)max_rows)
                lo = mid + 1;
            else
                hi = mid;
        }
        ds->t = lo - 1;  /* the largest threshold that keeps at most max_rows */
    }
}

void diagnostics_sample_add(struct diag_sample *ds, const double *X, const double *y,
                            const double *w, const double *offset, int64_t n)
{
    const struct diagnostics *dg = ds->dg;
    struct exact_problem pb = *ds->pb;
    pb.X = X, pb.y = y, pb.w = w, pb.n_local = n;
    int k = ds->f->rank;
    double *x = lr_malloc(2 * (size_t)(k ? k : 1) * sizeof *x);
    for (int64_t i = 0; i < n; i++) {
        int64_t row = ds->base + ds->fed + i;
        int top = 0;
        for (int a = 0; a < dg->n_top; a++)
            top |= dg->top[a].row == row;
        if ((mix64(ds->key ^ (uint64_t)row) > ds->t && !top) || (w && !(w[i] > 0)))
            continue;  /* not drawn, or of weight 0 (not part of the fit) */
        if (ds->m == ds->cap) {
            ds->cap = ds->cap ? 2 * ds->cap : 1024;
            ds->rows = lr_realloc(ds->rows, (size_t)ds->cap * sizeof *ds->rows);
        }
        struct sample_row *r = &ds->rows[ds->m++];
        *r = (struct sample_row){.row = (double)(row + 1), .top = top};
        sample_row_of(&pb, ds->theta_s, ds->f, offset, dg->sigma2, i, x, r);
    }
    free(x);
    ds->fed += n;
}

int diagnostics_sample_end(struct diag_sample *ds, const char *path, struct lr_error *e)
{
    if (e->code != LR_OK) {  /* the pass failed, on every rank: nothing to write */
        free(ds->rows);
        *ds = (struct diag_sample){0};
        return -1;
    }
    char *got;
    int64_t *lens = lr_malloc((size_t)comm_size() * sizeof *lens), total = 0;
    comm_allgatherv_bytes(ds->rows, ds->m * (int64_t)sizeof *ds->rows, &got, lens);
    for (int r = 0; r < comm_size(); r++)
        total += lens[r] / (int64_t)sizeof *ds->rows;
    free(lens);
    if (comm_rank() == 0) {
        char *text = sample_text((struct sample_row *)got, total, ds->dg, ds->seed,
                                 ds->max_rows);
        size_t len = strlen(text);
        text[len - 1] = '\0';  /* atomic_write_text puts the last newline back */
        atomic_write_text(path, text, e);
        free(text);
    }
    free(got);
    free(ds->rows);
    *ds = (struct diag_sample){0};
    return comm_agree(e) == LR_OK ? 0 : -1;
}

void diagnostics_free(struct diagnostics *dg)
{
    free(dg->vif);
    dg->vif = NULL;
    for (int a = 0; a < dg->n_top; a++)
        free(dg->top[a].place);
    dg->n_top = 0;
}
