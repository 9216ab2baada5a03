/* cr_nc.h — netCDF-4 helpers following CF conventions: atomic file creation,
 * variables that carry units, long_name and description, provenance as
 * global attributes, and status checking with messages that name the file.
 */
#ifndef CR_NC_H
#define CR_NC_H

#include <netcdf.h>
#include <stddef.h>

#include "cr_config.h"
#include "cr_log.h"

struct cr_nc;

/* Create `path` (temporary name until commit) as netCDF-4 with global
 * attributes Conventions = "CF-1.8", title, source (version), history,
 * cusprate_build and the resolved configuration (cfg may be NULL). */
struct cr_nc *cr_nc_create(const char *path, const char *title, const struct cr_config *cfg,
                           const struct cr_log *log);

int cr_nc_id(const struct cr_nc *f);
const char *cr_nc_path(const struct cr_nc *f);

/* Define a dimension (len 0 = unlimited). */
int cr_nc_def_dim(struct cr_nc *f, const char *name, size_t len, int *dimid);

/* Define a variable with units, long_name and description (and optional
 * CF standard_name, may be NULL). */
int cr_nc_def_var(struct cr_nc *f, const char *name, nc_type type, int ndims, const int *dimids,
                  const char *units, const char *long_name, const char *description, const char *standard_name,
                  int *varid);

/* Lengths in Earth radii as a UDUNITS unit (CF-1.8 section 3.1: "R_E" is
 * not one): the values stay in R_E = 6371.2 km. */
#define CR_NC_RE_UNITS "6371200 m"

/* A dimension whose coordinate variable of the same name is its index
 * 0..len-1 (NC_INT, units "1"), e.g. vector components or spacecraft;
 * meanings (space-separated words, one per index, may be NULL) become its
 * flag_values / flag_meanings. The values are written at commit. */
int cr_nc_def_index_dim(struct cr_nc *f, const char *name, size_t len, const char *long_name, const char *meanings,
                        int *dimid);

/* Text attribute on a variable (NC_GLOBAL for the file). */
int cr_nc_put_att_text(struct cr_nc *f, int varid, const char *name, const char *value);
int cr_nc_put_att_double(struct cr_nc *f, int varid, const char *name, double value);

/* Report a netCDF status with the file name; returns CR_EIO if status != NC_NOERR. */
int cr_nc_check(int status, const char *path, const char *what, const struct cr_log *log);

/* Close and rename into place; frees f. */
int cr_nc_commit(struct cr_nc *f);

/* Close and delete the temporary; frees f. */
void cr_nc_discard(struct cr_nc *f);

/* Open for reading with a clear message; returns ncid or -1. */
int cr_nc_open_read(const char *path, const struct cr_log *log);

#endif
