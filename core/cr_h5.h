/* cr_h5.h — HDF5 helpers: atomic file creation, datasets that carry their
 * units and description, provenance attributes, checked reading.
 *
 * Files are written as "<dir>/.<name>.tmp.<pid>" and renamed to their final
 * name by cr_h5_commit(); cr_h5_discard() removes the temporary. Every
 * dataset written through cr_h5_write_* carries string attributes `units`
 * and `description` (and the GAMERA/kaipy spellings `Units`, `Description`,
 * so kaipy-based tools find them).
 */
#ifndef CR_H5_H
#define CR_H5_H

#include <hdf5.h>
#include <stddef.h>

#include "cr_config.h"
#include "cr_log.h"

struct cr_h5;

/* Create `path` (under a temporary name). Root attributes record the code
 * version, build, the resolved configuration (cfg may be NULL), creation time
 * and the note that lengths are in R_E and coordinates SM unless stated. */
struct cr_h5 *cr_h5_create(const char *path, const struct cr_config *cfg, const struct cr_log *log);

hid_t cr_h5_root(const struct cr_h5 *f);
const char *cr_h5_path(const struct cr_h5 *f);

/* Close and rename into place; frees f. CR_EIO on failure (temp removed). */
int cr_h5_commit(struct cr_h5 *f);

/* Close and remove the temporary; frees f. */
void cr_h5_discard(struct cr_h5 *f);

/* Write a double dataset of the given rank/dims (C order) with units and
 * description. Optional gzip level (0 = none). */
int cr_h5_write_doubles(hid_t loc, const char *name, int rank, const hsize_t *dims, const double *data,
                        const char *units, const char *description, const struct cr_log *log);
int cr_h5_write_ints(hid_t loc, const char *name, int rank, const hsize_t *dims, const int *data,
                     const char *units, const char *description, const struct cr_log *log);

/* Attributes on a file, group or dataset. */
int cr_h5_attr_string(hid_t loc, const char *name, const char *value);
int cr_h5_attr_double(hid_t loc, const char *name, double value);
int cr_h5_attr_int(hid_t loc, const char *name, long value);

/* Version, build, configuration and units note on loc (done by create). */
int cr_h5_provenance(hid_t loc, const struct cr_config *cfg);

/* Open an existing file read-only, with a clear message on failure. */
hid_t cr_h5_open_read(const char *path, const struct cr_log *log);

/* Shape of a dataset: rank (<= 8) and dims. CR_EIO when missing. */
int cr_h5_shape(hid_t loc, const char *name, int *rank, hsize_t dims[8], const char *file_for_msg,
                const struct cr_log *log);

/* Read a whole double dataset whose element count must equal n. */
int cr_h5_read_doubles(hid_t loc, const char *name, double *data, size_t n, const char *file_for_msg,
                       const struct cr_log *log);

/* Read a numeric or string attribute. */
int cr_h5_read_attr_double(hid_t loc, const char *obj, const char *name, double *value);
/* String attribute into buf (truncated to n-1). */
int cr_h5_read_attr_string(hid_t loc, const char *obj, const char *name, char *buf, size_t n);

/* The file an object of `loc` (opened from loc_path) lives in: when the
 * first component of `name` ("Step#3" of "Step#3/D") is an external link,
 * its target file (relative targets resolved against loc_path's folder),
 * else loc_path. For messages that must name the damaged file. */
void cr_h5_object_file(hid_t loc, const char *name, const char *loc_path, char *buf, size_t n);

/* The operating system's reason for HDF5's last failed file operation
 * ("No space left on device", "File too large"), from HDF5's error stack;
 * "" when the stack holds none. */
void cr_h5_os_reason(char *buf, size_t n);

/* The HDF5 library's life in a process (the CLI): cr_h5_library_begin()
 * before any other HDF5 call stops HDF5 from closing the library from an
 * atexit handler, and cr_h5_library_end() closes it (H5close) when no file
 * is left open. A file whose H5Fclose failed (a full disk: the flush fails)
 * stays in HDF5 1.10's ID table after its memory is freed, and the library's
 * own shutdown then closes it again and crashes (HDFGroup/hdf5 PR #2496,
 * fixed in 1.14.1); with files left, cr_h5_library_end() logs their count
 * and leaves the library to the operating system. Returns that count. */
void cr_h5_library_begin(void);
long cr_h5_library_end(const struct cr_log *log);

/* Silence HDF5's own error stack printing (we report errors ourselves). */
void cr_h5_quiet(void);

#endif
