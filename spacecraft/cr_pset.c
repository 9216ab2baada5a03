/* cr_pset.c — read and write the `collected` group of particles.h5
 * (layout in docs/formats.md) through the core HDF5 helpers. */
#include "cr_pset.h"

#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_h5.h"
#include "../core/cr_units.h"

struct cr_pset *cr_pset_new(size_t n)
{
    struct cr_pset *p = cr_zalloc(1, sizeof *p);
    if (!p) return NULL;
    p->n = n;
    double **f[] = {&p->t, &p->x, &p->y, &p->z, &p->mlat, &p->mlt, &p->energy, &p->pitch, &p->weight, &p->hemisphere};
    for (size_t i = 0; i < CR_ARRAY_LEN(f); i++) {
        *f[i] = cr_zalloc(n, sizeof(double));
        if (!*f[i]) {
            cr_pset_release(p);
            return NULL;
        }
    }
    return p;
}

void cr_pset_release(struct cr_pset *p)
{
    if (!p) return;
    free(p->t);
    free(p->x);
    free(p->y);
    free(p->z);
    free(p->mlat);
    free(p->mlt);
    free(p->energy);
    free(p->pitch);
    free(p->weight);
    free(p->hemisphere);
    free(p);
}

int cr_pset_read(const char *path, const struct cr_log *log, struct cr_pset **out)
{
    *out = NULL;
    hid_t f = cr_h5_open_read(path, log);
    if (f < 0) return CR_ECONFIG;
    int rc = CR_OK;
    struct cr_pset *p = NULL;
    hid_t g = -1;
    if (H5Lexists(f, "collected", H5P_DEFAULT) <= 0 || (g = H5Gopen2(f, "collected", H5P_DEFAULT)) < 0) {
        cr_error(log, "%s: no group 'collected' (not a particles.h5 file?)", path);
        H5Fclose(f);
        return CR_ECONFIG;
    }
    int rank;
    hsize_t dims[8];
    if (cr_h5_shape(g, "t", &rank, dims, path, log) || rank != 1) {
        cr_error(log, "%s: collected/t must be a 1-D dataset", path);
        rc = CR_ECONFIG;
        goto done;
    }
    p = cr_pset_new((size_t)dims[0]);
    if (!p) {
        rc = CR_ENOMEM;
        goto done;
    }
    struct { const char *name; double *data; int optional; } ds[] = {
        {"t", p->t, 0},         {"mlat", p->mlat, 0},     {"mlt", p->mlt, 0},       {"energy", p->energy, 0},
        {"pitch", p->pitch, 0}, {"weight", p->weight, 0}, {"x", p->x, 1},           {"y", p->y, 1},
        {"z", p->z, 1},         {"hemisphere", p->hemisphere, 1},
    };
    for (size_t i = 0; i < CR_ARRAY_LEN(ds) && p->n > 0; i++) {
        if (ds[i].optional && H5Lexists(g, ds[i].name, H5P_DEFAULT) <= 0) {
            if (!strcmp(ds[i].name, "hemisphere"))
                for (size_t j = 0; j < p->n; j++) p->hemisphere[j] = p->mlat[j] >= 0 ? 1.0 : -1.0;
            continue;
        }
        char what[4200];
        snprintf(what, sizeof what, "%s (group collected)", path);
        int r = cr_h5_read_doubles(g, ds[i].name, ds[i].data, p->n, what, log);
        if (r) {
            rc = CR_ECONFIG;
            goto done;
        }
    }
    /* every value must be usable: report the first bad one. A pitch angle
       of NaN (the tracer's mark for an unknown field) makes the particle
       unusable but not the file: it is given weight 0 and counted. */
    size_t nan_pitch = 0;
    for (size_t j = 0; j < p->n; j++) {
        const char *bad = NULL;
        double v = 0;
        if (isnan(p->pitch[j])) {
            p->pitch[j] = 90.0;
            p->weight[j] = 0.0;
            nan_pitch++;
        }
        if (!isfinite(p->t[j])) { bad = "t"; v = p->t[j]; }
        else if (!(fabs(p->mlat[j]) <= 90)) { bad = "mlat"; v = p->mlat[j]; }
        else if (!(p->mlt[j] >= 0 && p->mlt[j] <= 24)) { bad = "mlt"; v = p->mlt[j]; }
        else if (!(p->energy[j] > 0) || !isfinite(p->energy[j])) { bad = "energy"; v = p->energy[j]; }
        else if (!(p->pitch[j] >= 0 && p->pitch[j] <= 180)) { bad = "pitch"; v = p->pitch[j]; }
        else if (!(p->weight[j] >= 0) || !isfinite(p->weight[j])) { bad = "weight"; v = p->weight[j]; }
        if (bad) {
            cr_error(log, "%s: collected/%s[%zu] = %g is invalid", path, bad, j, v);
            rc = CR_ECONFIG;
            goto done;
        }
    }
    if (nan_pitch)
        cr_warn(log, "%s: %zu collected particle(s) without a pitch angle (NaN) are ignored", path, nan_pitch);
    double alt;
    if (cr_h5_read_attr_double(f, ".", "altitude_km", &alt) == CR_OK && alt >= 0) {
        p->altitude_km = alt;
        p->has_altitude = 1;
    } else if (cr_h5_read_attr_double(f, ".", "collection_radius", &alt) == CR_OK && alt >= 1) {
        p->altitude_km = (alt - 1.0) * CR_RE_KM;
        p->has_altitude = 1;
    }
done:
    if (g >= 0) H5Gclose(g);
    H5Fclose(f);
    if (rc) {
        cr_pset_release(p);
        return rc;
    }
    *out = p;
    return CR_OK;
}

int cr_pset_write(const struct cr_pset *p, const char *path, const char *weight_description,
                  const struct cr_config *cfg, const struct cr_log *log)
{
    struct cr_h5 *f = cr_h5_create(path, cfg, log);
    if (!f) return CR_EIO;
    hid_t root = cr_h5_root(f);
    int rc = 0;
    rc |= cr_h5_attr_int(root, "n_injected", (long)p->n);
    rc |= cr_h5_attr_int(root, "n_collected", (long)p->n);
    rc |= cr_h5_attr_int(root, "n_mirrored", 0);
    rc |= cr_h5_attr_int(root, "n_lost_outflow", 0);
    rc |= cr_h5_attr_int(root, "n_lost_timeout", 0);
    rc |= cr_h5_attr_int(root, "n_lost_other", 0);
    rc |= cr_h5_attr_double(root, "collection_radius", 1.0 + p->altitude_km / CR_RE_KM);
    rc |= cr_h5_attr_double(root, "altitude_km", p->altitude_km);
    rc |= cr_h5_attr_string(root, "weight_description", weight_description ? weight_description : "");
    hid_t g = H5Gcreate2(root, "collected", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t gl = H5Gcreate2(root, "lost", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0 || gl < 0) rc = CR_EIO;
    rc |= cr_h5_attr_string(root, "status_codes", "1 = collected at the satellite altitude (synthetic set)");
    int *status = cr_zalloc(p->n, sizeof(int));
    if (!status) rc = CR_ENOMEM;
    for (size_t i = 0; status && i < p->n; i++) status[i] = 1;
    hsize_t dims[1] = {(hsize_t)p->n}, zero[1] = {0};
    struct { const char *name; const double *d; const char *u; const char *desc; } ds[] = {
        {"t", p->t, "s", "time the proton reaches the satellite altitude"},
        {"x", p->x, "R_E", "SM x at the satellite altitude"},
        {"y", p->y, "R_E", "SM y at the satellite altitude"},
        {"z", p->z, "R_E", "SM z at the satellite altitude"},
        {"mlat", p->mlat, "degrees", "magnetic latitude (north positive)"},
        {"mlt", p->mlt, "h", "magnetic local time (12 = noon, +X)"},
        {"energy", p->energy, "eV", "kinetic energy at the satellite altitude"},
        {"pitch", p->pitch, "degrees", "pitch angle at the satellite altitude (0 = along B)"},
        {"weight", p->weight, "1", "real protons represented by this macro-particle"},
        {"t0", p->t, "s", "start time (synthetic set: arrival time)"},
        {"x0", p->x, "R_E", "start position x (synthetic set: arrival position)"},
        {"y0", p->y, "R_E", "start position y (synthetic set: arrival position)"},
        {"z0", p->z, "R_E", "start position z (synthetic set: arrival position)"},
        {"energy0", p->energy, "eV", "start energy (synthetic set: arrival energy)"},
        {"hemisphere", p->hemisphere, "1", "+1 north, -1 south"},
    };
    for (size_t i = 0; i < CR_ARRAY_LEN(ds) && rc == 0; i++) {
        rc |= cr_h5_write_doubles(g, ds[i].name, 1, dims, ds[i].d, ds[i].u, ds[i].desc, log);
        double none = 0;
        rc |= cr_h5_write_doubles(gl, ds[i].name, 1, zero, &none, ds[i].u, ds[i].desc, log);
    }
    if (rc == 0) rc |= cr_h5_write_ints(g, "status", 1, dims, status, "1", "how it ended (see status_codes)", log);
    if (rc == 0) {
        int none = 0;
        rc |= cr_h5_write_ints(gl, "status", 1, zero, &none, "1", "how it ended (see status_codes)", log);
    }
    free(status);
    if (g >= 0) H5Gclose(g);
    if (gl >= 0) H5Gclose(gl);
    if (rc) {
        cr_error(log, "%s: cannot write the particle set", path);
        cr_h5_discard(f);
        return CR_EIO;
    }
    return cr_h5_commit(f);
}
