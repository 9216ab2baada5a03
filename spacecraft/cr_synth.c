/* cr_synth.c — isotropic Maxwellian populations crossing the collection
 * shell with flux weighting (see cr_synth.h for the formulas). */
#include "cr_synth.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>

#include "../core/cr_common.h"
#include "../core/cr_units.h"

/* J(E) = K E exp(-E/T) with E, T in eV; K in cm^-2 s^-1 sr^-1 eV^-2. */
static double maxwellian_k(double n_cc, double t_ev)
{
    double n = n_cc * CR_CC;             /* m^-3 */
    double kt = t_ev * CR_EV_J;          /* J */
    double m = CR_MP;
    /* SI: J = n (2 E / m^2) (m / (2 pi kT))^(3/2) exp(-E/kT)  [m^-2 s^-1 sr^-1 J^-1];
       E = e E_eV; to cm^-2 s^-1 sr^-1 eV^-1 multiply by 1e-4 (m^-2 -> cm^-2) and e (J^-1 -> eV^-1). */
    return 1e-4 * CR_EV_J * n * 2.0 * CR_EV_J / (m * m) * pow(m / (2.0 * CR_PI * kt), 1.5);
}

double cr_maxwellian_dnf(double density_cc, double temperature_ev, double e)
{
    return maxwellian_k(density_cc, temperature_ev) * e * exp(-e / temperature_ev);
}

double cr_maxwellian_dnf_mean(double density_cc, double temperature_ev, double e1, double e2)
{
    double t = temperature_ev;
    double integral = t * ((e1 + t) * exp(-e1 / t) - (e2 + t) * exp(-e2 / t));
    return maxwellian_k(density_cc, t) * integral / (e2 - e1);
}

double cr_synth_patch_area(const struct cr_synth_inp *inp)
{
    double r_cm = (CR_RE_KM + inp->altitude_km) * 1e5;
    double dphi = (inp->mlt_max - inp->mlt_min) * 2.0 * CR_PI / 24.0;
    return r_cm * r_cm * dphi * (sin(inp->mlat_max * CR_DEG) - sin(inp->mlat_min * CR_DEG));
}

int cr_synth_maxwellian(const struct cr_synth_inp *in, struct cr_pset **out)
{
    *out = NULL;
    if (!(in->density_cc > 0 && in->temperature_ev > 0 && in->e_min > 0 && in->e_max > in->e_min &&
          in->t1 > in->t0 && in->mlat_max > in->mlat_min && in->mlat_min >= -90 && in->mlat_max <= 90 &&
          (in->mlat_min >= 0 || in->mlat_max <= 0) && in->mlt_max > in->mlt_min && in->mlt_min >= 0 &&
          in->mlt_max <= 24 && in->altitude_km >= 0 && in->n > 0))
        return CR_ECONFIG;
    struct cr_pset *p = cr_pset_new(in->n);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!p || !rng) {
        cr_pset_release(p);
        if (rng) gsl_rng_free(rng);
        return CR_ENOMEM;
    }
    gsl_rng_set(rng, in->seed);
    double hem = in->mlat_max > 0 ? 1.0 : -1.0;
    double r = 1.0 + in->altitude_km / CR_RE_KM;
    double area = cr_synth_patch_area(in);
    double span = in->t1 - in->t0;
    double lr = log(in->e_max / in->e_min);
    /* int |cos| dOmega over the directions generated: pi per hemisphere of directions */
    double omega_cos = in->direction == CR_SYNTH_BOTH ? 2.0 * CR_PI : CR_PI;
    double s1 = sin(in->mlat_min * CR_DEG), s2 = sin(in->mlat_max * CR_DEG);
    for (size_t i = 0; i < in->n; i++) {
        double e = in->e_min * exp(lr * gsl_rng_uniform(rng));
        /* importance weight: expected real crossings / (n p(E)), p(E) = 1 / (E ln(e_max/e_min)) */
        p->weight[i] = area * span * omega_cos * cr_maxwellian_dnf(in->density_cc, in->temperature_ev, e) * e * lr /
                       (double)in->n;
        p->energy[i] = e;
        p->t[i] = in->t0 + span * gsl_rng_uniform(rng);
        double lat = asin(s1 + (s2 - s1) * gsl_rng_uniform(rng)); /* uniform in area */
        double mlt = in->mlt_min + (in->mlt_max - in->mlt_min) * gsl_rng_uniform(rng);
        double c = sqrt(gsl_rng_uniform_pos(rng));                 /* flux weighting: density 2 cos */
        double alpha = acos(c) / CR_DEG;                             /* angle to the field, folded */
        int down = in->direction == CR_SYNTH_DOWN || (in->direction == CR_SYNTH_BOTH && gsl_rng_uniform(rng) < 0.5);
        /* north: B points down, downgoing = pitch < 90; south: B points up */
        int along = (hem > 0) == down;
        p->pitch[i] = along ? alpha : 180.0 - alpha;
        p->mlat[i] = lat / CR_DEG;
        p->mlt[i] = mlt;
        p->hemisphere[i] = hem;
        double phi = (mlt - 12.0) * 15.0 * CR_DEG;
        p->x[i] = r * cos(lat) * cos(phi);
        p->y[i] = r * cos(lat) * sin(phi);
        p->z[i] = r * sin(lat);
    }
    p->altitude_km = in->altitude_km;
    p->has_altitude = 1;
    gsl_rng_free(rng);
    *out = p;
    return CR_OK;
}
