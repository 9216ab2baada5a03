/* cr_field_mhd.c — MHD slices of an mhd.h5 file (GAMERA/kaipy layout) as a
 * field source: curvilinear location, trilinear interpolation between cell
 * centres, linear interpolation in time over a two-slice window (see
 * cr_field_mhd.h). */
#include "cr_field_mhd.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_h5.h"
#include "../core/cr_units.h"

enum { V_BX = 0, V_BY, V_BZ, V_VX, V_VY, V_VZ, V_D, V_P, NVAR };
static const char *const var_name[NVAR] = {"Bx", "By", "Bz", "Vx", "Vy", "Vz", "D", "P"};

struct slice_ref {
    long step;
    double time;
};

struct cr_field_mhd {
    struct cr_field base; /* first: the vtable view */
    char path[4096];
    const struct cr_log *log;
    hid_t fid;
    int load;
    int use[NVAR];
    double b_e;
    double r_proj;        /* points in [r_inner, r_proj) outside the grid are projected to r_proj */
    struct cr_grid *grid;
    int lfm;
    int split;            /* B stored as the deviation from the dipole (spherical grids) */
    int ns;
    struct slice_ref *sl;
    /* Two slots, each a node-sized array of cell records (ghost layer
     * filled): the loaded variables of a cell side by side (lane[q]), the
     * record padded to `stride` = 4 or 8 doubles, so one evaluation reads
     * each of its eight cells' records in one piece and interpolates all
     * variables in one vectorisable loop. */
    double *rec[2];
    int stride;
    int lane[NVAR];       /* position of variable q in a record (-1: not loaded) */
    int held[2];          /* slice index held by each slot (-1 none) */
    int sa, sb;           /* slots of the window's first and second slice (-1 before set_time) */
    double ta, tb;
    double *tmp;          /* read buffer, nk * nj * ni */
};

/* ---- evaluation ------------------------------------------------------------ */

/* The cell-data stencil of a located point: the low cell of the eight
 * surrounding cell centres and the weights (cr_grid_interp_cell: trilinear
 * between the centres in logical coordinates index + u - 1/2), found once
 * per evaluation and shared by every variable and both slices. The weight
 * is taken from u directly (u - 1/2 or u + 1/2, exact or within an ulp of
 * 1) rather than from index + u - 1/2, whose rounding grows with the index:
 * two locations of one point that differ in the last bit of u then give
 * weights that differ by no more. */
struct stencil {
    size_t m;
    double u, v, w;
};

static inline void stencil_at(const struct cr_grid *g, const struct cr_grid_loc *loc, struct stencil *st)
{
    const int idx[3] = {loc->i, loc->j, loc->k};
    const double uvw[3] = {loc->u, loc->v, loc->w};
    int i0[3];
    double t[3];
    for (int d = 0; d < 3; d++) {
        if (uvw[d] >= 0.5) {
            i0[d] = idx[d];
            t[d] = uvw[d] - 0.5;
        } else {
            i0[d] = idx[d] - 1;
            t[d] = uvw[d] + 0.5;
        }
    }
    st->m = CR_GIDX(g, i0[0], i0[1], i0[2]);
    st->u = t[0];
    st->v = t[1];
    st->w = t[2];
}

/* Trilinear blend (the arithmetic of cr_grid_interp_cell) of the records
 * of `ns` doubles on a stencil, lane by lane, into out[ns]. Called with a
 * constant ns, the loop is unrolled and vectorised. */
static inline void stencil_blend(const double *rec, const struct stencil *st, size_t sj, size_t sk, int ns,
                                 double *out)
{
    const double *p00 = rec + (size_t)ns * st->m, *p10 = rec + (size_t)ns * (st->m + sj);
    const double *p01 = rec + (size_t)ns * (st->m + sk), *p11 = rec + (size_t)ns * (st->m + sk + sj);
    const double u = st->u, v = st->v, w = st->w;
    for (int q = 0; q < ns; q++) {
        double f00 = (1 - u) * p00[q] + u * p00[ns + q];
        double f10 = (1 - u) * p10[q] + u * p10[ns + q];
        double f01 = (1 - u) * p01[q] + u * p01[ns + q];
        double f11 = (1 - u) * p11[q] + u * p11[ns + q];
        out[q] = (1 - w) * ((1 - v) * f00 + v * f10) + w * ((1 - v) * f01 + v * f11);
    }
}

/* Both slices at the stencil, linear in time with weight w of the second:
 * out[ns] = (1 - w) a + w b (a alone when w = 0). */
static inline void time_blend(const struct cr_field_mhd *m, const struct stencil *st, double w, int ns,
                              double *out)
{
    const size_t sj = m->grid->sj, sk = m->grid->sk;
    double a[8], b[8];
    stencil_blend(m->rec[m->sa], st, sj, sk, ns, a);
    if (w == 0.0) { /* one slice: (1 - 0) a + 0 b is a */
        memcpy(out, a, (size_t)ns * sizeof *out);
        return;
    }
    stencil_blend(m->rec[m->sb], st, sj, sk, ns, b);
    for (int q = 0; q < ns; q++) out[q] = (1.0 - w) * a[q] + w * b[q];
}

/* The dipole (cr_dipole_field) with r^2 and r already known. */
static inline void dipole_r(double b_e, const double x[3], double r2, double r, double B[3])
{
    double r5 = r2 * r2 * r;
    B[0] = b_e * (-3.0 * x[2] * x[0]) / r5;
    B[1] = b_e * (-3.0 * x[2] * x[1]) / r5;
    B[2] = b_e * (-3.0 * x[2] * x[2] + r2) / r5;
}

/* Locate p walking from the hint (i = -1: none) into *loc. A walk from a
 * far hint can stop at an open boundary the straight way crosses (the hole
 * of the inner boundary between the tail and the dayside) and call the point
 * outside: a failed hinted search is repeated without the hint, so the
 * answer (inside or not) is always the fresh search's. */
static int locate(const struct cr_grid *g, const double p[3], const struct cr_grid_loc *hint,
                  struct cr_grid_loc *loc)
{
    *loc = *hint;
    if (cr_grid_locate(g, p, loc) == CR_OK) return CR_OK;
    if (hint->i < 0) return CR_EDOMAIN;
    *loc = (struct cr_grid_loc){.i = -1, .j = -1, .k = -1};
    return cr_grid_locate(g, p, loc);
}

/* Evaluation with the location hint `hint` (i = -1: none); on success *hint
 * is the point's location (or that of its projection on the grid's inner
 * shell), on CR_EDOMAIN it is unchanged. */
static int mhd_eval_loc(const struct cr_field_mhd *m, double t, const double x[3], struct cr_grid_loc *hint,
                        struct cr_field_sample *s)
{
    memset(s, 0, sizeof *s);
    double r2 = x[0] * x[0] + x[1] * x[1] + x[2] * x[2];
    double r = sqrt(r2);
    if (!isfinite(r)) return CR_EDOMAIN;
    if (r < m->base.r_inner) {
        if (r == 0) return CR_EDOMAIN;
        dipole_r(m->b_e, x, r2, r, s->B);
        s->inside = 1;
        return CR_OK;
    }
    if (m->sa < 0) return CR_EDOMAIN;
    double w = 0.0;
    if (m->sb != m->sa) {
        double span = m->tb - m->ta, tol = 1e-9 * span;
        if (t < m->ta - tol || t > m->tb + tol) return CR_EDOMAIN;
        w = (t - m->ta) / span;
        w = w < 0 ? 0 : w > 1 ? 1 : w;
    }
    struct cr_grid_loc loc;
    if (locate(m->grid, x, hint, &loc) != CR_OK) {
        /* between the inner sphere and the grid's faceted inner shell */
        if (r >= m->r_proj) return CR_EDOMAIN;
        double xp[3] = {x[0] * m->r_proj / r, x[1] * m->r_proj / r, x[2] * m->r_proj / r};
        if (locate(m->grid, xp, hint, &loc) != CR_OK) return CR_EDOMAIN;
    }
    *hint = loc;
    struct stencil st;
    stencil_at(m->grid, &loc, &st);
    double lanes[8], v[NVAR];
    if (m->stride == 8) time_blend(m, &st, w, 8, lanes);
    else time_blend(m, &st, w, 4, lanes);
    for (int q = 0; q < NVAR; q++) v[q] = m->lane[q] >= 0 ? lanes[m->lane[q]] : 0.0;
    double bd[3] = {0, 0, 0};
    if (m->split) dipole_r(m->b_e, x, r2, r, bd);
    for (int c = 0; c < 3; c++) {
        s->B[c] = v[V_BX + c] + bd[c];
        s->V[c] = v[V_VX + c];
    }
    s->D = v[V_D];
    s->P = v[V_P];
    /* E = -V x B: (km/s)(nT) = 1e-6 V/m = 1e-3 mV/m */
    s->E[0] = -1e-3 * (s->V[1] * s->B[2] - s->V[2] * s->B[1]);
    s->E[1] = -1e-3 * (s->V[2] * s->B[0] - s->V[0] * s->B[2]);
    s->E[2] = -1e-3 * (s->V[0] * s->B[1] - s->V[1] * s->B[0]);
    return CR_OK;
}

static int mhd_eval(const struct cr_field *f, double t, const double x[3], struct cr_field_sample *s)
{
    struct cr_grid_loc loc = {.i = -1, .j = -1, .k = -1};
    return mhd_eval_loc((const struct cr_field_mhd *)f, t, x, &loc, s);
}

/* Hinted: the location walks from the caller's previous cell, and Newton
 * starts from its previous local coordinates. */
static int mhd_eval_hint(const struct cr_field *f, double t, const double x[3], struct cr_field_hint *h,
                         struct cr_field_sample *s)
{
    struct cr_grid_loc loc = {.i = -1, .j = -1, .k = -1};
    if (h->valid) loc = h->loc;
    int rc = mhd_eval_loc((const struct cr_field_mhd *)f, t, x, &loc, s);
    if (rc == CR_OK && loc.i >= 0) {
        h->loc = loc;
        h->valid = 1;
    }
    return rc;
}

static void mhd_release_vt(struct cr_field *f) { cr_field_mhd_release((struct cr_field_mhd *)f); }

static const struct cr_field_vtable mhd_vt = {mhd_eval, mhd_release_vt};

/* ---- file structure ------------------------------------------------------- */

static herr_t collect_steps(hid_t loc, const char *name, const H5L_info_t *info, void *op)
{
    (void)loc;
    (void)info;
    struct cr_field_mhd *m = op;
    if (strncmp(name, "Step#", 5) != 0) return 0;
    char *end = NULL;
    long n = strtol(name + 5, &end, 10);
    if (!end || *end != '\0' || end == name + 5) return 0;
    struct slice_ref *nv = realloc(m->sl, (size_t)(m->ns + 1) * sizeof *nv);
    if (!nv) return -1;
    m->sl = nv;
    m->sl[m->ns].step = n;
    m->sl[m->ns].time = NAN;
    m->ns++;
    return 0;
}

static int cmp_slice(const void *a, const void *b)
{
    const struct slice_ref *x = a, *y = b;
    return x->time < y->time ? -1 : x->time > y->time ? 1 : 0;
}

/* The file a slice object lives in, for messages: mhd.h5 itself, or the
 * slice file its Step#N group links to ("slice.h5 (Step#3 of mhd.h5)"). */
static void obj_file(const struct cr_field_mhd *m, const char *name, char *buf, size_t n)
{
    char f[4096];
    cr_h5_object_file(m->fid, name, m->path, f, sizeof f);
    if (!strcmp(f, m->path)) snprintf(buf, n, "%s", f);
    else if (snprintf(buf, n, "%s (%.*s of %s)", f, (int)strcspn(name, "/"), name, m->path) < 0)
        snprintf(buf, n, "%s", m->path);
}

/* Shape check of one dataset: CR_ECONFIG (logged) when missing or wrong. */
static int check_shape(const struct cr_field_mhd *m, const char *name, const hsize_t want[3])
{
    int rank;
    hsize_t dims[8];
    char file[4400];
    obj_file(m, name, file, sizeof file);
    if (H5Lexists(m->fid, name, H5P_DEFAULT) <= 0) {
        cr_error(m->log, "%s: dataset '%s' is missing (file missing, truncated or damaged?)", file, name);
        return CR_ECONFIG;
    }
    if (cr_h5_shape(m->fid, name, &rank, dims, file, m->log)) return CR_ECONFIG;
    if (rank != 3 || dims[0] != want[0] || dims[1] != want[1] || dims[2] != want[2]) {
        char got[128] = "";
        for (int d = 0; d < rank && d < 4; d++) {
            char one[32];
            snprintf(one, sizeof one, "%s%llu", d ? " x " : "", (unsigned long long)dims[d]);
            strncat(got, one, sizeof got - strlen(got) - 1);
        }
        cr_error(m->log, "%s: dataset '%s' has shape (%s), expected (%llu x %llu x %llu) = (Nk, Nj, Ni)%s", file,
                 name, got, (unsigned long long)want[0], (unsigned long long)want[1], (unsigned long long)want[2],
                 name[0] == 'S' ? " of the cells" : " + 1 corners");
        return CR_ECONFIG;
    }
    return CR_OK;
}

/* The dipole strength from the background field Bx0, By0, Bz0 [nT] at the
 * cell centres, when the file has it: least squares b_e = sum(B0 . d) /
 * sum(d . d) with d the dipole of unit strength at each centroid, accepted
 * when the relative residual is below 1 % (the background is a dipole).
 * 1 when fitted, 0 when not (b_e unchanged), -1 out of memory. */
static int fit_dipole(struct cr_field_mhd *m, int nk, int nj, int ni)
{
    const hsize_t celld[3] = {(hsize_t)nk, (hsize_t)nj, (hsize_t)ni};
    static const char *const bn[3] = {"Bx0", "By0", "Bz0"};
    for (int q = 0; q < 3; q++) {
        int rank;
        hsize_t dims[8];
        if (H5Lexists(m->fid, bn[q], H5P_DEFAULT) <= 0) return 0;
        if (cr_h5_shape(m->fid, bn[q], &rank, dims, m->path, NULL) || rank != 3 || dims[0] != celld[0] ||
            dims[1] != celld[1] || dims[2] != celld[2])
            return 0;
    }
    size_t n = (size_t)nk * nj * ni;
    double *b[3];
    int ok = 1;
    for (int q = 0; q < 3; q++) {
        b[q] = malloc(n * sizeof(double));
        if (!b[q]) ok = -1;
    }
    for (int q = 0; q < 3 && ok == 1; q++)
        if (cr_h5_read_doubles(m->fid, bn[q], b[q], n, m->path, NULL)) ok = 0;
    if (ok == 1) {
        const struct cr_grid *g = m->grid;
        double bd = 0.0, dd = 0.0, bb = 0.0;
        for (int k = 0; k < nk; k++)
            for (int j = 0; j < nj; j++)
                for (int i = 0; i < ni; i++) {
                    size_t c = CR_GIDX(g, i, j, k), f = ((size_t)k * nj + j) * ni + i;
                    double x[3] = {g->cx[c], g->cy[c], g->cz[c]}, d[3];
                    cr_dipole_field(1.0, x, d);
                    for (int q = 0; q < 3; q++) {
                        bd += b[q][f] * d[q];
                        dd += d[q] * d[q];
                        bb += b[q][f] * b[q][f];
                    }
                }
        double be = dd > 0 ? bd / dd : 0.0;
        /* sum |B0 - be d|^2 (round-off can make it slightly negative for an exact dipole) */
        double res2 = fmax(0.0, bb - 2.0 * be * bd + be * be * dd);
        if (be > 0 && bb > 0 && sqrt(res2 / bb) < 0.01) {
            m->b_e = be;
            m->base.b_e = be;
        } else {
            ok = 0;
            cr_warn(m->log, "%s: the background field Bx0, By0, Bz0 is not a dipole (residual %.2g); using b_e = %g nT",
                    m->path, bb > 0 ? sqrt(res2 / bb) : 0.0, m->b_e);
        }
    }
    for (int q = 0; q < 3; q++) free(b[q]);
    return ok;
}

struct cr_field_mhd *cr_field_mhd_new(const struct cr_field_mhd_inp *inp, int *status)
{
    int st_dummy;
    if (!status) status = &st_dummy;
    *status = CR_ECONFIG;
    const struct cr_log *log = inp ? inp->log : NULL;
    if (!inp || !inp->path) {
        cr_error(log, "mhd field: no file given");
        return NULL;
    }
    struct cr_field_mhd *m = cr_zalloc(1, sizeof *m);
    if (!m) {
        *status = CR_ENOMEM;
        return NULL;
    }
    m->base.vt = &mhd_vt;
    m->base.eval_hint = mhd_eval_hint;
    m->base.name = "mhd-slice";
    m->log = log;
    m->fid = -1;
    m->sa = m->sb = -1;
    m->held[0] = m->held[1] = -1;
    m->ta = m->tb = NAN;
    snprintf(m->path, sizeof m->path, "%s", inp->path);
    m->load = inp->load ? inp->load : CR_MHD_LOAD_ALL;
    m->use[V_BX] = m->use[V_BY] = m->use[V_BZ] = (m->load & CR_MHD_LOAD_B) != 0;
    m->use[V_VX] = m->use[V_VY] = m->use[V_VZ] = (m->load & CR_MHD_LOAD_V) != 0;
    m->use[V_D] = (m->load & CR_MHD_LOAD_D) != 0;
    m->use[V_P] = (m->load & CR_MHD_LOAD_P) != 0;
    m->b_e = inp->b_e > 0 ? inp->b_e : 30000.0;
    m->base.b_e = m->b_e;
    int rc = CR_OK;
    m->fid = cr_h5_open_read(m->path, log);
    if (m->fid < 0) {
        cr_field_mhd_release(m);
        return NULL; /* a missing or unreadable input file is an input error */
    }
    /* grid corners */
    int rank;
    hsize_t dims[8];
    if (H5Lexists(m->fid, "X", H5P_DEFAULT) <= 0 || cr_h5_shape(m->fid, "X", &rank, dims, m->path, log)) {
        cr_error(log, "%s: corner dataset 'X' is missing (not an mhd.h5 / GAMERA file?)", m->path);
        cr_field_mhd_release(m);
        return NULL;
    }
    if (rank != 3 || dims[0] < 2 || dims[1] < 2 || dims[2] < 2) {
        cr_error(log, "%s: corner dataset 'X' must have shape (Nk+1, Nj+1, Ni+1) with every N >= 1", m->path);
        cr_field_mhd_release(m);
        return NULL;
    }
    const hsize_t cdims[3] = {dims[0], dims[1], dims[2]};
    const int nk = (int)dims[0] - 1, nj = (int)dims[1] - 1, ni = (int)dims[2] - 1;
    rc = check_shape(m, "Y", cdims);
    if (!rc) rc = check_shape(m, "Z", cdims);
    size_t ncorner = (size_t)cdims[0] * cdims[1] * cdims[2];
    double *cx = NULL, *cy = NULL, *cz = NULL;
    if (!rc) {
        cx = malloc(ncorner * sizeof *cx);
        cy = malloc(ncorner * sizeof *cy);
        cz = malloc(ncorner * sizeof *cz);
        if (!cx || !cy || !cz) rc = CR_ENOMEM;
    }
    if (!rc) rc = cr_h5_read_doubles(m->fid, "X", cx, ncorner, m->path, log);
    if (!rc) rc = cr_h5_read_doubles(m->fid, "Y", cy, ncorner, m->path, log);
    if (!rc) rc = cr_h5_read_doubles(m->fid, "Z", cz, ncorner, m->path, log);
    if (!rc) {
        m->grid = cr_grid_new_from_corners(ni, nj, nk, cx, cy, cz, log);
        if (!m->grid) {
            cr_error(log, "%s: the corner arrays X, Y, Z do not form a valid grid", m->path);
            rc = CR_ECONFIG;
        }
    }
    free(cx);
    free(cy);
    free(cz);
    if (rc) {
        *status = rc == CR_ENOMEM ? CR_ENOMEM : rc == CR_EIO ? CR_EIO : CR_ECONFIG;
        cr_field_mhd_release(m);
        return NULL;
    }
    const struct cr_grid *g = m->grid;
    m->lfm = g->kind == CR_GRID_LFM;
    m->split = m->lfm;
    if (!(inp->b_e > 0) && m->lfm) {
        int fit = fit_dipole(m, nk, nj, ni);
        if (fit < 0) {
            cr_field_mhd_release(m);
            *status = CR_ENOMEM;
            return NULL;
        }
    }
    /* inner boundary: smallest radius of the i = 0 corners, and how far the
     * faceted shell dips below it (face centres) */
    double rmin = INFINITY, rface = INFINITY;
    for (int k = 0; k <= nk; k++)
        for (int j = 0; j <= nj; j++) {
            size_t q = CR_GIDX(g, 0, j, k);
            rmin = fmin(rmin, sqrt(g->x[q] * g->x[q] + g->y[q] * g->y[q] + g->z[q] * g->z[q]));
        }
    for (int k = 0; k < nk; k++)
        for (int j = 0; j < nj; j++) {
            double c[3] = {0, 0, 0};
            for (int a = 0; a < 4; a++) {
                size_t q = CR_GIDX(g, 0, j + (a & 1), k + (a >> 1));
                c[0] += 0.25 * g->x[q];
                c[1] += 0.25 * g->y[q];
                c[2] += 0.25 * g->z[q];
            }
            rface = fmin(rface, sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]));
        }
    /* an inner boundary only for the spherical (LFM-style) grids */
    m->base.r_inner = inp->r_inner > 0 ? inp->r_inner : m->lfm ? rmin : 0.0;
    m->r_proj = m->base.r_inner + 2.0 * fmax(0.0, rmin - rface) + 1e-9 * rmin;
    m->base.r_outer = 0.0; /* the grid's edge bounds the domain (eval returns CR_EDOMAIN) */
    /* slices */
    H5Literate(m->fid, H5_INDEX_NAME, H5_ITER_NATIVE, NULL, collect_steps, m);
    if (m->ns == 0) {
        cr_error(log, "%s: no slice groups 'Step#N' found", m->path);
        cr_field_mhd_release(m);
        return NULL;
    }
    const hsize_t celld[3] = {(hsize_t)nk, (hsize_t)nj, (hsize_t)ni};
    for (int s = 0; s < m->ns && !rc; s++) {
        char grp[64], name[96];
        snprintf(grp, sizeof grp, "Step#%ld", m->sl[s].step);
        if (cr_h5_read_attr_double(m->fid, grp, "time", &m->sl[s].time) || !isfinite(m->sl[s].time)) {
            char file[4400];
            obj_file(m, grp, file, sizeof file);
            cr_error(log, "%s: slice group '%s' has no numeric attribute 'time' [s] (file missing, truncated or "
                     "damaged?)", file, grp);
            rc = CR_ECONFIG;
        }
        for (int q = 0; q < NVAR && !rc; q++) {
            if (!m->use[q]) continue;
            snprintf(name, sizeof name, "%s/%s", grp, var_name[q]);
            rc = check_shape(m, name, celld);
        }
    }
    if (!rc) {
        qsort(m->sl, (size_t)m->ns, sizeof *m->sl, cmp_slice);
        for (int s = 1; s < m->ns && !rc; s++)
            if (!(m->sl[s].time > m->sl[s - 1].time)) {
                cr_error(log, "%s: slices Step#%ld and Step#%ld have the same time %g s", m->path,
                         m->sl[s - 1].step, m->sl[s].step, m->sl[s].time);
                rc = CR_ECONFIG;
            }
    }
    if (!rc) {
        int nl = 0;
        for (int q = 0; q < NVAR; q++) m->lane[q] = m->use[q] ? nl++ : -1;
        m->stride = nl <= 4 ? 4 : 8;
        m->tmp = malloc((size_t)ni * nj * nk * sizeof *m->tmp);
        for (int a = 0; a < 2 && m->tmp; a++) {
            m->rec[a] = cr_zalloc(g->ntot * (size_t)m->stride, sizeof(double));
            if (!m->rec[a]) rc = CR_ENOMEM;
        }
        if (!m->tmp) rc = CR_ENOMEM;
        if (rc) cr_error(log, "%s: out of memory for two slices", m->path);
    }
    if (rc) {
        *status = rc;
        cr_field_mhd_release(m);
        return NULL;
    }
    m->base.t_min = m->sl[0].time;
    m->base.t_max = m->sl[m->ns - 1].time;
    *status = CR_OK;
    return m;
}

struct cr_field *cr_field_mhd_field(struct cr_field_mhd *m) { return &m->base; }
int cr_field_mhd_nslices(const struct cr_field_mhd *m) { return m->ns; }
double cr_field_mhd_slice_time(const struct cr_field_mhd *m, int n)
{
    return n >= 0 && n < m->ns ? m->sl[n].time : NAN;
}
const struct cr_grid *cr_field_mhd_grid(const struct cr_field_mhd *m) { return m->grid; }

void cr_field_mhd_window(const struct cr_field_mhd *m, double *t_a, double *t_b)
{
    *t_a = m->ta;
    *t_b = m->tb;
}

void cr_field_mhd_release(struct cr_field_mhd *m)
{
    if (!m) return;
    if (m->fid >= 0) H5Fclose(m->fid);
    cr_grid_release(m->grid);
    for (int a = 0; a < 2; a++) free(m->rec[a]);
    free(m->tmp);
    free(m->sl);
    free(m);
}

/* ---- loading slices --------------------------------------------------------- */

/* Fill the one ghost layer the cell interpolation reads: across the axis
 * of an LFM grid from the cell on the other side, periodic in azimuth, and a
 * copy of the nearest active cell across open boundaries (for B on a
 * spherical grid the stored values are deviations from the dipole, so the
 * copy extends the deviation, not the steep dipole). */
static void fill_ghosts(const struct cr_field_mhd *m, double *rec)
{
    const size_t ns = (size_t)m->stride;
    const struct cr_grid *g = m->grid;
    const int ni = g->ni, nj = g->nj, nk = g->nk;
    for (int k = -1; k <= nk; k++)
        for (int j = -1; j <= nj; j++)
            for (int i = -1; i <= ni; i++) {
                if (i >= 0 && i < ni && j >= 0 && j < nj && k >= 0 && k < nk) continue;
                int si = i, sj = j, sk = k;
                if (m->lfm) {
                    if (sj < 0) {
                        sj = -1 - sj;
                        sk += nk / 2;
                    } else if (sj >= nj) {
                        sj = 2 * nj - 1 - sj;
                        sk += nk / 2;
                    }
                    sk = ((sk % nk) + nk) % nk;
                } else {
                    sj = sj < 0 ? 0 : sj >= nj ? nj - 1 : sj;
                    sk = sk < 0 ? 0 : sk >= nk ? nk - 1 : sk;
                }
                si = si < 0 ? 0 : si >= ni ? ni - 1 : si;
                memcpy(rec + ns * CR_GIDX(g, i, j, k), rec + ns * CR_GIDX(g, si, sj, sk), ns * sizeof *rec);
            }
}

/* What a slice value may be, in the units of the file (GAMERA: B [nT],
 * V [km/s], D [#/cc], P [nPa]). A value outside is a damaged or foreign
 * file, refused before it turns into infinite particle weights or fields:
 * |B| components up to 1e6 nT (16 times the field at the Earth's surface,
 * far above any grid's inner boundary), |V| components below the speed of
 * light, densities in [0, 1e7] #/cc (above the ionosphere's F-region peak,
 * 1e6 #/cc) and pressures in [0, 1e6] nPa (a 1e7 #/cc, 1e9 K plasma is
 * 1.4e5 nPa). Code-unit (dimensionless) verification files lie well inside. */
static const struct {
    double lo, hi;
    const char *unit;
} slice_range[NVAR] = {{-1e6, 1e6, "nT"}, {-1e6, 1e6, "nT"}, {-1e6, 1e6, "nT"},
                       {-CR_C / 1e3, CR_C / 1e3, "km/s"}, {-CR_C / 1e3, CR_C / 1e3, "km/s"},
                       {-CR_C / 1e3, CR_C / 1e3, "km/s"}, {0.0, 1e7, "#/cc"}, {0.0, 1e6, "nPa"}};

static int load_slice(struct cr_field_mhd *m, int s, int slot)
{
    const struct cr_grid *g = m->grid;
    const int ni = g->ni, nj = g->nj, nk = g->nk;
    const size_t n = (size_t)ni * nj * nk;
    m->held[slot] = -1;
    for (int q = 0; q < NVAR; q++) {
        if (!m->use[q]) continue;
        char name[96];
        snprintf(name, sizeof name, "Step#%ld/%s", m->sl[s].step, var_name[q]);
        char file[4400];
        obj_file(m, name, file, sizeof file);
        int rc = cr_h5_read_doubles(m->fid, name, m->tmp, n, file, m->log);
        if (rc) return CR_ECONFIG; /* a damaged input (named): exit status 2 */
        const size_t ns = (size_t)m->stride;
        double *d = m->rec[slot] + m->lane[q];
        for (int k = 0; k < nk; k++)
            for (int j = 0; j < nj; j++) {
                const double *row = m->tmp + ((size_t)k * nj + j) * ni;
                double *out = d + ns * CR_GIDX(g, 0, j, k);
                for (int i = 0; i < ni; i++) {
                    if (!(row[i] >= slice_range[q].lo && row[i] <= slice_range[q].hi)) { /* NaN too */
                        size_t c = CR_GIDX(g, i, j, k);
                        cr_error(m->log,
                                 "%s: %s = %.17g %s at time %g s in cell (i=%d, j=%d, k=%d) at (%.3f, %.3f, %.3f) R_E: "
                                 "%s; allowed [%g, %g] %s",
                                 file, name, row[i], slice_range[q].unit, m->sl[s].time, i, j, k, g->cx[c], g->cy[c],
                                 g->cz[c], isfinite(row[i]) ? "out of range" : "not a finite number",
                                 slice_range[q].lo, slice_range[q].hi, slice_range[q].unit);
                        return CR_ECONFIG;
                    }
                    out[ns * (size_t)i] = row[i];
                }
            }
    }
    if (m->split && m->use[V_BX]) {
        /* B as the deviation from the dipole at the cell centroid */
        const size_t ns = (size_t)m->stride;
        double *b = m->rec[slot] + m->lane[V_BX]; /* Bx, By, Bz in consecutive lanes */
        for (int k = 0; k < nk; k++)
            for (int j = 0; j < nj; j++)
                for (int i = 0; i < ni; i++) {
                    size_t c = CR_GIDX(g, i, j, k);
                    double xc[3] = {g->cx[c], g->cy[c], g->cz[c]}, bd[3];
                    cr_dipole_field(m->b_e, xc, bd);
                    for (int q = 0; q < 3; q++) b[ns * c + q] -= bd[q];
                }
    }
    fill_ghosts(m, m->rec[slot]);
    m->held[slot] = s;
    return CR_OK;
}

int cr_field_mhd_set_time(struct cr_field_mhd *m, double t)
{
    const double t0 = m->sl[0].time, t1 = m->sl[m->ns - 1].time;
    int a;
    if (m->ns == 1) {
        a = 0;
    } else {
        double tol = 1e-9 * (t1 - t0);
        if (!(t >= t0 - tol && t <= t1 + tol)) {
            cr_error(m->log, "%s: no slice brackets t = %g s (slices cover %g..%g s)", m->path, t, t0, t1);
            return CR_ECONFIG;
        }
        a = 0;
        while (a < m->ns - 2 && m->sl[a + 1].time <= t) a++;
    }
    int b = m->ns == 1 ? a : a + 1;
    if (m->sa >= 0 && m->held[m->sa] == a && m->held[m->sb] == b) return CR_OK;
    /* reuse a slot that already holds a or b */
    int slot_a = m->held[0] == a ? 0 : m->held[1] == a ? 1 : -1;
    int slot_b = (b != a) ? (m->held[0] == b ? 0 : m->held[1] == b ? 1 : -1) : slot_a;
    m->sa = m->sb = -1;
    m->ta = m->tb = NAN;
    int rc = CR_OK;
    if (slot_a < 0) {
        slot_a = slot_b == 0 ? 1 : 0;
        rc = load_slice(m, a, slot_a);
        if (b == a) slot_b = slot_a;
    }
    if (!rc && slot_b < 0) {
        slot_b = slot_a == 0 ? 1 : 0;
        rc = load_slice(m, b, slot_b);
    }
    if (rc) return rc;
    m->sa = slot_a;
    m->sb = slot_b;
    m->ta = m->sl[a].time;
    m->tb = m->sl[b].time;
    return CR_OK;
}
