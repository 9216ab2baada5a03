/* cr_topology.c — footpoint topology, the footpoint grid and adaptive
 * topology maps (see cr_topology.h for conventions and the method). */
#include "cr_topology.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../core/cr_common.h"
#include "../core/cr_par.h"
#include "../core/cr_sys.h"
#include "../core/cr_units.h"

const char *cr_topo_name(int topo)
{
    switch (topo) {
    case CR_TOPO_UNDETERMINED: return "undetermined";
    case CR_TOPO_SOLAR_WIND: return "solar_wind";
    case CR_TOPO_OPEN_NORTH: return "open_north";
    case CR_TOPO_CLOSED: return "closed";
    case CR_TOPO_OPEN_SOUTH: return "open_south";
    }
    return "unknown";
}

int cr_topo_chimp(int topo)
{
    switch (topo) {
    case CR_TOPO_SOLAR_WIND: return 0;
    case CR_TOPO_OPEN_NORTH:
    case CR_TOPO_OPEN_SOUTH: return 1;
    case CR_TOPO_CLOSED: return 2;
    }
    return -1;
}

enum cr_topo cr_topo_classify(const struct cr_fl_result *res)
{
    const struct cr_fl_end *a = &res->end[0], *b = &res->end[1];
    int ina = a->why == CR_FL_INNER, inb = b->why == CR_FL_INNER;
    int outa = a->why == CR_FL_OUTER, outb = b->why == CR_FL_OUTER;
    if (ina && inb) return CR_TOPO_CLOSED;
    if (ina && outb) return a->x[2] >= 0 ? CR_TOPO_OPEN_NORTH : CR_TOPO_OPEN_SOUTH;
    if (inb && outa) return b->x[2] >= 0 ? CR_TOPO_OPEN_NORTH : CR_TOPO_OPEN_SOUTH;
    if (outa && outb) return CR_TOPO_SOLAR_WIND;
    return CR_TOPO_UNDETERMINED;
}

enum cr_topo cr_topo_point(struct cr_fieldline *fl, double t, const double x[3], struct cr_fl_result *res)
{
    struct cr_fl_result tmp;
    if (!res) res = &tmp;
    if (cr_fieldline_trace(fl, t, x, res, NULL) != CR_OK) return CR_TOPO_UNDETERMINED;
    return cr_topo_classify(res);
}

/* ---- footpoint grid ---------------------------------------------------------- */

/* |latitude| on the footpoint sphere of ionospheric |MLat| lat [deg]; -1 when
 * the dipole line does not reach the sphere. */
static double map_lat(double lat_iono, double r_iono, double r_foot)
{
    double c = cos(lat_iono * CR_DEG);
    double c2 = c * c * r_foot / r_iono;
    if (c2 > 1.0) return -1.0;
    return acos(sqrt(c2)) / CR_DEG;
}

void cr_footgrid_release(struct cr_footgrid *g)
{
    if (!g) return;
    free(g->lat_iono);
    free(g->lat_foot);
    free(g->area);
    free(g->mlt);
    free(g);
}

struct cr_footgrid *cr_footgrid_new(const struct cr_footgrid_inp *inp)
{
    const struct cr_log *log = inp->log;
    const struct cr_footgrid_inp *p = inp;
    if (!(p->mlat_min >= 0 && p->mlat_max <= 90 && p->mlat_max > p->mlat_min) || !(p->dlat > 0) ||
        !(p->dmlt > 0) || p->sub_lat < 1 || p->sub_mlt < 1 || p->coarse_lat < 1 || p->coarse_mlt < 1 || p->edge_bisect < 0 ||
        p->edge_bisect > 40 ||
        !(p->r_iono > 0) || !(p->r_foot > 0)) {
        cr_error(log,
                 "footpoint grid: need 0 <= mlat_min < mlat_max <= 90, dlat > 0, dmlt > 0, refinement and "
                 "coarse strides >= 1, r_iono > 0, r_foot > 0 (got mlat %g..%g, dlat %g, dmlt %g, r_iono %g, "
                 "r_foot %g)",
                 p->mlat_min, p->mlat_max, p->dlat, p->dmlt, p->r_iono, p->r_foot);
        return NULL;
    }
    double nl = (p->mlat_max - p->mlat_min) / p->dlat, nm = 24.0 / p->dmlt;
    if (fabs(nl - floor(nl + 0.5)) > 1e-6 || fabs(nm - floor(nm + 0.5)) > 1e-6) {
        cr_error(log,
                 "footpoint grid: (mlat_max - mlat_min) / dlat = %g and 24 h / dmlt = %g must be whole numbers", nl,
                 nm);
        return NULL;
    }
    if (map_lat(p->mlat_min, p->r_iono, p->r_foot) < 0) {
        cr_error(log,
                 "footpoint grid: MLat %g deg at r = %g R_E does not reach the footpoint sphere r = %g R_E along "
                 "the dipole (raise mlat_min above %.3f deg)",
                 p->mlat_min, p->r_iono, p->r_foot, acos(sqrt(p->r_iono / p->r_foot)) / CR_DEG);
        return NULL;
    }
    struct cr_footgrid *g = cr_zalloc(1, sizeof *g);
    if (!g) return NULL;
    g->p = *p;
    g->nlat = (int)floor(nl + 0.5);
    g->nmlt = (int)floor(nm + 0.5);
    g->nal = g->nlat * p->sub_lat;
    g->nam = g->nmlt * p->sub_mlt;
    g->dlat_a = p->dlat / p->sub_lat;
    g->dmlt_a = p->dmlt / p->sub_mlt;
    g->lat_iono = cr_zalloc((size_t)g->nal, sizeof *g->lat_iono);
    g->lat_foot = cr_zalloc((size_t)g->nal, sizeof *g->lat_foot);
    g->area = cr_zalloc((size_t)g->nal, sizeof *g->area);
    g->mlt = cr_zalloc((size_t)g->nam, sizeof *g->mlt);
    if (!g->lat_iono || !g->lat_foot || !g->area || !g->mlt) {
        cr_footgrid_release(g);
        return NULL;
    }
    double dphi = g->dmlt_a * 15.0 * CR_DEG;
    double rf = p->r_foot * CR_RE_M;
    for (int ia = 0; ia < g->nal; ia++) {
        double lo = p->mlat_min + ia * g->dlat_a, hi = lo + g->dlat_a;
        g->lat_iono[ia] = lo + 0.5 * g->dlat_a;
        g->lat_foot[ia] = map_lat(g->lat_iono[ia], p->r_iono, p->r_foot);
        double flo = map_lat(lo, p->r_iono, p->r_foot), fhi = map_lat(hi, p->r_iono, p->r_foot);
        g->area[ia] = rf * rf * dphi * (sin(fhi * CR_DEG) - sin(flo * CR_DEG));
    }
    for (int ja = 0; ja < g->nam; ja++) g->mlt[ja] = (ja + 0.5) * g->dmlt_a;
    return g;
}

void cr_footgrid_point(const struct cr_footgrid *g, int hemi, double lat_iono, double mlt, double x[3])
{
    double lf = map_lat(lat_iono, g->p.r_iono, g->p.r_foot);
    if (lf < 0) lf = 0;
    double lam = lf * CR_DEG, phi = (mlt - 12.0) * 15.0 * CR_DEG;
    double r = g->p.r_foot;
    x[0] = r * cos(lam) * cos(phi);
    x[1] = r * cos(lam) * sin(phi);
    x[2] = (hemi == 0 ? 1.0 : -1.0) * r * sin(lam);
}

/* ---- topology maps ------------------------------------------------------------ */

#define T_UNSET ((signed char)-100)
#define T_PENDING ((signed char)-101)

struct pt {
    int hemi;
    double lat, mlt; /* ionospheric |MLat| [deg], MLT [h] */
    signed char *dst;
};

struct ptlist {
    struct pt *v;
    size_t n, cap;
};

static int pt_push(struct ptlist *l, int hemi, double lat, double mlt, signed char *dst)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 1024;
        struct pt *nv = realloc(l->v, cap * sizeof *nv);
        if (!nv) return CR_ENOMEM;
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = (struct pt){hemi, lat, mlt, dst};
    return CR_OK;
}

/* Trace and classify every point of the list (in parallel). */
static int trace_points(const struct cr_footgrid *g, const struct cr_fieldline_inp *tin, double t,
                        struct ptlist *l, long *ntraces)
{
    int rc = CR_OK;
    long n = (long)l->n;
    if (n == 0) return CR_OK;
    /* this rank's block of the list (all of it on one process) */
    const struct cr_par *par = g->p.par;
    long m0, m1;
    cr_par_block(par, n, &m0, &m1);
    signed char *res = par && par->size > 1 ? malloc((size_t)n + 1) : NULL;
    if (par && par->size > 1 && !res) rc = CR_ENOMEM;
    rc = cr_par_max_int(par, rc);
    if (rc) return rc;
#pragma omp parallel
    {
        struct cr_fieldline *fl = cr_fieldline_new(tin);
        if (!fl) {
#pragma omp atomic write
            rc = CR_ENOMEM;
        }
#pragma omp for schedule(dynamic, 8)
        for (long m = m0; m < m1; m++) {
            if (!fl) continue;
            struct pt *q = &l->v[m];
            double x[3];
            cr_footgrid_point(g, q->hemi, q->lat, q->mlt, x);
            signed char v = (signed char)cr_topo_point(fl, t, x, NULL);
            if (res) res[m - m0] = v;
            else *q->dst = v;
        }
        cr_fieldline_release(fl);
    }
    if (res) {
        /* every rank's block, in rank order: the whole list */
        rc = cr_par_max_int(par, rc);
        signed char *all = rc ? NULL : malloc((size_t)n + 1);
        if (!rc && !all) rc = CR_ENOMEM;
        rc = cr_par_max_int(par, rc);
        if (!rc) rc = cr_par_allgather_bytes(par, res, (size_t)(m1 - m0), all);
        for (long m = 0; m < n && !rc; m++) *l->v[m].dst = all[m];
        free(all);
        free(res);
    }
    *ntraces += n;
    l->n = 0;
    return rc;
}

struct block {
    int hemi, i0, i1, j0, j1; /* inclusive cell-index corners; j1 may equal nmlt (wraps to 0) */
};

struct blist {
    struct block *v;
    size_t n, cap;
};

static int blk_push(struct blist *l, struct block b)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        struct block *nv = realloc(l->v, cap * sizeof *nv);
        if (!nv) return CR_ENOMEM;
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = b;
    return CR_OK;
}

void cr_topomap_release(struct cr_topomap *m)
{
    if (!m) return;
    for (int h = 0; h < 2; h++) {
        free(m->topo[h]);
        free(m->flux[h]);
        free(m->frac[h]);
        free(m->ocb[h]);
    }
    free(m);
}

/* Cell-level classification: the coarse lattice, then quadtree splitting of
 * blocks whose corners disagree. cell[h][i * nmlt + j]. */
static int classify_cells(const struct cr_footgrid *g, const struct cr_fieldline_inp *tin, double t,
                          signed char *cell[2], long *ntraces)
{
    const int nlat = g->nlat, nmlt = g->nmlt, cl = g->p.coarse_lat, cm = g->p.coarse_mlt;
    struct blist cur = {0}, next = {0}, uni = {0};
    struct ptlist pts = {0};
    int rc = CR_OK;
    /* rows and columns of the coarse lattice */
    int *rows = cr_zalloc((size_t)nlat + 1, sizeof *rows), *cols = cr_zalloc((size_t)nmlt + 1, sizeof *cols);
    int nr = 0, nc = 0;
    if (!rows || !cols) rc = CR_ENOMEM;
    if (!rc) {
        for (int i = 0; i < nlat; i += cl) rows[nr++] = i;
        if (rows[nr - 1] != nlat - 1) rows[nr++] = nlat - 1;
        for (int j = 0; j < nmlt; j += cm) cols[nc++] = j;
        cols[nc] = nmlt; /* wraps to column 0 */
        for (int h = 0; h < 2 && !rc; h++)
            for (int a = 0; a < (nr > 1 ? nr - 1 : 1) && !rc; a++)
                for (int b = 0; b < nc && !rc; b++) {
                    struct block bk = {h, rows[a], nr > 1 ? rows[a + 1] : rows[a], cols[b], cols[b + 1]};
                    if (nmlt == 1) bk.j1 = 0;
                    rc = blk_push(&cur, bk);
                }
    }
    while (!rc && cur.n > 0) {
        /* trace the corners not yet known */
        for (size_t b = 0; b < cur.n && !rc; b++) {
            const struct block *bk = &cur.v[b];
            int is[2] = {bk->i0, bk->i1}, js[2] = {bk->j0, bk->j1 % nmlt};
            for (int a = 0; a < 2 && !rc; a++)
                for (int c = 0; c < 2 && !rc; c++) {
                    signed char *d = &cell[bk->hemi][is[a] * nmlt + js[c]];
                    if (*d != T_UNSET) continue;
                    *d = T_PENDING;
                    rc = pt_push(&pts, bk->hemi, g->p.mlat_min + (is[a] + 0.5) * g->p.dlat,
                                 (js[c] + 0.5) * g->p.dmlt, d);
                }
        }
        if (!rc) rc = trace_points(g, tin, t, &pts, ntraces);
        next.n = 0;
        for (size_t b = 0; b < cur.n && !rc; b++) {
            struct block bk = cur.v[b];
            const signed char *cc = cell[bk.hemi];
            int j1 = bk.j1 % nmlt;
            signed char v00 = cc[bk.i0 * nmlt + bk.j0], v01 = cc[bk.i0 * nmlt + j1];
            signed char v10 = cc[bk.i1 * nmlt + bk.j0], v11 = cc[bk.i1 * nmlt + j1];
            if (v00 == v01 && v00 == v10 && v00 == v11 && v00 != CR_TOPO_UNDETERMINED) {
                rc = blk_push(&uni, bk);
                continue;
            }
            int si = bk.i1 - bk.i0 >= 2, sj = bk.j1 - bk.j0 >= 2;
            if (!si && !sj) continue; /* every cell of the block is a corner */
            int im = (bk.i0 + bk.i1) / 2, jm = (bk.j0 + bk.j1) / 2;
            int ia[3] = {bk.i0, si ? im : bk.i1, bk.i1}, ja[3] = {bk.j0, sj ? jm : bk.j1, bk.j1};
            for (int a = 0; a < (si ? 2 : 1) && !rc; a++)
                for (int c = 0; c < (sj ? 2 : 1) && !rc; c++)
                    rc = blk_push(&next, (struct block){bk.hemi, ia[a], ia[a + 1], ja[c], ja[c + 1]});
        }
        struct blist sw = cur;
        cur = next;
        next = sw;
    }
    /* fill the blocks whose corners agree (only cells not traced) */
    for (size_t b = 0; b < uni.n && !rc; b++) {
        const struct block *bk = &uni.v[b];
        signed char *cc = cell[bk->hemi];
        signed char v = cc[bk->i0 * nmlt + bk->j0];
        for (int i = bk->i0; i <= bk->i1; i++)
            for (int j = bk->j0; j <= bk->j1; j++) {
                signed char *d = &cc[i * nmlt + j % nmlt];
                if (*d == T_UNSET) *d = v;
            }
    }
    /* anything left (cannot happen by construction) is traced */
    for (int h = 0; h < 2 && !rc; h++)
        for (int i = 0; i < nlat && !rc; i++)
            for (int j = 0; j < nmlt && !rc; j++)
                if (cell[h][i * nmlt + j] == T_UNSET)
                    rc = pt_push(&pts, h, g->p.mlat_min + (i + 0.5) * g->p.dlat, (j + 0.5) * g->p.dmlt,
                                 &cell[h][i * nmlt + j]);
    if (!rc) rc = trace_points(g, tin, t, &pts, ntraces);
    free(rows);
    free(cols);
    free(cur.v);
    free(next.v);
    free(uni.v);
    free(pts.v);
    return rc;
}

/* Step 3 of the map: wherever a closed atom and an open atom are neighbours
 * in latitude, bisect the boundary between their centres (at the column's
 * MLT) edge_bisect times and give the atom the boundary cuts its open
 * fraction; every other atom is 1 (open) or 0. */
struct pair {
    int hemi, ia, ja;
    double lat; /* bisected boundary [deg] */
};

static int edge_fractions(struct cr_topomap *m, const struct cr_fieldline_inp *tin, double t)
{
    const struct cr_footgrid *g = m->grid;
    const int nal = g->nal, nam = g->nam, nb = g->p.edge_bisect;
    const size_t na = (size_t)nal * (size_t)nam;
    for (int h = 0; h < 2; h++)
        for (size_t q = 0; q < na; q++) m->frac[h][q] = cr_topo_is_open(m->topo[h][q]) ? 1.0 : 0.0;
    if (nb == 0) return CR_OK;
    struct pair *pr = NULL;
    size_t np = 0, cap = 0;
    for (int h = 0; h < 2; h++)
        for (int ia = 0; ia + 1 < nal; ia++)
            for (int ja = 0; ja < nam; ja++) {
                int a = m->topo[h][(size_t)ia * nam + ja], b = m->topo[h][(size_t)(ia + 1) * nam + ja];
                if (!((a == CR_TOPO_CLOSED && cr_topo_is_open(b)) || (cr_topo_is_open(a) && b == CR_TOPO_CLOSED)))
                    continue;
                if (np == cap) {
                    cap = cap ? 2 * cap : 1024;
                    struct pair *n2 = realloc(pr, cap * sizeof *n2);
                    if (!n2) {
                        free(pr);
                        return CR_ENOMEM;
                    }
                    pr = n2;
                }
                pr[np++] = (struct pair){h, ia, ja, NAN};
            }
    int rc = CR_OK;
    long n = (long)np;
    const struct cr_par *par = g->p.par;
    long q0, q1;
    cr_par_block(par, n, &q0, &q1);
#pragma omp parallel
    {
        struct cr_fieldline *fl = cr_fieldline_new(tin);
        if (!fl) {
#pragma omp atomic write
            rc = CR_ENOMEM;
        }
#pragma omp for schedule(dynamic, 4)
        for (long q = q0; q < q1; q++) {
            if (!fl) continue;
            struct pair *p = &pr[q];
            int lower = m->topo[p->hemi][(size_t)p->ia * nam + p->ja];
            double lo = g->lat_iono[p->ia], hi = g->lat_iono[p->ia + 1];
            for (int it = 0; it < nb; it++) {
                double mid = 0.5 * (lo + hi), x[3];
                cr_footgrid_point(g, p->hemi, mid, g->mlt[p->ja], x);
                int v = cr_topo_point(fl, t, x, NULL);
                if (v == lower || (cr_topo_is_open(v) && cr_topo_is_open(lower))) lo = mid;
                else if (v == CR_TOPO_CLOSED || cr_topo_is_open(v)) hi = mid;
                else break; /* undetermined in between: keep the bracket */
            }
            p->lat = 0.5 * (lo + hi);
        }
        cr_fieldline_release(fl);
    }
    if (par && par->size > 1) {
        /* every rank's bisected latitudes, in rank order */
        double *mine = malloc(((size_t)(q1 - q0) + 1) * sizeof(double)), *all = malloc(((size_t)n + 1) * sizeof(double));
        if (!mine || !all) rc = CR_ENOMEM;
        rc = cr_par_max_int(par, rc);
        if (!rc) {
            for (long q = q0; q < q1; q++) mine[q - q0] = pr[q].lat;
            rc = cr_par_allgather_doubles(par, mine, (size_t)(q1 - q0), all);
        }
        for (long q = 0; q < n && !rc; q++) pr[q].lat = all[q];
        free(mine), free(all);
    }
    m->ntraces += n * nb; /* at most; a bisection stops early only at an undetermined line */
    if (!rc) {
        for (size_t q = 0; q < np; q++) {
            const struct pair *p = &pr[q];
            double edge = g->p.mlat_min + (p->ia + 1) * g->dlat_a;
            int lower_open = cr_topo_is_open(m->topo[p->hemi][(size_t)p->ia * nam + p->ja]);
            /* the part of the atom beyond the boundary takes the other side's topology */
            if (p->lat < edge) {
                double part = (edge - p->lat) / g->dlat_a; /* of the lower atom, on the upper side */
                m->frac[p->hemi][(size_t)p->ia * nam + p->ja] += lower_open ? -part : part;
            } else {
                double part = (p->lat - edge) / g->dlat_a; /* of the upper atom, on the lower side */
                m->frac[p->hemi][(size_t)(p->ia + 1) * nam + p->ja] += lower_open ? part : -part;
            }
        }
        for (int h = 0; h < 2; h++)
            for (size_t q = 0; q < na; q++) m->frac[h][q] = fmin(1.0, fmax(0.0, m->frac[h][q]));
    }
    free(pr);
    return rc;
}

int cr_topomap_compute(const struct cr_footgrid *g, const struct cr_field *f, double t,
                       const struct cr_fieldline_inp *trace, struct cr_topomap **out)
{
    double t0 = cr_wtime();
    *out = NULL;
    struct cr_fieldline_inp tin = *trace;
    tin.field = f;
    tin.r_inner = g->p.r_foot;
    {
        /* validate the tracing parameters once, with a message */
        struct cr_fieldline *probe = cr_fieldline_new(&tin);
        if (!probe) return CR_ECONFIG;
        cr_fieldline_release(probe);
    }
    struct cr_topomap *m = cr_zalloc(1, sizeof *m);
    if (!m) return CR_ENOMEM;
    m->grid = g;
    m->time = t;
    const size_t na = (size_t)g->nal * (size_t)g->nam, ncell = (size_t)g->nlat * (size_t)g->nmlt;
    signed char *cell[2] = {NULL, NULL};
    int rc = CR_OK;
    for (int h = 0; h < 2; h++) {
        m->topo[h] = cr_zalloc(na, 1);
        m->flux[h] = cr_zalloc(na, sizeof(double));
        m->frac[h] = cr_zalloc(na, sizeof(double));
        m->ocb[h] = cr_zalloc((size_t)g->nam, sizeof(double));
        cell[h] = malloc(ncell);
        if (!m->topo[h] || !m->flux[h] || !m->frac[h] || !m->ocb[h] || !cell[h]) rc = CR_ENOMEM;
        else memset(cell[h], T_UNSET, ncell);
    }
    /* every footpoint must be inside the field's domain */
    for (int h = 0; h < 2 && !rc; h++) {
        double x[3];
        struct cr_field_sample smp;
        cr_footgrid_point(g, h, g->lat_iono[0], g->mlt[0], x);
        if (cr_field_eval(f, t, x, &smp) != CR_OK) {
            cr_error(g->p.log, "topology map: footpoint (%g, %g, %g) R_E is outside the field's domain at t = %g s",
                     x[0], x[1], x[2], t);
            rc = CR_EDOMAIN;
        }
    }
    if (!rc) rc = classify_cells(g, &tin, t, cell, &m->ntraces);
    /* atoms: copy the cell value, or trace them in cells on a boundary */
    const int sl = g->p.sub_lat, sm = g->p.sub_mlt, nmlt = g->nmlt, nlat = g->nlat, nam = g->nam;
    struct ptlist pts = {0};
    for (int h = 0; h < 2 && !rc; h++) {
        const signed char *cc = cell[h];
        for (int i = 0; i < nlat && !rc; i++)
            for (int j = 0; j < nmlt && !rc; j++) {
                signed char v = cc[i * nmlt + j];
                int edge = v == CR_TOPO_UNDETERMINED;
                if (i > 0 && cc[(i - 1) * nmlt + j] != v) edge = 1;
                if (i < nlat - 1 && cc[(i + 1) * nmlt + j] != v) edge = 1;
                if (cc[i * nmlt + (j + 1) % nmlt] != v || cc[i * nmlt + (j + nmlt - 1) % nmlt] != v) edge = 1;
                int refine = edge && (sl > 1 || sm > 1);
                for (int a = 0; a < sl && !rc; a++)
                    for (int b = 0; b < sm && !rc; b++) {
                        int ia = i * sl + a, ja = j * sm + b;
                        signed char *d = &m->topo[h][(size_t)ia * nam + ja];
                        if (refine) {
                            *d = T_PENDING;
                            rc = pt_push(&pts, h, g->lat_iono[ia], g->mlt[ja], d);
                        } else {
                            *d = v;
                        }
                    }
            }
    }
    if (!rc) rc = trace_points(g, &tin, t, &pts, &m->ntraces);
    free(pts.v);
    /* flux weights |B_r| A [Wb] at every atom */
    if (!rc) {
        int bad = 0;
        for (int h = 0; h < 2; h++) {
            double *w = m->flux[h];
            /* one row of atoms (a latitude) per iteration, its points located
             * from their MLT neighbour (a hint reset per row: the weights are
             * the same for any thread count) */
#pragma omp parallel for schedule(static) reduction(+ : bad)
            for (int ia = 0; ia < g->nal; ia++) {
                struct cr_field_hint hint = {0};
                for (int ja = 0; ja < nam; ja++) {
                    size_t q = (size_t)ia * nam + ja;
                    double x[3];
                    struct cr_field_sample smp;
                    cr_footgrid_point(g, h, g->lat_iono[ia], g->mlt[ja], x);
                    if (cr_field_eval_hinted(f, t, x, &hint, &smp) != CR_OK) {
                        bad++;
                        w[q] = 0.0;
                        continue;
                    }
                    double br = (smp.B[0] * x[0] + smp.B[1] * x[1] + smp.B[2] * x[2]) / g->p.r_foot;
                    w[q] = fabs(br) * CR_NT * g->area[ia];
                }
            }
        }
        if (bad) {
            cr_error(g->p.log, "topology map: %d footpoints outside the field's domain at t = %g s", bad, t);
            rc = CR_EDOMAIN;
        }
    }
    /* boundaries between latitude neighbours: bisect, open fractions */
    if (!rc) rc = edge_fractions(m, &tin, t);
    /* open-closed boundary per atom column, undetermined counts */
    if (!rc) {
        for (int h = 0; h < 2; h++) {
            long nu = 0;
            for (size_t q = 0; q < na; q++) nu += m->topo[h][q] == CR_TOPO_UNDETERMINED;
            m->nundetermined[h] = nu;
            for (int ja = 0; ja < nam; ja++) {
                int low = -1;
                for (int ia = 0; ia < g->nal; ia++)
                    if (cr_topo_is_open(m->topo[h][(size_t)ia * nam + ja])) {
                        low = ia;
                        break;
                    }
                if (low < 0) {
                    m->ocb[h][ja] = NAN;
                    continue;
                }
                double edge = g->p.mlat_min + low * g->dlat_a;
                if (low > 0 && m->topo[h][(size_t)(low - 1) * nam + ja] == CR_TOPO_CLOSED) {
                    /* the fractions place the boundary inside the pair */
                    double f_lo = m->frac[h][(size_t)(low - 1) * nam + ja], f_hi = m->frac[h][(size_t)low * nam + ja];
                    edge += g->dlat_a * (f_lo > 0 ? -f_lo : 1.0 - f_hi);
                }
                m->ocb[h][ja] = edge;
            }
        }
    }
    free(cell[0]);
    free(cell[1]);
    if (rc) {
        cr_topomap_release(m);
        return rc;
    }
    m->wall = cr_wtime() - t0;
    *out = m;
    return CR_OK;
}

double cr_topomap_flux_of(const struct cr_topomap *m, int hemi, int topo)
{
    const struct cr_footgrid *g = m->grid;
    size_t na = (size_t)g->nal * (size_t)g->nam;
    double s = 0.0;
    for (size_t q = 0; q < na; q++) {
        if (topo == -2) s += m->frac[hemi][q] * m->flux[hemi][q];
        else if (m->topo[hemi][q] == topo) s += m->flux[hemi][q];
    }
    return s;
}

int cr_topomap_ocb_bisect(const struct cr_topomap *m, struct cr_fieldline *fl, int hemi, double mlt, int nbisect,
                          double *lat_closed, double *lat_open)
{
    const struct cr_footgrid *g = m->grid;
    mlt = fmod(mlt, 24.0);
    if (mlt < 0) mlt += 24.0;
    int ja = (int)floor(mlt / g->dmlt_a);
    if (ja >= g->nam) ja = g->nam - 1;
    double ocb = m->ocb[hemi][ja];
    if (!isfinite(ocb)) return CR_EDOMAIN;
    double t = m->time;
    double x[3];
    /* bracket: the atom centres on either side of the column's boundary, at
     * this exact MLT; widened by up to 8 atoms if the boundary moved */
    double lo = ocb - 0.5 * g->dlat_a, hi = ocb + 0.5 * g->dlat_a;
    int tlo = -100, thi = -100;
    for (int w = 0; w < 8; w++) {
        if (lo < g->p.mlat_min) lo = g->p.mlat_min;
        if (hi > 90.0) hi = 90.0;
        cr_footgrid_point(g, hemi, lo, mlt, x);
        tlo = cr_topo_point(fl, t, x, NULL);
        cr_footgrid_point(g, hemi, hi, mlt, x);
        thi = cr_topo_point(fl, t, x, NULL);
        if (tlo == CR_TOPO_CLOSED && cr_topo_is_open(thi)) break;
        if (tlo != CR_TOPO_CLOSED) lo -= g->dlat_a;
        if (!cr_topo_is_open(thi)) hi += g->dlat_a;
    }
    if (!(tlo == CR_TOPO_CLOSED && cr_topo_is_open(thi))) return CR_EDOMAIN;
    for (int it = 0; it < nbisect; it++) {
        double mid = 0.5 * (lo + hi);
        cr_footgrid_point(g, hemi, mid, mlt, x);
        int tm = cr_topo_point(fl, t, x, NULL);
        if (tm == CR_TOPO_CLOSED) lo = mid;
        else if (cr_topo_is_open(tm)) hi = mid;
        else break; /* undetermined in between: stop at the bracket found so far */
    }
    *lat_closed = lo;
    *lat_open = hi;
    return CR_OK;
}
