/* test_lockwood_synth.h — a forward time-of-flight model of a cusp ion
 * dispersion, for verifying the Lockwood-Smith estimator: protons enter
 * newly reconnected field lines at an X-line a distance d from the
 * satellite, with a prescribed reconnection-rate history; the satellite
 * crosses the field lines and sees, at each instant, every energy whose
 * flight time d/v is shorter than the age of the field line overhead.
 *
 * Model (Lockwood & Smith 1992, "conveyor belt" form): the open-closed
 * boundary is fixed; every open field line convects poleward at
 * V_c(t) = E(t)/B, so the flux between the boundary and the line reconnected
 * at t_o is F(t) - F(t_o), F(t) = int E dt (per unit length, at satellite
 * altitude). The satellite's flux coordinate grows as d(phi)/dt = B_s U
 * (U = V_s cos(track angle), poleward); the line overhead at t_s has
 * F(t_o) = F(t_s) - phi(t_s). Its spectrum is the sheath spectrum
 * J_E(E) = J0 (E/E0)^gamma exp(-E/E_roll) above E_min = (m/2)(d/(t_s - t_o))^2
 * and zero below; channel values are the exact channel averages, further
 * averaged over the accumulation time. Equatorward of the boundary (closed
 * lines) and on lines older than the rate history the spectrum is empty.
 *
 * Output: <path> in the <flyby>.spectrogram.nc format of docs/formats.md
 * (instrument tables: DMSP SSJ 19 channels 30 eV - 30 keV at 1 s; TRACERS
 * ACI 47 log channels 8 eV - 20 keV at 0.312 s; REFERENCES.md section 6).
 */
#ifndef TEST_LOCKWOOD_SYNTH_H
#define TEST_LOCKWOOD_SYNTH_H

#include <stddef.h>

enum synth_instrument { SYNTH_DMSP = 0, SYNTH_TRACERS = 1 };

/* Rate history E(t) [mV/m] at satellite altitude. */
struct synth_rate {
    int kind;             /* 0 steady, 1 bursts */
    double e0;            /* steady level, or level between bursts [mV/m] */
    double e_burst;       /* level during bursts [mV/m] */
    int nburst;
    double burst_start[8];/* [s] */
    double burst_len;     /* [s] */
};

double synth_rate_eval(const struct synth_rate *r, double t);

struct synth_inp {
    enum synth_instrument instrument;
    struct synth_rate rate;
    double t_rate0;         /* start of the rate history [s] (F = 0) */
    double d_re;            /* X-line -> satellite [R_E] */
    double b_e;             /* dipole equatorial surface field [nT] */
    double altitude_km;
    double speed_km_s;
    double track_angle_deg; /* from poleward */
    double mlt;             /* [h] at the boundary crossing */
    double mlat_ocb;        /* [deg] boundary latitude (north) */
    double t_ocb;           /* [s] satellite crosses the boundary */
    double t_start, t_end;  /* first and last sample centre [s] */
    double gamma, e0, e_roll; /* sheath spectrum shape [1], [eV], [eV] */
    double j0;              /* energy flux scale [eV cm^-2 s^-1 sr^-1 eV^-1] */
    int nsub;               /* sub-samples per accumulation (>= 1) */
    unsigned long noise_seed; /* 0 = no noise; else Poisson counts with this seed */
    double geometric_factor;  /* [cm^2 sr eV/eV] (noise level) */
};

/* Truth per sample (arrays of n, owned by the struct). */
struct synth_truth {
    int n;
    double *t;      /* sample centre [s] */
    double *t_o;    /* reconnection time of the line overhead at t [s] (-1e30 when closed/older) */
    double *e_min;  /* true cutoff [eV] (-1e30 when no ions) */
    double *b_s;    /* [nT] */
    double *v_c;    /* convection speed at t [km/s] */
    double u;       /* poleward speed [km/s] */
};

/* Write the spectrogram and fill *truth (may be NULL). 0 on success. */
int synth_write(const char *path, const struct synth_inp *inp, struct synth_truth *truth);
void synth_truth_free(struct synth_truth *t);

/* Channel tables: fills energies (centres) and edges; returns the count. */
int synth_channels(enum synth_instrument ins, double *centre, double *lo, double *hi);
double synth_accumulation(enum synth_instrument ins);

/* A minimal flux.nc (docs/formats.md) with the given opening rate as E_xline
 * and E_iono per MLT bin: e_xline(t) [mV/m] on 60 s intervals from t0 for nt
 * intervals; 48 half-hour MLT bins; both hemispheres. 0 on success. */
int synth_write_flux(const char *path, double t0, int nt, double (*e_xline)(double t, const void *ctx),
                     const void *ctx);

#endif
