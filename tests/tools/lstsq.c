/*
 * lstsq — exact least squares for the tests, independent of the project's code.
 *
 *     lstsq FILE.csv      (header line, all columns numeric, target = last column)
 *
 * Prints "intercept B", one "coef NAME W" line per feature, and "r2 R" with %.17g.
 * Method: centre every column (which removes the intercept), scale features to unit
 * norm, Householder QR in long double, back-substitution, undo the scaling. Stable for
 * condition numbers far beyond what gradient descent faces in the tests.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    FILE *f = argc == 2 ? fopen(argv[1], "r") : NULL;
    if (!f) {
        fprintf(stderr, "usage: lstsq FILE.csv\n");
        return 2;
    }
    static char line[1 << 20];
    char *names[512];
    int p = 0;
    if (!fgets(line, sizeof line, f))
        return 1;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *tok = strtok(line, ","); tok && p < 512; tok = strtok(NULL, ","))
        names[p++] = strdup(tok);
    int d = p - 1;
    size_t cap = 1024, n = 0;
    double *rows = malloc(cap * (size_t)p * sizeof *rows);
    while (fgets(line, sizeof line, f)) {
        if (strspn(line, " \r\n") == strlen(line))
            continue;
        if (n == cap)
            rows = realloc(rows, (cap *= 2) * (size_t)p * sizeof *rows);
        char *s = line;
        for (int j = 0; j < p; j++) {
            rows[n * (size_t)p + (size_t)j] = strtod(s, &s);
            s += *s == ',';
        }
        n++;
    }
    /* centre and scale (long double), A: n×d column-major, b: n */
    long double *A = malloc(n * (size_t)d * sizeof *A), *b = malloc(n * sizeof *b);
    long double *mean = calloc((size_t)p, sizeof *mean), *norm = calloc((size_t)d, sizeof *norm);
    for (size_t i = 0; i < n; i++)
        for (int j = 0; j < p; j++)
            mean[j] += rows[i * (size_t)p + (size_t)j];
    for (int j = 0; j < p; j++)
        mean[j] /= (long double)n;
    long double sst = 0;
    for (size_t i = 0; i < n; i++) {
        for (int j = 0; j < d; j++)
            A[(size_t)j * n + i] = rows[i * (size_t)p + (size_t)j] - mean[j];
        b[i] = rows[i * (size_t)p + (size_t)d] - mean[d];
        sst += b[i] * b[i];
    }
    for (int j = 0; j < d; j++) {
        for (size_t i = 0; i < n; i++)
            norm[j] += A[(size_t)j * n + i] * A[(size_t)j * n + i];
        norm[j] = sqrtl(norm[j]);
        if (norm[j] == 0)
            norm[j] = 1;  /* a constant column: its coefficient is 0 */
        for (size_t i = 0; i < n; i++)
            A[(size_t)j * n + i] /= norm[j];
    }
    /* Householder QR applied to b as we go */
    for (int k = 0; k < d; k++) {
        long double *a = A + (size_t)k * n, s = 0;
        for (size_t i = (size_t)k; i < n; i++)
            s += a[i] * a[i];
        long double alpha = a[k] > 0 ? -sqrtl(s) : sqrtl(s);
        if (s == 0)
            continue;
        a[k] -= alpha;  /* v = a − αe_k, stored in place; R_kk = α */
        long double vv = s - 2 * alpha * (a[k] + alpha) + alpha * alpha;
        for (int j = k + 1; j <= d; j++) {
            long double *c = j < d ? A + (size_t)j * n : b, dot = 0;
            for (size_t i = (size_t)k; i < n; i++)
                dot += a[i] * c[i];
            for (size_t i = (size_t)k; i < n; i++)
                c[i] -= 2 * dot / vv * a[i];
        }
        a[k] = alpha;
    }
    long double *w = calloc((size_t)d, sizeof *w);
    for (int k = d - 1; k >= 0; k--) {
        long double s = b[k];
        for (int j = k + 1; j < d; j++)
            s -= A[(size_t)j * n + (size_t)k] * w[j];
        long double r = A[(size_t)k * n + (size_t)k];
        w[k] = r != 0 ? s / r : 0;
    }
    long double sse = 0;
    for (size_t i = (size_t)d; i < n; i++)
        sse += b[i] * b[i];
    long double intercept = mean[d];
    for (int j = 0; j < d; j++) {
        w[j] /= norm[j];
        intercept -= w[j] * mean[j];
    }
    printf("intercept %.17g\n", (double)intercept);
    for (int j = 0; j < d; j++)
        printf("coef %s %.17g\n", names[j], (double)w[j]);
    printf("r2 %.17g\n", sst > 0 ? (double)(1 - sse / sst) : 1.0);
    return 0;
}
