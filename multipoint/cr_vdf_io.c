/* cr_vdf_io.c — read and write sets of four (or two) spacecraft's velocity
 * distributions in the netCDF layout vdf-1 (docs/formats.md; see
 * cr_vdf_io.h). */
#include "cr_vdf_io.h"

#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_nc.h"

static const char *const SPH[3] = {"energy", "polar", "azimuth"}, *const CAR[3] = {"vx", "vy", "vz"};

struct cr_vdf_set *cr_vdf_set_new(enum cr_vdf_grid grid, size_t nt, int nsc, size_t n0, size_t n1, size_t n2,
                                  double mass, double charge)
{
    if (nt == 0 || (nsc != 2 && nsc != 4)) return NULL;
    struct cr_vdf_set *s = cr_zalloc(1, sizeof *s);
    if (!s) return NULL;
    s->nt = nt;
    s->nsc = nsc;
    s->grid = grid;
    s->mass = mass;
    s->charge = charge;
    snprintf(s->time_units, sizeof s->time_units, "seconds since 1970-01-01T00:00:00Z");
    snprintf(s->coords, sizeof s->coords, "unknown");
    snprintf(s->species, sizeof s->species, "proton");
    s->v = cr_zalloc(nt * (size_t)nsc, sizeof *s->v);
    s->time = cr_zalloc(nt, sizeof(double));
    s->pos = cr_zalloc(nt * (size_t)nsc * 3, sizeof(double));
    s->B = cr_zalloc(nt * (size_t)nsc * 3, sizeof(double));
    int ok = s->v && s->time && s->pos && s->B;
    for (size_t i = 0; ok && i < nt * (size_t)nsc; i++) ok = (s->v[i] = cr_vdf_new(grid, n0, n1, n2, mass)) != NULL;
    if (!ok) {
        cr_vdf_set_release(s);
        return NULL;
    }
    return s;
}

void cr_vdf_set_release(struct cr_vdf_set *s)
{
    if (!s) return;
    if (s->v)
        for (size_t i = 0; i < s->nt * (size_t)s->nsc; i++) cr_vdf_release(s->v[i]);
    free(s->v);
    free(s->time);
    free(s->pos);
    free(s->B);
    free(s->U);
    free(s->ref_n);
    free(s->ref_P);
    free(s->ref_grad_P);
    free(s);
}

/* ---- reading ------------------------------------------------------------------ */

struct rd {
    int ncid;
    const char *path;
    const struct cr_log *log;
};

/* Variable `name` with exactly the dimensions `dims` (names, NULL-terminated
 * list of at most 5); reads it as double into out (allocated by the caller,
 * may be NULL to only check). CR_OK, CR_EIO when absent (not reported unless
 * required), CR_ECONFIG on a wrong shape. */
static int read_var(const struct rd *r, const char *name, const char *const *dims, double *out, int required)
{
    int varid, ndims, dimids[NC_MAX_VAR_DIMS];
    if (nc_inq_varid(r->ncid, name, &varid) != NC_NOERR) {
        if (required) cr_error(r->log, "%s: variable '%s' is missing (layout vdf-1, docs/formats.md)", r->path, name);
        return required ? CR_ECONFIG : CR_EIO;
    }
    nc_inq_varndims(r->ncid, varid, &ndims);
    int want = 0;
    while (dims[want]) want++;
    int same = ndims == want;
    if (same) nc_inq_vardimid(r->ncid, varid, dimids);
    for (int k = 0; same && k < want; k++) {
        char dn[NC_MAX_NAME + 1];
        nc_inq_dimname(r->ncid, dimids[k], dn);
        same = strcmp(dn, dims[k]) == 0;
    }
    if (!same) {
        char w[256] = "";
        for (int k = 0; k < want; k++) {
            strcat(w, k ? ", " : "");
            strncat(w, dims[k], 40);
        }
        cr_error(r->log, "%s: variable '%s' must have dimensions (%s)", r->path, name, w);
        return CR_ECONFIG;
    }
    if (!out) return CR_OK;
    if (cr_nc_check(nc_get_var_double(r->ncid, varid, out), r->path, name, r->log)) return CR_ECONFIG;
    double fv;
    if (nc_get_att_double(r->ncid, varid, "_FillValue", &fv) == NC_NOERR) {
        size_t n = 1;
        for (int k = 0; k < want; k++) {
            size_t len;
            nc_inq_dimlen(r->ncid, dimids[k], &len);
            n *= len;
        }
        for (size_t i = 0; i < n; i++)
            if (out[i] == fv) out[i] = NAN;
    }
    return CR_OK;
}

static int dim_len(const struct rd *r, const char *name, size_t *len, int required)
{
    int id;
    if (nc_inq_dimid(r->ncid, name, &id) != NC_NOERR) {
        if (required) cr_error(r->log, "%s: dimension '%s' is missing (layout vdf-1, docs/formats.md)", r->path, name);
        return CR_ECONFIG;
    }
    nc_inq_dimlen(r->ncid, id, len);
    return CR_OK;
}

static void get_text_att(int ncid, int varid, const char *name, char *buf, size_t n)
{
    size_t len;
    if (nc_inq_attlen(ncid, varid, name, &len) != NC_NOERR || len + 1 > n) return;
    if (nc_get_att_text(ncid, varid, name, buf) == NC_NOERR) buf[len] = '\0';
}

/* a bin axis: 1-D (dim) or per record and spacecraft (time, spacecraft, dim);
   fills centres (which = 0), lower (1) or upper (2) edges of every vdf */
static int read_axis(const struct rd *r, struct cr_vdf_set *s, int d, const char *name, int which, int required)
{
    const char *dim = s->grid == CR_VDF_SPHERICAL ? SPH[d] : CAR[d];
    size_t n = s->v[0]->n[d], nrec = s->nt * (size_t)s->nsc;
    const char *d1[] = {dim, NULL}, *d3[] = {"time", "spacecraft", dim, NULL};
    double *buf = malloc(nrec * n * sizeof(double));
    if (!buf) return CR_ENOMEM;
    int varid, ndims = 0, per, rc;
    if (nc_inq_varid(r->ncid, name, &varid) == NC_NOERR) nc_inq_varndims(r->ncid, varid, &ndims);
    per = ndims == 3;
    rc = read_var(r, name, per ? d3 : d1, buf, required || ndims > 0);
    if (rc == CR_OK)
        for (size_t q = 0; q < nrec; q++) {
            double *dst = which == 0 ? s->v[q]->c[d] : which == 1 ? s->v[q]->lo[d] : s->v[q]->hi[d];
            memcpy(dst, buf + (per ? q * n : 0), n * sizeof(double));
        }
    free(buf);
    return rc;
}

struct cr_vdf_set *cr_vdf_set_read(const char *path, const struct cr_log *log)
{
    int ncid = cr_nc_open_read(path, log);
    if (ncid < 0) return NULL;
    struct rd r = {ncid, path, log};
    struct cr_vdf_set *s = NULL;
    char grid[64] = "", layout[64] = "";
    get_text_att(ncid, NC_GLOBAL, "cusprate_layout", layout, sizeof layout);
    get_text_att(ncid, NC_GLOBAL, "grid_type", grid, sizeof grid);
    if (strcmp(layout, "vdf-1") != 0) {
        cr_error(log, "%s: global attribute cusprate_layout is '%s'; 'vdf-1' expected (docs/formats.md)", path, layout);
        goto fail;
    }
    enum cr_vdf_grid g;
    if (!strcmp(grid, "spherical")) g = CR_VDF_SPHERICAL;
    else if (!strcmp(grid, "cartesian")) g = CR_VDF_CARTESIAN;
    else {
        cr_error(log, "%s: global attribute grid_type is '%s'; 'spherical' or 'cartesian' expected", path, grid);
        goto fail;
    }
    const char *const *an = g == CR_VDF_SPHERICAL ? SPH : CAR;
    size_t nt, nsc, n[3], three;
    if (dim_len(&r, "time", &nt, 1) || dim_len(&r, "spacecraft", &nsc, 1) || dim_len(&r, "three", &three, 1) ||
        dim_len(&r, an[0], &n[0], 1) || dim_len(&r, an[1], &n[1], 1) || dim_len(&r, an[2], &n[2], 1))
        goto fail;
    if (nt == 0 || (nsc != 4 && nsc != 2) || three != 3 || !n[0] || !n[1] || !n[2]) {
        cr_error(log, "%s: dimensions time = %zu (>= 1), spacecraft = %zu (4 or 2), three = %zu (3), bins %zu x %zu "
                      "x %zu (>= 1 each)", path, nt, nsc, three, n[0], n[1], n[2]);
        goto fail;
    }
    double mass = 0, charge = 0;
    const char *d0[] = {NULL};
    if (read_var(&r, "mass", d0, &mass, 1) || read_var(&r, "charge", d0, &charge, 1)) goto fail;
    if (!(mass > 0) || !isfinite(mass) || !isfinite(charge) || charge == 0) {
        cr_error(log, "%s: mass %g kg must be > 0 and charge %g e non-zero", path, mass, charge);
        goto fail;
    }
    s = cr_vdf_set_new(g, nt, (int)nsc, n[0], n[1], n[2], mass, charge);
    if (!s) {
        cr_error(log, "%s: out of memory for %zu records of %zu x %zu x %zu bins", path, nt, n[0], n[1], n[2]);
        goto fail;
    }
    get_text_att(ncid, NC_GLOBAL, "coordinate_system", s->coords, sizeof s->coords);
    get_text_att(ncid, NC_GLOBAL, "species", s->species, sizeof s->species);
    const char *dt[] = {"time", NULL}, *dv[] = {"time", "spacecraft", "three", NULL},
               *ds[] = {"time", "spacecraft", NULL}, *dg[] = {"time", "three", NULL};
    if (read_var(&r, "time", dt, s->time, 1) || read_var(&r, "position", dv, s->pos, 1) ||
        read_var(&r, "B", dv, s->B, 1))
        goto fail;
    int tv;
    nc_inq_varid(ncid, "time", &tv);
    get_text_att(ncid, tv, "units", s->time_units, sizeof s->time_units);
    s->U = malloc(nt * nsc * 3 * sizeof(double));
    s->ref_n = malloc(nt * nsc * sizeof(double));
    s->ref_P = malloc(nt * nsc * sizeof(double));
    s->ref_grad_P = malloc(nt * 3 * sizeof(double));
    if (!s->U || !s->ref_n || !s->ref_P || !s->ref_grad_P) goto fail;
    int rc;
#define OPTIONAL(var, dims, ptr)                                                                                       \
    if ((rc = read_var(&r, var, dims, ptr, 0)) == CR_ECONFIG) goto fail;                                               \
    if (rc) {                                                                                                          \
        free(ptr);                                                                                                     \
        ptr = NULL;                                                                                                    \
    }
    OPTIONAL("bulk_velocity", dv, s->U)
    OPTIONAL("reference_n", ds, s->ref_n)
    OPTIONAL("reference_P", ds, s->ref_P)
    OPTIONAL("reference_grad_P", dg, s->ref_grad_P)
#undef OPTIONAL
    for (size_t i = 0; i < nt * nsc * 3; i++)
        if (!isfinite(s->pos[i]) || !isfinite(s->B[i]) || (s->U && !isfinite(s->U[i]))) {
            cr_error(log, "%s: position, B or bulk_velocity of record %zu, spacecraft %zu is not finite", path,
                     i / (3 * nsc), (i / 3) % nsc + 1);
            goto fail;
        }
    for (int d = 0; d < 3; d++)
        if (read_axis(&r, s, d, an[d], 0, 1)) goto fail;
    for (size_t q = 0; q < nt * nsc; q++) cr_vdf_default_edges(s->v[q]);
    if (g == CR_VDF_SPHERICAL &&
        (read_axis(&r, s, 0, "energy_lower", 1, 0) == CR_ECONFIG || read_axis(&r, s, 0, "energy_upper", 2, 0) == CR_ECONFIG))
        goto fail;
    const char *df[] = {"time", "spacecraft", an[0], an[1], an[2], NULL};
    size_t nb = n[0] * n[1] * n[2];
    double *fb = malloc(nt * nsc * nb * sizeof(double));
    if (!fb || read_var(&r, "f", df, fb, 1)) {
        free(fb);
        goto fail;
    }
    for (size_t q = 0; q < nt * nsc; q++) {
        for (size_t i = 0; i < nb; i++) {
            double x = fb[q * nb + i];
            s->v[q]->f[i] = isfinite(x) ? x : 0; /* not measured */
        }
        char what[4400];
        snprintf(what, sizeof what, "%s, record %zu, spacecraft %zu", path, q / nsc, q % nsc + 1);
        if (cr_vdf_check(s->v[q], what, log)) {
            free(fb);
            goto fail;
        }
    }
    free(fb);
    nc_close(ncid);
    return s;
fail:
    nc_close(ncid);
    cr_vdf_set_release(s);
    return NULL;
}

/* ---- writing ------------------------------------------------------------------ */

static int axis_shared(const struct cr_vdf_set *s, int d)
{
    const struct cr_vdf *v0 = s->v[0];
    for (size_t q = 1; q < s->nt * (size_t)s->nsc; q++)
        if (memcmp(s->v[q]->c[d], v0->c[d], v0->n[d] * sizeof(double)) ||
            memcmp(s->v[q]->lo[d], v0->lo[d], v0->n[d] * sizeof(double)) ||
            memcmp(s->v[q]->hi[d], v0->hi[d], v0->n[d] * sizeof(double)))
            return 0;
    return 1;
}

int cr_vdf_set_write(const struct cr_vdf_set *s, const char *path, const char *title, const struct cr_config *cfg,
                     const struct cr_log *log)
{
    struct cr_nc *f = cr_nc_create(path, title, cfg, log);
    if (!f) return CR_EIO;
    int id = cr_nc_id(f), rc = 0, sph = s->grid == CR_VDF_SPHERICAL;
    const char *const *an = sph ? SPH : CAR;
    size_t nrec = s->nt * (size_t)s->nsc;
    int dt, dsc, d3, db[3];
    rc |= cr_nc_def_dim(f, "time", s->nt, &dt);
    rc |= cr_nc_def_index_dim(f, "spacecraft", (size_t)s->nsc, "index of the spacecraft", NULL, &dsc);
    rc |= cr_nc_def_index_dim(f, "three", 3, "vector component in coordinate_system", "x y z", &d3);
    for (int d = 0; d < 3; d++) rc |= cr_nc_def_dim(f, an[d], s->v[0]->n[d], &db[d]);
    rc |= cr_nc_put_att_text(f, NC_GLOBAL, "cusprate_layout", "vdf-1");
    rc |= cr_nc_put_att_text(f, NC_GLOBAL, "grid_type", sph ? "spherical" : "cartesian");
    rc |= cr_nc_put_att_text(f, NC_GLOBAL, "coordinate_system", s->coords);
    rc |= cr_nc_put_att_text(f, NC_GLOBAL, "species", s->species);
    rc |= cr_nc_put_att_text(f, NC_GLOBAL, "velocity_direction", "particle velocity (not the look direction)");
    int v_time, v_mass, v_q, v_pos, v_B, v_U = -1, v_rn = -1, v_rp = -1, v_rg = -1, v_f, v_ax[3][3];
    rc |= cr_nc_def_var(f, "time", NC_DOUBLE, 1, &dt, s->time_units, "time of the record", "", "time", &v_time);
    rc |= cr_nc_def_var(f, "mass", NC_DOUBLE, 0, NULL, "kg", "particle mass", "", NULL, &v_mass);
    rc |= cr_nc_def_var(f, "charge", NC_DOUBLE, 0, NULL, "1", "particle charge in elementary charges", "", NULL, &v_q);
    int dv[3] = {dt, dsc, d3}, dsn[2] = {dt, dsc}, dg[2] = {dt, d3};
    rc |= cr_nc_def_var(f, "position", NC_DOUBLE, 3, dv, "km", "spacecraft position", s->coords, NULL, &v_pos);
    rc |= cr_nc_def_var(f, "B", NC_DOUBLE, 3, dv, "nT", "magnetic field at the spacecraft", s->coords, NULL, &v_B);
    if (s->U)
        rc |= cr_nc_def_var(f, "bulk_velocity", NC_DOUBLE, 3, dv, "km/s", "bulk velocity of the species", s->coords,
                            NULL, &v_U);
    if (s->ref_n)
        rc |= cr_nc_def_var(f, "reference_n", NC_DOUBLE, 2, dsn, "cm-3", "model density at the spacecraft", "", NULL,
                            &v_rn);
    if (s->ref_P)
        rc |= cr_nc_def_var(f, "reference_P", NC_DOUBLE, 2, dsn, "nPa", "model pressure at the spacecraft", "", NULL,
                            &v_rp);
    if (s->ref_grad_P)
        rc |= cr_nc_def_var(f, "reference_grad_P", NC_DOUBLE, 2, dg, "nPa/km",
                            "model pressure gradient at the barycentre", s->coords, NULL, &v_rg);
    static const char *const suffix[3] = {"", "_lower", "_upper"};
    static const char *const what[3] = {"bin centre", "lower bin edge", "upper bin edge"};
    const char *units[3] = {sph ? "eV" : "km/s", sph ? "degree" : "km/s", sph ? "degree" : "km/s"};
    int shared[3];
    for (int d = 0; d < 3; d++) {
        shared[d] = axis_shared(s, d);
        int dims3[3] = {dt, dsc, db[d]};
        for (int w = 0; w < 3; w++) {
            v_ax[d][w] = -1;
            if (w && !(sph && d == 0)) continue; /* edges written for energy only (angles: midpoints) */
            char name[64], ln[128];
            snprintf(name, sizeof name, "%s%s", an[d], suffix[w]);
            snprintf(ln, sizeof ln, "%s %s", an[d], what[w]);
            rc |= cr_nc_def_var(f, name, NC_DOUBLE, shared[d] ? 1 : 3, shared[d] ? &db[d] : dims3, units[d], ln,
                                sph && d ? "angle of the particle velocity" : "", NULL, &v_ax[d][w]);
        }
    }
    int df[5] = {dt, dsc, db[0], db[1], db[2]};
    rc |= cr_nc_def_var(f, "f", NC_DOUBLE, 5, df, "s3 cm-6", "phase-space density", "", NULL, &v_f);
    if (rc) {
        cr_nc_discard(f);
        return CR_EIO;
    }
    rc |= nc_put_var_double(id, v_time, s->time);
    rc |= nc_put_var_double(id, v_mass, &s->mass);
    rc |= nc_put_var_double(id, v_q, &s->charge);
    rc |= nc_put_var_double(id, v_pos, s->pos);
    rc |= nc_put_var_double(id, v_B, s->B);
    if (s->U) rc |= nc_put_var_double(id, v_U, s->U);
    if (s->ref_n) rc |= nc_put_var_double(id, v_rn, s->ref_n);
    if (s->ref_P) rc |= nc_put_var_double(id, v_rp, s->ref_P);
    if (s->ref_grad_P) rc |= nc_put_var_double(id, v_rg, s->ref_grad_P);
    for (int d = 0; d < 3; d++)
        for (int w = 0; w < 3; w++) {
            if (v_ax[d][w] < 0) continue;
            size_t n = s->v[0]->n[d];
            for (size_t q = 0; q < (shared[d] ? 1 : nrec); q++) {
                const double *src = w == 0 ? s->v[q]->c[d] : w == 1 ? s->v[q]->lo[d] : s->v[q]->hi[d];
                size_t st[3] = {q / (size_t)s->nsc, q % (size_t)s->nsc, 0}, ct[3] = {1, 1, n};
                if (shared[d]) rc |= nc_put_var_double(id, v_ax[d][w], src);
                else rc |= nc_put_vara_double(id, v_ax[d][w], st, ct, src);
            }
        }
    for (size_t q = 0; q < nrec; q++) {
        size_t st[5] = {q / (size_t)s->nsc, q % (size_t)s->nsc, 0, 0, 0},
               ct[5] = {1, 1, s->v[0]->n[0], s->v[0]->n[1], s->v[0]->n[2]};
        rc |= nc_put_vara_double(id, v_f, st, ct, s->v[q]->f);
    }
    if (rc) {
        cr_error(log, "%s: writing the distributions failed", path);
        cr_nc_discard(f);
        return CR_EIO;
    }
    return cr_nc_commit(f);
}
