/* test_cli.c — options parse into the right fields; bad ones are usage errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "predict.h"
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
    CU_ASSERT_EQUAL(o.interval, INTERVAL_NONE);
    CU_ASSERT_EQUAL(o.level, 0.95);
    char *a4[] = {"linreg_mpi", "predict", "--model", "m.json", "--interval", "prediction",
                  "--level", "0.9", "x.csv"};
    CU_ASSERT_EQUAL_FATAL(parse(&o, &e, 9, a4), 0);
    CU_ASSERT_EQUAL(o.interval, INTERVAL_PREDICTION);
    CU_ASSERT_EQUAL(o.level, 0.9);
    char *a5[] = {"linreg_mpi", "--cv", "5", "--folds", "column:f", "--l1-ratio", "1,0.5,0",
                  "--lambda-path", "3,1e-1,1e-3", "--select", "1se", "x.csv"};
    CU_ASSERT_EQUAL_FATAL(parse(&o, &e, 12, a5), 0);
    CU_ASSERT_EQUAL(o.cv, 5);
    CU_ASSERT_EQUAL(o.folds, CV_FOLDS_COLUMN);
    CU_ASSERT_STRING_EQUAL(o.fold_column, "f");
    CU_ASSERT_EQUAL(o.n_l1_ratio, 3);
    CU_ASSERT_EQUAL(o.l1_ratio[1], 0.5);
    CU_ASSERT_EQUAL(o.n_lambda_path, 3);
    CU_ASSERT_EQUAL(o.n_lambdas, 3);
    CU_ASSERT_EQUAL(o.select_1se, 1);
    CU_ASSERT_EQUAL(o.solver, SOLVER_EXACT);
    CU_ASSERT_EQUAL(o.cv_ols, 0);
    char *a6[] = {"linreg_mpi", "--cv", "10", "x.csv"};  /* glmnet's defaults */
    CU_ASSERT_EQUAL_FATAL(parse(&o, &e, 4, a6), 0);
    CU_ASSERT_EQUAL(o.folds, CV_FOLDS_HASH);
    CU_ASSERT_EQUAL(o.n_l1_ratio, 1);
    CU_ASSERT_EQUAL(o.l1_ratio[0], 1.0);
    CU_ASSERT_EQUAL(o.n_lambdas, 100);
    CU_ASSERT_EQUAL(o.lambda_min_ratio, 0.0);
    CU_ASSERT_EQUAL(o.select_1se, 0);
    CU_ASSERT_EQUAL(o.cv_ols, 1);  /* no penalty option: least squares' CV error */
    char *a7[] = {"linreg_mpi", "--cv", "10", "--lambdas", "50", "x.csv"};
    CU_ASSERT_EQUAL_FATAL(parse(&o, &e, 6, a7), 0);
    CU_ASSERT_EQUAL(o.cv_ols, 0);
    CU_ASSERT_EQUAL(o.n_lambdas, 50);
}

/* Each case: the arguments after the program name, and words the usage error must contain. */
static const struct {
    const char *args[8];
    const char *words;
} bad_cases[] = {
    {{"--lr", "0", "x.csv"}, "--lr: '0'"},
    {{"--lr", "-1", "x.csv"}, "--lr: '-1'"},
    {{"--lr=fast", "x.csv"}, "--lr: 'fast'"},
    {{"--epochs", "0", "x.csv"}, "--epochs: '0'"},
    {{"--epochs", "10x", "x.csv"}, "--epochs: '10x'"},
    {{"--bogus", "x.csv"}, "unknown option '--bogus'"},
    {{"x.csv", "--target"}, "--target needs a value"},
    {{"describe", "--lr", "1", "x.csv"}, "does not apply to 'describe'"},
    {{"--lr", "1"}, "no input file"},
    {{"--target", "/"}, "no input file given (--target took '/' as its value)"},
    {{"a.csv", "--glob"}, "--glob needs a value"},
    {{"--delimiter", ";;", "x.csv"}, "--delimiter: ';;' is not one character or 'tab'"},
    {{"--delimiter", "\"", "x.csv"}, "--delimiter: the quote character cannot separate fields"},
    {{"--on-bad-row", "ignore", "x.csv"}, "--on-bad-row"},
    {{"--tol", "-1", "x.csv"}, "--tol"},
    {{"--epochs", "99999999999999999999", "x.csv"}, "--epochs: '99999999999999999999' is too large"},
    {{"--threads", "4097", "x.csv"}, "--threads: '4097' is more than 4096"},
    {{"--features", "", "x.csv"}, "--features: '' names no column"},
    {{"--drop", ",,", "x.csv"}, "--drop: ',,' names no column"},
    {{"desribe", "x.csv"}, "unknown command 'desribe'"},
    {{"--quiet", "desribe", "x.csv"}, "unknown command 'desribe'"},
    {{"--quiet", "describe", "x.csv"}, "the command comes first: linreg_mpi describe [options]"},
    {{"predict", "--model", "m.json", "--interval", "both", "x.csv"},
     "--interval: 'both' is not 'none', 'confidence' or 'prediction'"},
    {{"predict", "--model", "m.json", "--level", "1", "x.csv"},
     "--level: '1' is not a number between 0 and 1"},
    {{"predict", "--model", "m.json", "--level=0", "x.csv"},
     "--level: '0' is not a number between 0 and 1"},
    {{"predict", "--model", "m.json", "--level=0.9", "x.csv"},
     "--level applies to --interval confidence|prediction"},
    {{"evaluate", "--model", "m.json", "--interval", "confidence", "x.csv"},
     "option --interval does not apply to 'evaluate'"},
    {{"--interval", "confidence", "x.csv"}, "option --interval does not apply to 'train'"},
    {{"--cv", "1", "x.csv"}, "--cv: '1' is not a whole number >= 2"},
    {{"--cv", "101", "x.csv"}, "--cv: 101 folds; at most 100"},
    {{"--cv", "4", "--lambda-path", "3,1,2", "x.csv"}, "not strictly decreasing (2 after 1)"},
    {{"--cv", "4", "--lambda-path", "3,3", "x.csv"}, "not strictly decreasing (3 after 3)"},
    {{"--cv", "4", "--lambda-path", "3,-1", "x.csv"}, "value 2 is not a positive"},
    {{"--cv", "4", "--lambda-path", "3,,1", "x.csv"}, "value 2 is not a positive"},
    {{"--cv", "4", "--l1-ratio", "1,1.5", "x.csv"}, "value 2 is not a number between 0 and 1"},
    {{"--cv", "4", "--l1-ratio", "-0.1", "x.csv"}, "value 1 is not a number between 0 and 1"},
    {{"--cv", "4", "--lambdas", "0", "x.csv"}, "--lambdas: '0' is not a whole number >= 1"},
    {{"--cv", "4", "--lambda-min-ratio", "1", "x.csv"}, "--lambda-min-ratio: '1' is not below 1"},
    {{"--cv", "4", "--select", "max", "x.csv"}, "--select: 'max' is not 'min' or '1se'"},
    {{"--cv", "4", "--folds", "rows", "x.csv"},
     "--folds: 'rows' is not hash, files or column:NAME"},
    {{"--cv", "4", "--folds", "column:a,b", "x.csv"}, "--folds: 'column:a,b'"},
    {{"--cv", "4", "--lambdas", "5", "--lambda-path", "2,1", "x.csv"}, "not both"},
    {{"--cv", "4", "--lambda-min-ratio", "0.1", "--lambda-path", "2,1", "x.csv"},
     "--lambda-path gives its own"},
    {{"--cv", "4", "--loss", "huber", "x.csv"}, "--loss huber with --cv: the path is that of"},
    {{"--cv", "4", "--l1", "3", "x.csv"}, "--cv chooses the penalty itself: drop --l1"},
    {{"--cv", "4", "--l2", "3", "x.csv"}, "--cv chooses the penalty itself: drop --l2"},
    {{"--cv", "4", "--solver", "nesterov", "x.csv"}, "drop --solver nesterov"},
    {{"--cv", "4", "--lr", "0.1", "x.csv"}, "--lr does not apply to --cv"},
    {{"--cv", "4", "--tol", "0", "x.csv"}, "--tol does not apply to --cv"},
    {{"--cv", "4", "--checkpoint", "c.bin", "x.csv"}, "--checkpoint does not apply to --cv"},
    {{"--cv", "4", "--validation-split", "0.2", "x.csv"}, "--validation-split does not apply"},
    {{"--cv", "4", "--inference", "x.csv"}, "--inference does not apply to --cv"},
    {{"--cv", "4", "--cov", "hc1", "x.csv"}, "--cov does not apply to --cv"},
    {{"--cv", "4", "--diagnostics", "x.csv"}, "--diagnostics does not apply to --cv"},
    {{"--cv", "4", "--no-scale", "x.csv"}, "--no-scale does not apply to --cv"},
    {{"--cv", "4", "--no-intercept", "x.csv"}, "--no-intercept does not apply to --cv"},
    {{"--cv", "4", "--folds", "column:f", "--cache", "c.bin", "x.csv"},
     "the cache does not keep the fold column"},
    {{"--cv", "3", "--folds", "files", "--cache", "c.bin", "a.csv", "b.csv"},
     "--folds files: the cache does not keep which file a row came from"},
    {{"--solver", "exact", "--resume", "c.bin", "x.csv"},
     "--resume applies to the gradient solvers (gd, nesterov), not to --solver exact"},
    {{"--l1-ratio", "0.5", "x.csv"}, "--l1-ratio applies to the cross-validated penalty path: "
                                     "add --cv K"},
    {{"--select", "1se", "x.csv"}, "--select applies to the cross-validated penalty path"},
};

static void test_bad(void)
{
    for (size_t c = 0; c < sizeof bad_cases / sizeof *bad_cases; c++) {
        char *argv[9] = {"linreg_mpi"};
        int argc = 1;
        while (argc < 9 && bad_cases[c].args[argc - 1])
            argv[argc] = (char *)bad_cases[c].args[argc - 1], argc++;
        struct options o;
        struct lr_error e;
        CU_ASSERT_EQUAL(parse(&o, &e, argc, argv), -1);
        CU_ASSERT_EQUAL(e.code, LR_EUSAGE);
        if (!strstr(e.msg, bad_cases[c].words)) {
            fprintf(stderr, "case %zu: '%s' does not contain '%s'\n", c, e.msg, bad_cases[c].words);
            CU_FAIL("usage error message");
        }
    }
}

/* A name holding control bytes, in an option's value, prints as lr_shown shows it: one line;
   the lines of a message of several are kept, and a name longer than lr_shown's room ends in
   "..." rather than running past it. */
static void test_shown_names(void)
{
    CU_ASSERT_STRING_EQUAL(lr_shown("x\nq\ty\r\x7f,\"").s, "x\\x0aq\\x09y\\x0d\\x7f,\"");
    char *argv[] = {"linreg_mpi", "--reference", "a\nb", "x.csv"};
    struct options o;
    struct lr_error e;
    CU_ASSERT_EQUAL(parse(&o, &e, 4, argv), -1);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    lr_error_print(&e, out);
    lr_fail(&e, LR_EDATA, "first\tline\nsecond line");
    lr_error_print(&e, out);
    fclose(out);
    CU_ASSERT_STRING_EQUAL(text, "linreg_mpi: --reference: write NAME=LEVEL, not 'a\\x0ab'\n"
                                 "Try 'linreg_mpi --help' for the list of options.\n"
                                 "linreg_mpi: first\\x09line\nsecond line\n");
    free(text);
    char long_name[3000];
    memset(long_name, '\n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    size_t n = strlen(lr_shown(long_name).s);
    CU_ASSERT(n < sizeof(struct lr_shown_name) && n > 900);
    CU_ASSERT_STRING_EQUAL(lr_shown(long_name).s + n - 3, "...");
}

/* --test given several times: one list in the order given, o->test the first; it shares
   the inputs' allocation (free(o.paths) frees both) */
static void test_tests(void)
{
    struct options o;
    struct lr_error e;
    char *a1[] = {"linreg_mpi", "--test", "a.csv", "x.csv", "--test=b.csv.gz", "--test", "dir"};
    CU_ASSERT_EQUAL_FATAL(parse(&o, &e, 7, a1), 0);
    CU_ASSERT_STRING_EQUAL(o.path, "x.csv");
    CU_ASSERT_EQUAL(o.n_paths, 0);
    CU_ASSERT_STRING_EQUAL(o.test, "a.csv");
    CU_ASSERT_EQUAL_FATAL(o.n_tests, 3);
    CU_ASSERT_STRING_EQUAL(o.tests[0], "a.csv");
    CU_ASSERT_STRING_EQUAL(o.tests[1], "b.csv.gz");
    CU_ASSERT_STRING_EQUAL(o.tests[2], "dir");
    CU_ASSERT_PTR_NOT_NULL(o.paths);
    free(o.paths);
    char *a2[] = {"linreg_mpi", "x.csv", "y.csv", "--test", "t.csv"};
    CU_ASSERT_EQUAL_FATAL(parse(&o, &e, 5, a2), 0);
    CU_ASSERT_EQUAL(o.n_paths, 2);
    CU_ASSERT_EQUAL(o.n_tests, 1);
    CU_ASSERT_STRING_EQUAL(o.paths[1], "y.csv");
    CU_ASSERT_STRING_EQUAL(o.tests[0], "t.csv");
    free(o.paths);
    char *a3[] = {"linreg_mpi", "x.csv"};
    CU_ASSERT_EQUAL_FATAL(parse(&o, &e, 2, a3), 0);
    CU_ASSERT_PTR_NULL(o.tests);
    CU_ASSERT_PTR_NULL(o.paths);
    CU_ASSERT_EQUAL(o.n_tests, 0);
    char *a4[] = {"linreg_mpi", "--test", "t.csv", "--model-out", "t.csv", "x.csv"};
    CU_ASSERT_EQUAL(parse(&o, &e, 6, a4), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "--model-out 't.csv' is the file of --test"));
    CU_ASSERT_PTR_NULL(o.paths);  /* freed on failure */
    char *a5[] = {"linreg_mpi", "--test", "t.csv", "--test", "u.csv", "--log", "u.csv", "x.csv"};
    CU_ASSERT_EQUAL(parse(&o, &e, 8, a5), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "--log 'u.csv' is --test 2 of 2: it would be overwritten"));
    char *a6[] = {"linreg_mpi", "a.csv", "b.csv", "--model-out", "b.csv"};
    CU_ASSERT_EQUAL(parse(&o, &e, 5, a6), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "--model-out 'b.csv' is input 2 of 2: it would be"));
}

void add_cli_suite(void)
{
    CU_pSuite s = CU_add_suite("cli", NULL, NULL);
    CU_add_test(s, "options land in the right fields", test_good);
    CU_add_test(s, "bad values and unknown options are usage errors", test_bad);
    CU_add_test(s, "--test several times: one list; outputs against every input", test_tests);
    CU_add_test(s, "names in messages: control bytes escaped, a message's lines kept",
                test_shown_names);
}
