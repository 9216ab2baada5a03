/* test_fieldline.c — field-line tracing and footpoint topology against exact
 * solutions: dipole field lines (r = L cos^2(lat), conjugate footpoints,
 * closed-form arc length), straight lines in a uniform field, and the open
 * flux and polar-cap boundary of the dipole plus uniform southward field
 * (REFERENCES.md section 3). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_units.h"
#include "../grids/cr_field.h"
#include "../grids/cr_fieldline.h"
#include "../reconnection/cr_topology.h"
#include "helpers.h"

#define B_E 30000.0

static double lat_deg(const double x[3]) { return asin(x[2] / sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2])) / CR_DEG; }

/* Arc length of a dipole line r = L cos^2(lat) from the equator to lat:
 * L [ sin(l) sqrt(1 + 3 sin^2 l) / 2 + asinh(sqrt(3) sin l) / (2 sqrt(3)) ]. */
static double dipole_arc(double L, double lat)
{
    double s = sin(lat);
    return L * (0.5 * s * sqrt(1 + 3 * s * s) + asinh(sqrt(3.0) * s) / (2 * sqrt(3.0)));
}

Test(fieldline, dipole_conjugate_lshell_length)
{
    struct cr_field *f = cr_field_dipole_new(B_E, 1.0);
    struct cr_fieldline_inp in = {.field = f, .eps_abs = 1e-11, .eps_rel = 1e-11, .h_max = 0.5};
    struct cr_fieldline *fl = cr_fieldline_new(&in);
    cr_assert_not_null(fl);
    struct cr_fl_path path = {0};
    const double lats[] = {45.0, 60.0, 72.5};
    for (size_t q = 0; q < 3; q++) {
        double lam = lats[q] * CR_DEG, phi = 0.7 * q;
        double x0[3] = {cos(lam) * cos(phi), cos(lam) * sin(phi), sin(lam)};
        double L = 1.0 / (cos(lam) * cos(lam));
        struct cr_fl_result res;
        cr_assert_eq(cr_fieldline_trace(fl, 0.0, x0, &res, &path), CR_OK);
        /* the dipole moment points south: B enters the northern footpoint, so
         * the line runs against B to the south and along B straight into Earth */
        cr_assert_eq(res.end[0].why, CR_FL_INNER);
        cr_assert_eq(res.end[1].why, CR_FL_INNER);
        cr_assert(res.end[1].length < 1e-12, "the along-B end is the start itself (%g)", res.end[1].length);
        /* conjugate latitude: with eps 1e-11 per step over ~1e2 steps the
         * position error is ~1e-9 R_E, far inside 1e-6 deg (1.7e-8 R_E) */
        double lc = lat_deg(res.end[0].x);
        cr_assert(fabs(lc + lats[q]) < 1e-6, "conjugate of %g deg: %.9f deg", lats[q], lc);
        cr_assert(fabs(sqrt(res.end[0].x[0] * res.end[0].x[0] + res.end[0].x[1] * res.end[0].x[1] +
                            res.end[0].x[2] * res.end[0].x[2]) - 1.0) < 1e-12, "end on the sphere");
        double az = atan2(res.end[0].x[1], res.end[0].x[0]);
        cr_assert(fabs(remainder(az - phi, 2 * CR_PI)) < 1e-8, "a dipole line keeps its azimuth");
        /* every path point on r = L cos^2(lat), to 1e-6 R_E */
        double worst = 0;
        for (size_t m = 0; m < path.n; m++) {
            const double *p = path.x + 3 * m;
            double r = sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]);
            double cl = cos(lat_deg(p) * CR_DEG);
            worst = fmax(worst, fabs(r - L * cl * cl));
        }
        cr_assert(worst < 1e-6, "r - L cos^2(lat) up to %g R_E (L = %g)", worst, L);
        cr_assert(path.n > 10);
        /* arc length against the closed form (same integration accuracy) */
        double exact = 2.0 * dipole_arc(L, lam);
        cr_assert(fabs(res.length - exact) < 1e-6 * exact, "length %.10g vs %.10g", res.length, exact);
        cr_assert(fabs(path.s[path.n - 1] - res.length) < 1e-12);
    }
    cr_fl_path_free(&path);
    cr_fieldline_release(fl);
    cr_field_release(f);
}

Test(fieldline, dipole_equator_and_bmin_targets)
{
    struct cr_field *f = cr_field_dipole_new(B_E, 1.0);
    struct cr_fieldline_inp in = {.field = f, .eps_abs = 1e-10, .eps_rel = 1e-10, .h_max = 0.5};
    struct cr_fieldline *fl = cr_fieldline_new(&in);
    double lam = 65.0 * CR_DEG, L = 1.0 / (cos(lam) * cos(lam));
    double x0[3] = {0.0, -cos(lam), sin(lam)};
    struct cr_fl_target_info ti;
    cr_assert_eq(cr_fieldline_length_to(fl, 0.0, x0, 0, CR_FL_TO_EQUATOR, &ti), CR_OK);
    cr_assert_eq(ti.sigma, -1, "leaving Earth from the north runs against B");
    double r = sqrt(ti.x[0] * ti.x[0] + ti.x[1] * ti.x[1] + ti.x[2] * ti.x[2]);
    cr_assert(fabs(ti.x[2]) < 1e-12 && fabs(r - L) < 1e-7, "equator at r = L: %g vs %g", r, L);
    cr_assert(fabs(ti.length - dipole_arc(L, lam)) < 1e-7 * L, "half length");
    cr_assert(fabs(ti.bmag - B_E / (L * L * L)) < 1e-6 * ti.bmag, "|B| at the equator B_E / L^3");
    /* |B| along a dipole line is smallest at the equator; the parabola
     * through the accepted points around it puts the minimum within a small
     * fraction of a step: |B| is quadratic there, |B|''/|B| ~ 9/L^2, and the
     * steps are <= 0.5 R_E, so 1e-3 R_E is a safe bound for the vertex */
    cr_assert_eq(cr_fieldline_length_to(fl, 0.0, x0, 0, CR_FL_TO_BMIN, &ti), CR_OK);
    cr_assert_eq(ti.end.why, CR_FL_INNER);
    cr_assert(fabs(ti.x[2]) < 1e-3, "minimum |B| at the equator (z = %g)", ti.x[2]);
    cr_assert(fabs(ti.length - dipole_arc(L, lam)) < 1e-3, "length to the minimum %g vs %g", ti.length,
              dipole_arc(L, lam));
    cr_assert(ti.bmag <= B_E / (L * L * L) * (1 + 1e-6));
    cr_fieldline_release(fl);
    cr_field_release(f);
}

Test(fieldline, stop_reasons)
{
    /* uniform field: a straight line leaves the sphere r_outer at both ends */
    double b[3] = {3.0, 4.0, 0.0};
    struct cr_field *u = cr_field_uniform_new(b, NULL);
    struct cr_fieldline_inp in = {.field = u, .r_outer = 10.0, .h_max = 2.0};
    struct cr_fieldline *fl = cr_fieldline_new(&in);
    double x0[3] = {0, 0, 1};
    struct cr_fl_result res;
    cr_assert_eq(cr_fieldline_trace(fl, 0, x0, &res, NULL), CR_OK);
    cr_assert_eq(res.end[0].why, CR_FL_OUTER);
    cr_assert_eq(res.end[1].why, CR_FL_OUTER);
    /* along B = (0.6, 0.8, 0) from (0, 0, 1); the end is the first accepted
     * point at r >= 10: between sqrt(99) and sqrt(99) + h_max along the line */
    for (int e = 0; e < 2; e++) {
        double s = res.end[e].length, want = sqrt(99.0);
        cr_assert(s >= want && s <= want + 2.0, "end %d at %g", e, s);
        double dir = e ? 1.0 : -1.0;
        cr_assert(fabs(res.end[e].x[0] - dir * 0.6 * s) < 1e-9 && fabs(res.end[e].x[2] - 1.0) < 1e-12);
    }
    cr_fieldline_release(fl);
    /* maximum length */
    in.max_length = 1.5;
    in.r_outer = 100;
    fl = cr_fieldline_new(&in);
    cr_assert_eq(cr_fieldline_trace(fl, 0, x0, &res, NULL), CR_OK);
    cr_assert_eq(res.end[1].why, CR_FL_MAXLEN);
    cr_assert(fabs(res.end[1].length - 1.5) < 1e-12);
    cr_fieldline_release(fl);
    cr_field_release(u);
    /* a null: with b_null = 100 nT a dipole line from 70 deg (L = 8.55,
     * |B| = B_E / L^3 = 48 nT at the equator) ends where |B| drops below it */
    struct cr_field *d = cr_field_dipole_new(B_E, 1.0);
    struct cr_fieldline_inp in2 = {.field = d, .r_outer = 60.0, .b_null = 100.0};
    fl = cr_fieldline_new(&in2);
    double lam = 70 * CR_DEG;
    double xa[3] = {cos(lam), 0, sin(lam)};
    cr_assert_eq(cr_fieldline_trace(fl, 0, xa, &res, NULL), CR_OK);
    cr_assert_eq(res.end[0].why, CR_FL_NULL, "end %s", cr_fl_stop_name(res.end[0].why));
    /* the end is where |B| = 100 nT, approached to h_floor = 1e-7 R_E: on the
     * line r = L cos^2(lat) with B_E/r^3 sqrt(1 + 3 sin^2 lat) = 100 nT */
    const double *e = res.end[0].x;
    double r = sqrt(e[0] * e[0] + e[1] * e[1] + e[2] * e[2]), sl = e[2] / r;
    double bm = B_E / (r * r * r) * sqrt(1 + 3 * sl * sl);
    cr_assert(bm >= 100.0 && bm < 100.0 * (1 + 1e-5), "|B| at the null end %g nT", bm);
    double zero[3] = {0, 0, 0};
    cr_assert_eq(cr_fieldline_trace(fl, 0, zero, &res, NULL), CR_EDOMAIN, "a start outside the domain is refused");
    cr_fieldline_release(fl);
    cr_field_release(d);
    /* bad parameters are refused with a message */
    struct cr_fieldline_inp bad = {.field = NULL};
    cr_assert_null(cr_fieldline_new(&bad));
}

/* Analytic polar-cap boundary latitude at r = 1 and open flux per hemisphere. */
static double pc_lat(double b0)
{
    double rn = cbrt(B_E / b0);
    double s2 = 3.0 * b0 * rn * rn / (2.0 * B_E + b0);
    return 90.0 - asin(sqrt(s2)) / CR_DEG;
}

static double open_flux(double b0)
{
    return 3.0 * CR_PI * CR_RE_M * CR_RE_M * pow(B_E * CR_NT, 2.0 / 3.0) * pow(b0 * CR_NT, 1.0 / 3.0);
}

Test(fieldline, reference_values)
{
    /* the "check" values of REFERENCES.md section 3, from the formulas */
    cr_assert(fabs(pc_lat(5.0) - 73.3) < 0.05, "B0 = 5 nT: %g deg", pc_lat(5.0));
    cr_assert(fabs(pc_lat(10.0) - 71.2) < 0.05, "B0 = 10 nT: %g deg", pc_lat(10.0));
    cr_assert(fabs(open_flux(5.0) / 1e6 - 632) < 0.5, "B0 = 5 nT: %g MWb", open_flux(5.0) / 1e6);
    cr_assert(fabs(open_flux(10.0) / 1e6 - 796) < 0.5, "B0 = 10 nT: %g MWb", open_flux(10.0) / 1e6);
    cr_assert(fabs(cbrt(B_E / 5.0) - 18.17) < 0.01 && fabs(cbrt(B_E / 10.0) - 14.42) < 0.01);
}

static struct cr_footgrid *grid_60_90(double dmlt, int sub)
{
    struct cr_footgrid_inp gi = {.mlat_min = 60, .mlat_max = 90, .dlat = 0.25, .dmlt = dmlt, .sub_lat = sub,
                                 .sub_mlt = 1, .coarse_lat = 4, .coarse_mlt = 2, .r_iono = 1.0, .r_foot = 1.0};
    return cr_footgrid_new(&gi);
}

Test(fieldline, pure_dipole_all_closed)
{
    struct cr_field *f = cr_field_dipole_new(B_E, 1.0);
    /* 1 h columns suffice: the dipole is axisymmetric. A dipole line from
     * latitude lat reaches r = L = 1 / cos^2(lat), so near the pole any
     * finite domain cuts it; 50..80 deg keeps L < 33 inside r_outer = 60 */
    struct cr_footgrid_inp gi = {.mlat_min = 50, .mlat_max = 80, .dlat = 0.25, .dmlt = 1.0, .sub_lat = 4,
                                 .sub_mlt = 1, .coarse_lat = 4, .coarse_mlt = 2, .r_iono = 1.0, .r_foot = 1.0};
    struct cr_footgrid *g = cr_footgrid_new(&gi);
    cr_assert_not_null(g);
    struct cr_fieldline_inp tin = {.eps_abs = 1e-6, .eps_rel = 1e-6, .r_outer = 60.0};
    struct cr_topomap *m = NULL;
    cr_assert_eq(cr_topomap_compute(g, f, 0.0, &tin, &m), CR_OK);
    for (int h = 0; h < 2; h++) {
        for (int q = 0; q < g->nal * g->nam; q++)
            cr_assert_eq(m->topo[h][q], CR_TOPO_CLOSED, "hemisphere %d atom %d: %s", h, q,
                         cr_topo_name(m->topo[h][q]));
        cr_assert_eq(cr_topomap_flux_of(m, h, -2), 0.0);
        cr_assert(isnan(m->ocb[h][0]), "no open-closed boundary");
    }
    /* uniform map: only the coarse lattice is traced */
    cr_assert(m->ntraces <= 2 * (g->nlat / 4 + 2) * (g->nmlt / 2), "%ld traces", m->ntraces);
    cr_topomap_release(m);
    cr_footgrid_release(g);
    cr_field_release(f);
}

/* Dipole + uniform southward field: boundary and open flux. */
static void check_open(double b0)
{
    double bu[3] = {0, 0, -b0};
    struct cr_field *f = cr_field_dipole_uniform_new(B_E, bu, NULL, 1.0, 0.0);
    struct cr_footgrid *g = grid_60_90(1.0, 4);
    struct cr_fieldline_inp tin = {.eps_abs = 1e-7, .eps_rel = 1e-7, .r_outer = 60.0};
    struct cr_topomap *m = NULL;
    cr_assert_eq(cr_topomap_compute(g, f, 0.0, &tin, &m), CR_OK);
    double lat = pc_lat(b0), want = open_flux(b0);
    for (int h = 0; h < 2; h++) {
        /* boundary: the equatorward edge of the lowest open atom. The atoms are
         * 0.0625 deg tall, so the edge is within one atom of the true boundary;
         * the requirement is 0.25 deg */
        for (int ja = 0; ja < g->nam; ja++) {
            double ocb = m->ocb[h][ja];
            cr_assert(fabs(ocb - lat) <= g->dlat_a + 1e-9, "B0 %g hemi %d col %d: boundary %g vs %g deg", b0, h, ja,
                      ocb, lat);
        }
        /* every atom on its side of the boundary with the right code: closed
         * equatorward, open with the Earth end in its own hemisphere poleward;
         * no solar-wind or undetermined footpoints anywhere */
        double discrete = 0.0, amb = 0.0;
        for (int ia = 0; ia < g->nal; ia++)
            for (int ja = 0; ja < g->nam; ja++) {
                int v = m->topo[h][ia * g->nam + ja];
                double la = g->lat_iono[ia], w = m->flux[h][ia * g->nam + ja];
                if (fabs(la - lat) < 2e-3) {
                    amb += w; /* within tracing tolerance of the separatrix: either answer */
                    continue;
                }
                int expect = la > lat ? (h == 0 ? CR_TOPO_OPEN_NORTH : CR_TOPO_OPEN_SOUTH) : CR_TOPO_CLOSED;
                cr_assert_eq(v, expect, "B0 %g hemi %d lat %g: %s", b0, h, la, cr_topo_name(v));
                if (la > lat) discrete += w;
            }
        double got = cr_topomap_flux_of(m, h, -2);
        /* the sum equals the flux of the atoms whose centres are poleward of
         * the analytic boundary (same weights), up to the ambiguous ones */
        cr_assert(fabs(got - discrete) <= amb + 1e-9 * want, "discrete %g vs %g", got, discrete);
        /* and the analytic open flux within 1 %: the boundary rows cost at most
         * half an atom row (0.36 % of the flux at 0.0625 deg), the midpoint
         * |B_r| in each atom is second order (~1e-7) */
        cr_assert(fabs(got - want) < 0.01 * want, "B0 %g hemi %d: open flux %.2f MWb vs %.2f MWb", b0, h, got / 1e6,
                  want / 1e6);
        cr_assert(fabs(got - want) < 0.005 * want, "B0 %g: %.3f MWb vs %.3f MWb (0.5 %% bound)", b0, got / 1e6,
                  want / 1e6);
        cr_assert_eq(m->nundetermined[h], 0);
    }
    cr_assert(m->ntraces < 2 * g->nal * g->nam, "the adaptive map traces fewer lines than atoms (%ld)", m->ntraces);
    cr_topomap_release(m);
    cr_footgrid_release(g);
    cr_field_release(f);
}

Test(fieldline, dipole_uniform_5nT) { check_open(5.0); }
Test(fieldline, dipole_uniform_10nT) { check_open(10.0); }

Test(fieldline, topology_codes_follow_chimp)
{
    cr_assert_eq(cr_topo_chimp(CR_TOPO_CLOSED), 2);
    cr_assert_eq(cr_topo_chimp(CR_TOPO_OPEN_NORTH), 1);
    cr_assert_eq(cr_topo_chimp(CR_TOPO_OPEN_SOUTH), 1);
    cr_assert_eq(cr_topo_chimp(CR_TOPO_SOLAR_WIND), 0);
    cr_assert_eq(cr_topo_chimp(CR_TOPO_UNDETERMINED), -1);
    struct cr_fl_result r = {0};
    r.end[0].why = CR_FL_OUTER;
    r.end[1].why = CR_FL_OUTER;
    cr_assert_eq(cr_topo_classify(&r), CR_TOPO_SOLAR_WIND);
    r.end[1].why = CR_FL_MAXLEN;
    cr_assert_eq(cr_topo_classify(&r), CR_TOPO_UNDETERMINED);
    r.end[1].why = CR_FL_INNER;
    r.end[1].x[2] = -0.9;
    cr_assert_eq(cr_topo_classify(&r), CR_TOPO_OPEN_SOUTH);
    /* a solar-wind line of the dipole + uniform field, traced from outside */
    double bu[3] = {0, 0, -5.0};
    struct cr_field *f = cr_field_dipole_uniform_new(B_E, bu, NULL, 1.0, 0.0);
    struct cr_fieldline_inp in = {.field = f, .r_outer = 40.0, .eps_abs = 1e-7, .eps_rel = 1e-7};
    struct cr_fieldline *fl = cr_fieldline_new(&in);
    double x[3] = {30.0, 0, 0};
    cr_assert_eq(cr_topo_point(fl, 0, x, NULL), CR_TOPO_SOLAR_WIND);
    double xc[3] = {8.0, 0, 0};
    cr_assert_eq(cr_topo_point(fl, 0, xc, NULL), CR_TOPO_CLOSED);
    cr_fieldline_release(fl);
    cr_field_release(f);
}

/* A straight line along +x with |B|(x) = 1 - 0.5 g(x - 5) - 0.8 g(x - 15),
 * g(u) = exp(-u^2): minima 0.5 at x = 5 and 0.2 at x = 15, |B| back near 1
 * between them. The global minimum (CR_FL_TO_BMIN) is at 15; the first one
 * (CR_FL_TO_BMIN_FIRST: |B| rises past 1.5 times it before x = 15) at 5. */
static int two_minima_eval(const struct cr_field *f, double t, const double x[3], struct cr_field_sample *s)
{
    (void)f, (void)t;
    memset(s, 0, sizeof *s);
    double g1 = exp(-(x[0] - 5.0) * (x[0] - 5.0)), g2 = exp(-(x[0] - 15.0) * (x[0] - 15.0));
    s->B[0] = 1.0 - 0.5 * g1 - 0.8 * g2;
    return CR_OK;
}
static void two_minima_release(struct cr_field *f) { (void)f; }

Test(fieldline, first_and_global_bmin)
{
    static const struct cr_field_vtable vt = {two_minima_eval, two_minima_release};
    struct cr_field f = {.vt = &vt, .r_inner = 0.01, .r_outer = 100.0, .name = "two minima"};
    struct cr_fieldline_inp in = {.field = &f, .r_inner = 0.01, .r_outer = 30.0, .b_null = 1e-6, .h_max = 0.2};
    struct cr_fieldline *fl = cr_fieldline_new(&in);
    cr_assert_not_null(fl);
    const double x0[3] = {0.5, 0, 0};
    struct cr_fl_target_info a, b;
    cr_assert_eq(cr_fieldline_length_to(fl, 0.0, x0, 1, CR_FL_TO_BMIN, &a), CR_OK);
    cr_assert_eq(cr_fieldline_length_to(fl, 0.0, x0, 1, CR_FL_TO_BMIN_FIRST, &b), CR_OK);
    /* parabola refinement on steps of <= 0.2: well inside 0.02 of the exact minima */
    cr_assert(fabs(a.x[0] - 15.0) < 0.02, "global minimum at x = %g", a.x[0]);
    cr_assert(fabs(a.bmag - 0.2) < 1e-3, "%g", a.bmag);
    cr_assert(fabs(b.x[0] - 5.0) < 0.02, "first minimum at x = %g", b.x[0]);
    cr_assert(fabs(b.bmag - 0.5) < 1e-3, "%g", b.bmag);
    cr_assert(fabs(b.length - 4.5) < 0.02, "%g", b.length);
    /* the integration stopped soon after the first minimum */
    cr_assert_lt(b.end.length, 10.0, "%g", b.end.length);
    cr_fieldline_release(fl);
}
