/* test_cli.c — options parse into the right fields; bad ones are usage errors. */
#include <string.h>

#include "cli.h"
#include "suites.h"

static int parse(struct options *o, struct lr_error *e, int argc, char **argv)
{
    memset(e, 0, sizeof *e);
    return cli_parse(argc, argv, o, e);
}

static void test_good(void)
{
    struct options o;
    struct lr_error e;
    char *a1[] = {"linreg_mpi", "--lr", "0.5", "--epochs=20", "--target", "y", "--no-scale",
                  "--delimiter", "tab", "data.csv", "--tol", "0", "--threads", "3"};
    CU_ASSERT_EQUAL_FATAL(parse(&o, &e, 14, a1), 0);
    CU_ASSERT_EQUAL(o.command, CMD_TRAIN);
    CU_ASSERT_EQUAL(o.lr, 0.5);
    CU_ASSERT_EQUAL(o.epochs, 20);
    CU_ASSERT_STRING_EQUAL(o.target, "y");
    CU_ASSERT_EQUAL(o.no_scale, 1);
    CU_ASSERT_EQUAL(o.delimiter, '\t');
    CU_ASSERT_STRING_EQUAL(o.path, "data.csv");
    CU_ASSERT_EQUAL(o.tol, 0.0);
    CU_ASSERT_EQUAL(o.n_threads, 3);
    char *a2[] = {"linreg_mpi", "describe", "--json", "x.csv"};
    CU_ASSERT_EQUAL_FATAL(parse(&o, &e, 4, a2), 0);
    CU_ASSERT_EQUAL(o.command, CMD_DESCRIBE);
    CU_ASSERT_EQUAL(o.json, 1);
    char *a3[] = {"linreg_mpi", "--lr", "auto", "--on-bad-row", "skip", "x.csv"};
    CU_ASSERT_EQUAL_FATAL(parse(&o, &e, 6, a3), 0);
    CU_ASSERT_EQUAL(o.lr, 0.0);
    CU_ASSERT_EQUAL(o.skip_bad_rows, 1);
}

static void expect_usage_error(int argc, char **argv, const char *words)
{
    struct options o;
    struct lr_error e;
    CU_ASSERT_EQUAL(parse(&o, &e, argc, argv), -1);
    CU_ASSERT_EQUAL(e.code, LR_EUSAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, words));
}

static void test_bad(void)
{
    char *lr0[] = {"l", "--lr", "0", "x.csv"};
    expect_usage_error(4, lr0, "--lr: '0'");
    char *lrneg[] = {"l", "--lr", "-1", "x.csv"};
    expect_usage_error(4, lrneg, "--lr: '-1'");
    char *lrtxt[] = {"l", "--lr=fast", "x.csv"};
    expect_usage_error(3, lrtxt, "--lr: 'fast'");
    char *ep[] = {"l", "--epochs", "0", "x.csv"};
    expect_usage_error(4, ep, "--epochs: '0'");
    char *ep2[] = {"l", "--epochs", "10x", "x.csv"};
    expect_usage_error(4, ep2, "--epochs: '10x'");
    char *unk[] = {"l", "--bogus", "x.csv"};
    expect_usage_error(3, unk, "unknown option '--bogus'");
    char *noval[] = {"l", "x.csv", "--target"};
    expect_usage_error(3, noval, "--target needs a value");
    char *wrong[] = {"l", "describe", "--lr", "1", "x.csv"};
    expect_usage_error(5, wrong, "does not apply to 'describe'");
    char *nofile[] = {"l", "--lr", "1"};
    expect_usage_error(3, nofile, "no input file");
    char *two[] = {"l", "a.csv", "b.csv"};
    expect_usage_error(3, two, "more than one input file");
    char *delim[] = {"l", "--delimiter", ";;", "x.csv"};
    expect_usage_error(4, delim, "--delimiter");
    char *bad_row[] = {"l", "--on-bad-row", "ignore", "x.csv"};
    expect_usage_error(4, bad_row, "--on-bad-row");
    char *tol[] = {"l", "--tol", "-1", "x.csv"};
    expect_usage_error(4, tol, "--tol");
    char *huge[] = {"l", "--epochs", "99999999999999999999", "x.csv"};
    expect_usage_error(4, huge, "--epochs: '99999999999999999999' is too large");
    char *threads[] = {"l", "--threads", "4097", "x.csv"};
    expect_usage_error(4, threads, "--threads: '4097' is more than 4096");
    char *nofeat[] = {"l", "--features", "", "x.csv"};
    expect_usage_error(4, nofeat, "--features: '' names no column");
    char *nodrop[] = {"l", "--drop", ",,", "x.csv"};
    expect_usage_error(4, nodrop, "--drop: ',,' names no column");
    char *typo[] = {"l", "desribe", "x.csv"};
    expect_usage_error(3, typo, "unknown command 'desribe'");
}

void add_cli_suite(void)
{
    CU_pSuite s = CU_add_suite("cli", NULL, NULL);
    CU_add_test(s, "options land in the right fields", test_good);
    CU_add_test(s, "bad values and unknown options are usage errors", test_bad);
}
