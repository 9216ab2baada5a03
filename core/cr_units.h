/* cr_units.h — physical constants and unit conversions (SI unless named).
 *
 * The one place where units live. Lengths on disk are in Earth radii, times
 * in seconds; the MHD state on disk is in D [#/cc], V [km/s], P [nPa], B [nT]
 * (GAMERA/kaipy convention). Sources: CODATA 2018 for constants.
 */
#ifndef CR_UNITS_H
#define CR_UNITS_H

#define CR_RE_M 6371.2e3            /* Earth radius [m] (IGRF reference radius) */
#define CR_RE_KM 6371.2             /* Earth radius [km] */
#define CR_MU0 1.25663706212e-6     /* vacuum permeability [H/m] */
#define CR_EPS0 8.8541878128e-12    /* vacuum permittivity [F/m] */
#define CR_C 2.99792458e8           /* speed of light [m/s] */
#define CR_QE 1.602176634e-19       /* elementary charge [C] */
#define CR_MP 1.67262192369e-27     /* proton mass [kg] */
#define CR_ME 9.1093837015e-31      /* electron mass [kg] */
#define CR_KB 1.380649e-23          /* Boltzmann constant [J/K] */
#define CR_EV_J 1.602176634e-19     /* 1 eV in J */
#define CR_NT 1e-9                  /* 1 nT in T */
#define CR_NPA 1e-9                 /* 1 nPa in Pa */
#define CR_CC 1e6                   /* 1 /cc in /m^3 */
#define CR_KMS 1e3                  /* 1 km/s in m/s */
#define CR_PI 3.14159265358979323846
#define CR_DEG (CR_PI / 180.0)      /* 1 degree in radians */
#define CR_KWB_PER_MIN_V (1e3 / 60.0) /* 1 kWb/min in V (Wb/s) = 16.67 V */
#define CR_OMEGA_EARTH 7.2921159e-5 /* Earth's sidereal rotation rate [rad/s] (IERS) */

#endif
