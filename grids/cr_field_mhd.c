/* cr_field_mhd.c — MHD slices of an mhd.h5 file (GAMERA/kaipy layout) as a
 * field source: curvilinear location, trilinear interpolation between cell
 * centres, linear interpolation in time over a two-slice window (see
 * cr_field_mhd.h). */
#include "cr_field_mhd.h"

#include <ctype.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_epoch.h"
#include "../core/cr_h5.h"
#include "../core/cr_units.h"

enum { V_BX = 0, V_BY, V_BZ, V_VX, V_VY, V_VZ, V_D, V_P, NVAR };
static const char *const var_name[NVAR] = {"Bx", "By", "Bz", "Vx", "Vy", "Vz", "D", "P"};

struct slice_ref {
    long step;
    double time;
};

/* One file of the output: the whole grid, or one of GAMERA's MPI tiles
 * (cells i0 .. i0 + ni - 1 etc. of the global grid). */
struct tile {
    hid_t fid;
    int i0, j0, k0, ni, nj, nk;
    char path[4096];
};

/* GAMERA's normalisation of its magnetosphere (code units, mu0 = 1): length
 * R_E (kaipy's kdefs: 6378.1 km), number density 1 /cc of protons, speed
 * 100 km/s; hence time L0/v0 = 63.781 s, B0 = sqrt(mu0 m_p n0) v0 = 4.585 nT,
 * P0 = m_p n0 v0^2 = 0.016726 nPa (kaipy's GamsphPipe: 63.8 s, 4.58 nT,
 * 1.67e-2 nPa). */
#define GAMERA_RE_M 6378.1e3
#define GAMERA_N0_CC 1.0
#define GAMERA_V0_KMS 100.0

struct cr_field_mhd {
    struct cr_field base; /* first: the vtable view */
    char path[4096];
    const struct cr_log *log;
    hid_t fid;            /* the first tile's file (steps, attributes) */
    int ntile;
    struct tile *tile;
    double *ttmp;         /* read buffer of one tile (tiled output) */
    double vscale[NVAR];  /* file values -> physical units */
    double tscale;        /* file times -> s */
    int code_units;       /* the file is in GAMERA's code units */
    int gni, gnj, gnk;    /* global cell counts */
    char time_source[160];
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

static int cmp_step(const void *a, const void *b)
{
    const struct slice_ref *x = a, *y = b;
    return x->step < y->step ? -1 : x->step > y->step ? 1 : 0;
}

/* The file an object of (fid, path) lives in, for messages: the file itself,
 * or the slice file its Step#N group links to ("slice.h5 (Step#3 of mhd.h5)"). */
static void obj_file(hid_t fid, const char *path, const char *name, char *buf, size_t n)
{
    char f[4096];
    cr_h5_object_file(fid, name, path, f, sizeof f);
    if (!strcmp(f, path)) snprintf(buf, n, "%s", f);
    else if (snprintf(buf, n, "%s (%.*s of %s)", f, (int)strcspn(name, "/"), name, path) < 0)
        snprintf(buf, n, "%s", path);
}

/* Shape check of one dataset of a file: CR_ECONFIG (logged) when missing or wrong. */
static int check_shape(hid_t fid, const char *path, const char *name, const hsize_t want[3],
                       const struct cr_log *log)
{
    int rank;
    hsize_t dims[8];
    char file[4400];
    obj_file(fid, path, name, file, sizeof file);
    if (H5Lexists(fid, name, H5P_DEFAULT) <= 0 || (strchr(name, '/') && H5Oexists_by_name(fid, name, H5P_DEFAULT) <= 0)) {
        cr_error(log, "%s: dataset '%s' is missing (file missing, truncated or damaged?)", file, name);
        return CR_ECONFIG;
    }
    if (cr_h5_shape(fid, name, &rank, dims, file, log)) return CR_ECONFIG;
    if (rank != 3 || dims[0] != want[0] || dims[1] != want[1] || dims[2] != want[2]) {
        char got[128] = "";
        for (int d = 0; d < rank && d < 4; d++) {
            char one[32];
            snprintf(one, sizeof one, "%s%llu", d ? " x " : "", (unsigned long long)dims[d]);
            strncat(got, one, sizeof got - strlen(got) - 1);
        }
        cr_error(log, "%s: dataset '%s' has shape (%s), expected (%llu x %llu x %llu) = (Nk, Nj, Ni)%s", file,
                 name, got, (unsigned long long)want[0], (unsigned long long)want[1], (unsigned long long)want[2],
                 name[0] == 'S' ? " of the cells" : " + 1 corners");
        return CR_ECONFIG;
    }
    return CR_OK;
}

/* GAMERA's MPI output names its tiles <stem>_RRRR_RRRR_RRRR_iiii_jjjj_kkkk.gam.h5
 * (ranks along i, j, k, then this tile's position; kaipy/kaiH5.py genName).
 * 1 with the stem length, the rank counts r and the position idx when path
 * has that form, else 0. */
static int parse_tile_name(const char *path, size_t *stem, int r[3], int idx[3])
{
    static const char suf[] = ".gam.h5";
    const size_t n = strlen(path), ns = sizeof suf - 1, nt = 6 * 5;
    if (n < ns + nt + 1 || strcmp(path + n - ns, suf) != 0) return 0;
    const char *p = path + n - ns - nt;
    int v[6];
    for (int q = 0; q < 6; q++) {
        const char *f = p + 5 * q;
        if (f[0] != '_') return 0;
        v[q] = 0;
        for (int d = 1; d <= 4; d++) {
            if (!isdigit((unsigned char)f[d])) return 0;
            v[q] = 10 * v[q] + (f[d] - '0');
        }
    }
    for (int d = 0; d < 3; d++)
        if (v[d] < 1 || v[3 + d] >= v[d]) return 0;
    for (int d = 0; d < 3; d++) {
        r[d] = v[d];
        idx[d] = v[3 + d];
    }
    *stem = (size_t)(p - path);
    return 1;
}

/* Cell counts of one file from its corner array X. */
static int tile_dims(struct tile *t, const struct cr_log *log)
{
    int rank;
    hsize_t dims[8];
    if (H5Lexists(t->fid, "X", H5P_DEFAULT) <= 0 || cr_h5_shape(t->fid, "X", &rank, dims, t->path, log)) {
        cr_error(log, "%s: corner dataset 'X' is missing (not an mhd.h5 / GAMERA file?)", t->path);
        return CR_ECONFIG;
    }
    if (rank != 3 || dims[0] < 2 || dims[1] < 2 || dims[2] < 2) {
        cr_error(log, "%s: corner dataset 'X' must have shape (Nk+1, Nj+1, Ni+1) with every N >= 1", t->path);
        return CR_ECONFIG;
    }
    t->nk = (int)dims[0] - 1;
    t->nj = (int)dims[1] - 1;
    t->ni = (int)dims[2] - 1;
    const hsize_t c[3] = {dims[0], dims[1], dims[2]};
    int rc = check_shape(t->fid, t->path, "Y", c, log);
    if (!rc) rc = check_shape(t->fid, t->path, "Z", c, log);
    return rc;
}

/* Open the file, or every tile of a tiled GAMERA output (all of equal size,
 * as GAMERA writes them), and set the global cell counts. */
static int open_tiles(struct cr_field_mhd *m, const struct cr_log *log)
{
    size_t stem = 0;
    int r[3] = {1, 1, 1}, idx[3] = {0, 0, 0};
    int tiled = parse_tile_name(m->path, &stem, r, idx);
    long nt = (long)r[0] * r[1] * r[2];
    if (nt > 65536) {
        cr_error(log, "%s: %ld MPI tiles named in the file name; at most 65536 are read", m->path, nt);
        return CR_ECONFIG;
    }
    m->tile = cr_zalloc((size_t)nt, sizeof *m->tile);
    if (!m->tile) return CR_ENOMEM;
    for (long q = 0; q < nt; q++) m->tile[q].fid = -1;
    m->ntile = (int)nt;
    for (int i = 0; i < r[0]; i++)
        for (int j = 0; j < r[1]; j++)
            for (int k = 0; k < r[2]; k++) {
                struct tile *t = &m->tile[((long)i * r[1] + j) * r[2] + k];
                if (tiled) {
                    int w = snprintf(t->path, sizeof t->path, "%.*s_%04d_%04d_%04d_%04d_%04d_%04d.gam.h5", (int)stem,
                                     m->path, r[0], r[1], r[2], i, j, k);
                    if (w < 0 || (size_t)w >= sizeof t->path) {
                        cr_error(log, "%s: tile file name too long", m->path);
                        return CR_ECONFIG;
                    }
                } else {
                    snprintf(t->path, sizeof t->path, "%s", m->path);
                }
                t->fid = cr_h5_open_read(t->path, log);
                if (t->fid < 0) {
                    if (tiled)
                        cr_error(log, "%s: tile (%d, %d, %d) of the %d x %d x %d MPI tiles is missing or unreadable",
                                 t->path, i, j, k, r[0], r[1], r[2]);
                    return CR_ECONFIG;
                }
                int rc = tile_dims(t, log);
                if (rc) return rc;
                const struct tile *t0 = &m->tile[0];
                if (t->ni != t0->ni || t->nj != t0->nj || t->nk != t0->nk) {
                    cr_error(log, "%s: tile of %d x %d x %d cells (Ni x Nj x Nk) where %s has %d x %d x %d; GAMERA's "
                                  "tiles are all of one size",
                             t->path, t->ni, t->nj, t->nk, t0->path, t0->ni, t0->nj, t0->nk);
                    return CR_ECONFIG;
                }
                t->i0 = i * t0->ni;
                t->j0 = j * t0->nj;
                t->k0 = k * t0->nk;
            }
    m->fid = m->tile[0].fid;
    m->gni = r[0] * m->tile[0].ni;
    m->gnj = r[1] * m->tile[0].nj;
    m->gnk = r[2] * m->tile[0].nk;
    if (tiled) {
        size_t n = (size_t)(m->tile[0].ni + 1) * (m->tile[0].nj + 1) * (m->tile[0].nk + 1);
        if (!(m->ttmp = malloc(n * sizeof *m->ttmp))) return CR_ENOMEM;
        snprintf(m->path, sizeof m->path, "%s", m->tile[0].path);
        cr_info(log, "%s: GAMERA MPI output, %d x %d x %d tiles of %d x %d x %d cells", m->path, r[0], r[1], r[2],
                m->tile[0].ni, m->tile[0].nj, m->tile[0].nk);
    }
    return CR_OK;
}

/* A dataset of every tile (corner = 1: corners, else cells) into the
 * global array out, C order (Nk, Nj, Ni) (+1 each for corners). */
static int read_global(struct cr_field_mhd *m, const char *name, int corner, double *out)
{
    const int c = corner ? 1 : 0;
    if (m->ntile == 1) {
        const struct tile *t = &m->tile[0];
        size_t n = (size_t)(t->nk + c) * (t->nj + c) * (t->ni + c);
        char file[4400];
        obj_file(t->fid, t->path, name, file, sizeof file);
        return cr_h5_read_doubles(t->fid, name, out, n, file, m->log);
    }
    const size_t sj = (size_t)m->gni + c, sk = sj * ((size_t)m->gnj + c);
    for (int q = 0; q < m->ntile; q++) {
        const struct tile *t = &m->tile[q];
        const size_t tj = (size_t)t->ni + c, tk = tj * ((size_t)t->nj + c);
        char file[4400];
        obj_file(t->fid, t->path, name, file, sizeof file);
        int rc = cr_h5_read_doubles(t->fid, name, m->ttmp, tk * ((size_t)t->nk + c), file, m->log);
        if (rc) return rc;
        for (int k = 0; k < t->nk + c; k++)
            for (int j = 0; j < t->nj + c; j++)
                memcpy(out + (size_t)(t->k0 + k) * sk + (size_t)(t->j0 + j) * sj + (size_t)t->i0,
                       m->ttmp + (size_t)k * tk + (size_t)j * tj, tj * sizeof *out);
    }
    return CR_OK;
}

/* Units of the file: GAMERA's code units (UnitsID = "CODE", or no UnitsID
 * in a file cusprate did not write: kaipy's default), else physical; the
 * [slices] units key overrides. Sets the scale factors to physical units. */
static void set_units(struct cr_field_mhd *m, int want)
{
    char uid[64] = "";
    int has_uid = cr_h5_read_attr_string(m->fid, ".", "UnitsID", uid, sizeof uid) == CR_OK;
    int ours = H5Aexists(m->fid, "cusprate_version") > 0;
    if (want == CR_MHD_UNITS_CODE) m->code_units = 1;
    else if (want == CR_MHD_UNITS_PHYSICAL) m->code_units = 0;
    else m->code_units = !ours && (!has_uid || !strcmp(uid, "CODE"));
    for (int q = 0; q < NVAR; q++) m->vscale[q] = 1.0;
    m->tscale = 1.0;
    if (!m->code_units) return;
    const double rho0 = CR_MP * GAMERA_N0_CC * CR_CC, v0 = GAMERA_V0_KMS * CR_KMS;
    const double b0 = sqrt(CR_MU0 * rho0) * v0 / CR_NT, p0 = rho0 * v0 * v0 / CR_NPA;
    for (int c = 0; c < 3; c++) {
        m->vscale[V_BX + c] = b0;
        m->vscale[V_VX + c] = GAMERA_V0_KMS;
    }
    m->vscale[V_D] = GAMERA_N0_CC;
    m->vscale[V_P] = p0;
    m->tscale = GAMERA_RE_M / v0;
    cr_info(m->log, "%s: GAMERA code units (UnitsID %s%s): B x %.5g nT, V x %g km/s, P x %.5g nPa, D x %g /cc, "
                    "t x %.5g s",
            m->path, has_uid ? uid : "absent", want == CR_MHD_UNITS_CODE ? ", slices.units = code" : "", b0,
            GAMERA_V0_KMS, p0, GAMERA_N0_CC, m->tscale);
}

/* GAMERA's root group timeAttributeCache (1-D datasets `step` and `aid`):
 * the value of step n, CR_OK when found. */
static int cached_attr(const struct cr_field_mhd *m, const char *aid, long n, double *v)
{
    char sn[64], an[64];
    snprintf(sn, sizeof sn, "timeAttributeCache/step");
    snprintf(an, sizeof an, "timeAttributeCache/%s", aid);
    if (H5Lexists(m->fid, "timeAttributeCache", H5P_DEFAULT) <= 0 || H5Lexists(m->fid, sn, H5P_DEFAULT) <= 0 ||
        H5Lexists(m->fid, an, H5P_DEFAULT) <= 0)
        return CR_ECONFIG;
    int r1, r2;
    hsize_t d1[8], d2[8];
    if (cr_h5_shape(m->fid, sn, &r1, d1, m->path, NULL) || cr_h5_shape(m->fid, an, &r2, d2, m->path, NULL) ||
        r1 != 1 || r2 != 1 || d1[0] != d2[0] || d1[0] == 0 || d1[0] > 100000000)
        return CR_ECONFIG;
    size_t len = (size_t)d1[0];
    double *st = malloc(len * sizeof *st), *av = malloc(len * sizeof *av);
    int rc = (st && av) ? CR_OK : CR_ECONFIG;
    if (!rc) rc = cr_h5_read_doubles(m->fid, sn, st, len, m->path, NULL);
    if (!rc) rc = cr_h5_read_doubles(m->fid, an, av, len, m->path, NULL);
    int found = 0;
    for (size_t q = 0; q < len && !rc && !found; q++)
        if (st[q] == (double)n) {
            *v = av[q];
            found = 1;
        }
    free(st);
    free(av);
    return found ? CR_OK : CR_ECONFIG;
}

/* The time [s] of every slice (m->sl sorted by step number), in this order:
 * the [slices] times list, the [slices] cadence, the step's attribute `time`,
 * GAMERA's timeAttributeCache `time`, the step's `MJD` (attribute or cache)
 * relative to the run epoch. Records which in m->time_source. */
static int slice_times(struct cr_field_mhd *m, const struct cr_field_mhd_inp *inp)
{
    if (inp->ntimes > 0) {
        if (inp->ntimes != (size_t)m->ns) {
            cr_error(m->log, "%s: slices.times lists %zu times, the file has %d Step#N groups (one time per group, "
                             "in increasing N: Step#%ld ... Step#%ld)",
                     m->path, inp->ntimes, m->ns, m->sl[0].step, m->sl[m->ns - 1].step);
            return CR_ECONFIG;
        }
        for (int s = 0; s < m->ns; s++) m->sl[s].time = inp->times[s];
        snprintf(m->time_source, sizeof m->time_source, "slices.times");
        return CR_OK;
    }
    if (inp->cadence > 0) {
        for (int s = 0; s < m->ns; s++)
            m->sl[s].time = inp->first_time + (double)(m->sl[s].step - m->sl[0].step) * inp->cadence;
        snprintf(m->time_source, sizeof m->time_source, "slices.first_time + (N - %ld) slices.cadence",
                 m->sl[0].step);
        return CR_OK;
    }
    int n_attr = 0, n_cache = 0, n_mjd = 0;
    for (int s = 0; s < m->ns; s++) {
        char grp[64];
        double v;
        snprintf(grp, sizeof grp, "Step#%ld", m->sl[s].step);
        if (cr_h5_read_attr_double(m->fid, grp, "time", &v) == CR_OK && isfinite(v)) {
            m->sl[s].time = v * m->tscale;
            n_attr++;
        } else if (cached_attr(m, "time", m->sl[s].step, &v) == CR_OK && isfinite(v)) {
            m->sl[s].time = v * m->tscale;
            n_cache++;
        } else if ((cr_h5_read_attr_double(m->fid, grp, "MJD", &v) == CR_OK ||
                    cached_attr(m, "MJD", m->sl[s].step, &v) == CR_OK) &&
                   isfinite(v) && v > 0) {
            m->sl[s].time = cr_epoch_seconds(&inp->epoch, v);
            n_mjd++;
        } else {
            char file[4400];
            obj_file(m->fid, m->path, grp, file, sizeof file);
            cr_error(m->log, "%s: slice group '%s' has no time: no attribute 'time' or 'MJD', and no "
                             "timeAttributeCache entry (file missing, truncated or damaged?); give the times with "
                             "slices.times (one per Step#N, increasing N) or slices.cadence [s]",
                     file, grp);
            return CR_ECONFIG;
        }
    }
    snprintf(m->time_source, sizeof m->time_source, "%s%s%s",
             n_attr ? "Step#N attribute time" : "", n_cache ? (n_attr ? ", timeAttributeCache" : "timeAttributeCache") : "",
             n_mjd ? ((n_attr || n_cache) ? ", MJD - [run] epoch" : "MJD - [run] epoch") : "");
    if (n_mjd)
        cr_info(m->log, "%s: %d slice time(s) from MJD relative to the run epoch %s", m->path, n_mjd,
                inp->epoch.iso);
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
    (void)celld;
    for (int q = 0; q < 3; q++)
        for (int t = 0; t < m->ntile; t++) {
            const struct tile *tl = &m->tile[t];
            int rank;
            hsize_t dims[8];
            if (H5Lexists(tl->fid, bn[q], H5P_DEFAULT) <= 0) return 0;
            if (cr_h5_shape(tl->fid, bn[q], &rank, dims, tl->path, NULL) || rank != 3 ||
                dims[0] != (hsize_t)tl->nk || dims[1] != (hsize_t)tl->nj || dims[2] != (hsize_t)tl->ni)
                return 0;
        }
    size_t n = (size_t)nk * nj * ni;
    double *b[3];
    int ok = 1;
    for (int q = 0; q < 3; q++) {
        b[q] = malloc(n * sizeof(double));
        if (!b[q]) ok = -1;
    }
    for (int q = 0; q < 3 && ok == 1; q++) {
        if (read_global(m, bn[q], 0, b[q])) ok = 0;
        for (size_t c = 0; c < n && ok == 1; c++) b[q][c] *= m->vscale[V_BX];
    }
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
    int rc = open_tiles(m, log);
    if (!rc) set_units(m, inp->units);
    if (rc) {
        *status = rc;
        cr_field_mhd_release(m);
        return NULL;
    }
    const int nk = m->gnk, nj = m->gnj, ni = m->gni;
    size_t ncorner = (size_t)(nk + 1) * (nj + 1) * (ni + 1);
    double *cx = malloc(ncorner * sizeof *cx), *cy = malloc(ncorner * sizeof *cy), *cz = malloc(ncorner * sizeof *cz);
    if (!cx || !cy || !cz) rc = CR_ENOMEM;
    if (!rc) rc = read_global(m, "X", 1, cx);
    if (!rc) rc = read_global(m, "Y", 1, cy);
    if (!rc) rc = read_global(m, "Z", 1, cz);
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
    qsort(m->sl, (size_t)m->ns, sizeof *m->sl, cmp_step);
    struct cr_field_mhd_inp tin = *inp;
    if (!tin.has_epoch) cr_epoch_parse(CR_EPOCH_DEFAULT, &tin.epoch);
    rc = slice_times(m, &tin);
    for (int s = 0; s < m->ns && !rc; s++) {
        char name[96];
        for (int q = 0; q < NVAR && !rc; q++) {
            if (!m->use[q]) continue;
            snprintf(name, sizeof name, "Step#%ld/%s", m->sl[s].step, var_name[q]);
            for (int t = 0; t < m->ntile && !rc; t++) {
                const struct tile *tl = &m->tile[t];
                const hsize_t want[3] = {(hsize_t)tl->nk, (hsize_t)tl->nj, (hsize_t)tl->ni};
                rc = check_shape(tl->fid, tl->path, name, want, m->log);
            }
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
    for (int t = 0; t < m->ntile; t++)
        if (m->tile[t].fid >= 0) H5Fclose(m->tile[t].fid);
    free(m->tile);
    free(m->ttmp);
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
    m->held[slot] = -1;
    for (int q = 0; q < NVAR; q++) {
        if (!m->use[q]) continue;
        char name[96];
        snprintf(name, sizeof name, "Step#%ld/%s", m->sl[s].step, var_name[q]);
        char file[4400];
        obj_file(m->tile[0].fid, m->tile[0].path, name, file, sizeof file);
        int rc = read_global(m, name, 0, m->tmp);
        if (rc) return CR_ECONFIG; /* a damaged input (named): exit status 2 */
        const double sc = m->vscale[q];
        const size_t ns = (size_t)m->stride;
        double *d = m->rec[slot] + m->lane[q];
        for (int k = 0; k < nk; k++)
            for (int j = 0; j < nj; j++) {
                const double *row = m->tmp + ((size_t)k * nj + j) * ni;
                double *out = d + ns * CR_GIDX(g, 0, j, k);
                for (int i = 0; i < ni; i++) {
                    const double val = sc * row[i]; /* physical units */
                    if (!(val >= slice_range[q].lo && val <= slice_range[q].hi)) { /* NaN too */
                        size_t c = CR_GIDX(g, i, j, k);
                        cr_error(m->log,
                                 "%s: %s = %.17g %s at time %g s in cell (i=%d, j=%d, k=%d) at (%.3f, %.3f, %.3f) R_E: "
                                 "%s; allowed [%g, %g] %s",
                                 file, name, val, slice_range[q].unit, m->sl[s].time, i, j, k, g->cx[c], g->cy[c],
                                 g->cz[c], isfinite(val) ? "out of range" : "not a finite number",
                                 slice_range[q].lo, slice_range[q].hi, slice_range[q].unit);
                        return CR_ECONFIG;
                    }
                    out[ns * (size_t)i] = val;
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

/* ---- configuration ([slices]) ------------------------------------------------ */

const struct cr_key cr_slices_keys[] = {
    {.section = "slices", .name = "times", .type = CR_KEY_REALS, .unit = "s", .def = "", .min = -1e12, .max = 1e12,
     .flags = CR_KEY_RANGED,
     .doc = "time of every Step#N group of the MHD file, in increasing N (overrides the file's times: GAMERA output "
            "without time attributes; negative for a spin-up)"},
    {.section = "slices", .name = "cadence", .type = CR_KEY_REAL, .unit = "s", .def = "0", .min = 0, .max = 1e9,
     .flags = CR_KEY_RANGED,
     .doc = "time between consecutive step numbers: Step#N at first_time + (N - N_first) cadence (0 = the times "
            "of the file or of slices.times)"},
    {.section = "slices", .name = "first_time", .type = CR_KEY_REAL, .unit = "s", .def = "0", .min = -1e12,
     .max = 1e12, .flags = CR_KEY_RANGED, .doc = "with slices.cadence: the time of the lowest-numbered Step#N"},
    {.section = "slices", .name = "units", .type = CR_KEY_CHOICE, .unit = "", .def = "auto",
     .choices = "auto|physical|code",
     .doc = "units of the MHD file: auto = the root attribute UnitsID (CODE, or none in a file cusprate did not "
            "write: GAMERA code units, converted with R_E, 1 /cc, 100 km/s), physical = #/cc, km/s, nPa, nT, s"},
    CR_KEY_END,
};

int cr_field_mhd_inp_from_config(const struct cr_config *cfg, struct cr_field_mhd_inp *inp,
                                 const struct cr_log *log)
{
    inp->times = NULL;
    inp->ntimes = 0;
    inp->cadence = inp->first_time = 0.0;
    inp->units = CR_MHD_UNITS_AUTO;
    if (cr_epoch_from_config(cfg, &inp->epoch, log)) return CR_ECONFIG;
    inp->has_epoch = 1;
    if (!cfg || !cr_config_has(cfg, "slices", "times")) return CR_OK;
    inp->times = cr_config_reals(cfg, "slices", "times", &inp->ntimes);
    inp->cadence = cr_config_real(cfg, "slices", "cadence");
    inp->first_time = cr_config_real(cfg, "slices", "first_time");
    inp->units = cr_config_choice(cfg, "slices", "units");
    if (inp->ntimes > 0 && inp->cadence > 0) {
        cr_error(log, "%s: slices.times and slices.cadence are both given; give one of them",
                 cr_config_origin(cfg, "slices", "cadence"));
        return CR_ECONFIG;
    }
    return CR_OK;
}

const char *cr_field_mhd_time_source(const struct cr_field_mhd *m) { return m->time_source; }
int cr_field_mhd_code_units(const struct cr_field_mhd *m) { return m->code_units; }
