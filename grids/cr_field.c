/* cr_field.c — analytic field sources: dipole, dipole plus uniform field
 * (vacuum superposition, REFERENCES.md section 3), uniform E and B. */
#include "cr_field.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"

void cr_field_release(struct cr_field *f)
{
    if (f && f->vt && f->vt->release) f->vt->release(f);
}

void cr_dipole_field(double b_e, const double x[3], double B[3])
{
    double r2 = x[0] * x[0] + x[1] * x[1] + x[2] * x[2];
    double r = sqrt(r2);
    double r5 = r2 * r2 * r;
    /* m = -z (b_e > 0): B = b_e [3 (m.r) r - m r^2] / r^5, m.r = -z */
    B[0] = b_e * (-3.0 * x[2] * x[0]) / r5;
    B[1] = b_e * (-3.0 * x[2] * x[1]) / r5;
    B[2] = b_e * (-3.0 * x[2] * x[2] + r2) / r5;
}

struct analytic {
    struct cr_field base;
    double b_e;
    double b_uni[3], e_uni[3];
    int with_dipole;
};

static int analytic_eval(const struct cr_field *f, double t, const double x[3], struct cr_field_sample *s)
{
    (void)t;
    const struct analytic *a = (const struct analytic *)f;
    memset(s, 0, sizeof *s);
    double r = sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
    if (f->r_outer > 0 && r > f->r_outer) return CR_EDOMAIN;
    if (a->with_dipole) {
        if (r == 0) return CR_EDOMAIN;
        cr_dipole_field(a->b_e, x, s->B);
        s->inside = r < f->r_inner;
    }
    for (int c = 0; c < 3; c++) {
        s->B[c] += a->b_uni[c];
        s->E[c] = s->inside ? 0.0 : a->e_uni[c];
    }
    return CR_OK;
}

static void analytic_release(struct cr_field *f) { free(f); }

static const struct cr_field_vtable analytic_vt = {analytic_eval, analytic_release};

static struct cr_field *analytic_new(const char *name, int dip, double b_e, const double *bu, const double *eu,
                                     double r_inner, double r_outer)
{
    struct analytic *a = cr_zalloc(1, sizeof *a);
    if (!a) return NULL;
    a->base.vt = &analytic_vt;
    a->base.name = name;
    a->base.r_inner = r_inner;
    a->base.r_outer = r_outer;
    a->base.b_e = dip ? b_e : 0.0;
    a->b_e = b_e;
    a->with_dipole = dip;
    for (int c = 0; c < 3; c++) {
        a->b_uni[c] = bu ? bu[c] : 0.0;
        a->e_uni[c] = eu ? eu[c] : 0.0;
    }
    return &a->base;
}

struct cr_field *cr_field_dipole_new(double b_e, double r_inner)
{
    return analytic_new("dipole", 1, b_e, NULL, NULL, r_inner, 0.0);
}

struct cr_field *cr_field_dipole_uniform_new(double b_e, const double b_uni[3], const double e_uni[3],
                                             double r_inner, double r_outer)
{
    return analytic_new("dipole+uniform", 1, b_e, b_uni, e_uni, r_inner, r_outer);
}

/* Dipole plus a uniform field ramped linearly in time (see cr_field.h). */
struct ramp {
    struct cr_field base;
    double b_e;
    double b0[3], b1[3], t0, t1;
};

static int ramp_eval(const struct cr_field *f, double t, const double x[3], struct cr_field_sample *s)
{
    const struct ramp *a = (const struct ramp *)f;
    memset(s, 0, sizeof *s);
    double r = sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
    if (f->r_outer > 0 && r > f->r_outer) return CR_EDOMAIN;
    if (r == 0) return CR_EDOMAIN;
    double w = t <= a->t0 ? 0.0 : t >= a->t1 ? 1.0 : (t - a->t0) / (a->t1 - a->t0);
    cr_dipole_field(a->b_e, x, s->B);
    s->inside = r < f->r_inner;
    for (int c = 0; c < 3; c++) s->B[c] += (1.0 - w) * a->b0[c] + w * a->b1[c];
    return CR_OK;
}

static const struct cr_field_vtable ramp_vt = {ramp_eval, analytic_release};

struct cr_field *cr_field_dipole_ramp_new(double b_e, const double b_uni0[3], const double b_uni1[3], double t0,
                                          double t1, double r_inner, double r_outer)
{
    if (!(t1 > t0)) return NULL;
    struct ramp *a = cr_zalloc(1, sizeof *a);
    if (!a) return NULL;
    a->base.vt = &ramp_vt;
    a->base.name = "dipole+uniform ramp";
    a->base.r_inner = r_inner;
    a->base.r_outer = r_outer;
    a->base.b_e = b_e;
    a->base.t_min = t0;
    a->base.t_max = t1;
    a->b_e = b_e;
    a->t0 = t0;
    a->t1 = t1;
    for (int c = 0; c < 3; c++) {
        a->b0[c] = b_uni0[c];
        a->b1[c] = b_uni1[c];
    }
    return &a->base;
}

struct cr_field *cr_field_uniform_new(const double b[3], const double e[3])
{
    return analytic_new("uniform", 0, 0.0, b, e, 0.0, 0.0);
}
