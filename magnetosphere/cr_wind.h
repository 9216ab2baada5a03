/* cr_wind.h — the solar-wind driver: a time series of n, V, T, B read from
 * our text format or GAMERA's bcwind.h5, interpolated linearly in time, and
 * the idealized drivers that `cusprate wind FILE.ini` writes.
 *
 * Units (the same in memory and in our text file): t [s], n [cm^-3],
 * V [km/s], T [K], B [nT], GSM = SM at zero dipole tilt. T is the plasma
 * temperature with the thermal pressure P = n k_B T (GAMERA's convention: its
 * default 1.4493e5 K at 5 cm^-3 is 0.01 nPa); see cr_wind_pressure_npa().
 *
 * Text format (the first non-comment line names the columns and units;
 * columns in any order, extra columns ignored; '#' starts a comment):
 *     # cusprate solar-wind driver
 *     time[s] n[cm^-3] vx[km/s] vy[km/s] vz[km/s] T[K] bx[nT] by[nT] bz[nT]
 *     0 5 -400 0 0 1e5 0 0 0
 * Time must increase strictly; every value must be finite, n > 0, T > 0.
 *
 * bcwind.h5 (GAMERA/kaiju): 1-D datasets T [s], D [#/cc], Vx Vy Vz [m/s],
 * Temp [K], Bx By Bz [nT] of equal length. Written with the extra datasets
 * GAMERA reads: tilt [rad] = 0, Bx0, ByC, BzC = 0, MJD from [run] epoch,
 * symh [nT], f10.7 [sfu] and Kp as the source driver had them (else SYM-H 0
 * and F10.7 100 sfu, the default of ionosphere.f107; no Kp). On reading, a non-zero dipole tilt
 * or tilted-front coefficient (Bx = Bx0 + ByC By + BzC Bz) is refused
 * (CR_ECONFIG naming the file, dataset and value): cusprate's magnetosphere
 * has zero tilt and a front normal to x, so using the driver would silently
 * drop that physics. symh, f10.7 and Kp are kept (cr_wind_index) and written
 * back, and recorded as extra columns of the text file; f10.7 [sfu] sets the
 * ionosphere's EUV conductance (cr_conductance.h).
 *
 * Interpolation: linear in time between samples (exact for piecewise-linear
 * drivers); before the first sample the first values hold, after the last the
 * last values hold.
 *
 * Planar front (upstream boundary at x_bc, flow along -x): what arrives at
 * position x at time t left the boundary at t - (x_bc - x)/|Vx| (the delay
 * uses Vx at the departure time, found by fixed-point iteration).
 */
#ifndef CR_WIND_H
#define CR_WIND_H

#include <stddef.h>

#include "../core/cr_cli.h"
#include "../core/cr_config.h"
#include "../core/cr_log.h"

struct cr_wind_sample {
    double t;     /* [s] */
    double n;     /* number density [cm^-3] */
    double v[3];  /* velocity [km/s] */
    double temp;  /* temperature [K] */
    double b[3];  /* IMF [nT] */
};

struct cr_wind_inp {
    size_t n;                            /* number of samples (>= 1) */
    const struct cr_wind_sample *samples; /* copied */
    const char *source;                  /* name for messages ("file.txt"), may be NULL */
    const struct cr_log *log;
};

struct cr_wind;

/* New driver from samples; NULL (logged) when the series is invalid (time not
 * strictly increasing, non-finite values, n <= 0 or T <= 0). */
struct cr_wind *cr_wind_new(const struct cr_wind_inp *inp);
void cr_wind_release(struct cr_wind *w);

/* Read a driver: bcwind.h5 when the file is HDF5, our text format otherwise.
 * CR_ECONFIG with "file:line: reason" (text) or "file: dataset[index]:
 * reason" (HDF5) for bad content, and for a file that cannot be read. */
int cr_wind_load(const char *path, const struct cr_log *log, struct cr_wind **out);
int cr_wind_read_text(const char *path, const struct cr_log *log, struct cr_wind **out);
int cr_wind_read_bcwind(const char *path, const struct cr_log *log, struct cr_wind **out);

/* Write (temporary name, renamed when complete). The text file carries the
 * code version and, when cfg is given, the resolved configuration as comment
 * lines; bcwind.h5 gets the provenance attributes of core/cr_h5. */
int cr_wind_write_text(const struct cr_wind *w, const char *path, const struct cr_config *cfg,
                       const struct cr_log *log);
int cr_wind_write_bcwind(const struct cr_wind *w, const char *path, const struct cr_config *cfg,
                         const struct cr_log *log);

size_t cr_wind_size(const struct cr_wind *w);
/* The driver's name for messages (its file, or "idealized driver"). */
const char *cr_wind_source(const struct cr_wind *w);

/* Indices of a GAMERA driver, one value per sample, or NULL when it had none. */
enum { CR_WIND_SYMH = 0, CR_WIND_F107, CR_WIND_KP, CR_WIND_NINDEX };
const double *cr_wind_index(const struct cr_wind *w, int which);
const struct cr_wind_sample *cr_wind_samples(const struct cr_wind *w);
double cr_wind_t_first(const struct cr_wind *w);
double cr_wind_t_last(const struct cr_wind *w);

/* Values at time t (linear interpolation, held constant outside the series).
 * Thread-safe. */
void cr_wind_eval(const struct cr_wind *w, double t, struct cr_wind_sample *s);

/* Planar-front values at x [R_E] (the sunward coordinate) and time t for an
 * upstream boundary at x_bc [R_E]: cr_wind_eval at t - (x_bc - x) R_E / |Vx|.
 * s->t is set to that departure time. Vx = 0 returns the values at t. */
void cr_wind_eval_delayed(const struct cr_wind *w, double t, double x, double x_bc, struct cr_wind_sample *s);

/* Thermal pressure n k_B T [nPa] and dynamic pressure m_p n |V|^2 [nPa]. */
double cr_wind_pressure_npa(const struct cr_wind_sample *s);
double cr_wind_pdyn_npa(const struct cr_wind_sample *s);

/* Idealized driver (GEM-2009 baseline by default): steady n, V, T, B after a
 * spin-up with the IMF Bz set to spinup_bz, a linear ramp of ramp_time to
 * b[2], then optional further Bz steps, each reached by a ramp of ramp_time
 * and held for step_time. Samples every dt and at every ramp corner. */
struct cr_wind_ideal {
    double n, v[3], temp, b[3];  /* the steady values (b[2] = the southward Bz) */
    double spinup_time;          /* [s] duration of the spin-up (0 = none) */
    double spinup_bz;            /* [nT] IMF Bz during the spin-up */
    double ramp_time;            /* [s] length of each linear ramp (0 = a step) */
    const double *bz_steps;      /* further Bz values [nT] (may be NULL) */
    size_t nsteps;
    double step_time;            /* [s] each further value is held this long before the next ramp */
    double duration;             /* [s] end of the series */
    double dt;                   /* [s] sample cadence */
};

/* Fill p from the [wind] configuration section (bz_steps points into cfg). */
void cr_wind_ideal_from_config(const struct cr_config *cfg, struct cr_wind_ideal *p);

/* Build the idealized series; NULL (logged) on inconsistent input. */
struct cr_wind *cr_wind_ideal_new(const struct cr_wind_ideal *p, const struct cr_log *log);

/* Schema of the [wind] section. */
extern const struct cr_key cr_wind_keys[];

/* `cusprate wind FILE.ini`: writes the idealized driver into the run folder
 * (text, and bcwind.h5 when [wind] bcwind = yes); with [wind] driver set it
 * reads, validates and converts that file instead. */
int cr_cmd_wind(struct cr_cmd_ctx *ctx);

#endif
