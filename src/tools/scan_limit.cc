/*
 * scan_limit — the cost floor of any exact CSV reader, as a baseline for the reader.
 *
 *     scan_limit [--delimiter C] FILE.csv
 *
 * A bare loop on one core: read the file in 8 MB blocks and walk each block once: fast_float
 * (Eisel-Lemire, exact: the same double as strtod) converts a field and finds its end in
 * the same pass, the delimiter or line end after it is stepped over, and the value goes into
 * a reused buffer. No validation of any kind: no quotes, no field counts, no blank lines, no
 * error positions; a field that is not a number (the header's) is skipped to the next
 * delimiter and stores 0. Prints bytes, fields, rows, seconds and MB/s on one line, as
 * csv_tokenize does.
 */
#include <fast_float/fast_float.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vector>

static double now()
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    char delim = ',';
    const char *path = nullptr;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--delimiter") && i + 1 < argc)
            delim = argv[++i][0];
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: scan_limit [--delimiter C] FILE.csv\n");
            return 0;
        } else
            path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "usage: scan_limit [--delimiter C] FILE.csv\n");
        return 2;
    }
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        perror(path);
        return 66;
    }
    const size_t block = 8 << 20;
    std::vector<char> buf(2 * block);
    enum { CAP = 1 << 20 };  /* the values land in a reused buffer, as a reader's block does */
    std::vector<double> X(CAP);
    long long bytes = 0, rows = 0, fields = 0;
    size_t carry = 0;
    double t0 = now();
    for (;;) {
        if (buf.size() < carry + block)
            buf.resize(2 * (carry + block));
        ssize_t k = read(fd, buf.data() + carry, block);
        if (k < 0) {
            perror(path);
            return 66;
        }
        bytes += k;
        size_t len = carry + (size_t)k;
        const char *p = buf.data(), *end = p + len;
        if (k > 0) {  /* whole lines only; the rest waits for the next block */
            const char *last = (const char *)memrchr(p, '\n', len);
            end = last ? last + 1 : p;
        }
        while (p < end) {  /* one pass: convert, which finds the field's end, then step */
            double v = 0;
            auto r = fast_float::from_chars(p, end, v);
            if (r.ec == std::errc())
                p = r.ptr;
            else  /* not a number: skip the field */
                while (p < end && *p != delim && *p != '\n')
                    p++;
            X[(size_t)fields++ & (CAP - 1)] = v;
            if (p < end && *p == delim) {
                p++;
            } else {
                while (p < end && *p != '\n')  /* a carriage return, or junk */
                    p++;
                p++;
                rows++;
            }
        }
        size_t used = (size_t)(end - buf.data());
        carry = len - used;
        memmove(buf.data(), buf.data() + used, carry);
        if (k == 0)
            break;
    }
    double s = now() - t0;
    double sink = 0;
    for (size_t i = 0; i < X.size(); i += 4096)
        sink += X[i];
    printf("scan_limit bytes=%lld fields=%lld rows=%lld seconds=%.3f MB/s=%.1f (checksum %g)\n",
           bytes, fields, rows, s, (double)bytes / 1e6 / s, sink);
    close(fd);
    return 0;
}
