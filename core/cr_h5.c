/* cr_h5.c — HDF5 helpers (see cr_h5.h). */
#include "cr_h5.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cr_common.h"
#include "cr_epoch.h"
#include "cr_file.h"
#include "cr_version.h"

struct cr_h5 {
    hid_t fid;
    char path[4096];
    char tmp[4200];
    const struct cr_log *log;
};

void cr_h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

static herr_t find_os_reason(unsigned n, const H5E_error2_t *e, void *data)
{
    (void)n;
    char *buf = data;
    const char *m = e->desc ? strstr(e->desc, "error message = '") : NULL;
    if (!m || buf[0]) return 0;
    m += strlen("error message = '");
    const char *end = strchr(m, '\'');
    size_t len = end ? (size_t)(end - m) : strlen(m);
    if (len > 200) len = 200;
    memcpy(buf, m, len);
    buf[len] = '\0';
    return 0;
}

void cr_h5_os_reason(char *buf, size_t n)
{
    char tmp[256] = "";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, find_os_reason, tmp);
    snprintf(buf, n, "%s", tmp);
}

void cr_h5_library_begin(void) { H5dont_atexit(); }

long cr_h5_library_end(const struct cr_log *log)
{
    ssize_t open_files = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_FILE);
    if (open_files == 0) {
        H5close();
        return 0;
    }
    cr_warn(log, "HDF5: %ld file(s) left open after a failed write or close; the library is not shut down "
            "(its shutdown would close them again)", (long)open_files);
    return (long)open_files;
}

int cr_h5_attr_string(hid_t loc, const char *name, const char *value)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    hid_t space = H5Screate(H5S_SCALAR);
    if (H5Aexists(loc, name) > 0) H5Adelete(loc, name);
    hid_t attr = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = -1;
    if (attr >= 0) {
        const char *v = value ? value : "";
        st = H5Awrite(attr, type, &v);
        H5Aclose(attr);
    }
    H5Sclose(space);
    H5Tclose(type);
    return st < 0 ? CR_EIO : CR_OK;
}

static int attr_scalar(hid_t loc, const char *name, hid_t memtype, hid_t filetype, const void *v)
{
    hid_t space = H5Screate(H5S_SCALAR);
    if (H5Aexists(loc, name) > 0) H5Adelete(loc, name);
    hid_t attr = H5Acreate2(loc, name, filetype, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = -1;
    if (attr >= 0) {
        st = H5Awrite(attr, memtype, v);
        H5Aclose(attr);
    }
    H5Sclose(space);
    return st < 0 ? CR_EIO : CR_OK;
}

int cr_h5_attr_double(hid_t loc, const char *name, double value)
{
    return attr_scalar(loc, name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, &value);
}

int cr_h5_attr_int(hid_t loc, const char *name, long value)
{
    return attr_scalar(loc, name, H5T_NATIVE_LONG, H5T_STD_I64LE, &value);
}

int cr_h5_provenance(hid_t loc, const struct cr_config *cfg)
{
    int rc = 0;
    char stamp[64];
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    rc |= cr_h5_attr_string(loc, "cusprate_version", cr_version_full());
    rc |= cr_h5_attr_string(loc, "cusprate_build", cr_version_build());
    rc |= cr_h5_attr_string(loc, "created", stamp);
    rc |= cr_h5_attr_string(loc, "coordinates", "SM (solar magnetic), zero dipole tilt unless stated");
    rc |= cr_h5_attr_string(loc, "units_note",
                            "lengths in R_E (6371.2 km), times in s; every dataset names its unit in `units`");
    if (cfg) {
        char *ini = cr_config_to_ini(cfg);
        if (ini) {
            rc |= cr_h5_attr_string(loc, "config", ini);
            free(ini);
        }
        rc |= cr_h5_attr_string(loc, "config_file", cr_config_file(cfg));
    }
    /* the UT of t = 0 ([run] epoch; the default without a configuration) */
    struct cr_epoch e;
    if (cr_epoch_from_config(cfg, &e, NULL) == CR_OK) rc |= cr_h5_attr_string(loc, "epoch_utc", e.iso);
    return rc ? CR_EIO : CR_OK;
}

struct cr_h5 *cr_h5_create(const char *path, const struct cr_config *cfg, const struct cr_log *log)
{
    cr_h5_quiet();
    struct cr_h5 *f = cr_zalloc(1, sizeof *f);
    if (!f) return NULL;
    f->log = log;
    snprintf(f->path, sizeof f->path, "%s", path);
    if (cr_tmp_name(path, f->tmp, sizeof f->tmp)) {
        cr_error(log, "%s: path too long", path);
        free(f);
        return NULL;
    }
    f->fid = H5Fcreate(f->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f->fid < 0) {
        cr_error(log, "%s: cannot create HDF5 file (temporary %s)", path, f->tmp);
        free(f);
        return NULL;
    }
    if (cr_h5_provenance(f->fid, cfg)) {
        cr_error(log, "%s: cannot write provenance attributes", path);
        cr_h5_discard(f);
        return NULL;
    }
    return f;
}

hid_t cr_h5_root(const struct cr_h5 *f) { return f->fid; }
const char *cr_h5_path(const struct cr_h5 *f) { return f->path; }

int cr_h5_commit(struct cr_h5 *f)
{
    if (!f) return CR_EIO;
    int rc = CR_OK;
    if (H5Fclose(f->fid) < 0) {
        char why[256];
        cr_h5_os_reason(why, sizeof why);
        cr_error(f->log, "%s: error closing HDF5 file%s%s", f->path, why[0] ? ": " : "", why);
        unlink(f->tmp);
        rc = CR_EIO;
    } else {
        rc = cr_commit_file(f->tmp, f->path, f->log);
    }
    free(f);
    return rc;
}

void cr_h5_discard(struct cr_h5 *f)
{
    if (!f) return;
    H5Fclose(f->fid);
    unlink(f->tmp);
    free(f);
}

static int write_ds(hid_t loc, const char *name, int rank, const hsize_t *dims, hid_t memtype,
                    hid_t filetype, const void *data, const char *units, const char *description,
                    const struct cr_log *log)
{
    hid_t space = H5Screate_simple(rank, dims, NULL);
    if (space < 0) return CR_EIO;
    if (H5Lexists(loc, name, H5P_DEFAULT) > 0) H5Ldelete(loc, name, H5P_DEFAULT);
    hid_t ds = H5Dcreate2(loc, name, filetype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = CR_OK;
    if (ds < 0 || H5Dwrite(ds, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
        char why[256], file[1024] = "HDF5";
        cr_h5_os_reason(why, sizeof why);
        if (H5Fget_name(loc, file, sizeof file) < 0) snprintf(file, sizeof file, "HDF5");
        cr_error(log, "%s: cannot write dataset '%s'%s%s", file, name, why[0] ? ": " : "", why);
        rc = CR_EIO;
    } else {
        rc |= cr_h5_attr_string(ds, "units", units ? units : "1");
        rc |= cr_h5_attr_string(ds, "description", description ? description : "");
        rc |= cr_h5_attr_string(ds, "Units", units ? units : "1");
        rc |= cr_h5_attr_string(ds, "Description", description ? description : "");
    }
    if (ds >= 0) H5Dclose(ds);
    H5Sclose(space);
    return rc ? CR_EIO : CR_OK;
}

int cr_h5_write_doubles(hid_t loc, const char *name, int rank, const hsize_t *dims, const double *data,
                        const char *units, const char *description, const struct cr_log *log)
{
    return write_ds(loc, name, rank, dims, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, data, units, description, log);
}

int cr_h5_write_ints(hid_t loc, const char *name, int rank, const hsize_t *dims, const int *data,
                     const char *units, const char *description, const struct cr_log *log)
{
    return write_ds(loc, name, rank, dims, H5T_NATIVE_INT, H5T_STD_I32LE, data, units, description, log);
}

hid_t cr_h5_open_read(const char *path, const struct cr_log *log)
{
    cr_h5_quiet();
    if (access(path, R_OK)) {
        cr_error(log, "%s: file missing or unreadable", path);
        return -1;
    }
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) cr_error(log, "%s: not a readable HDF5 file", path);
    return f;
}

int cr_h5_shape(hid_t loc, const char *name, int *rank, hsize_t dims[8], const char *file_for_msg,
                const struct cr_log *log)
{
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) {
        cr_error(log, "%s: dataset '%s' missing", file_for_msg ? file_for_msg : "HDF5", name);
        return CR_EIO;
    }
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (ds < 0) return CR_EIO;
    hid_t sp = H5Dget_space(ds);
    int r = H5Sget_simple_extent_ndims(sp);
    int rc = CR_OK;
    if (r < 0 || r > 8) rc = CR_EIO;
    else {
        *rank = r;
        H5Sget_simple_extent_dims(sp, dims, NULL);
    }
    H5Sclose(sp);
    H5Dclose(ds);
    return rc;
}

int cr_h5_read_doubles(hid_t loc, const char *name, double *data, size_t n, const char *file_for_msg,
                       const struct cr_log *log)
{
    int rank;
    hsize_t dims[8];
    int rc = cr_h5_shape(loc, name, &rank, dims, file_for_msg, log);
    if (rc) return rc;
    size_t count = 1;
    for (int i = 0; i < rank; i++) count *= (size_t)dims[i];
    if (count != n) {
        cr_error(log, "%s: dataset '%s' has %zu elements, expected %zu", file_for_msg ? file_for_msg : "HDF5",
                 name, count, n);
        return CR_ECONFIG;
    }
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    herr_t st = H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    H5Dclose(ds);
    if (st < 0) {
        cr_error(log, "%s: cannot read dataset '%s'", file_for_msg ? file_for_msg : "HDF5", name);
        return CR_EIO;
    }
    return CR_OK;
}

void cr_h5_object_file(hid_t loc, const char *name, const char *loc_path, char *buf, size_t n)
{
    snprintf(buf, n, "%s", loc_path);
    char first[256];
    const char *slash = strchr(name, '/');
    size_t len = slash ? (size_t)(slash - name) : strlen(name);
    if (len == 0 || len >= sizeof first) return;
    memcpy(first, name, len);
    first[len] = '\0';
    H5L_info_t li;
    if (H5Lexists(loc, first, H5P_DEFAULT) <= 0 || H5Lget_info(loc, first, &li, H5P_DEFAULT) < 0 ||
        li.type != H5L_TYPE_EXTERNAL || li.u.val_size == 0 || li.u.val_size > 8192)
        return;
    char val[8192];
    const char *file = NULL, *obj = NULL;
    unsigned flags = 0;
    if (H5Lget_val(loc, first, val, li.u.val_size, H5P_DEFAULT) < 0 ||
        H5Lunpack_elink_val(val, li.u.val_size, &flags, &file, &obj) < 0 || !file)
        return;
    const char *sep = strrchr(loc_path, '/');
    if (file[0] == '/' || !sep) snprintf(buf, n, "%s", file);
    else snprintf(buf, n, "%.*s/%s", (int)(sep - loc_path), loc_path, file);
}

static hid_t open_attr(hid_t loc, const char *obj, const char *name)
{
    if (H5Aexists_by_name(loc, obj ? obj : ".", name, H5P_DEFAULT) <= 0) return -1;
    return H5Aopen_by_name(loc, obj ? obj : ".", name, H5P_DEFAULT, H5P_DEFAULT);
}

int cr_h5_read_attr_double(hid_t loc, const char *obj, const char *name, double *value)
{
    hid_t a = open_attr(loc, obj, name);
    if (a < 0) return CR_EIO;
    herr_t st = H5Aread(a, H5T_NATIVE_DOUBLE, value);
    H5Aclose(a);
    return st < 0 ? CR_EIO : CR_OK;
}

int cr_h5_read_attr_string(hid_t loc, const char *obj, const char *name, char *buf, size_t n)
{
    hid_t a = open_attr(loc, obj, name);
    if (a < 0) return CR_EIO;
    hid_t ft = H5Aget_type(a);
    int rc = CR_OK;
    if (H5Tget_class(ft) != H5T_STRING) rc = CR_EIO;
    else if (H5Tis_variable_str(ft) > 0) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(ft));
        char *s = NULL;
        if (H5Aread(a, mt, &s) < 0) rc = CR_EIO;
        else {
            snprintf(buf, n, "%s", s ? s : "");
            H5free_memory(s);
        }
        H5Tclose(mt);
    } else {
        size_t sz = H5Tget_size(ft);
        char *s = cr_zalloc(sz + 1, 1);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, sz + 1);
        H5Tset_cset(mt, H5Tget_cset(ft));
        if (!s || H5Aread(a, mt, s) < 0) rc = CR_EIO;
        else snprintf(buf, n, "%s", s);
        free(s);
        H5Tclose(mt);
    }
    H5Tclose(ft);
    H5Aclose(a);
    return rc;
}
