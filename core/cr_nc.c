/* cr_nc.c — netCDF-4 / CF helpers (see cr_nc.h). */
#include "cr_nc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cr_common.h"
#include "cr_epoch.h"
#include "cr_file.h"
#include "cr_h5.h"
#include "cr_version.h"

#define CR_NC_MAX_INDEX 32

struct cr_nc {
    int ncid;
    char path[4096];
    char tmp[4200];
    const struct cr_log *log;
    int nindex;                      /* index coordinates whose values 0..n-1 are written at commit */
    int index_var[CR_NC_MAX_INDEX];
    size_t index_len[CR_NC_MAX_INDEX];
};

int cr_nc_check(int status, const char *path, const char *what, const struct cr_log *log)
{
    if (status == NC_NOERR) return CR_OK;
    char why[256] = "";
    cr_h5_os_reason(why, sizeof why); /* the HDF5 layer's reason, when it failed */
    cr_error(log, "%s: netCDF error in %s: %s%s%s", path ? path : "netCDF", what ? what : "call", nc_strerror(status),
             why[0] ? ": " : "", why);
    return CR_EIO;
}

int cr_nc_put_att_text(struct cr_nc *f, int varid, const char *name, const char *value)
{
    const char *v = value ? value : "";
    return cr_nc_check(nc_put_att_text(f->ncid, varid, name, strlen(v), v), f->path, name, f->log);
}

int cr_nc_put_att_double(struct cr_nc *f, int varid, const char *name, double value)
{
    return cr_nc_check(nc_put_att_double(f->ncid, varid, name, NC_DOUBLE, 1, &value), f->path, name, f->log);
}

struct cr_nc *cr_nc_create(const char *path, const char *title, const struct cr_config *cfg,
                           const struct cr_log *log)
{
    struct cr_nc *f = cr_zalloc(1, sizeof *f);
    if (!f) return NULL;
    f->log = log;
    snprintf(f->path, sizeof f->path, "%s", path);
    if (cr_tmp_name(path, f->tmp, sizeof f->tmp)) {
        cr_error(log, "%s: path too long", path);
        free(f);
        return NULL;
    }
    if (cr_nc_check(nc_create(f->tmp, NC_CLOBBER | NC_NETCDF4, &f->ncid), path, "create", log)) {
        free(f);
        return NULL;
    }
    char stamp[64], hist[256];
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    snprintf(hist, sizeof hist, "%s: written by %s", stamp, cr_version_full());
    int rc = 0;
    rc |= cr_nc_put_att_text(f, NC_GLOBAL, "Conventions", "CF-1.8");
    rc |= cr_nc_put_att_text(f, NC_GLOBAL, "title", title ? title : "cusprate output");
    rc |= cr_nc_put_att_text(f, NC_GLOBAL, "source", cr_version_full());
    rc |= cr_nc_put_att_text(f, NC_GLOBAL, "cusprate_build", cr_version_build());
    rc |= cr_nc_put_att_text(f, NC_GLOBAL, "history", hist);
    rc |= cr_nc_put_att_text(f, NC_GLOBAL, "coordinates_note",
                             "SM (solar magnetic) coordinates, zero dipole tilt unless stated; lengths in Earth radii "
                             "R_E = 6371.2 km carry the UDUNITS units \"6371200 m\"; times are seconds since the run "
                             "epoch ([run] epoch) where the units say so");
    if (cfg) {
        char *ini = cr_config_to_ini(cfg);
        if (ini) {
            rc |= cr_nc_put_att_text(f, NC_GLOBAL, "config", ini);
            free(ini);
        }
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "config_file", cr_config_file(cfg));
    }
    /* the UT of t = 0 ([run] epoch; the default without a configuration) */
    struct cr_epoch e;
    if (cr_epoch_from_config(cfg, &e, NULL) == CR_OK) rc |= cr_nc_put_att_text(f, NC_GLOBAL, "epoch_utc", e.iso);
    if (rc) {
        cr_nc_discard(f);
        return NULL;
    }
    return f;
}

int cr_nc_id(const struct cr_nc *f) { return f->ncid; }
const char *cr_nc_path(const struct cr_nc *f) { return f->path; }

int cr_nc_def_dim(struct cr_nc *f, const char *name, size_t len, int *dimid)
{
    return cr_nc_check(nc_def_dim(f->ncid, name, len == 0 ? NC_UNLIMITED : len, dimid), f->path, name, f->log);
}

int cr_nc_def_var(struct cr_nc *f, const char *name, nc_type type, int ndims, const int *dimids,
                  const char *units, const char *long_name, const char *description, const char *standard_name,
                  int *varid)
{
    int rc = cr_nc_check(nc_def_var(f->ncid, name, type, ndims, dimids, varid), f->path, name, f->log);
    if (rc) return rc;
    if (units) rc |= cr_nc_put_att_text(f, *varid, "units", units);
    if (long_name) rc |= cr_nc_put_att_text(f, *varid, "long_name", long_name);
    if (description) rc |= cr_nc_put_att_text(f, *varid, "description", description);
    if (standard_name) rc |= cr_nc_put_att_text(f, *varid, "standard_name", standard_name);
    return rc ? CR_EIO : CR_OK;
}

int cr_nc_def_index_dim(struct cr_nc *f, const char *name, size_t len, const char *long_name, const char *meanings,
                        int *dimid)
{
    if (f->nindex >= CR_NC_MAX_INDEX || len == 0 || len > 1000000) {
        cr_error(f->log, "%s: index dimension %s: too many or of length %zu", f->path, name, len);
        return CR_EIO;
    }
    int v, rc = cr_nc_def_dim(f, name, len, dimid);
    if (!rc) rc = cr_nc_def_var(f, name, NC_INT, 1, dimid, "1", long_name, NULL, NULL, &v);
    if (!rc && meanings) {
        int *fv = malloc(len * sizeof *fv);
        if (!fv) return CR_ENOMEM;
        for (size_t q = 0; q < len; q++) fv[q] = (int)q;
        rc = cr_nc_check(nc_put_att_int(f->ncid, v, "flag_values", NC_INT, len, fv), f->path, name, f->log);
        free(fv);
        if (!rc) rc = cr_nc_put_att_text(f, v, "flag_meanings", meanings);
    }
    if (rc) return CR_EIO;
    f->index_var[f->nindex] = v;
    f->index_len[f->nindex++] = len;
    return CR_OK;
}

int cr_nc_commit(struct cr_nc *f)
{
    if (!f) return CR_EIO;
    int rc = CR_OK;
    for (int q = 0; q < f->nindex && !rc; q++) {
        int *iv = malloc(f->index_len[q] * sizeof *iv);
        if (!iv) {
            rc = CR_ENOMEM;
            break;
        }
        for (size_t k = 0; k < f->index_len[q]; k++) iv[k] = (int)k;
        rc = cr_nc_check(nc_put_var_int(f->ncid, f->index_var[q], iv), f->path, "index coordinate", f->log);
        free(iv);
    }
    if (rc) {
        cr_nc_discard(f);
        return CR_EIO;
    }
    rc = cr_nc_check(nc_close(f->ncid), f->path, "close", f->log);
    if (rc) unlink(f->tmp);
    else rc = cr_commit_file(f->tmp, f->path, f->log);
    free(f);
    return rc;
}

void cr_nc_discard(struct cr_nc *f)
{
    if (!f) return;
    nc_close(f->ncid);
    unlink(f->tmp);
    free(f);
}

int cr_nc_open_read(const char *path, const struct cr_log *log)
{
    int ncid;
    if (access(path, R_OK)) {
        cr_error(log, "%s: file missing or unreadable", path);
        return -1;
    }
    if (cr_nc_check(nc_open(path, NC_NOWRITE, &ncid), path, "open", log)) return -1;
    return ncid;
}
