/* cr_vec.h — small 3-vector maths, header-only and inlined. */
#ifndef CR_VEC_H
#define CR_VEC_H

#include <math.h>

typedef struct { double x, y, z; } cr_vec3;

static inline cr_vec3 cr_v3(double x, double y, double z) { cr_vec3 v = {x, y, z}; return v; }
static inline cr_vec3 cr_v3_add(cr_vec3 a, cr_vec3 b) { return cr_v3(a.x + b.x, a.y + b.y, a.z + b.z); }
static inline cr_vec3 cr_v3_sub(cr_vec3 a, cr_vec3 b) { return cr_v3(a.x - b.x, a.y - b.y, a.z - b.z); }
static inline cr_vec3 cr_v3_scale(cr_vec3 a, double s) { return cr_v3(a.x * s, a.y * s, a.z * s); }
static inline cr_vec3 cr_v3_axpy(double s, cr_vec3 a, cr_vec3 b) { return cr_v3(s * a.x + b.x, s * a.y + b.y, s * a.z + b.z); }
static inline double cr_v3_dot(cr_vec3 a, cr_vec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
static inline cr_vec3 cr_v3_cross(cr_vec3 a, cr_vec3 b)
{
    return cr_v3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x);
}
static inline double cr_v3_norm(cr_vec3 a) { return sqrt(cr_v3_dot(a, a)); }
static inline cr_vec3 cr_v3_unit(cr_vec3 a)
{
    double n = cr_v3_norm(a);
    return n > 0 ? cr_v3_scale(a, 1.0 / n) : cr_v3(0, 0, 0);
}
/* Scalar triple product a . (b x c). */
static inline double cr_v3_triple(cr_vec3 a, cr_vec3 b, cr_vec3 c) { return cr_v3_dot(a, cr_v3_cross(b, c)); }

#endif
