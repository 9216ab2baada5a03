/* cr_flux.c — reconnected-flux accounting between topology maps, boundary
 * lengths at the ionosphere and along the X-line (see cr_flux.h). */
#include "cr_flux.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>

#include "../core/cr_common.h"
#include "../core/cr_par.h"
#include "../core/cr_units.h"

int cr_flux_nbins(const struct cr_footgrid *g, double mlt_bin, const struct cr_log *log, int *nbin)
{
    *nbin = 0;
    double nb = 24.0 / mlt_bin, per = mlt_bin / g->dmlt_a;
    if (!(mlt_bin > 0) || fabs(nb - floor(nb + 0.5)) > 1e-6 || fabs(per - floor(per + 0.5)) > 1e-6 || per < 0.5) {
        cr_error(log,
                 "flux: the MLT bin (%g h) must divide 24 h and hold a whole number of footpoint columns "
                 "(column width %g h)",
                 mlt_bin, g->dmlt_a);
        return CR_ECONFIG;
    }
    *nbin = (int)floor(nb + 0.5);
    return CR_OK;
}

static int bin_of(const struct cr_footgrid *g, int ja, double mlt_bin, int nbin)
{
    int b = (int)floor(g->mlt[ja] / mlt_bin);
    return b < 0 ? 0 : b >= nbin ? nbin - 1 : b;
}

void cr_flux_state_release(struct cr_flux_state *s)
{
    if (!s) return;
    for (int h = 0; h < 2; h++) {
        free(s->ocb[h]);
        free(s->l_iono[h]);
        free(s->l_xline[h]);
        free(s->xline[h]);
    }
    free(s->xline_mlt);
    free(s);
}

/* Great-circle distance [m] between (lat, mlt) points on a sphere of radius
 * r [R_E]; latitudes in degrees, MLT in hours. */
static double arc(double r, double la, double ma, double lb, double mb)
{
    double p1 = la * CR_DEG, p2 = lb * CR_DEG, dl = (mb - ma) * 15.0 * CR_DEG;
    double s1 = sin(0.5 * (p2 - p1)), s2 = sin(0.5 * dl);
    double h = s1 * s1 + cos(p1) * cos(p2) * s2 * s2;
    return 2.0 * r * CR_RE_M * asin(sqrt(fmin(1.0, h)));
}

int cr_flux_state_new(const struct cr_topomap *m, const struct cr_field *f, const struct cr_flux_opts *o,
                      struct cr_flux_state **out)
{
    const struct cr_footgrid *g = m->grid;
    const struct cr_log *log = g->p.log;
    *out = NULL;
    int nbin;
    if (cr_flux_nbins(g, o->mlt_bin, log, &nbin)) return CR_ECONFIG;
    if (o->xline_samples < 0 || o->ocb_bisect < 0) {
        cr_error(log, "flux: xline_samples and ocb_bisect must be >= 0");
        return CR_ECONFIG;
    }
    struct cr_flux_state *s = cr_zalloc(1, sizeof *s);
    if (!s) return CR_ENOMEM;
    s->time = m->time;
    s->nbin = nbin;
    s->nx = nbin * o->xline_samples;
    int rc = CR_OK;
    for (int h = 0; h < 2 && !rc; h++) {
        s->ocb[h] = cr_zalloc((size_t)nbin, sizeof(double));
        s->l_iono[h] = cr_zalloc((size_t)nbin, sizeof(double));
        s->l_xline[h] = cr_zalloc((size_t)nbin, sizeof(double));
        s->xline[h] = cr_zalloc((size_t)(3 * s->nx + 1), sizeof(double));
        if (!s->ocb[h] || !s->l_iono[h] || !s->l_xline[h] || !s->xline[h]) rc = CR_ENOMEM;
    }
    s->xline_mlt = cr_zalloc((size_t)s->nx + 1, sizeof(double));
    if (!s->xline_mlt) rc = CR_ENOMEM;
    if (rc) {
        cr_flux_state_release(s);
        return rc;
    }
    const int nam = g->nam;
    for (int h = 0; h < 2; h++) {
        s->open_flux[h] = cr_topomap_flux_of(m, h, -2);
        s->undetermined_flux[h] = cr_topomap_flux_of(m, h, CR_TOPO_UNDETERMINED);
        /* boundary latitude per bin: mean over the bin's columns */
        double *sum = cr_zalloc((size_t)nbin, sizeof(double));
        int *cnt = cr_zalloc((size_t)nbin, sizeof(int));
        if (!sum || !cnt) {
            free(sum);
            free(cnt);
            cr_flux_state_release(s);
            return CR_ENOMEM;
        }
        const double *ocb = m->ocb[h];
        for (int ja = 0; ja < nam; ja++) {
            int b = bin_of(g, ja, o->mlt_bin, nbin);
            if (isfinite(ocb[ja])) {
                sum[b] += ocb[ja];
                cnt[b]++;
            }
        }
        for (int b = 0; b < nbin; b++) {
            s->ocb[h][b] = cnt[b] ? sum[b] / cnt[b] : NAN;
            s->l_iono[h][b] = 0.0;
        }
        /* boundary length at the ionosphere: each segment between two
         * neighbouring columns is shared half-and-half by their bins */
        for (int ja = 0; ja < nam; ja++) {
            int jb = (ja + 1) % nam;
            if (!isfinite(ocb[ja]) || !isfinite(ocb[jb])) continue;
            double len = arc(g->p.r_iono, ocb[ja], g->mlt[ja], ocb[jb], g->mlt[jb]);
            s->l_iono[h][bin_of(g, ja, o->mlt_bin, nbin)] += 0.5 * len;
            s->l_iono[h][bin_of(g, jb, o->mlt_bin, nbin)] += 0.5 * len;
        }
        for (int b = 0; b < nbin; b++)
            if (!cnt[b]) s->l_iono[h][b] = NAN;
        free(sum);
        free(cnt);
    }
    /* X-line points: bisect the boundary, trace the last closed line to its
     * minimum |B| */
    for (int e = 0; e < s->nx; e++) s->xline_mlt[e] = e * (o->mlt_bin / o->xline_samples);
    if (s->nx > 0) {
        struct cr_fieldline_inp tin = o->trace;
        tin.field = f;
        tin.r_inner = g->p.r_foot;
        const int nx = s->nx;
#pragma omp parallel
        {
            struct cr_fieldline *fl = cr_fieldline_new(&tin);
#pragma omp for schedule(dynamic, 1)
            for (int q = 0; q < 2 * nx; q++) {
                int h = q / nx, e = q % nx;
                double *p = s->xline[h] + 3 * e;
                p[0] = p[1] = p[2] = NAN;
                double lc, lo;
                if (!fl || cr_topomap_ocb_bisect(m, fl, h, s->xline_mlt[e], o->ocb_bisect, &lc, &lo) != CR_OK)
                    continue;
                double x[3];
                cr_footgrid_point(g, h, lc, s->xline_mlt[e], x);
                struct cr_fl_target_info ti;
                if (cr_fieldline_length_to(fl, m->time, x, 0, CR_FL_TO_BMIN, &ti) == CR_OK &&
                    ti.end.why == CR_FL_INNER)
                    memcpy(p, ti.x, 3 * sizeof *p);
            }
            cr_fieldline_release(fl);
        }
    }
    for (int h = 0; h < 2; h++)
        for (int b = 0; b < nbin; b++) {
            if (s->nx == 0) {
                s->l_xline[h][b] = NAN;
                continue;
            }
            double len = 0.0;
            for (int k = 0; k < o->xline_samples; k++) {
                int e = b * o->xline_samples + k, e2 = (e + 1) % s->nx;
                const double *p = s->xline[h] + 3 * e, *q = s->xline[h] + 3 * e2;
                double d = sqrt((q[0] - p[0]) * (q[0] - p[0]) + (q[1] - p[1]) * (q[1] - p[1]) +
                                (q[2] - p[2]) * (q[2] - p[2]));
                len += d; /* NaN propagates when a point is missing */
            }
            s->l_xline[h][b] = len * CR_RE_M;
        }
    *out = s;
    return CR_OK;
}

/* ---- drifting footpoints ----------------------------------------------------- */

void cr_flux_track_release(struct cr_flux_track *tr)
{
    if (!tr) return;
    for (int h = 0; h < 2; h++) {
        free(tr->lat[h]);
        free(tr->mlt[h]);
    }
    free(tr);
}

struct track_sys {
    cr_flux_drift_fn drift;
    void *ctx;
    double t1;
    int hemi;
    int err;
};

/* |MLat| [deg] and MLT [h] of a (not necessarily unit) vector in the
 * hemisphere-local frame of the tracking. */
static void to_latmlt(const double y[3], double *lat, double *mlt)
{
    *lat = atan2(y[2], sqrt(y[0] * y[0] + y[1] * y[1])) / CR_DEG;
    *mlt = fmod(atan2(y[1], y[0]) / (15.0 * CR_DEG) + 24.0, 24.0);
}

/* d y / d s with s = t1 - t (integrating backwards in time); y the unit
 * vector (cos a cos phi, cos a sin phi, sin a), a = |MLat|, phi = MLT 15 deg. */
static int track_rhs(double s, const double y[], double dyds[], void *params)
{
    struct track_sys *p = params;
    double lat, mlt;
    to_latmlt(y, &lat, &mlt);
    const double a = lat * CR_DEG, phi = mlt * 15.0 * CR_DEG, sa = sin(a);
    double dlat = 0.0, dmlt = 0.0;
    int rc = p->drift(p->ctx, p->t1 - s, p->hemi, lat, mlt, &dlat, &dmlt);
    if (rc && rc != CR_EDOMAIN) {
        p->err = rc;
        return GSL_EBADFUNC;
    }
    if (rc) dlat = dmlt = 0.0;
    double ca = cos(a), cp = cos(phi), sp = sin(phi);
    double wa = dlat * CR_DEG, wp = dmlt * 15.0 * CR_DEG * ca; /* [rad/s] along the meridian, the parallel */
    /* e_pole = (-sin a cos phi, -sin a sin phi, cos a), e_east = (-sin phi, cos phi, 0) */
    dyds[0] = -(wa * -sa * cp + wp * -sp);
    dyds[1] = -(wa * -sa * sp + wp * cp);
    dyds[2] = -(wa * ca);
    return GSL_SUCCESS;
}

int cr_flux_track_new(const struct cr_footgrid *g, cr_flux_drift_fn drift, void *ctx, double t0, double t1,
                      double dt_max, const unsigned char *const need[2], struct cr_flux_track **out)
{
    *out = NULL;
    if (!(t1 > t0) || !(dt_max > 0) || !drift) {
        cr_error(g->p.log, "flux: footpoint tracking needs t1 > t0 and a positive step (t0 %g s, t1 %g s, step %g s)",
                 t0, t1, dt_max);
        return CR_ECONFIG;
    }
    struct cr_flux_track *tr = cr_zalloc(1, sizeof *tr);
    if (!tr) return CR_ENOMEM;
    tr->t0 = t0;
    tr->t1 = t1;
    tr->natom = (size_t)g->nal * (size_t)g->nam;
    for (int h = 0; h < 2; h++) {
        tr->lat[h] = malloc(tr->natom * sizeof(double));
        tr->mlt[h] = malloc(tr->natom * sizeof(double));
        if (!tr->lat[h] || !tr->mlt[h]) {
            cr_flux_track_release(tr);
            return CR_ENOMEM;
        }
    }
    const unsigned long nstep = (unsigned long)ceil((t1 - t0) / dt_max - 1e-9);
    const double hs = (t1 - t0) / (double)nstep;
    const long n = 2 * (long)tr->natom;
    int err = CR_OK;
    double shift = 0.0;
    size_t ntr = 0;
    /* this rank's block of the footpoints (core/cr_par.h) */
    const struct cr_par *par = g->p.par;
    long q0, q1;
    cr_par_block(par, n, &q0, &q1);
#pragma omp parallel reduction(max : shift) reduction(+ : ntr)
    {
        struct track_sys p = {.drift = drift, .ctx = ctx, .t1 = t1};
        gsl_odeiv2_system sys = {track_rhs, NULL, 3, &p};
        /* fixed steps without error control: the step alone (a driver's
         * control would refuse a step whose error estimate exceeds it) */
        gsl_odeiv2_step *d = gsl_odeiv2_step_alloc(gsl_odeiv2_step_rk4, 3);
        if (!d) {
#pragma omp atomic write
            err = CR_ENOMEM;
        }
        /* dynamic: with a band the followed atoms cluster along the boundary rows */
#pragma omp for schedule(dynamic, 256)
        for (long q = q0; q < q1; q++) {
            if (!d) continue;
            int h = (int)(q / (long)tr->natom);
            size_t k = (size_t)(q % (long)tr->natom);
            const double lat0 = g->lat_iono[k / (size_t)g->nam], mlt0 = g->mlt[k % (size_t)g->nam];
            if (need && !need[h][k]) { /* outside the band: stays where it is */
                tr->lat[h][k] = lat0;
                tr->mlt[h][k] = mlt0;
                continue;
            }
            ntr++;
            double a = lat0 * CR_DEG, phi = mlt0 * 15.0 * CR_DEG;
            double y[3] = {cos(a) * cos(phi), cos(a) * sin(phi), sin(a)}, y0[3] = {y[0], y[1], y[2]}, yerr[3];
            p.hemi = h;
            p.err = CR_OK;
            gsl_odeiv2_step_reset(d);
            int st = GSL_SUCCESS;
            for (unsigned long i = 0; i < nstep && st == GSL_SUCCESS; i++)
                st = gsl_odeiv2_step_apply(d, (double)i * hs, hs, y, yerr, NULL, NULL, &sys);
            if (st != GSL_SUCCESS) {
                const int e = p.err ? p.err : CR_ERR;
#pragma omp critical(cr_flux_track_err)
                err = e;
                continue;
            }
            to_latmlt(y, &tr->lat[h][k], &tr->mlt[h][k]);
            double r = sqrt(y[0] * y[0] + y[1] * y[1] + y[2] * y[2]);
            double dot = (y[0] * y0[0] + y[1] * y0[1] + y[2] * y0[2]) / r;
            double ang = acos(fmin(1.0, fmax(-1.0, dot))) / CR_DEG;
            if (ang > shift) shift = ang;
        }
        if (d) gsl_odeiv2_step_free(d);
    }
    if (par && par->size > 1) {
        /* every rank's footpoints, in rank order: (lat, mlt) pairs */
        err = cr_par_max_int(par, err);
        double *mine = malloc(2 * ((size_t)(q1 - q0) + 1) * sizeof(double));
        double *all = malloc(2 * ((size_t)n + 1) * sizeof(double));
        int rc = (!mine || !all) ? CR_ENOMEM : CR_OK;
        rc = cr_par_max_int(par, rc);
        if (!rc && !err) {
            for (long q = q0; q < q1; q++) {
                int h = (int)(q / (long)tr->natom);
                size_t k = (size_t)(q % (long)tr->natom);
                mine[2 * (q - q0)] = tr->lat[h][k];
                mine[2 * (q - q0) + 1] = tr->mlt[h][k];
            }
            rc = cr_par_allgather_doubles(par, mine, 2 * (size_t)(q1 - q0), all);
            for (long q = 0; q < n && !rc; q++) {
                int h = (int)(q / (long)tr->natom);
                size_t k = (size_t)(q % (long)tr->natom);
                tr->lat[h][k] = all[2 * q];
                tr->mlt[h][k] = all[2 * q + 1];
            }
        }
        free(mine), free(all);
        if (!err) err = rc;
        shift = cr_par_max(par, shift);
        ntr = (size_t)cr_par_sum_long(par, (long)ntr);
    }
    if (err) {
        cr_error(g->p.log, "flux: following the footpoints from %g s back to %g s failed (drift error %d)", t1, t0,
                 err);
        cr_flux_track_release(tr);
        return err;
    }
    tr->max_shift = shift;
    tr->ntracked = ntr;
    *out = tr;
    return CR_OK;
}

int cr_flux_drift_bound(const struct cr_footgrid *g, cr_flux_drift_fn drift, void *ctx, double t0, double t1,
                        double dt, double *vmax)
{
    *vmax = 0.0;
    if (!(t1 >= t0) || !(dt > 0)) return CR_ECONFIG;
    const int nt = (int)ceil((t1 - t0) / dt - 1e-9);
    const int sl = g->p.sub_lat > 0 ? g->p.sub_lat : 1, sm = g->p.sub_mlt > 0 ? g->p.sub_mlt : 1;
    const int nl = (g->nal + sl - 1) / sl, nm = (g->nam + sm - 1) / sm;
    const long n = 2L * nl * nm;
    double v = 0.0;
    int err = CR_OK;
#pragma omp parallel for schedule(static) reduction(max : v)
    for (long q = 0; q < n; q++) {
        int h = (int)(q / ((long)nl * nm)), r = (int)(q % ((long)nl * nm));
        int ia = (r / nm) * sl + sl / 2, ja = (r % nm) * sm + sm / 2;
        if (ia >= g->nal) ia = g->nal - 1;
        if (ja >= g->nam) ja = g->nam - 1;
        const double lat = g->lat_iono[ia], mlt = g->mlt[ja], ca = cos(lat * CR_DEG);
        for (int i = 0; i <= nt; i++) {
            double t = i < nt ? t0 + i * dt : t1, dl = 0.0, dm = 0.0;
            int rc = drift(ctx, t, h, lat, mlt, &dl, &dm);
            if (rc == CR_EDOMAIN) continue;
            if (rc) {
#pragma omp atomic write
                err = rc;
                continue;
            }
            double w = sqrt(dl * dl + (dm * 15.0 * ca) * (dm * 15.0 * ca));
            if (w > v) v = w;
        }
    }
    *vmax = v;
    return err;
}

/* 1 where the open fraction of atom q is not that of a uniformly open or
 * closed neighbourhood (the atom cut, not determined, or a neighbour
 * different from it). */
static int band_edge(const struct cr_topomap *a, int h, int ia, int ja)
{
    const struct cr_footgrid *g = a->grid;
    const int nal = g->nal, nam = g->nam;
    size_t q = (size_t)ia * nam + ja;
    int v = a->topo[h][q];
    if (!(v == CR_TOPO_CLOSED || cr_topo_is_open(v))) return 1;
    double f = a->frac[h][q];
    if (f != 0.0 && f != 1.0) return 1;
    const int di[4] = {-1, 1, 0, 0}, dj[4] = {0, 0, -1, 1};
    for (int e = 0; e < 4; e++) {
        int i2 = ia + di[e], j2 = ((ja + dj[e]) % nam + nam) % nam;
        if (i2 < 0 || i2 >= nal) continue;
        size_t q2 = (size_t)i2 * nam + j2;
        int v2 = a->topo[h][q2];
        if (!(v2 == CR_TOPO_CLOSED || cr_topo_is_open(v2)) || a->frac[h][q2] != f) return 1;
    }
    return 0;
}

size_t cr_flux_band(const struct cr_topomap *a, const struct cr_topomap *b, double radius, unsigned char *need[2])
{
    const struct cr_footgrid *g = a->grid;
    const int nal = g->nal, nam = g->nam;
    const size_t na = (size_t)nal * nam;
    /* two atoms of margin each way: the moved atom's own extent (half an
     * atom), the second column its MLT extent overlaps, and the neighbour
     * rule of a cut atom (open_length) */
    const double wld = ceil(radius / g->dlat_a) + 2.0;
    const int wl = wld < nal ? (int)wld : nal;
    size_t count = 0;
    unsigned char *row = malloc(na);
    int *cum = malloc((size_t)(nam + 1) * sizeof(int));
    if (!row || !cum) {
        /* no memory for the band: follow every atom */
        free(row), free(cum);
        for (int h = 0; h < 2; h++) memset(need[h], 1, na);
        return 2 * na;
    }
    for (int h = 0; h < 2; h++) {
        /* 1. edges of a, dilated along MLT by the columns within radius along
         * the parallel at the most poleward latitude of the band around them */
        for (int ia = 0; ia < nal; ia++) {
            cum[0] = 0;
            for (int ja = 0; ja < nam; ja++) cum[ja + 1] = cum[ja] + band_edge(a, h, ia, ja);
            double lat = fmin(90.0, g->lat_iono[ia] + radius + 2.0 * g->dlat_a);
            double arc = 15.0 * g->dmlt_a * cos(lat * CR_DEG); /* one column along that parallel [deg] */
            double wmd = arc > 0 ? ceil(radius / arc) + 2.0 : (double)nam;
            int wm = wmd < nam ? (int)wmd : nam;
            for (int ja = 0; ja < nam; ja++) {
                int hit;
                if (2 * wm + 1 >= nam) hit = cum[nam] > 0;
                else {
                    int lo = ja - wm, hi = ja + wm; /* inclusive, circular */
                    if (lo < 0) hit = (cum[hi + 1] + cum[nam] - cum[nam + lo]) > 0;
                    else if (hi >= nam) hit = (cum[nam] - cum[lo] + cum[hi - nam + 1]) > 0;
                    else hit = (cum[hi + 1] - cum[lo]) > 0;
                }
                row[(size_t)ia * nam + ja] = (unsigned char)hit;
            }
        }
        /* 2. along latitude by wl rows; 3. atoms whose fraction changes */
        for (int ja = 0; ja < nam; ja++) {
            int run = 0; /* edge rows within the window, sliding */
            for (int ia = 0; ia < wl && ia < nal; ia++) run += row[(size_t)ia * nam + ja];
            for (int ia = 0; ia < nal; ia++) {
                if (ia + wl < nal) run += row[(size_t)(ia + wl) * nam + ja];
                if (ia - wl - 1 >= 0) run -= row[(size_t)(ia - wl - 1) * nam + ja];
                size_t q = (size_t)ia * nam + ja;
                need[h][q] = (unsigned char)(run > 0 || a->frac[h][q] != b->frac[h][q] || a->topo[h][q] != b->topo[h][q]);
                count += need[h][q];
            }
        }
    }
    free(row), free(cum);
    return count;
}

int cr_flux_track_between(const struct cr_topomap *a, const struct cr_topomap *b, cr_flux_drift_fn drift, void *ctx,
                          double dt_max, int band, struct cr_flux_track **out)
{
    const struct cr_footgrid *g = a->grid;
    const double t0 = a->time, t1 = b->time;
    *out = NULL;
    if (!band) return cr_flux_track_new(g, drift, ctx, t0, t1, dt_max, NULL, out);
    double vmax = 0.0;
    int rc = cr_flux_drift_bound(g, drift, ctx, t0, t1, dt_max, &vmax);
    if (rc) {
        cr_error(g->p.log, "flux: the drift between %g and %g s could not be evaluated (error %d)", t0, t1, rc);
        return rc;
    }
    const double radius = 1.5 * vmax * (t1 - t0);
    const size_t na = (size_t)g->nal * (size_t)g->nam;
    unsigned char *need[2] = {malloc(na), malloc(na)};
    if (!need[0] || !need[1]) {
        free(need[0]), free(need[1]);
        return cr_flux_track_new(g, drift, ctx, t0, t1, dt_max, NULL, out);
    }
    size_t nb = cr_flux_band(a, b, radius, need);
    rc = cr_flux_track_new(g, drift, ctx, t0, t1, dt_max, (const unsigned char *const *)need, out);
    free(need[0]), free(need[1]);
    if (rc) return rc;
    if ((*out)->max_shift > radius) {
        cr_warn(g->p.log, "flux: %g..%g s: a footpoint moved %.3f deg, beyond the band's bound %.3f deg: following "
                "every footpoint", t0, t1, (*out)->max_shift, radius);
        cr_flux_track_release(*out);
        *out = NULL;
        return cr_flux_track_new(g, drift, ctx, t0, t1, dt_max, NULL, out);
    }
    cr_debug(g->p.log, "flux: %g..%g s: %zu of %zu footpoints within %.2f deg of a boundary followed (drift <= %.3g "
             "deg/s)", t0, t1, nb, 2 * na, radius, vmax);
    return CR_OK;
}

/* Open length [deg] of column ja of map m over |MLat| [lo, hi]; *ok = 0 when
 * the range leaves the grid or touches an atom that is neither open nor
 * closed. A cut atom (0 < frac < 1) is open on the side of its more open
 * latitude neighbour. */
static double open_length(const struct cr_topomap *m, int h, int ja, double lo, double hi, int *ok)
{
    const struct cr_footgrid *g = m->grid;
    const int nam = g->nam, nal = g->nal;
    const double dl = g->dlat_a, base = g->p.mlat_min;
    if (lo < base - 1e-9 || hi > base + nal * dl + 1e-9) {
        *ok = 0;
        return 0.0;
    }
    int i0 = (int)floor((lo - base) / dl), i1 = (int)floor((hi - base) / dl);
    if (i0 < 0) i0 = 0;
    if (i1 > nal - 1) i1 = nal - 1;
    double len = 0.0;
    for (int ia = i0; ia <= i1; ia++) {
        size_t q = (size_t)ia * nam + ja;
        int v = m->topo[h][q];
        if (!(v == CR_TOPO_CLOSED || cr_topo_is_open(v))) {
            *ok = 0;
            return 0.0;
        }
        double e0 = base + ia * dl, e1 = e0 + dl, f = m->frac[h][q];
        double o0, o1; /* open part of the atom */
        if (f <= 0.0) continue;
        if (f >= 1.0) o0 = e0, o1 = e1;
        else {
            double fd = ia > 0 ? m->frac[h][q - nam] : f, fu = ia + 1 < nal ? m->frac[h][q + nam] : f;
            if (fu >= fd) o0 = e1 - f * dl, o1 = e1;
            else o0 = e0, o1 = e0 + f * dl;
        }
        double x0 = fmax(o0, lo), x1 = fmin(o1, hi);
        if (x1 > x0) len += x1 - x0;
    }
    return len;
}

int cr_flux_transitions(const struct cr_topomap *a, const struct cr_topomap *b, const struct cr_flux_track *tr,
                        double mlt_bin, int nbin, double *opened[2], double *closed[2])
{
    const struct cr_footgrid *g = a->grid;
    if (b->grid != g) {
        const struct cr_footgrid *h = b->grid;
        if (h->nal != g->nal || h->nam != g->nam || h->p.mlat_min != g->p.mlat_min || h->dlat_a != g->dlat_a) {
            cr_error(g->p.log, "flux: the two topology maps are on different footpoint grids");
            return CR_ECONFIG;
        }
    }
    int nb;
    if (cr_flux_nbins(g, mlt_bin, g->p.log, &nb) || nb != nbin) return CR_ECONFIG;
    const int nam = g->nam;
    const size_t na = (size_t)g->nal * (size_t)nam;
    if (tr && tr->natom != na) {
        cr_error(g->p.log, "flux: the footpoint track was made on another footpoint grid");
        return CR_ECONFIG;
    }
    const double dl = g->dlat_a, dm = g->dmlt_a;
    for (int h = 0; h < 2; h++) {
        memset(opened[h], 0, (size_t)nbin * sizeof(double));
        memset(closed[h], 0, (size_t)nbin * sizeof(double));
        const signed char *ta = a->topo[h], *tb = b->topo[h];
        const double *fa = a->frac[h], *fb = b->frac[h];
        for (size_t q = 0; q < na; q++) {
            int va = ta[q], vb = tb[q];
            /* only atoms determined (closed or open) in both maps take part */
            if (!(vb == CR_TOPO_CLOSED || cr_topo_is_open(vb))) continue;
            double f0;
            if (!tr) {
                if (!(va == CR_TOPO_CLOSED || cr_topo_is_open(va))) continue;
                f0 = fa[q];
            } else {
                /* the atom moved back: its latitude extent over the one or two
                 * columns its MLT extent overlaps */
                double la = tr->lat[h][q], ml = tr->mlt[h][q];
                double x = ml / dm - 0.5; /* column coordinate of the left edge's centre */
                int j0 = (int)floor(x);
                double wr = x - j0;
                int ok = 1;
                double lo = la - 0.5 * dl, hi = la + 0.5 * dl, open = 0.0;
                int jl = ((j0 % nam) + nam) % nam, jr = (jl + 1) % nam;
                if (wr < 1.0) open += (1.0 - wr) * open_length(a, h, jl, lo, hi, &ok);
                if (wr > 0.0) open += wr * open_length(a, h, jr, lo, hi, &ok);
                if (!ok) continue;
                f0 = open / dl;
            }
            double df = fb[q] - f0;
            if (df == 0.0) continue;
            double w = 0.5 * (a->flux[h][q] + b->flux[h][q]);
            int bin = bin_of(g, (int)(q % (size_t)nam), mlt_bin, nbin);
            if (df > 0) opened[h][bin] += df * w;
            else closed[h][bin] -= df * w;
        }
    }
    return CR_OK;
}
