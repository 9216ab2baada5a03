/* cr_collect.c — mapping collected protons down the dipole to the satellite
 * altitude, and the records of lost ones (see cr_collect.h). */
#include "cr_collect.h"

#include <math.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_units.h"
#include "cr_dipole.h"

void cr_mlat_mlt(const double x[3], double *mlat, double *mlt)
{
    double r = sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
    *mlat = r > 0 ? asin(x[2] / r) / CR_DEG : 0.0;
    double h = 12.0 + atan2(x[1], x[0]) * 12.0 / CR_PI;
    if (h >= 24.0) h -= 24.0;
    if (h < 0.0) h += 24.0;
    *mlt = h;
}

int cr_collect_map(const struct cr_push *p, double b_e, double r_sat, const struct cr_particle *pt,
                   struct cr_collect_rec *rec)
{
    memset(rec, 0, sizeof *rec);
    rec->status = CR_PST_FAILED;
    rec->t = pt->t;
    memcpy(rec->x, pt->x, sizeof rec->x);
    rec->pitch = NAN;
    double upar, uperp, bc, energy;
    int rc = cr_push_kinematics(p, pt, &upar, &uperp, &bc, &energy, NULL);
    if (rc) return rc;
    rec->energy = energy;
    /* the guiding centre follows the field line */
    struct cr_particle g = *pt;
    if (g.mode == CR_PMODE_FO && (rc = cr_push_to_gc(p, &g))) return rc;
    struct cr_dipole_map m;
    if ((rc = cr_dipole_map_down(b_e, g.x, r_sat, &m))) return rc;
    rec->hemisphere = g.x[2] >= 0 ? 1 : -1;
    memcpy(rec->x, m.x_to, sizeof rec->x);
    cr_mlat_mlt(m.x_to, &rec->mlat, &rec->mlt);
    double u2 = upar * upar + uperp * uperp;
    if (!(u2 > 0)) return CR_EDOMAIN;
    double M = uperp * uperp / (2.0 * bc);          /* magnetic moment per mass */
    double s2_sat = 2.0 * M * m.b_to / u2;          /* sin^2 alpha at the satellite */
    double s2_from = 2.0 * M * m.b_from / u2;       /* ... at the crossing, against the dipole's |B| */
    /* Downgoing: along B in the north (B points down there), against B in the south. */
    int down = rec->hemisphere * upar > 0;
    if (!down || s2_sat >= 1.0) {
        rec->status = CR_PST_MIRRORED;
        rec->pitch = upar >= 0 ? asin(fmin(1.0, sqrt(s2_sat))) / CR_DEG : 180.0 - asin(fmin(1.0, sqrt(s2_sat))) / CR_DEG;
        return CR_OK;
    }
    double gam = cr_push_gamma(p, sqrt(u2));
    double v_kms = sqrt(u2) / gam * CR_RE_KM;
    double tt;
    rc = cr_dipole_travel_time(m.L, m.lat_from, m.lat_to, v_kms, fmin(s2_from, 1.0), &tt);
    if (rc == CR_EDOMAIN) { /* mirrors on the way (only by rounding, s2_sat < 1) */
        rec->status = CR_PST_MIRRORED;
        return CR_OK;
    }
    if (rc) return rc;
    double a = asin(sqrt(s2_sat)) / CR_DEG;
    rec->pitch = upar > 0 ? a : 180.0 - a;
    rec->t = pt->t + tt;
    rec->status = CR_PST_COLLECTED;
    return CR_OK;
}

void cr_collect_lost(const struct cr_push *p, const struct cr_particle *pt, struct cr_collect_rec *rec)
{
    memset(rec, 0, sizeof *rec);
    rec->t = pt->t;
    rec->status = pt->status;
    memcpy(rec->x, pt->x, sizeof rec->x);
    cr_mlat_mlt(pt->x, &rec->mlat, &rec->mlt);
    rec->hemisphere = pt->x[2] >= 0 ? 1 : -1;
    double energy, pitch;
    if (cr_push_kinematics(p, pt, NULL, NULL, NULL, &energy, &pitch) == CR_OK) {
        rec->energy = energy;
        rec->pitch = pitch;
        return;
    }
    /* field unknown there (outside the domain): energy from the momentum alone */
    double u = pt->mode == CR_PMODE_FO ? sqrt(pt->u[0] * pt->u[0] + pt->u[1] * pt->u[1] + pt->u[2] * pt->u[2])
                                       : sqrt(pt->u[0] * pt->u[0] + 2.0 * pt->u[1] * pt->bmag);
    rec->energy = cr_push_energy_ev(p, u);
    rec->pitch = NAN;
}
