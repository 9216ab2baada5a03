/* cr_lockwood.h — the Lockwood & Smith (1992) reconnection-rate estimator
 * from a cusp ion dispersion, as applied by da Silva et al. (2025) and
 * Burkholder et al. (2025).
 *
 * Two pieces, both pure computations on arrays (no files):
 *  1. cr_eic_find(): the low-energy cutoff E_ic of one precipitating
 *     spectrum (threshold below the peak, or the peak energy);
 *  2. struct cr_lockwood: a time series of E_ic turned into the reconnection
 *     time t_o and the reconnection electric field at the satellite (E_i) and
 *     at the magnetopause (E_mp), in the Lockwood form and in the
 *     convection-corrected form, each with a 1-sigma uncertainty.
 *
 * Equations (see reconnection/README.md for the derivation and signs):
 *   t_o  = t_s - d / v_ic,              v_ic = sqrt(2 E_ic / m)
 *   X    = (d/2) sqrt(m/2) E_ic^(-3/2) dE_ic/dt_s     (= dt_o/dt_s - 1)
 *   E_i  = B_s (V_c - U) / (1 + X)      U = V_s cos(alpha): poleward speed
 *                                        of the satellite, V_c: poleward
 *                                        convection speed of the field lines
 *   Lockwood form: V_c = 0;  convection-corrected form: V_c as configured.
 *   E_mp = E_i * (L_i / L'),            L_i / L' = sqrt(B' / B_s)
 * Units at this interface: t [s], E_ic [eV], B [nT], speeds [km/s],
 * d [R_E], electric fields [mV/m].
 */
#ifndef CR_LOCKWOOD_H
#define CR_LOCKWOOD_H

#include "../core/cr_log.h"

/* Missing value written wherever an estimate does not exist (empty spectrum,
 * too few samples, singular denominator). Finite on purpose: it never
 * propagates as NaN; files carry it as _FillValue. */
#define CR_LW_FILL (-1.0e30)

/* ---- 1. Low-energy cutoff of one spectrum ------------------------------ */

enum cr_eic_method {
    CR_EIC_THRESHOLD = 0, /* walk down from the peak to the first channel below fraction * peak */
    CR_EIC_PEAK = 1       /* energy of the peak of the spectrum */
};

/* Outcome of cr_eic_find (also stored per spectrum in rate.nc as eic_flag). */
enum cr_eic_status {
    CR_EIC_OK = 0,
    CR_EIC_EMPTY = 1,       /* no channel with positive, finite flux above min_peak */
    CR_EIC_BELOW_RANGE = 2, /* threshold: every channel from the peak down to the lowest one is at or
                               above the threshold, so the cutoff lies below the instrument's range */
    CR_EIC_NOISY = 3        /* the spectrum's effective count above its cutoff is below rate.min_effective_count
                               (simulated spectra that say how precise they are): E_ic not used */
};

enum cr_eic_interp {
    CR_EIC_INTERP_NONE = 0,   /* channel centres (da Silva et al. 2025) */
    CR_EIC_INTERP_LINEAR = 1, /* flux linear in log E between the two channels around the threshold */
    CR_EIC_INTERP_EDGE = 2    /* sharp-edge model: position inside the cutoff channel from its filled fraction */
};

struct cr_eic_opts {
    enum cr_eic_method method;
    double fraction;  /* threshold as a fraction of the peak (0 < f < 1; da Silva et al.: 0.1) */
    enum cr_eic_interp interp; /* continuous E_ic (see cr_eic_find) */
    double min_peak;  /* a spectrum whose peak is <= min_peak is empty (units of the flux given) */
};

/* Low-energy cutoff of one spectrum.
 * energy[n] channel centres [eV] in any order (ascending, descending); flux[n]
 * the precipitating flux in those channels (differential energy flux, count
 * rate, ...); lo[n], hi[n] the channel edges [eV] (may be NULL: geometric
 * midpoints between centres, the outer edges half a step out). Values that
 * are negative, non-finite or equal to CR_LW_FILL count as zero.
 *  - CR_EIC_THRESHOLD: p = the channel of largest flux F_p; walking down in
 *    energy, k = the first channel with flux F_k < fraction * F_p.
 *      NONE:   E_ic = E_k (da Silva et al. 2025).
 *      LINEAR: the flux taken as linear in log E between channel k and the one
 *              above it, E_ic where it equals thr = fraction * F_p:
 *              log E_ic = log E_k + w (log E_k+1 - log E_k), w = (thr - F_k)/(F_k+1 - F_k).
 *      EDGE:   the spectrum taken as a smooth spectrum S(E) cut sharply at E_ic
 *              (the time-of-flight cutoff of Lockwood & Smith 1992). The cutoff
 *              channel c is k if F_k > 0, else k + 1; S_c is extrapolated from
 *              the two channels above (log-linear in log E, factor kept within
 *              [1/5, 5]; F_c+1 alone when c+1 is the top channel) and the filled
 *              fraction q = min(1, F_c / S_c) of the channel's width in energy
 *              gives E_ic = hi_c - q (hi_c - lo_c). Exact for a flat spectrum.
 *  - CR_EIC_PEAK: E_ic = E_p; with LINEAR or EDGE the vertex of the parabola
 *    through (log E, flux) of the peak and its two neighbours (kept within
 *    the neighbours; the channel centre at the edges of the table).
 * Returns the status; *eic = CR_LW_FILL unless CR_EIC_OK. */
int cr_eic_find(const double *energy, const double *flux, const double *lo, const double *hi, int n,
                const struct cr_eic_opts *opts, double *eic);

/* ---- 2. Rate estimator over a pass ------------------------------------- */

/* Flags per estimate (bit mask, stored in rate.nc as `flag`). */
enum {
    CR_LW_NO_EIC = 1 << 0,      /* E_ic missing at this spectrum: no estimate */
    CR_LW_FEW_SAMPLES = 1 << 1, /* fewer than 3 valid E_ic in the smoothing/derivative window */
    CR_LW_SINGULAR = 1 << 2,    /* |1 + X| < 1e-6: denominator vanishes, rate undefined */
    CR_LW_NEGATIVE = 1 << 3,    /* the Lockwood-form rate is negative (dispersion against the expected
                                   sense for this track); value kept */
    CR_LW_NO_BS = 1 << 4,       /* B_s missing or non-positive: no estimate */
    CR_LW_STEP = 1 << 5         /* next to a step in E_ic (windows stop there); value kept */
};

struct cr_lockwood_inp {
    double d;             /* field-line length X-line -> satellite [R_E] (> 0) */
    double d_err_frac;    /* 1-sigma uncertainty of d as a fraction of d (>= 0) */
    double v_conv;        /* poleward convection speed of the field lines at the satellite [km/s]
                             (convection-corrected form) */
    double b_mp;          /* field at the magnetopause end B' [nT] for L_i/L' = sqrt(B'/B_s) (> 0) */
    double mapping_ratio; /* > 0: use this constant L_i/L' instead of sqrt(B'/B_s) */
    int smooth_window;    /* moving-average window in samples (odd, >= 1) */
    int deriv_window;     /* local linear fit window for the time derivative, samples (odd, >= 3) */
    double step_dex;      /* > 0: a change of log10 E_ic by more than this between consecutive valid
                             spectra is a step (a pause in reconnection, Lockwood & Smith 1992);
                             smoothing and derivative windows do not reach across it. 0 = off */
    double mass_amu;      /* ion mass [amu]; 0 = proton */
    const struct cr_log *log;
};

struct cr_lockwood;

/* Inputs of one pass, n spectra in time order. Arrays are borrowed. */
struct cr_lw_series {
    int n;
    const double *t_s;  /* sample time [s] */
    const double *e_ic; /* low-energy cutoff [eV] or CR_LW_FILL */
    const double *b_s;  /* |B| at the satellite [nT] */
    const double *u;    /* poleward component of the satellite velocity V_s cos(alpha) [km/s] */
    const double *d;    /* optional per-spectrum field-line length [R_E] (NULL or CR_LW_FILL: inp->d) */
    const double *mapping; /* optional per-spectrum L_i/L' (NULL or CR_LW_FILL: from inp) */
    const double *v_c;     /* optional per-spectrum poleward convection speed [km/s] (NULL or CR_LW_FILL: inp->v_conv) */
};

/* Results, n entries each (allocated by cr_lw_result_new). Every rate field
 * holds CR_LW_FILL where `flag` has NO_EIC, FEW_SAMPLES, SINGULAR or NO_BS. */
struct cr_lw_result {
    int n;
    double *e_ic_smooth;   /* [eV] 10^(moving average of log10 E_ic) */
    double *e_ic_err;      /* [eV] 1-sigma of E_ic_smooth */
    double *deic_dt;       /* [eV/s] */
    double *x;             /* [1] X = dt_o/dt_s - 1 */
    double *t_o, *t_o_err; /* [s] reconnection time and its 1-sigma */
    double *e_i, *e_i_err;           /* [mV/m] satellite altitude, Lockwood form */
    double *e_i_conv, *e_i_conv_err; /* [mV/m] satellite altitude, convection-corrected */
    double *e_mp, *e_mp_err;         /* [mV/m] magnetopause, Lockwood form */
    double *e_mp_conv, *e_mp_conv_err; /* [mV/m] magnetopause, convection-corrected */
    double *mapping_ratio; /* [1] L_i / L' */
    int *flag;
};

struct cr_lw_result *cr_lw_result_new(int n);
void cr_lw_result_release(struct cr_lw_result *r);

/* Validate the parameters; NULL (with a logged reason) when they are bad. */
struct cr_lockwood *cr_lockwood_new(const struct cr_lockwood_inp *inp);

/* Run the estimator over one pass. CR_OK, CR_ECONFIG when the series does
 * not fit (n mismatch, times not increasing), CR_EDOMAIN when no spectrum
 * has an E_ic (the result is then filled with missing values and flags). */
int cr_lockwood_run(const struct cr_lockwood *lw, const struct cr_lw_series *in, struct cr_lw_result *out);

/* Number of estimates without a blocking flag (usable rates). */
int cr_lw_result_count_valid(const struct cr_lw_result *r);

void cr_lockwood_release(struct cr_lockwood *lw);

/* Ion speed [km/s] for an energy [eV] and mass [amu] (0 = proton). */
double cr_lw_speed_kms(double e_ev, double mass_amu);

#endif
