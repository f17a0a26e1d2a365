/*
 * diagnostics.h — the residual checks a statistician looks at after a least-squares fit
 * (--diagnostics), as statsmodels' OLS summary and R's lmtest and car compute them, from one
 * more pass over the rows and the exact solver's factor:
 *
 *   Omnibus       D'Agostino and Pearson's K² = Z(skew)² + Z(kurtosis)² (scipy's
 *                 normaltest: its skewtest and kurtosistest transforms), p from χ²(2);
 *                 NaN below 8 rows, as statsmodels gives
 *   Skew          m₃/m₂^{3/2}, Kurtosis m₄/m₂² (moments about the residuals' mean, divisor n)
 *   Jarque-Bera   n/6·(S² + (K − 3)²/4), p from χ²(2)
 *   Durbin-Watson Σ(e_t − e_{t−1})² / Σe_t², rows in input order: each rank takes the last
 *                 residual of the rank before it that holds rows
 *   Breusch-Pagan Koenker's studentized LM = n·R² of e² regressed on the design (lmtest's
 *                 bptest default, statsmodels' het_breuschpagan), p from χ²(k − 1), k the
 *                 kept columns (lmtest's count; statsmodels counts aliased ones too); R²
 *                 from the factor: ‖R⁻ᵀÃᵀu‖² is u's sum of squares the design explains
 *   VIF           per kept design column, 1/(1 − R²_j) of the column on the other kept ones
 *                 with an intercept (statsmodels' variance_inflation_factor; car's vif for
 *                 numeric columns): [(RᵀR)⁻¹]_jj·Σ(z_j − z̄_j)² on the scaled design; NaN for
 *                 an aliased column (where statsmodels would give infinity for the whole
 *                 dependent set, and car refuses)
 *
 *   Influence     the DIAG_TOP rows of largest Cook's distance D_i = e_i² h_i / (k s² (1 − h_i)²)
 *                 with their leverage h_i = ‖R⁻ᵀx̃_i‖² and studentized residual
 *                 r_i = e_i / (s √(1 − h_i)), s² = RSS/(n − k) (R's cooks.distance, hatvalues
 *                 and rstandard); each thread part and each rank keeps its own best, merged
 *                 (ties: the earlier row); a row of leverage 1 (1 − h_i within robust.h's
 *                 rounding tolerance, the rows HC2 and HC3 count so) has h_i = 1 and no Cook's
 *                 distance nor studentized residual (NaN, as R's), and is never among them
 *
 * With weights ω every figure is of the weighted residuals √ω_i·e_i (statsmodels' WLS
 * summary, R's influence of a weighted lm: h_i = ω_i‖R⁻ᵀx̃_i‖², s² = Σω_i e_i²/(n − k)),
 * rows of weight 0 left out and n counting the others; the VIF is the weighted regression's
 * (car's vif of the weighted lm, as the factor is of √ω·Ã and the column spreads weighted).
 * Breusch-Pagan is NaN with weights or without an intercept, and the VIF without an
 * intercept: R and statsmodels do not compute one same thing there.
 *
 * The rows come in blocks of any size that hold whole PAR_CHUNK_ROWS-row parts (par.h;
 * dataset_next's blocks), so they need not all be held: each part's sums (in long double)
 * are taken by one thread and added in part order, so the figures are the same bits for
 * any blocks and thread count. Collective at the end of a pass (one Allreduce and one
 * Allgather); never exits (LR_FATAL aside).
 */
#ifndef LINREG_DIAGNOSTICS_H
#define LINREG_DIAGNOSTICS_H

#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "exact.h"
#include "locate.h"

#define DIAG_TOP 10
#define DIAG_SAMPLE_ROWS 100000  /* rows drawn for the plots, at most (besides the top) */

/* One row among the most influential. */
struct influence {
    int64_t row;               /* 0-based among the fit's rows (skipped records and held-out
                                  rows not counted), in data order */
    int64_t at;                /* where its record starts (csv_shard.row_at); -1: unknown */
    double cooks, leverage, std_residual, residual, fitted;
    char *place;               /* "FILE:LINE", or "row N" (1-based) where lines are unknown */
};

struct diagnostics {
    int64_t n;
    int k;                     /* coefficients kept */
    double sigma2;             /* s² = RSS/(n − k) */
    int64_t n_leverage_one;    /* rows of leverage 1 (robust.h's rule): no Cook's distance */
    int n_top;                 /* rows in top (fewer than DIAG_TOP for few rows) */
    struct influence top[DIAG_TOP];  /* largest Cook's distance first */
    double omnibus, omnibus_p, skew, kurtosis, jarque_bera, jarque_bera_p, durbin_watson;
    double breusch_pagan, breusch_pagan_p;
    int breusch_pagan_df;
    int d;
    double *vif;               /* D: NaN for an aliased column */
};

/*
 * One pass over this rank's rows in order:
 *     diagnostics_begin(&dp, pb, theta_s, f, weighted);      (collective)
 *     every row in order, in blocks: diagnostics_add(&dp, X, y, w, offset, n);
 *     diagnostics_end(&dp, col_m2, scale, out);              (collective)
 * pb: the factor's problem (its shape, scaling, threads and n_local, this rank's rows; its
 * X, y, w are not read); theta_s: D+1 coefficients on that design (0 where aliased); f: the
 * factor (kept columns, R); weighted: the rows carry weights (on every rank). A block: X n×D row-major as the factor's rows are given, y, w
 * (NULL: all 1), offset (n --offset values added to the fitted values reported, pb's y
 * being the target less them; NULL: none). col_m2: D, Σ(x_j − x̄_j)² of the columns as
 * given, over all ranks. pb, theta_s and f must live until the end; the fields are the
 * pass's own.
 */
struct diag_pass {
    const struct exact_problem *pb;
    const double *theta_s;
    const struct exact_fit *f;
    int weighted;              /* the rows carry weights (blocks' w) */
    int64_t base, fed;         /* the rank's first row among all ranks'; rows added */
    long double *t;            /* the sums of the parts ended */
    double first, last;        /* the first and the last residual added */
    int n_top;
    struct influence top[DIAG_TOP];  /* this rank's best so far */
};
void diagnostics_begin(struct diag_pass *dp, const struct exact_problem *pb,
                       const double *theta_s, const struct exact_fit *f, int weighted);
void diagnostics_add(struct diag_pass *dp, const double *X, const double *y, const double *w,
                     const double *offset, int64_t n);
void diagnostics_end(struct diag_pass *dp, const double *col_m2, const double *scale,
                     struct diagnostics *out);

/* Where this rank's row i (0-based, as added) has its record start: *at, or -1 where that
   is unknown; -1 with e when it cannot be read. */
typedef int (*diag_row_at_fn)(const void *ctx, int64_t i, int64_t *at, struct lr_error *e);

/* Collective: each influential row's place, from the offsets of its record (row_at(ctx, …)
   on the rank that holds it among its n_local rows; NULL when unknown) placed by pl
   (locate.h); -1 with e when a file or an offset cannot be read again. */
int diagnostics_place(struct diagnostics *dg, diag_row_at_fn row_at, const void *ctx,
                      int64_t n_local, const struct row_places *pl, struct lr_error *e);
/*
 * --diagnostics-sample: rank 0 writes to path the rows the plots of R's plot(lm) are drawn
 * from (scripts/plot.sh --diagnostics), as CSV after one comment line (which says k): row
 * (1-based, data order), fitted, residual, std_residual, leverage, cooks_distance,
 * influential (1 for dg's top rows), theoretical_quantile (the normal quantile of the row's
 * std_residual rank among the sample, R's qqnorm with ppoints). The rows: those whose
 * position hashed with seed is among the max_rows smallest (every row when there are no
 * more), the same rows for any rank and thread count, and dg's top rows; in data order.
 * One more pass, as diagnostics_begin/add/end's (the arguments as theirs):
 *     diagnostics_sample_begin(&s, pb, theta_s, f, dg, seed, max_rows);   (collective)
 *     every row in order, in blocks: diagnostics_sample_add(&s, X, y, w, offset, n);
 *     diagnostics_sample_end(&s, path, e);                                (collective)
 * Holds the rows drawn on this rank; every rank gets the sample (one Allgather), rank 0
 * writes it. -1 with e (LR_EWRITE) when it cannot be written. After a pass that failed on
 * every rank (e set, agreed), the end only frees s and returns -1.
 */
struct sample_row;
struct diag_sample {
    const struct exact_problem *pb;
    const double *theta_s;
    const struct exact_fit *f;
    const struct diagnostics *dg;
    uint64_t seed, key, t;     /* the hash of a row's position, and the largest one drawn */
    int64_t max_rows, base, fed;
    struct sample_row *rows;   /* m drawn so far (room for cap) */
    int64_t m, cap;
};
void diagnostics_sample_begin(struct diag_sample *s, const struct exact_problem *pb,
                              const double *theta_s, const struct exact_fit *f,
                              const struct diagnostics *dg, uint64_t seed, int64_t max_rows);
void diagnostics_sample_add(struct diag_sample *s, const double *X, const double *y,
                            const double *w, const double *offset, int64_t n);
int diagnostics_sample_end(struct diag_sample *s, const char *path, struct lr_error *e);
void diagnostics_print(const struct diagnostics *dg, char *const *names, FILE *out);
void diagnostics_free(struct diagnostics *dg);

#endif
