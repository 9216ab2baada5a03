/* cr_synth.h — synthetic collected-particle populations with a known
 * answer, for verification and benchmarks: an isotropic Maxwellian of given
 * density and temperature crossing a patch of the collection shell, sampled
 * with flux weighting so that a virtual spacecraft must recover the
 * analytic differential flux.
 *
 * Differential number flux of an isotropic Maxwellian (e.g. Baumjohann &
 * Treumann 1996, Basic Space Plasma Physics, Sect. 9.1: J = v^2 f / m):
 *   f(v) = n (m / (2 pi k T))^(3/2) exp(-E / kT)
 *   J(E) = (2 E / m^2) f = n (2 E / m^2) (m / (2 pi k T))^(3/2) exp(-E / kT)
 * The number of particles crossing an area A in time dt with energy in dE
 * and direction in dOmega at angle alpha to the normal is
 *   dN = J |cos alpha| A dt dE dOmega,
 * which is the flux convention of docs/formats.md read backwards.
 */
#ifndef CR_SYNTH_H
#define CR_SYNTH_H

#include <stddef.h>

#include "cr_pset.h"

enum cr_synth_direction { CR_SYNTH_DOWN = 0, CR_SYNTH_UP = 1, CR_SYNTH_BOTH = 2 };

struct cr_synth_inp {
    double density_cc;      /* n [cm^-3] */
    double temperature_ev;  /* kT [eV] */
    double e_min, e_max;    /* energies sampled, log-uniformly [eV] */
    double t0, t1;          /* arrival times, uniform [s] */
    double mlat_min, mlat_max; /* patch of the shell, signed MLat [deg], one hemisphere */
    double mlt_min, mlt_max;   /* [h], mlt_min < mlt_max */
    double altitude_km;     /* collection shell altitude [km] */
    size_t n;               /* macro-particles */
    enum cr_synth_direction direction; /* downgoing (precipitating), upgoing or both */
    unsigned long seed;     /* GSL mt19937 seed */
};

/* Maxwellian differential number flux J(E) [cm^-2 s^-1 sr^-1 eV^-1]. */
double cr_maxwellian_dnf(double density_cc, double temperature_ev, double energy_ev);

/* Its exact average over [e1, e2] [eV]: (1/(e2-e1)) int J dE, using
 * int E exp(-E/T) dE = -T (E + T) exp(-E/T). */
double cr_maxwellian_dnf_mean(double density_cc, double temperature_ev, double e1, double e2);

/* Area of the patch [cm^2] on the shell of radius R_E + altitude_km. */
double cr_synth_patch_area(const struct cr_synth_inp *inp);

/* Generate the population (magnetic field taken radial, so the pitch angle
 * is the angle to the shell normal). CR_ECONFIG on bad input. */
int cr_synth_maxwellian(const struct cr_synth_inp *inp, struct cr_pset **out);

#endif
