/* test_hooks.c — see test_hooks.h; empty unless built with -DLINREG_TEST_HOOKS. */
#include "test_hooks.h"

#ifdef LINREG_TEST_HOOKS
#include <stdlib.h>
#include <string.h>

int test_hook_named(const char *name)
{
    const char *spec = getenv("LINREG_TEST_HOOK");
    size_t n = strlen(name);
    return spec && strncmp(spec, name, n) == 0 && (spec[n] == '\0' || spec[n] == ':');
}

int test_hook_fires(const char *name)
{
    static int calls;
    if (!test_hook_named(name))
        return 0;
    const char *k = strchr(getenv("LINREG_TEST_HOOK"), ':');
    return ++calls == (k ? atoi(k + 1) : 1);
}

int test_fail_here(const char *phase, int rank)
{
    const char *spec = getenv("LINREG_TEST_FAIL");
    size_t n = strlen(phase);
    return spec && strncmp(spec, phase, n) == 0 && spec[n] == ':' && atoi(spec + n + 1) == rank;
}

double test_mem_available(void)
{
    const char *v = getenv("LINREG_TEST_MEM_AVAILABLE");
    return v ? atof(v) : -1.0;
}

long long test_block_bytes(void)
{
    const char *v = getenv("LINREG_TEST_BLOCK_BYTES");
    return v && atoll(v) > 0 ? atoll(v) : 0;
}

long long test_ahead_bytes(void)
{
    const char *v = getenv("LINREG_TEST_AHEAD_BYTES");
    return v && atoll(v) > 0 ? atoll(v) : 0;
}

long long test_max_rows(void)
{
    const char *v = getenv("LINREG_TEST_MAX_ROWS");
    return v && atoll(v) > 0 ? atoll(v) : 0;
}
#else
typedef int test_hooks_unused; /* ISO C wants a translation unit to declare something */
#endif
