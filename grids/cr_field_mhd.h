/* cr_field_mhd.h — MHD slices from an mhd.h5 file (GAMERA/kaipy layout) as a
 * field source for field lines and test particles.
 *
 * The file (docs/formats.md; GAMERA's own single-file output reads the same):
 *   root   X, Y, Z    [R_E]   cell corners, shape (Nk+1, Nj+1, Ni+1), C order
 *   Step#N group, attribute `time` [s]; cell-centred datasets, shape (Nk, Nj, Ni):
 *          Bx By Bz [nT, total field]   Vx Vy Vz [km/s]   D [#/cc]   (P [nPa] when asked for)
 * Slices need not be numbered from 0 or contiguously; they are ordered by
 * their `time`, which must increase strictly.
 *
 * Evaluation at (t, x): the point is located on the curvilinear grid
 * (cr_grid_locate) and B, V, D are interpolated trilinearly between the
 * eight surrounding cell centres (cr_grid_interp_cell), in each of the two
 * slices that bracket t, then linearly in time. E = -V x B [mV/m]
 * (ideal MHD). On a spherical (LFM-style) grid B is interpolated as its
 * deviation from the dipole of strength b_e (taken at the cell centroids) and
 * the dipole is added back analytically at the point, so the steep 1/r^3
 * field near the inner boundary is not smeared by the coarse cells there (the
 * background-field split of GAMERA/LFM). Inside the inner boundary (r < r_inner) the field is the
 * dipole with E = V = 0 (sample.inside = 1); beyond the grid eval returns
 * CR_EDOMAIN. Ghost cells for the interpolation next to the boundaries are
 * filled from the active cells: across the axis of an LFM grid from the cell
 * on the other side, periodically in azimuth, and by copying the nearest
 * active cell at the inner and outer shells (for B, the copied value is the
 * deviation from the dipole, added to the dipole at the ghost centre).
 *
 * Hinted evaluation (cr_field_eval_hinted, grids/cr_field.h): the point is
 * located by walking from the cell in the caller's hint (its previous
 * point) instead of a fresh search, and the hint is updated; a failed
 * hinted search is repeated without the hint, so the domain answer is the
 * unhinted one, and the fields are the unhinted ones to round-off (the same
 * location found from another start). The hint is unchanged by CR_EDOMAIN
 * and by points inside the inner boundary.
 *
 * Time window (thread safety): only the two slices bracketing the current
 * window are in memory. cr_field_mhd_set_time() moves the window (reading at
 * most two slices) and is NOT thread-safe: call it from one thread between
 * steps. eval() only reads, is thread-safe, and accepts t within the window
 * [t_a, t_b] (a small tolerance of 1e-9 of the slice spacing); outside it
 * returns CR_EDOMAIN. A file with one slice is static (any t).
 */
#ifndef CR_FIELD_MHD_H
#define CR_FIELD_MHD_H

#include "../core/cr_config.h"
#include "../core/cr_epoch.h"
#include "../core/cr_log.h"
#include "cr_field.h"
#include "cr_grid.h"

/* What to load from each slice. */
/* CR_MHD_LOAD_ALL is B, V and D (what particles and field lines need); the
 * pressure P (Liouville source temperatures) is read only when asked for. */
enum { CR_MHD_LOAD_B = 1, CR_MHD_LOAD_V = 2, CR_MHD_LOAD_D = 4, CR_MHD_LOAD_ALL = 7, CR_MHD_LOAD_P = 8 };

struct cr_field_mhd_inp {
    const char *path;          /* mhd.h5 */
    double b_e;                /* [nT] dipole equatorial surface field (inside the inner boundary, and the part
                                  split off B on spherical grids); 0 = fitted to the file's background field
                                  Bx0, By0, Bz0 when it has one and it is a dipole, else 30000 */
    double r_inner;            /* [R_E] inner boundary; 0 = the smallest radius of the i = 0 corners */
    int load;                  /* CR_MHD_LOAD_* bits; 0 = all (B, V and D) */
    const struct cr_log *log;
    /* Slice times (cr_field_mhd_inp_from_config fills these from [slices]):
     * times (ntimes > 0): one per Step#N group in increasing N, overriding the
     * file; else cadence > 0: time = first_time + (N - N_first) cadence; else
     * each step's attribute `time`, else GAMERA's root group
     * timeAttributeCache (datasets step, time), else the step's `MJD`
     * (attribute or cache) relative to epoch (the default [run] epoch unless
     * has_epoch). */
    const double *times;
    size_t ntimes;
    double cadence, first_time;  /* [s] */
    struct cr_epoch epoch;
    int has_epoch;
    int units;                 /* CR_MHD_UNITS_*: how the values are read */
};

/* Units of the file: AUTO = GAMERA's code units when the root attribute
 * UnitsID is "CODE", or absent in a file cusprate did not write (kaipy's
 * default), else physical (D [#/cc], V [km/s], P [nPa], B [nT], time [s]).
 * Code units are converted with GAMERA's magnetosphere normalisation (R_E,
 * 1 /cc, 100 km/s: 63.781 s, 4.585 nT, 0.016726 nPa). */
enum { CR_MHD_UNITS_AUTO = 0, CR_MHD_UNITS_PHYSICAL, CR_MHD_UNITS_CODE };

/* The [slices] keys (every stage that reads MHD slices). */
extern const struct cr_key cr_slices_keys[];

/* Fill the slice-time and unit fields of inp from [slices] and [run] epoch
 * (path, b_e, r_inner, load and log are left to the caller). A
 * configuration without the [slices] section leaves them at their defaults.
 * CR_ECONFIG (logged) on a bad epoch. */
int cr_field_mhd_inp_from_config(const struct cr_config *cfg, struct cr_field_mhd_inp *inp,
                                 const struct cr_log *log);

struct cr_field_mhd;

/* How the slice times were found (for logs and provenance). */
const char *cr_field_mhd_time_source(const struct cr_field_mhd *m);

/* 1 when the file was read in GAMERA's code units and converted. */
int cr_field_mhd_code_units(const struct cr_field_mhd *m);

struct cr_field_mhd;

/* Open the file, read and check the grid and the list of slices (nothing of
 * the slices is loaded yet; the window is empty). NULL with a logged reason
 * on any error; *status (may be NULL) receives CR_ECONFIG for input-data
 * errors (missing datasets, inconsistent shapes, no slices), CR_EIO or
 * CR_ENOMEM otherwise. */
struct cr_field_mhd *cr_field_mhd_new(const struct cr_field_mhd_inp *inp, int *status);

/* The field view (vtable object) of this source; valid while m lives.
 * cr_field_release() on it releases m. */
struct cr_field *cr_field_mhd_field(struct cr_field_mhd *m);

int cr_field_mhd_nslices(const struct cr_field_mhd *m);
double cr_field_mhd_slice_time(const struct cr_field_mhd *m, int n); /* [s], n in time order */

/* Load the slices bracketing t (t_a <= t <= t_b, consecutive slices).
 * CR_ECONFIG when t is outside the file's time range or a slice lacks a
 * dataset or has the wrong shape; CR_EIO on read errors. */
int cr_field_mhd_set_time(struct cr_field_mhd *m, double t);

/* Current window [s] (both NaN before the first set_time). */
void cr_field_mhd_window(const struct cr_field_mhd *m, double *t_a, double *t_b);

const struct cr_grid *cr_field_mhd_grid(const struct cr_field_mhd *m);

void cr_field_mhd_release(struct cr_field_mhd *m);

#endif
