/* cr_vdf.c — velocity distributions on instrument or Cartesian bins: edges,
 * checks, moments (midpoint rule with exact bin volumes) and interpolation
 * (see cr_vdf.h). */
#include "cr_vdf.h"

#include <math.h>
#include <stdlib.h>

#include "../core/cr_common.h"
#include "../core/cr_units.h"

struct cr_vdf *cr_vdf_new(enum cr_vdf_grid grid, size_t n0, size_t n1, size_t n2, double mass)
{
    if (n0 == 0 || n1 == 0 || n2 == 0) return NULL;
    struct cr_vdf *v = cr_zalloc(1, sizeof *v);
    if (!v) return NULL;
    v->grid = grid;
    v->n[0] = n0;
    v->n[1] = n1;
    v->n[2] = n2;
    v->mass = mass;
    int ok = 1;
    for (int d = 0; d < 3; d++) {
        v->c[d] = cr_zalloc(v->n[d], sizeof(double));
        v->lo[d] = cr_zalloc(v->n[d], sizeof(double));
        v->hi[d] = cr_zalloc(v->n[d], sizeof(double));
        ok = ok && v->c[d] && v->lo[d] && v->hi[d];
    }
    v->f = cr_zalloc(n0 * n1 * n2, sizeof(double));
    if (!ok || !v->f) {
        cr_vdf_release(v);
        return NULL;
    }
    return v;
}

void cr_vdf_release(struct cr_vdf *v)
{
    if (!v) return;
    for (int d = 0; d < 3; d++) {
        free(v->c[d]);
        free(v->lo[d]);
        free(v->hi[d]);
    }
    free(v->f);
    free(v);
}

struct cr_vdf *cr_vdf_new_instrument(size_t ne, double e_min, double e_max, size_t np, size_t na, double mass)
{
    if (!(e_min > 0) || !(e_max >= e_min)) return NULL;
    struct cr_vdf *v = cr_vdf_new(CR_VDF_SPHERICAL, ne, np, na, mass);
    if (!v) return NULL;
    for (size_t i = 0; i < ne; i++) v->c[0][i] = ne > 1 ? e_min * pow(e_max / e_min, (double)i / (double)(ne - 1)) : e_min;
    for (size_t j = 0; j < np; j++) v->c[1][j] = (j + 0.5) * 180.0 / (double)np;
    for (size_t k = 0; k < na; k++) v->c[2][k] = (k + 0.5) * 360.0 / (double)na;
    cr_vdf_default_edges(v);
    return v;
}

struct cr_vdf *cr_vdf_new_cartesian(size_t n, double v_max, double mass)
{
    struct cr_vdf *v = cr_vdf_new(CR_VDF_CARTESIAN, n, n, n, mass);
    if (!v) return NULL;
    for (int d = 0; d < 3; d++)
        for (size_t i = 0; i < n; i++) v->c[d][i] = -v_max + (i + 0.5) * 2 * v_max / (double)n;
    cr_vdf_default_edges(v);
    return v;
}

void cr_vdf_fill(struct cr_vdf *v, double (*fn)(const double vel[3], void *ctx), void *ctx)
{
    for (size_t i = 0; i < v->n[0]; i++)
        for (size_t j = 0; j < v->n[1]; j++)
            for (size_t k = 0; k < v->n[2]; k++) {
                double vel[3];
                cr_vdf_bin_velocity(v, i, j, k, vel);
                v->f[(i * v->n[1] + j) * v->n[2] + k] = fn(vel, ctx);
            }
}

/* midpoints; end bins symmetric about their centres */
static void mid_edges(size_t n, const double *c, double *lo, double *hi)
{
    for (size_t i = 0; i + 1 < n; i++) hi[i] = lo[i + 1] = 0.5 * (c[i] + c[i + 1]);
    if (n == 1) {
        lo[0] = c[0] - 0.5;
        hi[0] = c[0] + 0.5;
        return;
    }
    lo[0] = c[0] - (hi[0] - c[0]);
    hi[n - 1] = c[n - 1] + (c[n - 1] - lo[n - 1]);
}

void cr_vdf_default_edges(struct cr_vdf *v)
{
    if (v->grid == CR_VDF_CARTESIAN) {
        for (int d = 0; d < 3; d++) mid_edges(v->n[d], v->c[d], v->lo[d], v->hi[d]);
        return;
    }
    /* energy: geometric midpoints (log-spaced channels) */
    size_t ne = v->n[0];
    for (size_t i = 0; i + 1 < ne; i++) v->hi[0][i] = v->lo[0][i + 1] = sqrt(v->c[0][i] * v->c[0][i + 1]);
    if (ne == 1) {
        v->lo[0][0] = v->c[0][0] / sqrt(2.0);
        v->hi[0][0] = v->c[0][0] * sqrt(2.0);
    } else {
        v->lo[0][0] = v->c[0][0] * v->c[0][0] / v->hi[0][0];
        v->hi[0][ne - 1] = v->c[0][ne - 1] * v->c[0][ne - 1] / v->lo[0][ne - 1];
    }
    /* polar: midpoints, the ends at the poles */
    size_t nt = v->n[1];
    for (size_t j = 0; j + 1 < nt; j++) v->hi[1][j] = v->lo[1][j + 1] = 0.5 * (v->c[1][j] + v->c[1][j + 1]);
    v->lo[1][0] = 0;
    v->hi[1][nt - 1] = 180;
    /* azimuth: periodic midpoints */
    size_t np = v->n[2];
    for (size_t k = 0; k + 1 < np; k++) v->hi[2][k] = v->lo[2][k + 1] = 0.5 * (v->c[2][k] + v->c[2][k + 1]);
    if (np == 1) {
        v->lo[2][0] = v->c[2][0] - 180;
        v->hi[2][0] = v->c[2][0] + 180;
    } else {
        double wrap = 0.5 * (v->c[2][np - 1] + v->c[2][0] + 360);
        v->hi[2][np - 1] = wrap;
        v->lo[2][0] = wrap - 360;
    }
}

int cr_vdf_check(const struct cr_vdf *v, const char *what, const struct cr_log *log)
{
    static const char *const sph[3] = {"energy", "polar", "azimuth"}, *const car[3] = {"vx", "vy", "vz"};
    const char *const *name = v->grid == CR_VDF_SPHERICAL ? sph : car;
    for (int d = 0; d < 3; d++)
        for (size_t i = 0; i < v->n[d]; i++) {
            if (!isfinite(v->c[d][i]) || !isfinite(v->lo[d][i]) || !isfinite(v->hi[d][i])) {
                cr_error(log, "%s: %s bin %zu is not finite", what, name[d], i);
                return CR_ECONFIG;
            }
            if (!(v->lo[d][i] <= v->c[d][i] && v->c[d][i] <= v->hi[d][i] && v->lo[d][i] < v->hi[d][i]) ||
                (i > 0 && !(v->c[d][i] > v->c[d][i - 1]))) {
                cr_error(log, "%s: %s centres must increase and lie inside their edges (bin %zu: %g in [%g, %g])",
                         what, name[d], i, v->c[d][i], v->lo[d][i], v->hi[d][i]);
                return CR_ECONFIG;
            }
            if (i > 0 && v->lo[d][i] < v->hi[d][i - 1] - 1e-9 * fabs(v->hi[d][i - 1])) {
                cr_error(log, "%s: %s bins %zu and %zu overlap", what, name[d], i - 1, i);
                return CR_ECONFIG;
            }
        }
    if (!(v->mass > 0) || !isfinite(v->mass)) {
        cr_error(log, "%s: mass %g kg must be > 0", what, v->mass);
        return CR_ECONFIG;
    }
    if (v->grid == CR_VDF_SPHERICAL) {
        if (!(v->lo[0][0] > 0)) {
            cr_error(log, "%s: energies must be > 0 eV (lowest edge %g)", what, v->lo[0][0]);
            return CR_ECONFIG;
        }
        if (v->lo[1][0] < -1e-9 || v->hi[1][v->n[1] - 1] > 180 + 1e-9) {
            cr_error(log, "%s: polar angles must lie in [0, 180] deg (bins span [%g, %g])", what, v->lo[1][0],
                     v->hi[1][v->n[1] - 1]);
            return CR_ECONFIG;
        }
        if (v->hi[2][v->n[2] - 1] - v->lo[2][0] > 360 * (1 + 1e-9)) {
            cr_error(log, "%s: azimuth bins span %g deg, more than one turn", what,
                     v->hi[2][v->n[2] - 1] - v->lo[2][0]);
            return CR_ECONFIG;
        }
    } else {
        for (int d = 0; d < 3; d++) {
            size_t n = v->n[d];
            if (n < 2) continue;
            double dv = (v->c[d][n - 1] - v->c[d][0]) / (double)(n - 1);
            for (size_t i = 1; i < n; i++)
                if (fabs(v->c[d][i] - v->c[d][i - 1] - dv) > 1e-6 * dv) {
                    cr_error(log, "%s: %s must be uniformly spaced (step %zu is %g, mean %g km/s)", what, name[d],
                             i, v->c[d][i] - v->c[d][i - 1], dv);
                    return CR_ECONFIG;
                }
        }
    }
    return CR_OK;
}

double cr_vdf_speed(double e_ev, double mass) { return sqrt(2 * e_ev * CR_EV_J / mass) / CR_KMS; }

double cr_vdf_energy(double v_kms, double mass)
{
    double v = v_kms * CR_KMS;
    return 0.5 * mass * v * v / CR_EV_J;
}

double cr_vdf_bin_volume(const struct cr_vdf *v, size_t i, size_t j, size_t k)
{
    if (v->grid == CR_VDF_CARTESIAN)
        return (v->hi[0][i] - v->lo[0][i]) * (v->hi[1][j] - v->lo[1][j]) * (v->hi[2][k] - v->lo[2][k]);
    double s0 = cr_vdf_speed(v->lo[0][i], v->mass), s1 = cr_vdf_speed(v->hi[0][i], v->mass);
    double dmu = cos(v->lo[1][j] * CR_DEG) - cos(v->hi[1][j] * CR_DEG);
    double dphi = (v->hi[2][k] - v->lo[2][k]) * CR_DEG;
    return (s1 * s1 * s1 - s0 * s0 * s0) / 3 * dmu * dphi;
}

void cr_vdf_bin_velocity(const struct cr_vdf *v, size_t i, size_t j, size_t k, double vel[3])
{
    if (v->grid == CR_VDF_CARTESIAN) {
        vel[0] = v->c[0][i];
        vel[1] = v->c[1][j];
        vel[2] = v->c[2][k];
        return;
    }
    double s = cr_vdf_speed(v->c[0][i], v->mass);
    double th = v->c[1][j] * CR_DEG, ph = v->c[2][k] * CR_DEG;
    vel[0] = s * sin(th) * cos(ph);
    vel[1] = s * sin(th) * sin(ph);
    vel[2] = s * cos(th);
}

void cr_vdf_moments(const struct cr_vdf *v, struct cr_vdf_moments *m)
{
    /* sums in f [s^3 cm^-6] x (km/s)^k x (km/s)^3; converted at the end:
       n [cm^-3] = 1e15 sum f dV (1 (km/s)^3 = 1e15 (cm/s)^3) */
    double s0 = 0, s1[3] = {0}, s2[3][3] = {{0}};
    for (size_t i = 0; i < v->n[0]; i++)
        for (size_t j = 0; j < v->n[1]; j++)
            for (size_t k = 0; k < v->n[2]; k++) {
                double f = v->f[(i * v->n[1] + j) * v->n[2] + k];
                if (!(f != 0)) continue;
                double w = f * cr_vdf_bin_volume(v, i, j, k), vel[3];
                cr_vdf_bin_velocity(v, i, j, k, vel);
                s0 += w;
                for (int a = 0; a < 3; a++) {
                    s1[a] += w * vel[a];
                    for (int b = 0; b < 3; b++) s2[a][b] += w * vel[a] * vel[b];
                }
            }
    *m = (struct cr_vdf_moments){0};
    m->n = 1e15 * s0;
    if (!(s0 > 0)) return;
    for (int a = 0; a < 3; a++) m->U[a] = s1[a] / s0;
    /* P = m (sum w v v - U U sum w); m [kg] n [m^-3] v^2 [m^2/s^2] -> Pa -> nPa */
    double conv = v->mass * 1e15 * CR_CC * CR_KMS * CR_KMS / CR_NPA;
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            m->P[a][b] = conv * (s2[a][b] - s0 * m->U[a] * m->U[b]);
            m->T[a][b] = m->P[a][b] * CR_NPA / (m->n * CR_CC * CR_EV_J);
        }
}

/* Position of x among increasing centres c[0..n-1]: index i and weight w so
 * that x ~ (1-w) c[i] + w c[i+1]; clamped (w = 0 or i = n-1) outside. */
static void locate(const double *c, size_t n, double x, size_t *i, double *w)
{
    if (n == 1 || x <= c[0]) {
        *i = 0;
        *w = 0;
        return;
    }
    if (x >= c[n - 1]) {
        *i = n - 1;
        *w = 0;
        return;
    }
    size_t a = 0, b = n - 1;
    while (b - a > 1) {
        size_t m = (a + b) / 2;
        if (c[m] <= x) a = m;
        else b = m;
    }
    *i = a;
    *w = (x - c[a]) / (c[a + 1] - c[a]);
}

double cr_vdf_eval(const struct cr_vdf *v, const double vel[3])
{
    size_t idx[3][2];
    double wt[3][2];
    if (v->grid == CR_VDF_CARTESIAN) {
        for (int d = 0; d < 3; d++) {
            size_t n = v->n[d];
            if (vel[d] < v->lo[d][0] || vel[d] > v->hi[d][n - 1]) return 0;
            size_t i;
            double w;
            locate(v->c[d], n, vel[d], &i, &w);
            idx[d][0] = i;
            idx[d][1] = i + 1 < n ? i + 1 : i;
            wt[d][0] = 1 - w;
            wt[d][1] = w;
        }
    } else {
        double s = sqrt(vel[0] * vel[0] + vel[1] * vel[1] + vel[2] * vel[2]);
        size_t ne = v->n[0], nt = v->n[1], np = v->n[2];
        if (s > cr_vdf_speed(v->hi[0][ne - 1], v->mass)) return 0;
        double e = cr_vdf_energy(s, v->mass);
        size_t i;
        double w;
        locate(v->c[0], ne, e, &i, &w);
        if (w > 0) { /* linear in speed, not in energy */
            double sa = cr_vdf_speed(v->c[0][i], v->mass), sb = cr_vdf_speed(v->c[0][i + 1], v->mass);
            w = (s - sa) / (sb - sa);
        }
        idx[0][0] = i;
        idx[0][1] = i + 1 < ne ? i + 1 : i;
        wt[0][0] = 1 - w;
        wt[0][1] = w;
        double th = s > 0 ? acos(fmax(-1.0, fmin(1.0, vel[2] / s))) / CR_DEG : 90;
        locate(v->c[1], nt, th, &i, &w);
        idx[1][0] = i;
        idx[1][1] = i + 1 < nt ? i + 1 : i;
        wt[1][0] = 1 - w;
        wt[1][1] = w;
        double ph = atan2(vel[1], vel[0]) / CR_DEG;
        double p0 = v->lo[2][0], span = v->hi[2][np - 1] - p0;
        ph = p0 + fmod(fmod(ph - p0, 360.0) + 360.0, 360.0); /* in [p0, p0 + 360) */
        int full = fabs(span - 360) < 1e-6;
        if (!full && ph > p0 + span) return 0;
        if (ph >= v->c[2][np - 1] && full && np > 1) { /* between the last centre and the first, one turn on */
            idx[2][0] = np - 1;
            idx[2][1] = 0;
            w = (ph - v->c[2][np - 1]) / (v->c[2][0] + 360 - v->c[2][np - 1]);
        } else if (ph < v->c[2][0] && full && np > 1) {
            idx[2][0] = np - 1;
            idx[2][1] = 0;
            w = (ph + 360 - v->c[2][np - 1]) / (v->c[2][0] + 360 - v->c[2][np - 1]);
        } else {
            locate(v->c[2], np, ph, &i, &w);
            idx[2][0] = i;
            idx[2][1] = i + 1 < np ? i + 1 : i;
        }
        wt[2][0] = 1 - w;
        wt[2][1] = w;
    }
    double f = 0;
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++)
            for (int c = 0; c < 2; c++) {
                double w = wt[0][a] * wt[1][b] * wt[2][c];
                if (w == 0) continue;
                double x = v->f[(idx[0][a] * v->n[1] + idx[1][b]) * v->n[2] + idx[2][c]];
                if (isfinite(x)) f += w * x;
            }
    return f;
}

double cr_vdf_max_speed(const struct cr_vdf *v)
{
    if (v->grid == CR_VDF_SPHERICAL) return cr_vdf_speed(v->hi[0][v->n[0] - 1], v->mass);
    double s = 0;
    for (int d = 0; d < 3; d++) {
        double m = fmax(fabs(v->lo[d][0]), fabs(v->hi[d][v->n[d] - 1]));
        s += m * m;
    }
    return sqrt(s);
}
