/* test_particles_dipole.c — protons trapped in a dipole: bounce and drift
 * periods from the full orbit and from the guiding centre, against the exact
 * dipole integrals and the standard approximations (Hamlin et al. 1961;
 * Schulz & Lanzerotti 1974); the first adiabatic invariant along the bounce;
 * the exact integrals against their published approximations; the
 * field-line arc length and travel time used by the collection step. */
#include <criterion/criterion.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_units.h"
#include "../grids/cr_field.h"
#include "../particles/cr_dipole.h"
#include "../particles/cr_push.h"
#include "helpers.h"

#define B_E 30000.0

/* Records upward equator crossings of the guiding centre and the range of
 * its magnetic moment. */
struct bounce_obs {
    const struct cr_push *p;
    double zprev, tprev, phiprev;
    int have_prev;
    int ncross;
    double tcross[64], phicross[64];
    double phi_unwrap, phi_last;
    double m0, mmin, mmax;
    int nblock, nin;
    double msum, a0, amin, amax, asum;
    int na;
    double e0, emax_err;
};

static void bounce_observe(void *ctx, const struct cr_particle *pt)
{
    struct bounce_obs *o = ctx;
    struct cr_particle g = *pt;
    if (g.mode == CR_PMODE_FO) {
        double e;
        cr_push_kinematics(o->p, &g, NULL, NULL, NULL, &e, NULL);
        double um = sqrt(pt->u[0] * pt->u[0] + pt->u[1] * pt->u[1] + pt->u[2] * pt->u[2]);
        double ek = cr_push_energy_ev(o->p, um);
        if (o->e0 > 0) o->emax_err = fmax(o->emax_err, fabs(ek / o->e0 - 1.0));
        cr_push_to_gc(o->p, &g);
    } else {
        double e;
        cr_push_kinematics(o->p, &g, NULL, NULL, NULL, &e, NULL);
        if (o->e0 > 0) o->emax_err = fmax(o->emax_err, fabs(e / o->e0 - 1.0));
    }
    double M = g.u[1];
    if (o->m0 == 0) o->m0 = o->mmin = o->mmax = M;
    o->mmin = fmin(o->mmin, M);
    o->mmax = fmax(o->mmax, M);
    /* gyro-averaged moment: in FO every step is 1/nblock of the local gyro
     * period, so nblock consecutive steps cover one gyration */
    o->msum += M;
    if (++o->nin == o->nblock) {
        double avg = o->msum / o->nblock;
        if (o->a0 == 0) o->a0 = o->amin = o->amax = avg;
        o->amin = fmin(o->amin, avg);
        o->amax = fmax(o->amax, avg);
        o->asum += avg;
        o->na++;
        o->msum = 0;
        o->nin = 0;
    }
    double phi = atan2(g.x[1], g.x[0]);
    if (o->have_prev) {
        double d = phi - o->phi_last;
        if (d > CR_PI) d -= 2.0 * CR_PI;
        if (d < -CR_PI) d += 2.0 * CR_PI;
        o->phi_unwrap += d;
    }
    o->phi_last = phi;
    double z = g.x[2];
    if (o->have_prev && o->zprev < 0 && z >= 0 && o->ncross < 64) {
        double f = -o->zprev / (z - o->zprev);
        o->tcross[o->ncross] = o->tprev + f * (pt->t - o->tprev);
        o->phicross[o->ncross] = o->phiprev + f * (o->phi_unwrap - o->phiprev);
        o->ncross++;
    }
    o->zprev = z;
    o->tprev = pt->t;
    o->phiprev = o->phi_unwrap;
    o->have_prev = 1;
}

struct periods {
    double tb, td;   /* measured bounce and drift periods [s] */
    double dmu;      /* max relative spread of mu (instantaneous) */
    double dmu_avg;  /* max relative spread of the gyro-averaged mu */
    double de;       /* max relative energy error */
    double L, alpha; /* guiding-centre L [R_E] and equatorial pitch angle [rad] at the start */
    double energy;   /* [eV] */
    double eps;      /* adiabaticity parameter at the start */
    double mbar;     /* mean gyro-averaged magnetic moment [(R_E/s)^2/nT] */
};

/* Trace a proton of `energy` eV with equatorial pitch angle alpha_deg from the
 * equator at distance L for `nb` bounces in FO or GC. GC only: m_set > 0
 * replaces the magnetic moment (parallel momentum from the energy). */
static void run_dipole(enum cr_push_scheme scheme, double energy, double L, double alpha_deg, int nb, double eta,
                       double m_set, struct periods *res)
{
    struct cr_field *f = cr_field_dipole_new(B_E, 1.0);
    struct bounce_obs o = {0};
    struct cr_push_inp inp = {.field = f, .scheme = scheme, .fo_dt_gyro = eta, .gc_rtol = 1e-10,
                              .gc_atol = 1e-11, .observe = bounce_observe, .observe_ctx = &o};
    struct cr_push *p = cr_push_new(&inp);
    struct cr_push_inp ginp = inp;
    ginp.scheme = CR_PUSH_GC_ONLY;
    ginp.observe = NULL;
    struct cr_push *pg = cr_push_new(&ginp);
    struct cr_push_work *w = cr_push_work_new(p);
    cr_assert(p && pg && w);
    o.p = p;
    o.nblock = scheme == CR_PUSH_FO_ONLY ? (int)lround(1.0 / eta) : 1;
    double umag = cr_push_umag_of_energy(p, energy);
    double v = umag / cr_push_gamma(p, umag) * CR_RE_KM;
    double a = alpha_deg * CR_DEG;
    double x0[3] = {L, 0, 0}, v0[3] = {v * sin(a), 0, v * cos(a)};
    struct cr_particle pt;
    /* start as a guiding centre (the particle's GC at L), then hand over to FO if asked */
    cr_assert_eq(cr_push_start(pg, w, &pt, 0.0, x0, v0, 1e30, 11), CR_OK);
    if (m_set > 0) {
        double bq = B_E / pow(sqrt(pt.x[0] * pt.x[0] + pt.x[1] * pt.x[1]), 3);
        pt.u[1] = m_set;
        pt.u[0] = sqrt(umag * umag - 2.0 * m_set * bq);
    }
    double upar, uperp, bm;
    cr_push_kinematics(p, &pt, &upar, &uperp, &bm, &res->energy, NULL);
    res->L = sqrt(pt.x[0] * pt.x[0] + pt.x[1] * pt.x[1] + pt.x[2] * pt.x[2]);
    res->alpha = atan2(uperp, upar);
    cr_push_adiabaticity(p, 0.0, pt.x, umag, &res->eps, NULL);
    if (scheme == CR_PUSH_FO_ONLY) cr_assert_eq(cr_push_to_fo(p, &pt, 0.0), CR_OK);
    o.e0 = res->energy;
    /* bounce period estimate for the time budget */
    double mc2;
    cr_push_constants(p, NULL, NULL, NULL, &mc2);
    double tb = cr_dipole_bounce_period(res->energy, mc2, res->L, res->alpha);
    /* starting at the equator moving north: upward crossings after 1, 2, ... bounces */
    double t_end = (nb + 1.2) * tb;
    cr_push_advance(p, w, &pt, t_end);
    cr_assert_eq(pt.status, CR_PST_ACTIVE);
    cr_assert_geq(o.ncross, nb + 1, "only %d equator crossings", o.ncross);
    res->tb = (o.tcross[nb] - o.tcross[0]) / nb;
    double rate = (o.phicross[nb] - o.phicross[0]) / (o.tcross[nb] - o.tcross[0]);
    cr_assert_lt(rate, 0.0, "protons drift westward (towards decreasing MLT)");
    res->td = 2.0 * CR_PI / fabs(rate);
    res->dmu = (o.mmax - o.mmin) / o.m0;
    res->dmu_avg = (o.amax - o.amin) / o.a0;
    /* The equatorial pitch angle the orbit actually has: from its
     * gyro-averaged moment (the adiabatic invariant) at the equator of its
     * L shell, sin^2 alpha = 2 M B_eq / u^2. A full orbit started from a
     * guiding centre at one gyrophase carries the O(eps) first-order
     * correction to mu (here +2 %), so its alpha differs from the GC's. */
    double mbar = o.asum / o.na;
    res->mbar = mbar;
    double s2 = 2.0 * mbar * (B_E / (res->L * res->L * res->L)) / (umag * umag);
    res->alpha = asin(sqrt(fmin(s2, 1.0)));
    res->de = o.emax_err;
    cr_push_work_release(w);
    cr_push_release(pg);
    cr_push_release(p);
    cr_field_release(f);
}

Test(particles_dipole, bounce_drift_mu_fo_and_gc)
{
    /* 100 keV proton at L = 4, alpha_eq = 40 deg: eps = rho/L_B ~ 1.2e-2,
     * bounce period ~21 s, drift period ~7100 s; 10 bounces. */
    const double mc2 = CR_MP * CR_C * CR_C / CR_EV_J; /* proton rest energy [eV] */
    const double energy = 1e5, L = 4.0, alpha = 40.0;
    int nb = helper_sanitized() ? 4 : 10;
    struct periods fo, gc;
    run_dipole(CR_PUSH_FO_ONLY, energy, L, alpha, nb, 1.0 / 50.0, 0.0, &fo);
    /* the guiding centre with the full orbit's invariant (its gyro-averaged mu) */
    run_dipole(CR_PUSH_GC_ONLY, energy, L, alpha, nb, 0, fo.mbar, &gc);
    cr_assert_lt(fo.eps, 0.02);
    double tb_exact = cr_dipole_bounce_period(fo.energy, mc2, fo.L, fo.alpha);
    double td_exact = cr_dipole_drift_period(fo.energy, mc2, 1.0, fo.L, fo.alpha, B_E);
    double tb_appr = cr_dipole_bounce_period_approx(fo.energy, mc2, fo.L, fo.alpha);
    double td_appr = cr_dipole_drift_period_approx(fo.energy, mc2, 1.0, fo.L, fo.alpha, B_E);
    /* Within 1 % (the project's requirement). What separates the traced
     * periods from first-order guiding-centre theory: finite-Larmor-radius
     * terms O(eps^2) ~ 1.5e-4, the Boris phase shift (Omega dt)^2/12 = 1.3e-3
     * of the gyration (FO, 50 steps per gyration), the GC integrator's 1e-10
     * tolerance; against the approximations add their own errors (-0.3 % for
     * T(y), +0.2 % for the drift at 40 deg, see the next test). Measured:
     * FO and GC within 3e-5 of the exact integrals. */
    cr_assert_lt(fabs(fo.tb / tb_exact - 1.0), 0.01, "FO bounce %.4f s vs exact %.4f s", fo.tb, tb_exact);
    cr_assert_lt(fabs(gc.tb / tb_exact - 1.0), 0.01, "GC bounce %.4f s vs exact %.4f s", gc.tb, tb_exact);
    cr_assert_lt(fabs(fo.tb / tb_appr - 1.0), 0.01, "FO bounce %.4f s vs Schulz-Lanzerotti %.4f s", fo.tb, tb_appr);
    cr_assert_lt(fabs(fo.td / td_exact - 1.0), 0.01, "FO drift %.2f s vs exact %.2f s", fo.td, td_exact);
    cr_assert_lt(fabs(gc.td / td_exact - 1.0), 0.01, "GC drift %.2f s vs exact %.2f s", gc.td, td_exact);
    cr_assert_lt(fabs(fo.td / td_appr - 1.0), 0.01, "FO drift %.2f s vs Hamlin %.2f s", fo.td, td_appr);
    /* GC and FO agree on the drift (and bounce) period to 1 %. */
    cr_assert_lt(fabs(fo.td / gc.td - 1.0), 0.01, "drift FO %.2f s vs GC %.2f s", fo.td, gc.td);
    cr_assert_lt(fabs(fo.tb / gc.tb - 1.0), 0.01, "bounce FO %.4f s vs GC %.4f s", fo.tb, gc.tb);
    /* mu: the first adiabatic invariant is the gyro-averaged moment; along
     * the full orbit it must stay within 1 % over all bounces (measured
     * 3e-4). The instantaneous first-order moment oscillates with the
     * gyrophase at O(eps) (measured 3.6 eps peak to peak): bounded by 5 eps.
     * (In GC mode mu is a constant of the equations.) */
    cr_assert_lt(fo.dmu_avg, 0.01, "FO gyro-averaged mu spread %.3e", fo.dmu_avg);
    cr_assert_lt(fo.dmu, 5.0 * fo.eps, "FO instantaneous mu spread %.3e (eps %.3e)", fo.dmu, fo.eps);
    /* energy: FO with E = 0 to round-off (|u| kept by the rotation; 1e-11
     * allows the rounding random walk over ~1e5 steps, measured 6e-14); GC
     * to its integration tolerance (energy is an exact invariant of the GC
     * equations in a static field; the 1e-10 relative error per step
     * accumulates over ~1e3 steps, measured 2e-7). */
    cr_assert_lt(fo.de, 1e-11, "FO energy error %.3e", fo.de);
    cr_assert_lt(gc.de, 1e-6, "GC energy error %.3e", gc.de);
}

Test(particles_dipole, approximations_match_exact_integrals)
{
    gsl_set_error_handler_off(); /* failures as status codes (as cr_push_new leaves it) */
    /* T(0) = 1.3802 and T(1) = pi sqrt(2)/6 (Schulz & Lanzerotti 1974 sec. I.3);
     * the approximation 1.3802 - 0.3198 (y + sqrt(y)) is quoted as good to
     * about 1 %, Hamlin's drift factor 0.35 + 0.15 y likewise; check both
     * over 10..80 deg (measured: < 0.96 % and < 0.32 %). */
    cr_assert_lt(fabs(cr_dipole_T(1e-9) - 1.3802) / 1.3802, 1e-4, "T(0) = %.6f", cr_dipole_T(1e-9));
    /* near the equator T(y) -> T(1) like sqrt(1 - y): 5e-5 at y = 0.9999 */
    cr_assert_lt(fabs(cr_dipole_T(0.9999) - CR_PI * sqrt(2.0) / 6.0), 1e-4);
    for (double a = 10; a <= 80; a += 10) {
        double y = sin(a * CR_DEG);
        double t = cr_dipole_T(y), ta = 1.3802 - 0.3198 * (y + sqrt(y));
        double d = cr_dipole_drift_ratio(y), da = 0.35 + 0.15 * y;
        cr_assert_lt(fabs(ta / t - 1.0), 0.01, "T(%g deg) %.6f vs %.6f", a, t, ta);
        cr_assert_lt(fabs(da / d - 1.0), 0.01, "D(%g deg) %.6f vs %.6f", a, d, da);
    }
    /* the drift factor's limit: 1/2 at 90 deg (pure grad-B at the equator) */
    cr_assert_lt(fabs(cr_dipole_drift_ratio(0.9999) - 0.5), 1e-4);
}

Test(particles_dipole, field_line_mapping_and_travel_time)
{
    /* A point at r = 2.5 R_E, 60 deg MLat maps down its line r = L cos^2(lat)
     * to r = 1 + 590/6371.2 with the same MLT; arc length against direct
     * quadrature of ds; travel time of a field-aligned particle = length / v;
     * with a pitch angle, mu conservation makes the particle mirror when
     * sin^2(alpha) B_to/B_from >= 1. */
    double lat = 60.0 * CR_DEG, phi = 30.0 * CR_DEG, r = 2.5;
    double x[3] = {r * cos(lat) * cos(phi), r * cos(lat) * sin(phi), r * sin(lat)};
    double rs = 1.0 + 590.0 / CR_RE_KM;
    gsl_set_error_handler_off();
    struct cr_dipole_map m;
    cr_assert_eq(cr_dipole_map_down(B_E, x, rs, &m), CR_OK);
    cr_assert_lt(fabs(m.L - r / (cos(lat) * cos(lat))), 1e-12);
    double rr = sqrt(m.x_to[0] * m.x_to[0] + m.x_to[1] * m.x_to[1] + m.x_to[2] * m.x_to[2]);
    cr_assert_lt(fabs(rr - rs), 1e-12);
    cr_assert_lt(fabs(rs - m.L * cos(m.lat_to) * cos(m.lat_to)), 1e-12);
    cr_assert_lt(fabs(atan2(m.x_to[1], m.x_to[0]) - phi), 1e-12);
    cr_assert_gt(m.lat_to, lat);
    /* southern hemisphere maps to the south */
    double xs[3] = {x[0], x[1], -x[2]};
    struct cr_dipole_map ms;
    cr_assert_eq(cr_dipole_map_down(B_E, xs, rs, &ms), CR_OK);
    cr_assert_lt(fabs(ms.lat_to + m.lat_to), 1e-14);
    /* arc length: Simpson quadrature of L cos l sqrt(1 + 3 sin^2 l) with 2000
     * intervals (error ~1e-13 for this smooth integrand) */
    int n = 2000;
    double a = m.lat_from, b = m.lat_to, hq = (b - a) / n, sum = 0;
    for (int i = 0; i <= n; i++) {
        double l = a + i * hq, s = sin(l);
        double fv = m.L * cos(l) * sqrt(1.0 + 3.0 * s * s);
        sum += fv * (i == 0 || i == n ? 1 : (i % 2 ? 4 : 2));
    }
    sum *= hq / 3.0;
    double len = cr_dipole_arc_length(m.L, a, b);
    cr_assert_lt(fabs(len / sum - 1.0), 1e-10, "arc %.12f vs %.12f", len, sum);
    double t;
    cr_assert_eq(cr_dipole_travel_time(m.L, a, b, 100.0, 0.0, &t), CR_OK);
    cr_assert_lt(fabs(t - len * CR_RE_KM / 100.0) / t, 1e-12);
    /* with pitch: slower than field-aligned, and finite below the mirror limit */
    double s2max = m.b_from / m.b_to;
    double t2;
    cr_assert_eq(cr_dipole_travel_time(m.L, a, b, 100.0, 0.5 * s2max, &t2), CR_OK);
    cr_assert_gt(t2, t);
    cr_assert_eq(cr_dipole_travel_time(m.L, a, b, 100.0, 1.01 * s2max, &t2), CR_EDOMAIN);
}
