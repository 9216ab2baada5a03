/* cr_file.c — folders, temporary names and atomic renames (see cr_file.h). */
#include "cr_file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cr_common.h"

int cr_mkdir_p(const char *path, const struct cr_log *log)
{
    char buf[4096];
    if (!path || !*path) return CR_OK;
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        cr_error(log, "%s: path too long", path);
        return CR_EIO;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) && errno != EEXIST) {
            cr_error(log, "%s: cannot create folder: %s", buf, strerror(errno));
            return CR_EIO;
        }
        *p = '/';
    }
    if (mkdir(buf, 0777) && errno != EEXIST) {
        cr_error(log, "%s: cannot create folder: %s", buf, strerror(errno));
        return CR_EIO;
    }
    struct stat st;
    if (stat(buf, &st) || !S_ISDIR(st.st_mode)) {
        cr_error(log, "%s: exists and is not a folder", buf);
        return CR_EIO;
    }
    return CR_OK;
}

int cr_tmp_name(const char *final, char *buf, size_t n)
{
    const char *slash = strrchr(final, '/');
    int w;
    if (slash)
        w = snprintf(buf, n, "%.*s/.%s.tmp.%ld", (int)(slash - final), final, slash + 1, (long)getpid());
    else
        w = snprintf(buf, n, ".%s.tmp.%ld", final, (long)getpid());
    return (w < 0 || (size_t)w >= n) ? CR_EIO : CR_OK;
}

int cr_commit_file(const char *tmp, const char *final, const struct cr_log *log)
{
    if (rename(tmp, final)) {
        cr_error(log, "%s: cannot rename temporary file %s into place: %s", final, tmp, strerror(errno));
        return CR_EIO;
    }
    return CR_OK;
}

int cr_file_exists(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0;
}

time_t cr_file_mtime(const char *path)
{
    struct stat st;
    if (!path || stat(path, &st)) return 0;
    return st.st_mtime;
}

int cr_path_join(char *buf, size_t n, const char *dir, const char *name)
{
    int w;
    if (!dir || !*dir || name[0] == '/')
        w = snprintf(buf, n, "%s", name);
    else
        w = snprintf(buf, n, "%s/%s", dir, name);
    return (w < 0 || (size_t)w >= n) ? CR_EIO : CR_OK;
}

void cr_path_stem(const char *path, char *buf, size_t n)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(buf, n, "%s", base);
    char *dot = strrchr(buf, '.');
    if (dot && dot != buf) *dot = '\0';
}
