/* atomic_file.c — crash-safe file replacement; see atomic_file.h. */
#include "atomic_file.h"

#include <signal.h>

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_hooks.h"

static void dir_of(const char *path, char *dir, size_t cap)
{
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", path);
    snprintf(dir, cap, "%s", dirname(copy));
}

void atomic_clean_stale(const char *path)
{
    char pattern[4200];
    glob_t g;
    snprintf(pattern, sizeof pattern, "%s.tmp.??????", path);
    if (glob(pattern, GLOB_NOSORT, NULL, &g) == 0)
        for (size_t k = 0; k < g.gl_pathc; k++)
            unlink(g.gl_pathv[k]);
    globfree(&g);
}

int atomic_check_dir(const char *path, const char *what, struct lr_error *e)
{
    char dir[4096];
    struct stat st;
    dir_of(path, dir, sizeof dir);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return lr_fail_at(e, LR_EWRITE, path, 0, 0, "cannot write the %s: this is a directory",
                          what);
    if (access(dir, W_OK | X_OK) != 0)
        return lr_fail_at(e, LR_EWRITE, path, 0, 0, "cannot write the %s here: directory '%s': %s",
                          what, dir, strerror(errno));
    return 0;
}

int atomic_write_all(int fd, const void *data, size_t n)
{
    const char *p = data;
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

int atomic_begin(const char *path, char *tmp, size_t cap, struct lr_error *e)
{
    snprintf(tmp, cap, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return lr_fail_at(e, LR_EWRITE, path, 0, 0, "cannot create a file next to it: %s",
                          strerror(errno));
    if (fchmod(fd, 0644) != 0) {
        int err = errno;
        close(fd);
        unlink(tmp);
        return lr_fail_at(e, LR_EWRITE, path, 0, 0, "cannot create a file next to it: %s",
                          strerror(err));
    }
    return fd;
}

int atomic_commit(const char *tmp, const char *path, struct lr_error *e)
{
    char dir[4096];
    if (rename(tmp, path) != 0) {
        int err = errno;
        unlink(tmp);
        return lr_fail_at(e, LR_EWRITE, path, 0, 0, "cannot replace: %s", strerror(err));
    }
    dir_of(path, dir, sizeof dir);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {  /* make the rename itself durable */
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

int atomic_write(const char *path, const void *data, size_t len, struct lr_error *e)
{
    char tmp[4200];
    int fd = atomic_begin(path, tmp, sizeof tmp, e);
    if (fd < 0)
        return -1;
    if (test_hook_fires("crash-mid-write")) {  /* tests only: die with half a file */
        atomic_write_all(fd, data, len / 2);
        raise(SIGKILL);
    }
    int ok = atomic_write_all(fd, data, len) == 0 && fsync(fd) == 0, err = errno;
    if (close(fd) != 0 && ok)
        ok = 0, err = errno;
    if (!ok) {
        unlink(tmp);
        return lr_fail_at(e, LR_EWRITE, path, 0, 0, "write failed: %s", strerror(err));
    }
    return atomic_commit(tmp, path, e);
}

int atomic_write_text(const char *path, char *text, struct lr_error *e)
{
    size_t len = strlen(text);
    text[len] = '\n';
    return atomic_write(path, text, len + 1, e);
}
