/*
 * test_hooks.h — fault injection and test-only sizes, compiled in only with
 * -DLINREG_TEST_HOOKS (`make test` builds that variant as build/hooks/linreg_mpi); the
 * real binary has none and reads none of these variables.
 *
 *   LINREG_TEST_HOOK=NAME:K   hook NAME fires on its K-th call (K = 1 if omitted)
 *
 * Hooks: "crash-mid-write" — atomic_write writes half the file, then the process kills
 * itself with SIGKILL (a crash at the worst moment of a checkpoint save).
 *
 *   LINREG_TEST_FAIL=PHASE:RANK   that one rank fails at PHASE, as if its own I/O had
 *                                 failed: open, alloc, parse, resume, checkpoint, model,
 *                                 report, predict-write, text-memory (a compressed
 *                                 input's text does not fit), scratch-read (a block of
 *                                 --memory stream's scratch files cannot be read back: every
 *                                 read, or only the K-th with LINREG_TEST_HOOK=scratch-read:K).
 *                                 The others must follow it out, never hang.
 *   LINREG_TEST_MEM_AVAILABLE=B   the node has B bytes of memory available (source.c)
 *   LINREG_TEST_BLOCK_BYTES=B     the reader's pieces of a block hold B bytes of text
 *                                 (csv_layout.block_bytes): boundaries everywhere
 *   LINREG_TEST_AHEAD_BYTES=B     a compressed input's text is decompressed at most B
 *                                 bytes ahead of the reader (inputs.c)
 *   LINREG_TEST_MAX_ROWS=N        the commands read a rank's share in blocks of N rows (a
 *                                 multiple of PAR_CHUNK_ROWS; not a compressed input's) and
 *                                 put them together (dataset.c): the one block, or a test
 *                                 fails; a formula's fixed design is made in blocks of N
 *                                 rows too (formula_data.c)
 */
#ifndef LINREG_TEST_HOOKS_H
#define LINREG_TEST_HOOKS_H

#ifdef LINREG_TEST_HOOKS
int test_hook_fires(const char *name);
int test_hook_named(const char *name);  /* LINREG_TEST_HOOK names hook NAME */
int test_fail_here(const char *phase, int rank);
double test_mem_available(void); /* LINREG_TEST_MEM_AVAILABLE=bytes, else -1 */
long long test_block_bytes(void);  /* LINREG_TEST_BLOCK_BYTES=bytes, else 0 */
long long test_ahead_bytes(void);  /* LINREG_TEST_AHEAD_BYTES=bytes, else 0 */
long long test_max_rows(void);     /* LINREG_TEST_MAX_ROWS=rows, else 0 */
#else
#define test_hook_fires(name) 0
#define test_hook_named(name) 0
#define test_fail_here(phase, rank) 0
#define test_mem_available() (-1.0)
#define test_block_bytes() 0LL
#define test_ahead_bytes() 0LL
#define test_max_rows() 0LL
#endif

#endif
