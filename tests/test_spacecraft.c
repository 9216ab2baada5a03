/* test_spacecraft.c — virtual spacecraft: instruments, orbits and
 * spectrograms against analytic answers.
 *
 * The central check: an isotropic Maxwellian of known density and
 * temperature, sampled as flux-weighted macro-particles crossing the
 * collection shell (spacecraft/cr_synth.h), must come back as the analytic
 * channel-averaged differential energy flux in every channel, within the
 * macro-particle sampling error that the spectrogram itself reports. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_units.h"
#include "../spacecraft/cr_instrument.h"
#include "../spacecraft/cr_orbit.h"
#include "../spacecraft/cr_pset.h"
#include "../spacecraft/cr_spectrogram.h"
#include "../spacecraft/cr_synth.h"
#include "helpers.h"

static struct cr_log quiet = {.level = CR_LEVEL_ERROR};

/* TRACERS ACI-like: 47 log channels 8 eV - 20 keV with a geometric-factor table. */
static const double aci_gf_e[] = {8, 30, 100, 300, 1000, 3000, 20000};
static const double aci_gf[] = {1.0e-4, 1.6e-4, 2.5e-4, 3.2e-4, 3.6e-4, 3.8e-4, 3.8e-4};
static struct cr_instrument *aci(double gf_scale, double resolution)
{
    double g[7];
    for (int i = 0; i < 7; i++) g[i] = aci_gf[i] * gf_scale;
    struct cr_instrument_inp in = {.name = "aci", .log_first = 8, .log_last = 20000, .log_count = 47,
                                   .energy_resolution = resolution, .ngf = 7, .gf = g, .gf_energies = aci_gf_e,
                                   .accumulation_time = 0.312, .look = CR_LOOK_PRECIPITATING, .cone_half_angle = 90,
                                   .log = &quiet};
    return cr_instrument_new(&in);
}

static const double ssj_e[] = {30,   44,   64.6, 94.9, 139.2, 204.4, 300,   440,   646,  948,
                               1390, 2040, 3000, 4400, 6460,  9480,  13920, 20440, 30000};
static struct cr_instrument *ssj(void)
{
    double g = 3e-4;
    struct cr_instrument_inp in = {.name = "ssj", .nchannel = 19, .centres = ssj_e, .ngf = 1, .gf = &g,
                                   .accumulation_time = 1.0, .look = CR_LOOK_PRECIPITATING, .cone_half_angle = 90,
                                   .log = &quiet};
    return cr_instrument_new(&in);
}

/* Population on MLat 74-76 (sign: hem), MLT 11.5-12.5, t in [0, 40] s, 590 km. */
static struct cr_synth_inp popu(size_t n, int hem, double alt)
{
    struct cr_synth_inp s = {.density_cc = 2.0, .temperature_ev = 400.0, .e_min = 4.0, .e_max = 60000.0, .t0 = 0,
                             .t1 = 40, .mlat_min = hem > 0 ? 74 : -76, .mlat_max = hem > 0 ? 76 : -74,
                             .mlt_min = 11.5, .mlt_max = 12.5, .altitude_km = alt, .n = n,
                             .direction = CR_SYNTH_DOWN, .seed = 12345};
    return s;
}

/* Meridian pass 74.75 -> 75.25 deg at noon, 3 samples, 1.8 s each, starting at t = 10 s:
 * 20 s windows stay inside the population's 40 s. */
static struct cr_orbit *pass(int hem, double alt)
{
    double r_km = CR_RE_KM + alt;
    struct cr_orbit_inp o = {.kind = CR_ORBIT_MERIDIAN, .hemisphere = hem, .mlt = 12, .start_mlat = 74.75,
                             .end_mlat = 75.25, .step = 0.25, .altitude_km = alt,
                             .speed_km_s = 0.25 * CR_DEG * r_km / 1.8, .launch_time = 10, .log = &quiet};
    return cr_orbit_new(&o);
}

static struct cr_spectrogram *fly(const struct cr_pset *p, const struct cr_orbit *o, const struct cr_instrument *in,
                                  double coll_alt, double window)
{
    struct cr_spectrogram_inp si = {.particles = p, .orbit = o, .instrument = in, .collection_altitude_km = coll_alt,
                                    .bin_mlat = 0.5, .mlt_width = 1.0, .window = window, .grazing_cut = 5,
                                    .progress = -1, .log = &quiet};
    return cr_spectrogram_new(&si);
}

/* Compare every sample-channel with enough macro-particles against the
 * analytic channel average of E J(E). Tolerance: 5 sigma of the reported
 * macro-particle error per cell (chance of a false alarm < 1e-4 over a few
 * hundred cells); the reduced chi^2 must be near 1, which also checks that the
 * reported error is right (for ~100+ cells, [0.5, 1.7] is beyond +-3.5 sigma
 * of the chi^2 distribution even with the half-overlapping bins). Returns
 * the number of cells compared. */
static int check_maxwellian(const struct cr_spectrogram *s, const struct cr_synth_inp *si, int min_macro)
{
    double chi2 = 0;
    int cells = 0;
    for (int k = 0; k < s->nt; k++) {
        for (int c = 0; c < s->nch; c++) {
            size_t i = (size_t)k * s->nch + c;
            cr_assert(isfinite(s->def[i]) && isfinite(s->dnf[i]) && isfinite(s->counts[i]));
            if (s->macro[i] < min_macro) continue;
            double want = s->energy[c] * cr_maxwellian_dnf_mean(si->density_cc, si->temperature_ev, s->energy_lower[c],
                                                               s->energy_upper[c]);
            double z = (s->def[i] - want) / s->def_err[i];
            cr_assert(fabs(z) < 5.0, "sample %d channel %d (%g eV): DEF %g, analytic %g, error %g (%.2f sigma, %d particles)",
                      k, c, s->energy[c], s->def[i], want, s->def_err[i], z, s->macro[i]);
            chi2 += z * z;
            cells++;
        }
    }
    cr_assert(cells > 0);
    cr_assert(chi2 / cells > 0.5 && chi2 / cells < 1.7, "reduced chi^2 %g over %d cells", chi2 / cells, cells);
    return cells;
}

Test(spacecraft, maxwellian_def_every_channel_aci)
{
    size_t n = 400000; /* same size under sanitizers: the 5-sigma bound is checked for this size */
    struct cr_synth_inp si = popu(n, 1, 590);
    struct cr_pset *p;
    cr_assert_eq(cr_synth_maxwellian(&si, &p), CR_OK);
    struct cr_instrument *in = aci(1.0, 0);
    struct cr_orbit *o = pass(1, 590);
    cr_assert(in && o);
    /* each 20 s window holds half the particles, each 0.5 deg bin a quarter of those */
    struct cr_spectrogram *s = fly(p, o, in, 590, 20.0);
    cr_assert_not_null(s);
    cr_assert_eq(s->nt, 3);
    cr_assert_eq(s->nch, 47);
    /* every channel of every sample is populated (log-uniform energies) and compared */
    int cells = check_maxwellian(s, &si, 20);
    cr_assert_eq(cells, 3 * 47, "all channels compared (%d)", cells);
    cr_spectrogram_release(s);
    cr_orbit_release(o);
    cr_instrument_release(in);
    cr_pset_release(p);
}

Test(spacecraft, maxwellian_def_every_channel_ssj_south)
{
    size_t n = 240000;
    struct cr_synth_inp si = popu(n, -1, 590);
    struct cr_pset *p;
    cr_assert_eq(cr_synth_maxwellian(&si, &p), CR_OK);
    struct cr_instrument *in = ssj();
    struct cr_orbit *o = pass(-1, 590);
    struct cr_spectrogram *s = fly(p, o, in, 590, 20.0);
    cr_assert_not_null(s);
    cr_assert(s->mlat[0] < 0, "southern pass has negative MLat");
    cr_assert_eq(check_maxwellian(s, &si, 20), 3 * 19);
    /* precipitating in the south is pitch > 90: an upgoing-looking instrument sees nothing */
    struct cr_instrument_inp up = {.name = "up", .nchannel = 19, .centres = ssj_e, .ngf = 1, .gf = (double[]){3e-4},
                                   .accumulation_time = 1, .look = CR_LOOK_UPGOING, .cone_half_angle = 90, .log = &quiet};
    struct cr_instrument *inu = cr_instrument_new(&up);
    struct cr_spectrogram *su = fly(p, o, inu, 590, 20.0);
    for (int i = 0; i < su->nt * su->nch; i++) cr_assert(su->macro[i] == 0 && su->def[i] == 0);
    cr_spectrogram_release(su);
    cr_instrument_release(inu);
    cr_spectrogram_release(s);
    cr_orbit_release(o);
    cr_instrument_release(in);
    cr_pset_release(p);
}

/* Liouville: J is constant along the field line, so a spacecraft above or
 * below the collection shell (mapped along dipole field lines, pitch angles
 * with sin^2 a / B constant) sees the same isotropic Maxwellian. */
Test(spacecraft, maxwellian_mapped_to_other_altitudes)
{
    size_t n = 400000; /* same size under sanitizers: the 5-sigma bound is checked for this size */
    struct cr_synth_inp si = popu(n, 1, 590);
    si.mlat_min = 73.5;
    si.mlat_max = 76.5; /* the footpoints of a 75 deg pass at 300-1500 km stay inside */
    struct cr_pset *p;
    cr_assert_eq(cr_synth_maxwellian(&si, &p), CR_OK);
    struct cr_instrument *in = aci(1.0, 0);
    const double alts[] = {300, 1500};
    for (int a = 0; a < 2; a++) {
        struct cr_orbit *o = pass(1, alts[a]);
        struct cr_spectrogram *s = fly(p, o, in, 590, 20.0);
        cr_assert_not_null(s);
        /* footpoint: r / cos^2 MLat conserved */
        double r_sc = 1 + alts[a] / CR_RE_KM, r_c = 1 + 590 / CR_RE_KM;
        double want = acos(sqrt(pow(cos(s->mlat[1] * CR_DEG), 2) * r_c / r_sc)) / CR_DEG;
        cr_assert_float_eq(s->collection_mlat[1], want, 1e-12);
        if (alts[a] < 590) /* below the shell: the cone shrinks to the loss cone of the lower point */
            cr_assert(s->solid_angle[1] < 2 * CR_PI * (1 - sin(5 * CR_DEG)) * (1 - 1e-6));
        check_maxwellian(s, &si, 20);
        cr_spectrogram_release(s);
        cr_orbit_release(o);
    }
    cr_instrument_release(in);
    cr_pset_release(p);
}

/* Brute-force flux of one cell from the definition in docs/formats.md,
 * written independently of the module. */
static double brute_dnf(const struct cr_pset *p, const struct cr_spectrogram *s, int k, int c, double cut_deg)
{
    double lo = s->collection_mlat[k] - 0.25, hi = s->collection_mlat[k] + 0.25;
    double t0 = s->time[k] - 0.5 * s->window, t1 = s->time[k] + 0.5 * s->window;
    double sum = 0;
    for (size_t i = 0; i < p->n; i++) {
        double cp = cos(p->pitch[i] * CR_DEG);
        if (p->t[i] < t0 || p->t[i] >= t1 || p->mlat[i] < lo || p->mlat[i] >= hi) continue;
        if (fabs(p->mlt[i] - s->mlt[k]) >= 0.5 || p->energy[i] < s->energy_lower[c] || p->energy[i] >= s->energy_upper[c])
            continue;
        if (cp < sin(cut_deg * CR_DEG)) continue;
        sum += p->weight[i] / cp;
    }
    double r = (CR_RE_KM + 590) * 1e5;
    double area = r * r * (2 * CR_PI / 24) * (sin(hi * CR_DEG) - sin(lo * CR_DEG));
    double omega = 2 * CR_PI * (1 - sin(cut_deg * CR_DEG));
    return sum / (area * s->window * (s->energy_upper[c] - s->energy_lower[c]) * omega);
}

/* counts = J G E and its inverses; doubling G doubles the counts and leaves
 * both fluxes unchanged (exact up to round-off: 1e-12 relative). */
Test(spacecraft, geometric_factor_counts_and_inverse)
{
    struct cr_synth_inp si = popu(40000, 1, 590);
    struct cr_pset *p;
    cr_assert_eq(cr_synth_maxwellian(&si, &p), CR_OK);
    struct cr_instrument *a = aci(1.0, 0), *b = aci(2.0, 0);
    struct cr_orbit *o = pass(1, 590);
    struct cr_spectrogram *sa = fly(p, o, a, 590, 4.0), *sb = fly(p, o, b, 590, 4.0);
    cr_assert(sa && sb);
    int nonzero = 0;
    for (int k = 0; k < sa->nt; k++) {
        for (int c = 0; c < sa->nch; c++) {
            size_t i = (size_t)k * sa->nch + c;
            cr_assert_float_eq(sb->gf[c], 2 * sa->gf[c], 1e-12 * sa->gf[c]);
            cr_assert_float_eq(sb->counts[i], 2 * sa->counts[i], 1e-12 * sa->counts[i]);
            cr_assert_float_eq(sb->def[i], sa->def[i], 1e-12 * sa->def[i]);
            cr_assert_float_eq(sb->dnf[i], sa->dnf[i], 1e-12 * sa->dnf[i]);
            /* the inverse: J = C / (G E), F = C / G = E J */
            cr_assert_float_eq(sa->dnf[i], sa->counts[i] / (sa->gf[c] * sa->energy[c]), 1e-12 * sa->dnf[i]);
            cr_assert_float_eq(sa->def[i], sa->counts[i] / sa->gf[c], 1e-12 * sa->def[i]);
            cr_assert_float_eq(sa->def[i], sa->energy[c] * sa->dnf[i], 1e-12 * sa->def[i]);
            nonzero += sa->counts[i] > 0;
        }
    }
    cr_assert(nonzero > 100, "populated cells: %d", nonzero);
    /* the module's flux equals the definition evaluated by brute force */
    for (int c = 0; c < sa->nch; c += 5) {
        double want = brute_dnf(p, sa, 1, c, 5.0);
        cr_assert_float_eq(sa->dnf[1 * sa->nch + c], want, 1e-10 * want + 1e-300, "channel %d: %g vs %g", c,
                           sa->dnf[1 * sa->nch + c], want);
    }
    /* the geometric factor is interpolated linearly in log G - log E: the
       channel whose centre is 8 eV takes the table's first value, a centre
       between nodes the power law through its two neighbours */
    cr_assert_float_eq(sa->gf[0], 1.0e-4, 1e-16);
    for (int c = 0; c < sa->nch; c++) {
        double e = sa->energy[c];
        int j = 0;
        while (j < 5 && e > aci_gf_e[j + 1]) j++;
        double slope = log(aci_gf[j + 1] / aci_gf[j]) / log(aci_gf_e[j + 1] / aci_gf_e[j]);
        double want = aci_gf[j] * pow(e / aci_gf_e[j], slope);
        cr_assert_float_eq(sa->gf[c], want, 1e-12 * want, "channel %d at %g eV", c, e);
    }
    cr_spectrogram_release(sa);
    cr_spectrogram_release(sb);
    cr_orbit_release(o);
    cr_instrument_release(a);
    cr_instrument_release(b);
    cr_pset_release(p);
}

/* Channel edges: a mono-energetic beam at 1 keV seen by a 100 eV and a 400 eV
 * wide channel centred on it: the same particles, so J (per eV) is 4 times
 * larger in the narrow channel, and so are the counts (C = J G E_c). */
Test(spacecraft, channel_width_scales_flux_as_defined)
{
    struct cr_synth_inp si = popu(5000, 1, 590);
    struct cr_pset *p;
    cr_assert_eq(cr_synth_maxwellian(&si, &p), CR_OK);
    for (size_t i = 0; i < p->n; i++) p->energy[i] = 1000.0;
    double e = 1000.0, g = 3e-4, w1 = 100, w2 = 400;
    struct cr_instrument_inp i1 = {.name = "narrow", .nchannel = 1, .centres = &e, .widths = &w1, .ngf = 1, .gf = &g,
                                   .accumulation_time = 1, .look = CR_LOOK_PRECIPITATING, .cone_half_angle = 90,
                                   .log = &quiet};
    struct cr_instrument_inp i2 = i1;
    i2.widths = &w2;
    struct cr_instrument *a = cr_instrument_new(&i1), *b = cr_instrument_new(&i2);
    cr_assert(a && b);
    cr_assert_float_eq(cr_instrument_width(a, 0), 100.0, 1e-12);
    struct cr_orbit *o = pass(1, 590);
    struct cr_spectrogram *sa = fly(p, o, a, 590, 20.0), *sb = fly(p, o, b, 590, 20.0);
    for (int k = 0; k < 3; k++) {
        cr_assert(sa->macro[k] > 100 && sa->macro[k] == sb->macro[k]);
        cr_assert_float_eq(sa->dnf[k], 4 * sb->dnf[k], 1e-12 * sa->dnf[k]);
        cr_assert_float_eq(sa->counts[k], 4 * sb->counts[k], 1e-12 * sa->counts[k]);
    }
    cr_spectrogram_release(sa);
    cr_spectrogram_release(sb);
    cr_orbit_release(o);
    cr_instrument_release(a);
    cr_instrument_release(b);
    cr_pset_release(p);
}

Test(spacecraft, energy_tables_and_channel_lookup)
{
    struct cr_instrument *in = aci(1.0, 0);
    const double *lo = cr_instrument_lower(in), *up = cr_instrument_upper(in), *ce = cr_instrument_centres(in);
    double ratio = pow(20000.0 / 8.0, 1.0 / 46.0);
    cr_assert_float_eq(ce[0], 8.0, 1e-12);
    cr_assert_float_eq(ce[46], 20000.0, 1e-9);
    for (int c = 0; c < 47; c++) {
        if (c > 0) cr_assert_float_eq(ce[c] / ce[c - 1], ratio, 1e-12);
        /* contiguous: edges at geometric midpoints */
        cr_assert_float_eq(up[c] / lo[c], ratio, 1e-12);
        cr_assert_float_eq(lo[c] * up[c], ce[c] * ce[c], 1e-9 * ce[c] * ce[c]);
        if (c > 0) cr_assert_eq(lo[c], up[c - 1]);
        cr_assert_eq(cr_instrument_channel(in, lo[c]), c, "lower edge belongs to the channel");
        cr_assert_eq(cr_instrument_channel(in, ce[c]), c);
    }
    cr_assert_eq(cr_instrument_channel(in, up[46]), -1);
    cr_assert_eq(cr_instrument_channel(in, lo[0] * 0.999), -1);
    cr_instrument_release(in);
    /* 10 % passbands leave gaps */
    in = aci(1.0, 0.10);
    lo = cr_instrument_lower(in);
    up = cr_instrument_upper(in);
    ce = cr_instrument_centres(in);
    cr_assert_float_eq((up[10] - lo[10]) / ce[10], 0.10, 1e-12);
    cr_assert_eq(cr_instrument_channel(in, 0.5 * (up[10] + lo[11])), -1, "between passbands");
    cr_instrument_release(in);
    /* invalid tables are refused */
    double bad[] = {10, 30, 20}, g = 1e-4;
    struct cr_instrument_inp ib = {.nchannel = 3, .centres = bad, .ngf = 1, .gf = &g, .accumulation_time = 1,
                                   .cone_half_angle = 90, .log = &quiet};
    cr_assert_null(cr_instrument_new(&ib), "unsorted centres");
    double ok[] = {10, 20, 30}, wide[] = {5, 16, 5}; /* [12, 28] overlaps [7.5, 12.5] */
    ib.centres = ok;
    ib.widths = wide;
    cr_assert_null(cr_instrument_new(&ib), "overlapping channels");
    ib.widths = NULL;
    double g2[] = {1e-4, 2e-4};
    ib.gf = g2;
    ib.ngf = 2;
    cr_assert_null(cr_instrument_new(&ib), "2 geometric factors for 3 channels");
}

/* The paper's virtual satellite: 0.25 deg per 1.8 s, low to high MLat. */
Test(spacecraft, meridian_pass_geometry)
{
    double alt = 590, r_km = CR_RE_KM + alt;
    struct cr_orbit_inp oi = {.kind = CR_ORBIT_MERIDIAN, .hemisphere = 1, .mlt = 11, .start_mlat = 70, .end_mlat = 80,
                              .step = 0.25, .altitude_km = alt, .speed_km_s = 0.25 * CR_DEG * r_km / 1.8,
                              .launch_time = 29300, .log = &quiet};
    struct cr_orbit *o = cr_orbit_new(&oi);
    cr_assert_not_null(o);
    cr_assert_eq(cr_orbit_nsamples(o), 41);
    cr_assert_float_eq(cr_orbit_step_time(o), 1.8, 1e-12);
    for (int k = 0; k < 41; k++) {
        struct cr_orbit_sample s;
        cr_orbit_sample(o, k, 0, &s);
        cr_assert_float_eq(s.t, 29300 + 1.8 * k, 1e-9);
        cr_assert_float_eq(s.mlat, 70 + 0.25 * k, 1e-12);
        cr_assert_float_eq(s.mlt, 11, 1e-12);
        cr_assert_float_eq(s.track_angle, 0, 0, "poleward");
        cr_assert_float_eq(sqrt(s.x[0] * s.x[0] + s.x[1] * s.x[1] + s.x[2] * s.x[2]), r_km / CR_RE_KM, 1e-12);
        cr_assert_float_eq(asin(s.x[2] * CR_RE_KM / r_km) / CR_DEG, s.mlat, 1e-9);
        /* 11 MLT is 15 deg before noon (towards dawn, -Y) */
        cr_assert_float_eq(atan2(s.x[1], s.x[0]) / CR_DEG, -15.0, 1e-9);
    }
    struct cr_orbit_sample s2;
    cr_orbit_sample(o, 3, 60.0, &s2);
    cr_assert_float_eq(s2.t, 29300 + 5.4 + 60, 1e-9, "trailing spacecraft: same track, 60 s later");
    cr_assert_float_eq(s2.mlat, 70.75, 1e-12);
    cr_orbit_release(o);
    /* high to low in the south */
    oi.hemisphere = -1;
    oi.start_mlat = 80;
    oi.end_mlat = 79;
    o = cr_orbit_new(&oi);
    cr_assert_eq(cr_orbit_nsamples(o), 5);
    struct cr_orbit_sample s;
    cr_orbit_sample(o, 4, 0, &s);
    cr_assert_float_eq(s.mlat, -79, 1e-12);
    cr_assert_float_eq(s.track_angle, 180, 0, "equatorward");
    cr_orbit_release(o);
    /* zero speed is refused */
    oi.speed_km_s = 0;
    cr_assert_null(cr_orbit_new(&oi));
}

Test(spacecraft, circular_orbit_geometry)
{
    double alt = 590, v = 7.6, r = 1 + alt / CR_RE_KM;
    struct cr_orbit_inp oi = {.kind = CR_ORBIT_CIRCULAR, .hemisphere = 1, .start_mlat = 0, .step = 0.5,
                              .altitude_km = alt, .speed_km_s = v, .inclination = 90, .node_mlt = 12, .log = &quiet};
    struct cr_orbit *o = cr_orbit_new(&oi);
    cr_assert_not_null(o);
    double period = 2 * CR_PI * r * CR_RE_KM / v;
    cr_assert_float_eq(cr_orbit_period(o), period, 1e-9);
    int n = cr_orbit_nsamples(o);
    cr_assert_eq(n, 721, "one period in 0.5 deg steps: %d", n);
    double maxlat = -90;
    struct cr_orbit_sample prev = {0};
    for (int k = 0; k < n; k++) {
        struct cr_orbit_sample s;
        cr_orbit_sample(o, k, 0, &s);
        cr_assert_float_eq(sqrt(s.x[0] * s.x[0] + s.x[1] * s.x[1] + s.x[2] * s.x[2]), r, 1e-12);
        if (k > 0) { /* consecutive samples are one step of arc apart */
            double d = (s.x[0] * prev.x[0] + s.x[1] * prev.x[1] + s.x[2] * prev.x[2]) / (r * r);
            cr_assert_float_eq(acos(d) / CR_DEG, 0.5, 1e-6);
        }
        if (k > 0 && k < 180) { /* dayside, northbound: noon meridian, poleward */
            cr_assert_float_eq(s.mlt, 12, 1e-9);
            cr_assert_float_eq(s.track_angle, 0, 1e-6);
        }
        if (k > 180 && k < 360) { /* over the pole to the nightside: midnight, equatorward */
            cr_assert(fabs(s.mlt) < 1e-9 || fabs(s.mlt - 24) < 1e-9, "mlt %g", s.mlt);
            cr_assert_float_eq(fabs(s.track_angle), 180, 1e-6);
        }
        maxlat = CR_MAX(maxlat, s.mlat);
        prev = s;
    }
    cr_assert_float_eq(maxlat, 90, 1e-9);
    cr_orbit_release(o);
    /* inclination 60: |MLat| never exceeds 60 deg and reaches it */
    oi.inclination = 60;
    oi.start_mlat = 30;
    o = cr_orbit_new(&oi);
    struct cr_orbit_sample s0;
    cr_orbit_sample(o, 0, 0, &s0);
    cr_assert_float_eq(s0.mlat, 30, 1e-9);
    maxlat = 0;
    for (int k = 0; k < cr_orbit_nsamples(o); k++) {
        struct cr_orbit_sample s;
        cr_orbit_sample(o, k, 0, &s);
        maxlat = CR_MAX(maxlat, fabs(s.mlat));
    }
    cr_assert(maxlat <= 60 + 1e-9 && maxlat > 60 - 0.01, "max |MLat| %g", maxlat);
    cr_orbit_release(o);
    oi.start_mlat = 70; /* above the inclination */
    cr_assert_null(cr_orbit_new(&oi));
}

/* Poisson counting noise: reproducible from its seed; counts per sample are
 * whole numbers with mean and variance equal to the expected counts. */
Test(spacecraft, poisson_noise)
{
    struct cr_synth_inp si = popu(20000, 1, 590);
    struct cr_pset *p;
    cr_assert_eq(cr_synth_maxwellian(&si, &p), CR_OK);
    double g = 3e-4;
    struct cr_instrument_inp ii = {.name = "ssj", .nchannel = 19, .centres = ssj_e, .ngf = 1, .gf = &g,
                                   .accumulation_time = 0.5, .look = CR_LOOK_PRECIPITATING, .cone_half_angle = 90,
                                   .noise = 1, .seed = 7, .log = &quiet};
    struct cr_instrument *in = cr_instrument_new(&ii);
    struct cr_orbit *o = pass(1, 590);
    struct cr_spectrogram *a = fly(p, o, in, 590, 20.0), *b = fly(p, o, in, 590, 20.0);
    cr_assert_float_eq(a->integration_time, 20.0, 1e-12, "40 accumulations of 0.5 s per sample");
    double zsum = 0, z2 = 0;
    int cells = 0;
    for (int i = 0; i < a->nt * a->nch; i++) {
        cr_assert_eq(a->counts[i], b->counts[i], "same seed, same counts");
        double nc = a->counts[i] * a->integration_time, mu = a->counts_expected[i] * a->integration_time;
        cr_assert_float_eq(nc, round(nc), 1e-6);
        if (mu < 50) continue;
        double z = (nc - mu) / sqrt(mu);
        zsum += z;
        z2 += z * z;
        cells++;
    }
    /* ~50 cells: the mean of z has sd 1/sqrt(50) = 0.14 and the variance sd
       sqrt(2/50) = 0.2; +-4 sigma bounds */
    cr_assert(cells > 30, "%d cells", cells);
    cr_assert(fabs(zsum / cells) < 0.6 && z2 / cells > 0.2 && z2 / cells < 1.8, "mean %g var %g over %d", zsum / cells,
              z2 / cells, cells);
    cr_spectrogram_release(a);
    cr_spectrogram_release(b);
    cr_orbit_release(o);
    cr_instrument_release(in);
    cr_pset_release(p);
}

/* Empty bins and particles outside the time range: zeros, never NaN. */
Test(spacecraft, empty_and_out_of_time)
{
    struct cr_synth_inp si = popu(2000, 1, 590);
    struct cr_pset *p;
    cr_assert_eq(cr_synth_maxwellian(&si, &p), CR_OK);
    for (size_t i = 0; i < p->n; i++) p->t[i] += 1000.0; /* all long after the pass */
    struct cr_instrument *in = aci(1.0, 0);
    struct cr_orbit *o = pass(1, 590);
    struct cr_spectrogram *s = fly(p, o, in, 590, 0);
    cr_assert_not_null(s);
    cr_assert_float_eq(s->window, 1.8, 1e-12, "window defaults to the time per sample");
    cr_assert_eq(s->n_outside_time, s->n_candidates);
    for (int i = 0; i < s->nt * s->nch; i++)
        cr_assert(s->counts[i] == 0 && s->def[i] == 0 && s->dnf[i] == 0 && s->macro[i] == 0 && s->def_err[i] == 0);
    cr_spectrogram_release(s);
    struct cr_pset *none = cr_pset_new(0);
    s = fly(none, o, in, 590, 0);
    cr_assert_not_null(s);
    for (int i = 0; i < s->nt * s->nch; i++) cr_assert(s->counts[i] == 0 && !isnan(s->def[i]));
    cr_spectrogram_release(s);
    cr_pset_release(none);
    cr_orbit_release(o);
    cr_instrument_release(in);
    cr_pset_release(p);
}

/* particles.h5 written and read back through the core HDF5 helpers. */
Test(spacecraft, pset_roundtrip)
{
    char dir[256], path[512];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/particles.h5", dir);
    struct cr_synth_inp si = popu(500, -1, 700);
    struct cr_pset *p, *q;
    cr_assert_eq(cr_synth_maxwellian(&si, &p), CR_OK);
    cr_assert_eq(cr_pset_write(p, path, "synthetic", NULL, &quiet), CR_OK);
    cr_assert_eq(cr_pset_read(path, &quiet, &q), CR_OK);
    cr_assert_eq(q->n, p->n);
    cr_assert_float_eq(q->altitude_km, 700, 1e-12);
    for (size_t i = 0; i < p->n; i++) {
        cr_assert_eq(q->t[i], p->t[i]);
        cr_assert_eq(q->weight[i], p->weight[i]);
        cr_assert_eq(q->pitch[i], p->pitch[i]);
        cr_assert_eq(q->hemisphere[i], -1.0);
    }
    cr_pset_release(q);
    p->pitch[5] = NAN; /* the tracer's mark for an unknown field: that particle is dropped, not the file */
    cr_assert_eq(cr_pset_write(p, path, "synthetic", NULL, &quiet), CR_OK);
    cr_assert_eq(cr_pset_read(path, &quiet, &q), CR_OK);
    cr_assert_eq(q->weight[5], 0.0);
    cr_assert_eq(q->weight[6], p->weight[6]);
    cr_pset_release(q);
    p->energy[3] = -1; /* invalid data is refused with CR_ECONFIG */
    cr_assert_eq(cr_pset_write(p, path, "synthetic", NULL, &quiet), CR_OK);
    cr_assert_eq(cr_pset_read(path, &quiet, &q), CR_ECONFIG);
    cr_assert_eq(cr_pset_read("/nonexistent/particles.h5", &quiet, &q), CR_ECONFIG);
    cr_pset_release(p);
    helper_rm_rf(dir);
}
