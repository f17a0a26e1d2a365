/*
 * csv_tokenize — libcsv's own tokenizing speed on a file, as a baseline for the reader.
 *
 *     csv_tokenize [--convert] FILE.csv
 *
 * Reads the file in 8 MB blocks and runs one libcsv parser over it with callbacks that
 * only count fields and rows (the cheapest possible use of libcsv), on one core.
 * With --convert the field callback also converts each field with strtod, the naive
 * approach the project's reader is measured against. Prints bytes, fields, rows, seconds
 * and MB/s on one line.
 */
#include <csv.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct counts {
    long long fields, rows;
    int convert;
    double sink;
};

static void on_field(void *s, size_t n, void *ctx)
{
    struct counts *c = ctx;
    c->fields++;
    if (c->convert && s && n)
        c->sink += strtod(s, NULL);
}

static void on_row(int term, void *ctx)
{
    (void)term;
    ((struct counts *)ctx)->rows++;
}

int main(int argc, char **argv)
{
    struct counts c = {0};
    const char *path = argc == 3 && strcmp(argv[1], "--convert") == 0 ? argv[2]
                       : argc == 2                                     ? argv[1]
                                                                       : NULL;
    if (!path || !strcmp(path, "--help") || !strcmp(path, "-h")) {
        fprintf(path ? stdout : stderr, "usage: csv_tokenize [--convert] FILE.csv\n");
        return path ? 0 : 2;
    }
    c.convert = argc == 3;
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        perror(path);
        return 66;
    }
    struct csv_parser p;
    csv_init(&p, CSV_APPEND_NULL | CSV_EMPTY_IS_NULL);
    size_t cap = 8 << 20;
    char *buf = malloc(cap);
    long long bytes = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ssize_t k;
    while ((k = read(fd, buf, cap)) > 0) {
        csv_parse(&p, buf, (size_t)k, on_field, on_row, &c);
        bytes += k;
    }
    csv_fini(&p, on_field, on_row, &c);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    printf("%s bytes=%lld fields=%lld rows=%lld seconds=%.3f MB/s=%.1f\n",
           c.convert ? "libcsv+strtod" : "libcsv", bytes, c.fields, c.rows, s, bytes / 1e6 / s);
    csv_free(&p);
    free(buf);
    close(fd);
    return 0;
}
