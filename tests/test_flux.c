/* test_flux.c — reconnected-flux accounting: the flux opened between two
 * states of the dipole + uniform field of known open flux (B0 = 5 nT then
 * 6 nT), the boundary lengths at the ionosphere and along the X-line (the
 * null ring), `cusprate flux` end to end on the analytic ramp and on a
 * synthetic D-grid mhd.h5, and exit status 2 with a clear message on bad
 * input. */
#include <criterion/criterion.h>
#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_file.h"
#include "../core/cr_sys.h"
#include "../core/cr_units.h"
#include "../grids/cr_field.h"
#include "../reconnection/cr_flux.h"
#include "cf_check.h"
#include "helpers.h"
#include "test_flux_mhdfile.h"

#define B_E 30000.0

int flux_test_write_dgrid(const char *path, double b0); /* test_fieldline_mhd.c */

static double pc_lat(double b0)
{
    double rn = cbrt(B_E / b0);
    return 90.0 - asin(sqrt(3.0 * b0 * rn * rn / (2.0 * B_E + b0))) / CR_DEG;
}

static double open_flux(double b0)
{
    return 3.0 * CR_PI * CR_RE_M * CR_RE_M * pow(B_E * CR_NT, 2.0 / 3.0) * pow(b0 * CR_NT, 1.0 / 3.0);
}

/* Great-circle distance [m] on the sphere r = 1 R_E between two points of
 * latitude lat [deg] dphi [rad] apart in longitude. */
static double gc(double lat, double dphi)
{
    double c = cos(lat * CR_DEG);
    return 2.0 * CR_RE_M * asin(c * sin(0.5 * dphi));
}

static struct cr_topomap *map_for(const struct cr_footgrid *g, double b0)
{
    double bu[3] = {0, 0, -b0};
    struct cr_field *f = cr_field_dipole_uniform_new(B_E, bu, NULL, 1.0, 0.0);
    struct cr_fieldline_inp tin = {.eps_abs = 1e-7, .eps_rel = 1e-7, .r_outer = 60.0};
    struct cr_topomap *m = NULL;
    cr_assert_eq(cr_topomap_compute(g, f, 0.0, &tin, &m), CR_OK);
    cr_field_release(f);
    return m;
}

Test(flux, opened_between_5_and_6_nT)
{
    /* 0.25 deg cells split 8-fold at the boundary: 0.03125 deg atoms; 1 h
     * columns (the field is axisymmetric, every column is the same) */
    struct cr_footgrid_inp gi = {.mlat_min = 60, .mlat_max = 90, .dlat = 0.25, .dmlt = 1.0, .sub_lat = 8,
                                 .sub_mlt = 1, .coarse_lat = 4, .coarse_mlt = 2, .r_iono = 1.0, .r_foot = 1.0};
    struct cr_footgrid *g = cr_footgrid_new(&gi);
    cr_assert_not_null(g);
    struct cr_topomap *a = map_for(g, 5.0), *b = map_for(g, 6.0);
    const int nbin = 12;
    double o[2][12], c[2][12];
    double *op[2] = {o[0], o[1]}, *cl[2] = {c[0], c[1]};
    cr_assert_eq(cr_flux_transitions(a, b, NULL, 2.0, nbin, op, cl), CR_OK);
    double l5 = pc_lat(5.0), l6 = pc_lat(6.0), want = open_flux(6.0) - open_flux(5.0);
    for (int h = 0; h < 2; h++) {
        double tot = 0.0;
        for (int k = 0; k < nbin; k++) {
            tot += o[h][k];
            cr_assert_eq(c[h][k], 0.0, "a stronger southward field only opens flux");
        }
        /* every bin the same (axisymmetric; identical columns) */
        for (int k = 0; k < nbin; k++) cr_assert(fabs(o[h][k] - tot / nbin) <= 1e-9 * tot, "bin %d", k);
        /* discrete expectation: the atoms whose centres lie between the two
         * analytic boundaries, with the mean weights; atoms within tracing
         * tolerance (2e-3 deg) of a boundary may go either way */
        double disc = 0.0, amb = 0.0, row5 = 0.0, row6 = 0.0;
        for (int ia = 0; ia < g->nal; ia++) {
            double la = g->lat_iono[ia], lo = la - 0.5 * g->dlat_a, hi = la + 0.5 * g->dlat_a;
            for (int ja = 0; ja < g->nam; ja++) {
                double w = 0.5 * (a->flux[h][ia * g->nam + ja] + b->flux[h][ia * g->nam + ja]);
                if (lo <= l5 && l5 < hi) row5 += w;
                if (lo <= l6 && l6 < hi) row6 += w;
                if (fabs(la - l5) < 2e-3 || fabs(la - l6) < 2e-3) amb += w;
                else if (la > l6 && la < l5) disc += w;
            }
        }
        cr_assert(fabs(tot - disc) <= amb + 1e-9 * tot, "hemi %d: %.6g Wb vs discrete %.6g Wb", h, tot, disc);
        /* footpoint-grid accuracy against the analytic 39.6 MWb: counting an
         * atom by its centre misplaces each of the two boundaries by at most
         * half an atom, i.e. at most half the flux of the atom row holding it */
        double bound = 0.5 * (row5 + row6);
        cr_assert(fabs(tot - want) <= bound, "hemi %d: opened %.3f MWb, analytic %.3f MWb, bound %.3f MWb", h,
                  tot / 1e6, want / 1e6, bound / 1e6);
        cr_assert(bound < 0.06 * want, "the bound itself is %.1f %%", 100 * bound / want);
        cr_log_msg(NULL, CR_LEVEL_INFO, "flux 5 -> 6 nT, hemisphere %d: opened %.3f MWb, analytic %.3f MWb (%+.2f %%), "
                   "grid bound %.3f MWb", h, tot / 1e6, want / 1e6, 100 * (tot - want) / want, bound / 1e6);
        /* flux balance: open(t1) - open(t0) = opened - closed, up to the change
         * of |B_r| at r = 1 between the states (B0 / 2 B_E ~ 2e-5 of it) */
        double d_open = cr_topomap_flux_of(b, h, -2) - cr_topomap_flux_of(a, h, -2);
        cr_assert(fabs(d_open - tot) < 1e-4 * open_flux(6.0), "balance %g vs %g", d_open, tot);
    }
    /* boundary lengths */
    struct cr_flux_opts o2 = {.mlt_bin = 2.0, .ocb_bisect = 14, .xline_samples = 1,
                              .trace = {.eps_abs = 1e-9, .eps_rel = 1e-9, .r_outer = 60.0}};
    double bu[3] = {0, 0, -5.0};
    struct cr_field *f5 = cr_field_dipole_uniform_new(B_E, bu, NULL, 1.0, 0.0);
    struct cr_flux_state *s = NULL;
    cr_assert_eq(cr_flux_state_new(a, f5, &o2, &s), CR_OK);
    cr_assert_eq(s->nbin, 12);
    double rn = cbrt(B_E / 5.0);
    for (int h = 0; h < 2; h++) {
        for (int k = 0; k < 12; k++) {
            /* ionosphere: two 15 deg chords at the column boundary latitude,
             * which sits on an atom edge within 0.03125 deg of 73.3 deg:
             * dL/L = tan(lat) dlat <= 0.18 %, so 0.3 % */
            double li = 2.0 * gc(l5, 15.0 * CR_DEG);
            cr_assert(fabs(s->l_iono[h][k] - li) < 3e-3 * li, "L_iono %g km vs %g km", s->l_iono[h][k] / 1e3,
                      li / 1e3);
            cr_assert(fabs(s->ocb[h][k] - l5) <= g->dlat_a + 1e-9);
            /* X-line: the last closed lines of neighbouring bin edges pass the
             * null ring r_n = 18.17 R_E 30 deg apart: chord 2 r_n sin(15 deg).
             * The boundary is bisected to 0.03125 / 2^14 deg; the line that far
             * inside the separatrix has its smallest |B| within ~0.1 R_E of the
             * null (|B| rises linearly away from it), so 1 % on the chord */
            double lx = 2.0 * rn * sin(15.0 * CR_DEG) * CR_RE_M;
            cr_assert(fabs(s->l_xline[h][k] - lx) < 0.01 * lx, "L_xline %g km vs %g km", s->l_xline[h][k] / 1e3,
                      lx / 1e3);
            if (k == 0)
                cr_log_msg(NULL, CR_LEVEL_INFO, "B0 = 5 nT, hemisphere %d: L_iono %.2f km (%.2f), L_xline %.1f km (%.1f)",
                           h, s->l_iono[h][k] / 1e3, li / 1e3, s->l_xline[h][k] / 1e3, lx / 1e3);
            const double *p = s->xline[h] + 3 * k;
            double r = sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]);
            cr_assert(fabs(r - rn) < 0.1 && fabs(p[2]) < 0.1, "X-line point r %g (r_n %g) z %g", r, rn, p[2]);
            double mlt = 12.0 + atan2(p[1], p[0]) / (15.0 * CR_DEG);
            cr_assert(fabs(remainder(mlt - s->xline_mlt[k], 24.0)) < 0.05, "X-line point at MLT %g (%g)", mlt,
                      s->xline_mlt[k]);
        }
        cr_assert(fabs(s->open_flux[h] - open_flux(5.0)) < 0.005 * open_flux(5.0));
    }
    cr_flux_state_release(s);
    cr_field_release(f5);
    /* with the boundary bisected inside the atom pairs (6 times: to 1/128 of
     * an atom) the count is continuous in the boundary position: the error
     * bound drops from half an atom row to 1/128 of one per boundary */
    struct cr_footgrid_inp gb = gi;
    gb.edge_bisect = 6;
    struct cr_footgrid *g6 = cr_footgrid_new(&gb);
    struct cr_topomap *a6 = map_for(g6, 5.0), *b6 = map_for(g6, 6.0);
    cr_assert_eq(cr_flux_transitions(a6, b6, NULL, 2.0, nbin, op, cl), CR_OK);
    for (int h = 0; h < 2; h++) {
        double tot = 0.0, row = 0.0;
        for (int k = 0; k < nbin; k++) tot += o[h][k];
        for (int ja = 0; ja < g6->nam; ja++) {
            int ia = (int)((l5 - gi.mlat_min) / g6->dlat_a);
            row += a6->flux[h][ia * g6->nam + ja];
        }
        double bound = 2.0 * row / 128.0 + 1e-4 * want;
        cr_assert(fabs(tot - want) <= bound, "bisected: opened %.4f MWb vs %.4f (bound %.4f)", tot / 1e6, want / 1e6,
                  bound / 1e6);
        cr_log_msg(NULL, CR_LEVEL_INFO, "flux 5 -> 6 nT, boundary bisected 6x, hemisphere %d: opened %.4f MWb (%+.3f %%)",
                   h, tot / 1e6, 100 * (tot - want) / want);
        /* the boundary latitude follows: within 1/128 atom + tracing tolerance */
        for (int ja = 0; ja < g6->nam; ja++)
            cr_assert(fabs(a6->ocb[h][ja] - l5) < g6->dlat_a / 128 + 1e-4, "ocb %.6f vs %.6f", a6->ocb[h][ja], l5);
    }
    cr_topomap_release(a6);
    cr_topomap_release(b6);
    cr_footgrid_release(g6);
    /* bins that do not fit the columns are refused */
    cr_assert_eq(cr_flux_transitions(a, b, NULL, 0.7, 34, op, cl), CR_ECONFIG);
    cr_topomap_release(a);
    cr_topomap_release(b);
    cr_footgrid_release(g);
}

Test(flux, map_independent_of_thread_count)
{
    /* every footpoint's trace is independent of the others, so the map (and
     * its bisected fractions) must be bit-identical on 1 and 2 threads */
    struct cr_footgrid_inp gi = {.mlat_min = 65, .mlat_max = 85, .dlat = 0.5, .dmlt = 0.5, .sub_lat = 4,
                                 .sub_mlt = 2, .coarse_lat = 3, .coarse_mlt = 3, .edge_bisect = 3, .r_iono = 1.0,
                                 .r_foot = 1.0};
    struct cr_footgrid *g = cr_footgrid_new(&gi);
    /* a tilted uniform field breaks the axial symmetry: the boundary is not a
     * latitude circle, so many cells and pairs are refined */
    double bu[3] = {2.0, 3.0, -6.0};
    struct cr_field *f = cr_field_dipole_uniform_new(B_E, bu, NULL, 1.0, 0.0);
    struct cr_fieldline_inp tin = {.eps_abs = 1e-7, .eps_rel = 1e-7, .r_outer = 60.0};
    int nt0 = cr_max_threads();
    struct cr_topomap *m[2] = {NULL, NULL};
    for (int q = 0; q < 2; q++) {
        cr_set_threads(q + 1);
        cr_assert_eq(cr_topomap_compute(g, f, 0.0, &tin, &m[q]), CR_OK);
    }
    cr_set_threads(nt0);
    size_t na = (size_t)g->nal * g->nam;
    for (int h = 0; h < 2; h++) {
        cr_assert_eq(memcmp(m[0]->topo[h], m[1]->topo[h], na), 0, "topology differs between thread counts");
        cr_assert_eq(memcmp(m[0]->frac[h], m[1]->frac[h], na * sizeof(double)), 0, "fractions differ");
        cr_assert_eq(memcmp(m[0]->flux[h], m[1]->flux[h], na * sizeof(double)), 0, "weights differ");
    }
    cr_assert_eq(m[0]->ntraces, m[1]->ntraces);
    /* the boundary varies with MLT here (a test that the refinement follows it) */
    double lo = 90, hi = 0;
    for (int ja = 0; ja < g->nam; ja++) {
        lo = fmin(lo, m[0]->ocb[0][ja]);
        hi = fmax(hi, m[0]->ocb[0][ja]);
    }
    cr_assert(hi - lo > 0.5, "boundary from %g to %g deg", lo, hi);
    cr_topomap_release(m[0]);
    cr_topomap_release(m[1]);
    cr_field_release(f);
    cr_footgrid_release(g);
}

/* ---- drifting footpoints ----------------------------------------------------- */

/* Dawn-dusk potential Phi = -(D / 2) sin(phi), phi = (MLT - 12) 15 deg, of
 * latitude alone: footpoints drift along meridians at v_pole = E_east /
 * |B_r|, E_east = (D / 2) cos(phi) / (R cos a), |B_r| = 2 B_E sin a at r = 1. */
struct drift_ctx {
    double cpcp; /* [V] */
    double scale; /* multiplies the drift (0: none) */
};

static int drift_dd(void *ctx, double t, int hemi, double alat, double mlt, double *dl, double *dm)
{
    (void)t, (void)hemi;
    const struct drift_ctx *d = ctx;
    double a = alat * CR_DEG, phi = (mlt - 12.0) * 15.0 * CR_DEG;
    double e_east = 0.5 * d->cpcp * cos(phi) / (CR_RE_M * cos(a));
    *dl = d->scale * e_east / (2.0 * B_E * CR_NT * sin(a)) / CR_RE_M / CR_DEG;
    *dm = 0.0;
    return CR_OK;
}

/* 60-84 deg, 0.25-deg cells in 4 atoms of latitude, 0.25-h columns. */
static struct cr_footgrid *drift_grid(void)
{
    struct cr_footgrid_inp gi = {.mlat_min = 60, .mlat_max = 84, .dlat = 0.25, .dmlt = 0.25, .sub_lat = 4,
                                 .sub_mlt = 1, .coarse_lat = 4, .coarse_mlt = 2, .edge_bisect = 4, .r_iono = 1.0,
                                 .r_foot = 1.0};
    struct cr_footgrid *g = cr_footgrid_new(&gi);
    cr_assert_not_null(g);
    return g;
}

Test(flux, drifting_footpoints_count_flux_crossing_a_steady_boundary)
{
    /* 60 kV across a stationary boundary (dipole + 5 nT, 73.3 deg) for 60 s:
     * the flux crossing the boundary between MLT m1 and m2 is the potential
     * drop along it, (D / 2)(sin phi2 - sin phi1) per second: 3.6 MWb opened
     * on the day side and closed on the night side per hemisphere. Fixed
     * footpoints see none of it. The grid stops at 84 deg, short of the pole
     * where a potential of MLT alone is singular. */
    struct cr_footgrid *g = drift_grid();
    struct cr_topomap *a = map_for(g, 5.0), *b = map_for(g, 6.0);
    const double D = 60e3, dt = 60.0;
    struct drift_ctx dc = {.cpcp = D, .scale = 1.0};
    struct cr_flux_track *tr = NULL;
    cr_assert_eq(cr_flux_track_new(g, drift_dd, &dc, 0.0, dt, 5.0, NULL, &tr), CR_OK);
    /* noon at 73 deg: 30 kV / (R cos a) / (2 B_E sin a) = 0.54 km/s, 0.29 deg in 60 s */
    cr_assert(tr->max_shift > 0.2 && tr->max_shift < 1.0, "largest shift %g deg", tr->max_shift);
    enum { NB = 24 };
    double o[2][NB], c[2][NB], of[2][NB], cf[2][NB];
    double *op[2] = {o[0], o[1]}, *cl[2] = {c[0], c[1]}, *opf[2] = {of[0], of[1]}, *clf[2] = {cf[0], cf[1]};
    cr_assert_eq(cr_flux_transitions(a, a, tr, 1.0, NB, op, cl), CR_OK);
    cr_assert_eq(cr_flux_transitions(a, a, NULL, 1.0, NB, opf, clf), CR_OK);
    double peak = D / 2.0 * (sin(7.5 * CR_DEG) - sin(-7.5 * CR_DEG)) * dt; /* the noon bin */
    for (int h = 0; h < 2; h++) {
        double to = 0.0, tc = 0.0;
        for (int k = 0; k < NB; k++) {
            double p1 = (k - 12.0) * 15.0 * CR_DEG, p2 = (k - 11.0) * 15.0 * CR_DEG;
            double want = 0.5 * D * (sin(p2) - sin(p1)) * dt; /* net opened [Wb] */
            /* the transition band (~0.3 deg, five atom rows) is counted with a
             * uniform flux density inside each 0.0625-deg atom: |B_r| cos a
             * changes by |d ln(sin a cos a)/da| dlat = 0.33 % across one at
             * 73 deg, so half of it per band edge; 0.5 % of the noon bin */
            cr_assert(fabs(o[h][k] - c[h][k] - want) <= 5e-3 * peak, "hemi %d bin %d: net %.5g Wb, want %.5g Wb", h,
                      k, o[h][k] - c[h][k], want);
            /* a bin opens or closes, not both */
            cr_assert(fmin(o[h][k], c[h][k]) <= 1e-3 * peak, "bin %d opens %g and closes %g", k, o[h][k], c[h][k]);
            to += o[h][k];
            tc += c[h][k];
            cr_assert_eq(of[h][k], 0.0, "fixed footpoints on a steady boundary");
            cr_assert_eq(cf[h][k], 0.0);
        }
        cr_assert(fabs(to - D * dt) <= 1e-3 * D * dt, "hemi %d: opened %.5g MWb, want %.5g", h, to / 1e6, D * dt / 1e6);
        cr_assert(fabs(tc - D * dt) <= 1e-3 * D * dt, "hemi %d: closed %.5g MWb, want %.5g", h, tc / 1e6, D * dt / 1e6);
        cr_log_msg(NULL, CR_LEVEL_INFO, "drifting footpoints, 60 kV, hemisphere %d: opened %.4f MWb, closed %.4f MWb "
                   "(%.4f each)", h, to / 1e6, tc / 1e6, D * dt / 1e6);
    }
    /* the same boundary moving (5 -> 6 nT) with the drift: what opens minus
     * what closes is the change of the open flux (flux conservation of the
     * drift), within the grid's accuracy; the fixed count sees the same
     * balance but different bins */
    cr_assert_eq(cr_flux_transitions(a, b, tr, 1.0, NB, op, cl), CR_OK);
    for (int h = 0; h < 2; h++) {
        double net = 0.0, dopen = cr_topomap_flux_of(b, h, -2) - cr_topomap_flux_of(a, h, -2);
        for (int k = 0; k < NB; k++) net += o[h][k] - c[h][k];
        /* the 0.33 %-per-atom density variation over the 0.3-deg drift band of
         * each boundary, against a 39.6-MWb change: 0.2 % */
        cr_assert(fabs(net - dopen) <= 2e-3 * dopen, "hemi %d: net %.5g MWb, open flux change %.5g MWb", h, net / 1e6,
                  dopen / 1e6);
    }
    /* no drift: the track reproduces the fixed count */
    struct cr_flux_track *t0 = NULL;
    struct drift_ctx still = {.cpcp = D, .scale = 0.0};
    cr_assert_eq(cr_flux_track_new(g, drift_dd, &still, 0.0, dt, 5.0, NULL, &t0), CR_OK);
    cr_assert(t0->max_shift < 1e-5, "%g deg", t0->max_shift); /* acos of a unit dot product near 1 */
    cr_assert_eq(cr_flux_transitions(a, b, t0, 1.0, NB, op, cl), CR_OK);
    cr_assert_eq(cr_flux_transitions(a, b, NULL, 1.0, NB, opf, clf), CR_OK);
    for (int h = 0; h < 2; h++)
        for (int k = 0; k < NB; k++)
            cr_assert(fabs(o[h][k] - of[h][k]) <= 1e-9 * fabs(of[h][k]) + 1e-6 && fabs(c[h][k] - cf[h][k]) <= 1e-6,
                      "bin %d: %g vs %g", k, o[h][k], of[h][k]);
    cr_flux_track_release(t0);
    /* bad input */
    cr_assert_neq(cr_flux_track_new(g, drift_dd, &dc, 60.0, 0.0, 5.0, NULL, &t0), CR_OK);
    cr_assert_null(t0);
    cr_flux_track_release(tr);
    cr_topomap_release(a);
    cr_topomap_release(b);
    cr_footgrid_release(g);
}

/* Following only the footpoints within reach of a boundary gives the counts
 * of following all of them: on the 5 -> 6 nT maps with the 60-kV drift
 * (the boundary moves by ~1 deg and the drift by 0.3 deg), the same with a
 * drift 5 times faster, and a tilted boundary that varies with MLT, each
 * against the full track, bin by bin. Returns the footpoints followed. */
static size_t band_against_full(const struct cr_topomap *a, const struct cr_topomap *b, struct drift_ctx *dc,
                                const char *what)
{
    enum { NB = 24 };
    const size_t na = (size_t)a->grid->nal * a->grid->nam;
    struct cr_flux_track *tf = NULL, *tb = NULL;
    cr_assert_eq(cr_flux_track_between(a, b, drift_dd, dc, 5.0, 0, &tf), CR_OK);
    cr_assert_eq(cr_flux_track_between(a, b, drift_dd, dc, 5.0, 1, &tb), CR_OK);
    cr_assert_eq(tf->ntracked, 2 * na);
    double o[2][NB], c[2][NB], of[2][NB], cf[2][NB];
    double *op[2] = {o[0], o[1]}, *cl[2] = {c[0], c[1]}, *opf[2] = {of[0], of[1]}, *clf[2] = {cf[0], cf[1]};
    cr_assert_eq(cr_flux_transitions(a, b, tb, 1.0, NB, op, cl), CR_OK);
    cr_assert_eq(cr_flux_transitions(a, b, tf, 1.0, NB, opf, clf), CR_OK);
    double tot = 0.0;
    for (int h = 0; h < 2; h++)
        for (int k = 0; k < NB; k++) tot += of[h][k] + cf[h][k];
    cr_assert_gt(tot, 1e6, "%s: the full track counts %g Wb", what, tot);
    /* the atoms left out carry df = 0 exactly where the full track gives
     * round-off (~1e-16 of an atom's flux each) */
    for (int h = 0; h < 2; h++)
        for (int k = 0; k < NB; k++)
            cr_assert(fabs(o[h][k] - of[h][k]) <= 1e-9 * tot && fabs(c[h][k] - cf[h][k]) <= 1e-9 * tot,
                      "%s: hemi %d bin %d opened %.12g vs %.12g, closed %.12g vs %.12g", what, h, k, o[h][k],
                      of[h][k], c[h][k], cf[h][k]);
    size_t n = tb->ntracked;
    cr_flux_track_release(tf);
    cr_flux_track_release(tb);
    return n;
}

Test(flux, band_of_followed_footpoints_gives_the_full_count)
{
    struct cr_footgrid *g = drift_grid();
    struct cr_topomap *a = map_for(g, 5.0), *b = map_for(g, 6.0);
    a->time = 0.0, b->time = 60.0;
    const size_t na = (size_t)g->nal * g->nam;
    /* the two boundaries and the drift's reach are a band of a few degrees
     * out of 24: most footpoints need not be followed */
    struct drift_ctx d1 = {.cpcp = 60e3, .scale = 1.0}, d5 = {.cpcp = 60e3, .scale = 5.0};
    size_t n1 = band_against_full(a, b, &d1, "60 kV");
    cr_assert_lt(n1, 0.2 * 2 * na, "%zu of %zu followed", n1, 2 * na);
    size_t n5 = band_against_full(a, b, &d5, "300 kV");
    cr_assert_lt(n5, 0.6 * 2 * na, "%zu of %zu followed", n5, 2 * na);
    cr_topomap_release(a);
    cr_topomap_release(b);
    /* a boundary that varies with MLT (tilted uniform field) */
    double bu1[3] = {2.0, 3.0, -6.0}, bu2[3] = {1.0, 4.0, -7.0};
    struct cr_fieldline_inp tin = {.eps_abs = 1e-7, .eps_rel = 1e-7, .r_outer = 60.0};
    struct cr_field *f1 = cr_field_dipole_uniform_new(B_E, bu1, NULL, 1.0, 0.0);
    struct cr_field *f2 = cr_field_dipole_uniform_new(B_E, bu2, NULL, 1.0, 0.0);
    cr_assert_eq(cr_topomap_compute(g, f1, 0.0, &tin, &a), CR_OK);
    cr_assert_eq(cr_topomap_compute(g, f2, 60.0, &tin, &b), CR_OK);
    struct drift_ctx d3 = {.cpcp = 60e3, .scale = 3.0};
    cr_assert_lt(band_against_full(a, b, &d3, "tilted"), 2 * na);
    cr_topomap_release(a);
    cr_topomap_release(b);
    cr_field_release(f1);
    cr_field_release(f2);
    cr_footgrid_release(g);
}

/* ---- the command ---------------------------------------------------------- */

static void lin_zero(const double c[3], double t, double B[3], double V[3], double *D, void *ctx)
{
    (void)c;
    (void)t;
    (void)ctx;
    B[0] = B[1] = 0.0;
    B[2] = -5.0;
    V[0] = V[1] = V[2] = 0.0;
    *D = 1.0;
}

static double nc_sum(int nc, const char *name, size_t n, double *buf)
{
    int v;
    cr_assert_eq(nc_inq_varid(nc, name, &v), NC_NOERR, "variable %s", name);
    cr_assert_eq(nc_get_var_double(nc, v, buf), NC_NOERR);
    double s = 0;
    for (size_t q = 0; q < n; q++) s += buf[q];
    return s;
}

static void nc_units(int nc, const char *name, const char *want)
{
    int v;
    char u[64] = "";
    size_t len = 0;
    cr_assert_eq(nc_inq_varid(nc, name, &v), NC_NOERR, "variable %s", name);
    cr_assert_eq(nc_inq_attlen(nc, v, "units", &len), NC_NOERR, "%s has units", name);
    cr_assert(len < sizeof u);
    nc_get_att_text(nc, v, "units", u);
    u[len] = '\0';
    cr_assert_str_eq(u, want, "%s units", name);
}

Test(flux, cli_analytic_ramp)
{
    char dir[256], ini[512], args[2048], out[16384], path[600];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(ini, sizeof ini, "%s/ramp.ini", dir);
    /* two 60 s intervals, Bz -5 -> -5.5 -> -6 nT; coarse MLT (axisymmetric) */
    helper_write_file(ini, "[run]\ndir = out\n[flux]\nsource = analytic\nt_start = 0\nt_end = 120\ninterval = 60\n"
                           "bz_start = -5\nbz_end = -6\nmlat_min = 60\ndlat = 0.25\ndmlt = 1\nrefine_lat = 8\n"
                           "mlt_bin = 2\n");
    snprintf(args, sizeof args, "flux %s", ini);
    int st = helper_run_cli(args, out, sizeof out);
    cr_assert_eq(st, 0, "exit %d:\n%s", st, out);
    snprintf(path, sizeof path, "%s/out/flux.nc", dir);
    CF_ASSERT_FILE(path);
    int nc;
    cr_assert_eq(nc_open(path, NC_NOWRITE, &nc), NC_NOERR, "%s", path);
    char conv[32] = "";
    nc_get_att_text(nc, NC_GLOBAL, "Conventions", conv);
    cr_assert(!strncmp(conv, "CF-1.8", 6));
    size_t nt, nb, nh, nmap;
    int d;
    nc_inq_dimid(nc, "time", &d);
    nc_inq_dimlen(nc, d, &nt);
    nc_inq_dimid(nc, "mlt", &d);
    nc_inq_dimlen(nc, d, &nb);
    nc_inq_dimid(nc, "hemisphere", &d);
    nc_inq_dimlen(nc, d, &nh);
    nc_inq_dimid(nc, "map_time", &d);
    nc_inq_dimlen(nc, d, &nmap);
    cr_assert(nt == 2 && nb == 12 && nh == 2 && nmap == 3, "dims %zu %zu %zu %zu", nt, nb, nh, nmap);
    double buf[64], buf2[64];
    double opened = nc_sum(nc, "opened_flux", 48, buf);
    double closed = nc_sum(nc, "closed_flux", 48, buf2);
    cr_assert_eq(closed, 0.0);
    /* both hemispheres, both intervals: 2 (Phi(6) - Phi(5)). Atoms of 0.03125
     * deg with the boundary bisected 4 more times (the default): each of the
     * four boundary positions is placed within 1/32 of an atom row (0.07 MWb
     * against 19.8 MWb per interval and hemisphere), so 1 % */
    double want = 2.0 * (open_flux(6.0) - open_flux(5.0));
    cr_assert(fabs(opened - want) < 0.01 * want, "opened %g MWb vs %g", opened / 1e6, want / 1e6);
    /* rates are the fluxes over 60 s: kV = Wb / 60 s / 1e3, kWb/min = 60 kV */
    double kv = nc_sum(nc, "opening_rate_kV", 48, buf2);
    cr_assert(fabs(kv - opened / 60.0 / 1e3) < 1e-9 * kv);
    double kwb = nc_sum(nc, "opening_rate", 48, buf2);
    cr_assert(fabs(kwb - 60.0 * kv) < 1e-9 * kwb);
    /* open flux at each interval start: Phi(5), Phi(5.5) per hemisphere */
    nc_sum(nc, "open_flux", 4, buf);
    cr_assert(fabs(buf[0] - open_flux(5.0)) < 0.005 * open_flux(5.0));
    cr_assert(fabs(buf[2] - open_flux(5.5)) < 0.005 * open_flux(5.5));
    /* boundary latitude, south negative */
    nc_sum(nc, "ocb_mlat", 48, buf);
    cr_assert(fabs(buf[0] - pc_lat(5.0)) < 0.25 && fabs(buf[12] + pc_lat(5.0)) < 0.25, "%g %g", buf[0], buf[12]);
    nc_units(nc, "opened_flux", "Wb");
    nc_units(nc, "opening_rate", "kWb/min");
    nc_units(nc, "opening_rate_kV", "kV");
    nc_units(nc, "E_iono", "mV/m");
    nc_units(nc, "L_iono", "km");
    nc_units(nc, "E_xline", "mV/m");
    nc_units(nc, "L_xline", "km");
    nc_units(nc, "ocb_mlat", "degree");
    nc_units(nc, "mlt", "h");
    nc_units(nc, "time", "seconds since 2000-01-01T00:00:00Z");
    /* E_iono = rate / L_iono (V/m -> mV/m) */
    double e[48], l[48], r[48];
    nc_sum(nc, "E_iono", 48, e);
    nc_sum(nc, "L_iono", 48, l);
    nc_sum(nc, "opening_rate_kV", 48, r);
    cr_assert(fabs(e[3] - r[3] * 1e3 / (l[3] * 1e3) * 1e3) < 1e-9 * e[3]);
    int v;
    cr_assert_eq(nc_inq_varid(nc, "topology", &v), NC_NOERR, "the maps are stored");
    char fp[600] = "";
    size_t len = 0;
    cr_assert_eq(nc_inq_attlen(nc, NC_GLOBAL, "footpoints", &len), NC_NOERR);
    cr_assert(len < sizeof fp);
    nc_get_att_text(nc, NC_GLOBAL, "footpoints", fp);
    cr_assert(!strncmp(fp, "fixed", 5), "no potential: fixed footpoints (%s)", fp);
    nc_close(nc);
    /* a steady boundary with 60 kV across the polar cap (the analytic
     * potential, regular over the pole): drifting footpoints see 60 kV open on
     * the day side and 60 kV close on the night side in each hemisphere */
    snprintf(args, sizeof args, "flux %s flux.bz_end=-5 flux.t_end=60 flux.analytic_cpcp=60", ini);
    st = helper_run_cli(args, out, sizeof out);
    cr_assert_eq(st, 0, "exit %d:\n%s", st, out);
    cr_assert_eq(nc_open(path, NC_NOWRITE, &nc), NC_NOERR, "%s", path);
    double ro[24], rc[24];
    nc_sum(nc, "opening_rate_kV", 24, ro);
    nc_sum(nc, "closing_rate_kV", 24, rc);
    for (int h = 0; h < 2; h++) {
        double so = 0, sc = 0;
        for (int k = 0; k < 12; k++) {
            so += ro[12 * h + k];
            sc += rc[12 * h + k];
            /* bins of 2 h: the day side opens, the night side closes */
            cr_assert((k >= 3 && k <= 8) ? rc[12 * h + k] < 0.01 : ro[12 * h + k] < 0.01, "bin %d: %g / %g kV", k,
                      ro[12 * h + k], rc[12 * h + k]);
        }
        /* 0.5 %: the atoms' uniform flux density across the ~0.3-deg drift band
         * (see drifting_footpoints_count_flux_crossing_a_steady_boundary) */
        cr_assert(fabs(so - 60.0) < 0.3 && fabs(sc - 60.0) < 0.3, "hemi %d: %g / %g kV", h, so, sc);
    }
    cr_assert_eq(nc_inq_attlen(nc, NC_GLOBAL, "footpoints", &len), NC_NOERR);
    cr_assert(len < sizeof fp);
    nc_get_att_text(nc, NC_GLOBAL, "footpoints", fp);
    cr_assert(!strncmp(fp, "drifting", 8), "%s", fp);
    nc_close(nc);
    helper_rm_rf(dir);
}

Test(flux, cli_mhd_dgrid, .timeout = 120)
{
    char dir[256], ini[512], args[2048], out[16384], path[600];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/out/mhd.h5", dir);
    char od[600];
    snprintf(od, sizeof od, "%s/out", dir);
    cr_assert_eq(cr_mkdir_p(od, NULL), 0);
    cr_assert_eq(flux_test_write_dgrid(path, 10.0), CR_OK);
    snprintf(ini, sizeof ini, "%s/d.ini", dir);
    helper_write_file(ini, "[run]\ndir = out\n[flux]\nmlat_min = 62\ndlat = 0.25\ndmlt = 2\nmlt_bin = 4\n"
                           "xline_samples = 0\n");
    snprintf(args, sizeof args, "flux %s", ini);
    int st = helper_run_cli(args, out, sizeof out);
    cr_assert_eq(st, 0, "exit %d:\n%s", st, out);
    snprintf(path, sizeof path, "%s/out/flux.nc", dir);
    int nc;
    cr_assert_eq(nc_open(path, NC_NOWRITE, &nc), NC_NOERR);
    double buf[64];
    /* two identical slices (0 and 60 s): nothing opens or closes */
    cr_assert_eq(nc_sum(nc, "opened_flux", 12, buf), 0.0);
    cr_assert_eq(nc_sum(nc, "closed_flux", 12, buf), 0.0);
    nc_sum(nc, "open_flux", 2, buf);
    double want = open_flux(10.0);
    cr_assert(fabs(buf[0] - want) < 0.005 * want && fabs(buf[1] - want) < 0.005 * want, "open flux %g %g MWb",
              buf[0] / 1e6, buf[1] / 1e6);
    nc_close(nc);
    helper_rm_rf(dir);
}

Test(flux, cli_bad_input_exit_2)
{
    char dir[256], ini[512], args[2048], out[16384], path[600];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    /* no mhd.h5 */
    snprintf(ini, sizeof ini, "%s/a.ini", dir);
    helper_write_file(ini, "[run]\ndir = out\n");
    snprintf(args, sizeof args, "flux %s", ini);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 2, "%s", out);
    cr_assert(strstr(out, "mhd.h5") && strstr(out, "not found"), "%s", out);
    /* broken files */
    const int ni = 3, nj = 3, nk = 2;
    size_t n = (size_t)(ni + 1) * (nj + 1) * (nk + 1);
    double X[64], Y[64], Z[64];
    cr_assert(n <= 64);
    for (int k = 0; k <= nk; k++)
        for (int j = 0; j <= nj; j++)
            for (int i = 0; i <= ni; i++) {
                size_t m = ((size_t)k * (nj + 1) + j) * (ni + 1) + i;
                X[m] = 4.0 + i;
                Y[m] = -1.5 + j;
                Z[m] = -1.0 + k;
            }
    const double times[2] = {0.0, 60.0};
    const int flaws[3] = {SYNTH_BAD_Y_SHAPE, SYNTH_BAD_BZ_SHAPE, SYNTH_NO_BZ_LAST};
    const char *msg[3] = {"'Y' has shape", "'Step#1/Bz' has shape", "'Step#1/Bz' is missing"};
    for (int q = 0; q < 3; q++) {
        snprintf(path, sizeof path, "%s/bad%d.h5", dir, q);
        cr_assert_eq(mhdfile_write(path, ni, nj, nk, X, Y, Z, NULL, NULL, 2, times, lin_zero, NULL, flaws[q]), CR_OK);
        /* (a path cannot be a command-line override: it holds '/') */
        char text[1024];
        snprintf(text, sizeof text, "[run]\ndir = out\n[flux]\nmhd_file = %s\n", path);
        helper_write_file(ini, text);
        snprintf(args, sizeof args, "flux %s", ini);
        cr_assert_eq(helper_run_cli(args, out, sizeof out), 2, "flaw %d:\n%s", flaws[q], out);
        cr_assert(strstr(out, msg[q]), "flaw %d: %s", flaws[q], out);
    }
    /* a missing slice: states to 120 s, slices only to 60 s */
    snprintf(path, sizeof path, "%s/ok.h5", dir);
    cr_assert_eq(mhdfile_write(path, ni, nj, nk, X, Y, Z, NULL, NULL, 2, times, lin_zero, NULL, SYNTH_OK), CR_OK);
    char text[1024];
    snprintf(text, sizeof text, "[run]\ndir = out\n[flux]\nmhd_file = %s\n", path);
    helper_write_file(ini, text);
    snprintf(args, sizeof args, "flux %s flux.t_end=120", ini);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 2, "%s", out);
    cr_assert(strstr(out, "slices from 0 s to 60 s"), "%s", out);
    /* drifting footpoints without a potential */
    snprintf(args, sizeof args, "flux %s flux.footpoints=drifting", ini);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 2, "%s", out);
    cr_assert(strstr(out, "Ionosphere") && strstr(out, "footpoints = fixed"), "%s", out);
    snprintf(args, sizeof args, "flux %s flux.source=analytic flux.footpoints=drifting", ini);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 2, "%s", out);
    cr_assert(strstr(out, "analytic_cpcp"), "%s", out);
    /* a bin that does not divide the day, and a bad value */
    snprintf(args, sizeof args, "flux %s flux.source=analytic flux.mlt_bin=0.7", ini);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 2, "%s", out);
    cr_assert(strstr(out, "MLT bin"), "%s", out);
    snprintf(args, sizeof args, "flux %s flux.interval=-5", ini);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 2, "%s", out);
    snprintf(path, sizeof path, "%s/out/flux.nc", dir);
    cr_assert(!cr_file_exists(path), "nothing written on errors");
    helper_rm_rf(dir);
}
