/* cr_vdf_io.h — a set of velocity distributions measured at the same times by
 * four spacecraft (or two), in the netCDF layout `vdf-1` (docs/formats.md):
 * read with every check a data file needs, and written (the virtual
 * tetrahedron, tests).
 */
#ifndef CR_VDF_IO_H
#define CR_VDF_IO_H

#include <stddef.h>

#include "../core/cr_config.h"
#include "../core/cr_log.h"
#include "cr_vdf.h"

struct cr_vdf_set {
    size_t nt;                 /* records */
    int nsc;                   /* spacecraft: 4 or 2 */
    enum cr_vdf_grid grid;
    struct cr_vdf **v;         /* [nt * nsc], record t, spacecraft a at t * nsc + a */
    double *time;              /* [nt] in time_units */
    char time_units[256];      /* CF, "s since ..." */
    char coords[128];          /* coordinate_system attribute */
    char species[64];
    double mass;               /* [kg] */
    double charge;             /* [e] */
    double *pos;               /* [nt][nsc][3] km */
    double *B;                 /* [nt][nsc][3] nT */
    double *U;                 /* [nt][nsc][3] km/s, or NULL */
    double *ref_n, *ref_P;     /* [nt][nsc] cm^-3, nPa, or NULL */
    double *ref_grad_P;        /* [nt][3] nPa/km, or NULL */
};

/* An empty set whose distributions all have n0 x n1 x n2 bins (centres to be
 * filled, then cr_vdf_default_edges). The optional arrays are NULL. */
struct cr_vdf_set *cr_vdf_set_new(enum cr_vdf_grid grid, size_t nt, int nsc, size_t n0, size_t n1, size_t n2,
                                  double mass, double charge);
void cr_vdf_set_release(struct cr_vdf_set *s);

/* Read and check a vdf-1 file. NULL with a message naming the file, the
 * variable and what is allowed (a data error: exit status 2). */
struct cr_vdf_set *cr_vdf_set_read(const char *path, const struct cr_log *log);

/* Write (temporary name, renamed when complete). Bin centres and edges are
 * written once when all distributions share them, else per record and
 * spacecraft. cfg (may be NULL) is recorded as the provenance. */
int cr_vdf_set_write(const struct cr_vdf_set *s, const char *path, const char *title, const struct cr_config *cfg,
                     const struct cr_log *log);

#endif
