/* cr_file.h — file-system helpers: folders, temporary names, atomic rename.
 *
 * Every output is written under a temporary name next to its final name and
 * renamed only when complete, so a killed run never leaves a truncated file
 * under the real name.
 */
#ifndef CR_FILE_H
#define CR_FILE_H

#include <stddef.h>
#include <time.h>

#include "cr_log.h"

/* Create a folder and its parents (like mkdir -p). CR_EIO on failure. */
int cr_mkdir_p(const char *path, const struct cr_log *log);

/* The temporary name used for `final`: "<dir>/.<base>.tmp.<pid>". */
int cr_tmp_name(const char *final, char *buf, size_t n);

/* Rename tmp to final (atomic on one file system). CR_EIO on failure. */
int cr_commit_file(const char *tmp, const char *final, const struct cr_log *log);

/* 1 if the path exists. */
int cr_file_exists(const char *path);

/* Modification time (0 when missing). */
time_t cr_file_mtime(const char *path);

/* The file name without folder and last extension ("runs/a.ini" -> "a"). */
void cr_path_stem(const char *path, char *buf, size_t n);

/* Join a folder and a name into buf. */
int cr_path_join(char *buf, size_t n, const char *dir, const char *name);

#endif
