/* cr_convection.h — poleward convection speed of the field lines at a
 * low-altitude satellite, from the ionospheric potential that the
 * magnetosphere run wrote with every slice (mhd.h5, Step#N/Ionosphere:
 * mlat [deg], mlt [h], Potential [kV], attribute r_iono [R_E]; magnetosphere/README.md).
 *
 * For the convection-corrected Lockwood & Smith (1992) rate
 * E_i = B_s (V_c - U) / (1 + X) (REFERENCES.md section 5), V_c is the speed
 * at which the field lines under the satellite move poleward. The
 * ionospheric footpoints of the field lines drift with the E x B velocity of
 * the potential; the rate at which magnetic flux crosses a line of constant
 * latitude is E_east per unit length, and the flux per unit area is |B_r|,
 * so the footpoints move poleward at
 *     v_I = E_east / |B_r|,  E_east = -(1 / (R_I cos lat_I)) dPhi/dphi,
 * (phi = MLT * 15 deg, eastward) in either hemisphere, with the dipole's
 * |B_r| = 2 B_E (R_E / R_I)^3 sin|lat_I|. The satellite at radius r_s and
 * latitude lat_s sits on the dipole line with cos^2 lat_I = (R_I / r_s)
 * cos^2 lat_s; along that line the poleward speed at r_s is
 *     V_c = v_I (r_s / R_I) (dlat_s / dlat_I),
 *     dlat_s / dlat_I = (r_s / R_I) sin(2 lat_I) / sin(2 lat_s).
 * The potential is interpolated bilinearly in (lat, MLT) and linearly in
 * time between the two slices bracketing t.
 */
#ifndef CR_CONVECTION_H
#define CR_CONVECTION_H

#include "../core/cr_log.h"

struct cr_convection;

/* Open the slices of `mhd_path` that carry an Ionosphere group; b_e [nT] is
 * the dipole's equatorial surface field. NULL (logged) when the file cannot
 * be read or has no ionosphere. */
struct cr_convection *cr_convection_new(const char *mhd_path, double b_e, const struct cr_log *log);

/* 1 when mhd_path has a slice with an Ionosphere group, else 0 (quietly:
 * for callers that fall back to something else). */
int cr_convection_available(const char *mhd_path);

/* Time range [s] covered by the slices. */
void cr_convection_time_range(const struct cr_convection *c, double *t0, double *t1);

/* Poleward convection speed [km/s] at a satellite (hemisphere +1 north, -1
 * south; magnetic latitude [deg] and MLT [h] at the satellite; altitude
 * [km]) at time t [s]. CR_EDOMAIN when t is outside the slices or the
 * footpoint is outside the ionospheric grid. NOT thread-safe (slices are read
 * on demand). */
int cr_convection_poleward(struct cr_convection *c, double t, int hemisphere, double mlat_deg, double mlt_h,
                           double alt_km, double *v_kms);

/* Read every slice that brackets a time in [t0, t1] now, so that
 * cr_convection_drift over that window reads no file and may run in
 * parallel; slices outside the window are released. CR_EIO on failure. */
int cr_convection_load(struct cr_convection *c, double t0, double t1);

/* Drift of a field line's footpoint at radius r_foot [R_E] (|MLat| alat_deg
 * there, MLT mlt_h, hemisphere 0 north / 1 south) at time t [s]: the E x B
 * motion of its ionospheric end, E_t + v x B_r r = 0, so
 *     v_pole = E_east / |B_r|,   v_east = -E_pole / |B_r|
 * with E = -grad Phi at R_I (both hemispheres; poleward = increasing |MLat|),
 * mapped along the dipole line to r_foot (MLT unchanged; d lat_f / d lat_I
 * from cos^2 lat / r constant), plus corotation (dMLT/dt = Omega 12 / pi h/s)
 * when the file says the run had it. The gradient is taken by central
 * differences of the bilinear potential over one grid spacing. Returns
 * d|MLat|/dt [deg/s] and dMLT/dt [h/s]; CR_EDOMAIN outside the grid's rows
 * or the slices' times, CR_EIO when a slice was not loaded with
 * cr_convection_load. Thread-safe (reads only). */
int cr_convection_drift(const struct cr_convection *c, double t, int hemi, double r_foot, double alat_deg,
                        double mlt_h, double *dlat_dt, double *dmlt_dt);

void cr_convection_release(struct cr_convection *c);

#endif
