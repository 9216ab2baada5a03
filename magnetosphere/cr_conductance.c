/* cr_conductance.c — ionospheric conductance from solar EUV (Moen & Brekke
 * 1993) and from MHD-derived electron precipitation (Fedder et al. 1995,
 * Knight 1973 acceleration as in REMIX, Robinson et al. 1987); equations
 * and sources in cr_conductance.h. */
#include "cr_conductance.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_units.h"

#define SEC "ionosphere"

const struct cr_key cr_conductance_keys[] = {
    {.section = SEC, .name = "conductance", .type = CR_KEY_CHOICE, .unit = "", .def = "model",
     .choices = "model|uniform",
     .doc = "model: EUV (Moen & Brekke 1993) and MHD-driven precipitation (Fedder et al. 1995, Robinson et al. "
            "1987) each coupling; uniform: sigma_p and sigma_h everywhere"},
    {.section = SEC, .name = "f107", .type = CR_KEY_REAL, .unit = "sfu", .def = "100", .min = 0, .max = 1000,
     .flags = CR_KEY_MIN_OPEN, .doc = "F10.7 solar radio flux for the EUV conductance when the driver gives none"},
    {.section = SEC, .name = "floor_p", .type = CR_KEY_REAL, .unit = "S", .def = "2", .min = 0, .max = 1e3,
     .flags = CR_KEY_MIN_OPEN, .doc = "model: Pedersen conductance floor (night side, no precipitation)"},
    {.section = SEC, .name = "floor_h", .type = CR_KEY_REAL, .unit = "S", .def = "1", .min = 0, .max = 1e3,
     .flags = CR_KEY_RANGED, .doc = "model: Hall conductance floor"},
    {.section = SEC, .name = "hall_ratio", .type = CR_KEY_REAL, .unit = "", .def = "3", .min = 0, .max = 100,
     .flags = CR_KEY_MIN_OPEN, .doc = "model: cap on Sigma_H / Sigma_P (REMIX's sigma_ratio)"},
    {.section = SEC, .name = "precip_alpha", .type = CR_KEY_REAL, .unit = "", .def = "1.0332", .min = 0, .max = 100,
     .flags = CR_KEY_MIN_OPEN, .doc = "model: thermal electron energy E0 = alpha gamma P / n (Fedder et al. 1995)"},
    {.section = SEC, .name = "precip_beta", .type = CR_KEY_REAL, .unit = "", .def = "0.4362", .min = 0, .max = 100,
     .flags = CR_KEY_MIN_OPEN, .doc = "model: thermal number flux beta n sqrt(E0 / m_p) (Fedder et al. 1995)"},
    {.section = SEC, .name = "knight_k", .type = CR_KEY_REAL, .unit = "", .def = "1", .min = 0, .max = 100,
     .flags = CR_KEY_MIN_OPEN, .doc = "model: potential drop K J_up sqrt(m_p E0) / (e n) over upward FAC"},
    {.section = SEC, .name = "mirror_ratio", .type = CR_KEY_REAL, .unit = "", .def = "8", .min = 1, .max = 1e4,
     .flags = CR_KEY_MIN_OPEN, .doc = "model: mirror ratio of Knight's relation (flux saturates at this factor)"},
    {.section = SEC, .name = "de_max", .type = CR_KEY_REAL, .unit = "keV", .def = "20", .min = 0, .max = 1e3,
     .flags = CR_KEY_MIN_OPEN, .doc = "model: cap on the field-aligned potential drop"},
    {.section = SEC, .name = "precip_r", .type = CR_KEY_REAL, .unit = "R_E", .def = "0", .min = 0, .max = 30,
     .flags = CR_KEY_RANGED,
     .doc = "model: radius where the precipitation's source n and P are taken along the dipole field line of each "
            "node (the nearest cell shell; 0: the FAC shell)"},
    CR_KEY_END,
};

struct cr_conductance {
    struct cr_conductance_inp inp;
};

void cr_conductance_inp_from_config(const struct cr_config *cfg, struct cr_conductance_inp *inp)
{
    inp->f107 = cr_config_real(cfg, SEC, "f107");
    inp->floor_p = cr_config_real(cfg, SEC, "floor_p");
    inp->floor_h = cr_config_real(cfg, SEC, "floor_h");
    inp->hall_ratio = cr_config_real(cfg, SEC, "hall_ratio");
    inp->alpha = cr_config_real(cfg, SEC, "precip_alpha");
    inp->beta = cr_config_real(cfg, SEC, "precip_beta");
    inp->knight = cr_config_real(cfg, SEC, "knight_k");
    inp->mirror = cr_config_real(cfg, SEC, "mirror_ratio");
    inp->de_max = cr_config_real(cfg, SEC, "de_max");
    inp->precip_r = cr_config_real(cfg, SEC, "precip_r");
}

int cr_conductance_is_model(const struct cr_config *cfg)
{
    const char *s = cr_config_choice_name(cfg, SEC, "conductance");
    return s && !strcmp(s, "model");
}

struct cr_conductance *cr_conductance_new(const struct cr_conductance_inp *inp_in)
{
    struct cr_conductance_inp inp = *inp_in;
    if (inp.f107 == 0) inp.f107 = 100.0;
    if (inp.floor_p == 0) inp.floor_p = 2.0;
    if (inp.hall_ratio == 0) inp.hall_ratio = 3.0;
    if (inp.alpha == 0) inp.alpha = 1.0332;
    if (inp.beta == 0) inp.beta = 0.4362;
    if (inp.mirror == 0) inp.mirror = 8.0;
    if (inp.de_max == 0) inp.de_max = 20.0;
    if (inp.knight == 0) inp.knight = 1.0;
    if (inp.gamma == 0) inp.gamma = 5.0 / 3.0;
    if (!(inp.f107 > 0 && isfinite(inp.f107)) || !(inp.floor_p > 0 && isfinite(inp.floor_p)) ||
        !(inp.floor_h >= 0 && isfinite(inp.floor_h)) ||
        !(inp.hall_ratio > 0 && isfinite(inp.hall_ratio)) || !(inp.alpha > 0) || !(inp.beta > 0) ||
        !(inp.knight > 0) || !(inp.mirror > 1) || !(inp.de_max > 0) || !(inp.gamma > 1) || !isfinite(inp.alpha) ||
        !isfinite(inp.beta) || !isfinite(inp.knight) || !isfinite(inp.mirror) || !isfinite(inp.de_max)) {
        cr_error(inp.log,
                 "conductance: invalid input (f107 %g sfu, floors %g/%g S, alpha %g, beta %g, K %g, mirror ratio %g, "
                 "dE_max %g keV, gamma %g)",
                 inp.f107, inp.floor_p, inp.floor_h, inp.alpha, inp.beta, inp.knight, inp.mirror, inp.de_max,
                 inp.gamma);
        return NULL;
    }
    struct cr_conductance *c = cr_zalloc(1, sizeof *c);
    if (!c) return NULL;
    c->inp = inp;
    return c;
}

void cr_conductance_release(struct cr_conductance *c) { free(c); }

double cr_conductance_f107_default(const struct cr_conductance *c) { return c->inp.f107; }

void cr_conductance_euv(double cos_chi, double f107, double *sigma_p, double *sigma_h)
{
    if (!(cos_chi > 0)) { /* night side of the terminator: the fits end at chi = 90 deg */
        *sigma_p = *sigma_h = 0.0;
        return;
    }
    double s = sqrt(cos_chi);
    /* Moen & Brekke 1993 (GRL 20, 971): S, F10.7 in sfu */
    *sigma_p = pow(f107, 0.49) * (0.34 * cos_chi + 0.93 * s);
    *sigma_h = pow(f107, 0.53) * (0.81 * cos_chi + 0.54 * s);
}

void cr_conductance_precip(const struct cr_conductance *c, double n_cc, double p_npa, double j_up, double *e_kev,
                           double *eflux, double *de_out)
{
    *e_kev = *eflux = 0.0;
    if (de_out) *de_out = 0.0;
    if (!(n_cc > 0) || !(p_npa > 0) || !isfinite(n_cc) || !isfinite(p_npa)) return;
    const double kev = 1e3 * CR_EV_J;         /* 1 keV in J */
    const double n = n_cc * 1e6;              /* m^-3 */
    /* (1) Fedder et al. 1995: E0 = alpha m_p c_s^2, c_s^2 = gamma P / rho, rho = n m_p [J] */
    double e0 = c->inp.alpha * c->inp.gamma * p_npa * 1e-9 / n;
    /* (2) thermal number flux [m^-2 s^-1] */
    double f0 = c->inp.beta * n * sqrt(e0 / CR_MP);
    /* (3) potential drop over upward current (electrons accelerated downward) [J] */
    double de = 0.0;
    if (j_up > 0 && isfinite(j_up)) {
        de = c->inp.knight * j_up / (CR_EV_J * n) * sqrt(CR_MP * e0);
        if (de > c->inp.de_max * kev) de = c->inp.de_max * kev;
    }
    /* (4) Knight 1973 with mirror ratio x */
    double x = c->inp.mirror;
    double f = de > 0 ? f0 * (x - (x - 1.0) * exp(-de / ((x - 1.0) * e0))) : f0;
    /* (5) mean energy [keV], energy flux J m^-2 s^-1 -> erg cm^-2 s^-1 (x 1e3) */
    *e_kev = (e0 + de) / kev;
    *eflux = (e0 + de) * f * 1e3;
    if (de_out) *de_out = de / kev;
}

void cr_conductance_robinson(double e_kev, double eflux, double *sigma_p, double *sigma_h)
{
    if (!(e_kev > 0) || !(eflux > 0)) {
        *sigma_p = *sigma_h = 0.0;
        return;
    }
    /* Robinson et al. 1987 (JGR 92, 2565): keV, erg cm^-2 s^-1 -> S */
    *sigma_p = 40.0 * e_kev * sqrt(eflux) / (16.0 + e_kev * e_kev);
    *sigma_h = 0.45 * pow(e_kev, 0.85) * *sigma_p;
}

int cr_conductance_compute(const struct cr_conductance *c, const struct cr_iono *io, int hemi, double f107,
                           const double *n_cc, const double *p_npa, double *sigma_p, double *sigma_h)
{
    if (hemi != CR_IONO_NORTH && hemi != CR_IONO_SOUTH) {
        cr_error(c->inp.log, "conductance: hemisphere must be CR_IONO_NORTH or CR_IONO_SOUTH (got %d)", hemi);
        return CR_EDOMAIN;
    }
    if (!(f107 > 0) || !isfinite(f107)) {
        cr_error(c->inp.log, "conductance: F10.7 must be a positive number of sfu (got %g)", f107);
        return CR_EDOMAIN;
    }
    const int nt = cr_iono_ntheta(io), np = cr_iono_nphi(io);
    const double *fac = cr_iono_fac(io, hemi);
    const double fp = c->inp.floor_p, fh = c->inp.floor_h, hr = c->inp.hall_ratio;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < nt; i++) {
        for (int j = 0; j < np; j++) {
            size_t q = (size_t)i * (size_t)np + (size_t)j;
            double x[3], ep, eh, ap, ah, e, phi;
            cr_iono_node_position(io, hemi, i, j, x);
            double r = sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
            cr_conductance_euv(x[0] / r, f107, &ep, &eh); /* zero tilt, SM: the Sun along +x */
            cr_conductance_precip(c, n_cc[q], p_npa[q], fac[q], &e, &phi, NULL);
            cr_conductance_robinson(e, phi, &ap, &ah);
            double sp = sqrt(ep * ep + ap * ap), sh = sqrt(eh * eh + ah * ah);
            sp = sp > fp ? sp : fp;
            sh = sh > fh ? sh : fh;
            if (sh > hr * sp) sh = hr * sp; /* REMIX's cap on the Hall to Pedersen ratio */
            sigma_p[q] = sp;
            sigma_h[q] = sh;
        }
    }
    return CR_OK;
}
