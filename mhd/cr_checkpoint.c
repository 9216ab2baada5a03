/* cr_checkpoint.c — solver state to and from HDF5 (see cr_checkpoint.h). */
#include "cr_checkpoint.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#include "../core/cr_common.h"
#include "../core/cr_h5.h"
#include "../core/cr_par.h"

static const char *const cons_names[CR_MHD_NCONS] = {"rho", "mx", "my", "mz", "en"};
static const char *const face_names[3] = {"face_i", "face_j", "face_k"};

static int write_state(hid_t loc, const struct cr_mhd *m, int ni, size_t ntot, double *const u[CR_MHD_NCONS],
                       double *const face[3], const struct cr_log *log);

unsigned long cr_checkpoint_crc(unsigned long crc, const double *a, size_t n)
{
    const unsigned char *p = (const unsigned char *)a;
    size_t bytes = n * sizeof *a;
    while (bytes > 0) { /* zlib takes lengths as uInt */
        uInt chunk = bytes > (1u << 30) ? (1u << 30) : (uInt)bytes;
        crc = crc32(crc, p, chunk);
        p += chunk;
        bytes -= chunk;
    }
    return crc;
}

/* A decomposed solver: every rank calls the functions below; the blocks are
 * gathered into (and cut out of) the whole grid's layout, so a checkpoint
 * is the one a single process writes and restarts on any number of ranks.
 * Only rank 0 writes (loc is ignored elsewhere). */

int cr_checkpoint_write_mhd(hid_t loc, struct cr_mhd *m, const struct cr_log *log)
{
    const struct cr_grid *g = cr_mhd_grid(m);
    const struct cr_mhd_part *part = cr_mhd_part(m);
    struct cr_mhd_view v;
    cr_mhd_get_view(m, &v);
    if (part) {
        const int root = part->par->rank == 0;
        const size_t nt = cr_mhd_global_ntot(m);
        double *buf[CR_MHD_NCONS + 3] = {NULL};
        int rc = CR_OK;
        for (int q = 0; q < CR_MHD_NCONS + 3 && root && !rc; q++)
            if (!(buf[q] = malloc(nt * sizeof(double)))) rc = CR_ENOMEM;
        rc = cr_par_max_int(part->par, rc);
        for (int q = 0; q < CR_MHD_NCONS + 3 && !rc; q++)
            rc = cr_mhd_gather_nodes(m, q < CR_MHD_NCONS ? v.u[q] : v.face[q - CR_MHD_NCONS], buf[q], 0);
        if (!rc && root) rc = write_state(loc, m, part->ni_global, nt, buf, buf + CR_MHD_NCONS, log);
        for (int q = 0; q < CR_MHD_NCONS + 3; q++) free(buf[q]);
        return cr_par_max_int(part->par, rc);
    }
    return write_state(loc, m, g->ni, g->ntot, v.u, v.face, log);
}

static int write_state(hid_t loc, const struct cr_mhd *m, int ni, size_t ntot, double *const u[CR_MHD_NCONS],
                       double *const face[3], const struct cr_log *log)
{
    const struct cr_grid *g = cr_mhd_grid(m);
    hsize_t n = (hsize_t)ntot;
    int rc = 0;
    rc |= cr_h5_attr_double(loc, "time", cr_mhd_time(m));
    rc |= cr_h5_attr_int(loc, "nstep", cr_mhd_nstep(m));
    rc |= cr_h5_attr_int(loc, "ni", ni);
    rc |= cr_h5_attr_int(loc, "nj", g->nj);
    rc |= cr_h5_attr_int(loc, "nk", g->nk);
    rc |= cr_h5_attr_int(loc, "ng", g->ng);
    rc |= cr_h5_attr_double(loc, "gamma", cr_mhd_gamma(m));
    rc |= cr_h5_attr_string(loc, "layout",
                            "solver layout with ghosts: flat index (i + ng) + sj (j + ng) + sk (k + ng), "
                            "sj = ni + 1 + 2 ng, sk = sj (nj + 1 + 2 ng); code units");
    for (int q = 0; q < CR_MHD_NCONS && !rc; q++)
        rc |= cr_h5_write_doubles(loc, cons_names[q], 1, &n, u[q], "code units",
                                  "conserved variable at cell centres (ghosts included)", log);
    for (int d = 0; d < 3 && !rc; d++)
        rc |= cr_h5_write_doubles(loc, face_names[d], 1, &n, face[d], "code units",
                                  "flux of the evolved field through the faces (ghosts included)", log);
    unsigned long crc = crc32(0L, Z_NULL, 0);
    for (int q = 0; q < CR_MHD_NCONS; q++) crc = cr_checkpoint_crc(crc, u[q], ntot);
    for (int d = 0; d < 3; d++) crc = cr_checkpoint_crc(crc, face[d], ntot);
    if (!rc) rc |= cr_h5_attr_int(loc, "crc32", (long)crc);
    if (rc) {
        cr_error(log, "checkpoint: cannot write the solver state");
        return CR_EIO;
    }
    return CR_OK;
}

/* Every restored value is a finite number: a damaged checkpoint is refused
 * when it is read (CR_ECONFIG, naming the file, dataset and index), not a
 * few steps later as a non-finite state. */
static int all_finite(hid_t loc, const double *a, size_t n, const char *name, const struct cr_log *log)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(a[i])) {
            char file[1024] = "checkpoint";
            if (H5Fget_name(loc, file, sizeof file) < 0) snprintf(file, sizeof file, "checkpoint");
            cr_error(log, "%s: checkpoint dataset '%s'[%zu] = %g is not a finite number (damaged file)", file, name, i,
                     a[i]);
            return CR_ECONFIG;
        }
    }
    return CR_OK;
}

int cr_checkpoint_read_mhd(hid_t loc, struct cr_mhd *m, const struct cr_log *log)
{
    const struct cr_grid *g = cr_mhd_grid(m);
    double a[4], t, ns, gam;
    const char *an[4] = {"ni", "nj", "nk", "ng"};
    const struct cr_mhd_part *part = cr_mhd_part(m);
    const int want[4] = {part ? part->ni_global : g->ni, g->nj, g->nk, g->ng};
    for (int q = 0; q < 4; q++) {
        if (cr_h5_read_attr_double(loc, ".", an[q], &a[q])) {
            cr_error(log, "checkpoint: attribute '%s' is missing", an[q]);
            return CR_EIO;
        }
        if ((int)a[q] != want[q]) {
            cr_error(log, "checkpoint: it was written on a grid with %s = %d, this run has %d", an[q], (int)a[q],
                     want[q]);
            return CR_ECONFIG;
        }
    }
    if (cr_h5_read_attr_double(loc, ".", "time", &t) || cr_h5_read_attr_double(loc, ".", "nstep", &ns) ||
        cr_h5_read_attr_double(loc, ".", "gamma", &gam)) {
        cr_error(log, "checkpoint: time, nstep or gamma is missing");
        return CR_EIO;
    }
    if (gam != cr_mhd_gamma(m)) {
        cr_error(log, "checkpoint: gamma %.17g differs from this run's %.17g", gam, cr_mhd_gamma(m));
        return CR_ECONFIG;
    }
    if (!isfinite(t)) {
        cr_error(log, "checkpoint: the time is not finite");
        return CR_EIO;
    }
    struct cr_mhd_view v;
    cr_mhd_get_view(m, &v);
    /* the whole grid's arrays as written (cut into this block when
     * decomposed), every value finite, their CRC-32 the recorded one */
    int rc = CR_OK;
    const size_t nt = cr_mhd_global_ntot(m);
    double *buf = part ? malloc(nt * sizeof(double)) : NULL;
    if (part && !buf) return CR_ENOMEM;
    unsigned long crc = crc32(0L, Z_NULL, 0);
    for (int q = 0; q < CR_MHD_NCONS + 3 && !rc; q++) {
        const char *name = q < CR_MHD_NCONS ? cons_names[q] : face_names[q - CR_MHD_NCONS];
        double *dst = q < CR_MHD_NCONS ? v.u[q] : v.face[q - CR_MHD_NCONS], *whole = part ? buf : dst;
        rc = cr_h5_read_doubles(loc, name, whole, nt, "checkpoint", log);
        if (!rc) rc = all_finite(loc, whole, nt, name, log);
        if (!rc) crc = cr_checkpoint_crc(crc, whole, nt);
        if (!rc && part) cr_mhd_block_of_nodes(m, buf, dst);
    }
    free(buf);
    if (rc) return rc;
    double crc_rec; /* checkpoints before the checksum have none */
    if (cr_h5_read_attr_double(loc, ".", "crc32", &crc_rec) == CR_OK && (double)crc != crc_rec) {
        char file[1024] = "checkpoint";
        if (H5Fget_name(loc, file, sizeof file) < 0) snprintf(file, sizeof file, "checkpoint");
        cr_error(log, "%s: the checkpoint's solver arrays do not match their CRC-32 (recorded %.0f, computed %lu): "
                 "damaged or edited file", file, crc_rec, crc);
        return CR_ECONFIG;
    }
    /* a state the solver can take: in every active cell a positive density and
       finite kinetic and magnetic energies (a value such as 1e300 or 1e-300 in
       the right place is finite but makes the first step non-finite) */
    for (int k = 0; k < g->nk && !rc; k++)
        for (int j = 0; j < g->nj && !rc; j++)
            for (int i = 0; i < g->ni && !rc; i++) {
                const size_t c = CR_GIDX(g, i, j, k);
                const double rho = v.u[CR_MHD_RHO][c], mx = v.u[CR_MHD_MX][c], my = v.u[CR_MHD_MY][c],
                             mz = v.u[CR_MHD_MZ][c];
                const double ek = 0.5 * (mx * mx + my * my + mz * mz) / rho;
                double fb = 0.0;
                for (int d = 0; d < 3; d++) fb += v.face[d][c] * v.face[d][c];
                if (!(rho > 0.0) || !isfinite(ek) || !isfinite(v.u[CR_MHD_EN][c] - ek) || !isfinite(fb)) {
                    char file[1024] = "checkpoint";
                    if (H5Fget_name(loc, file, sizeof file) < 0) snprintf(file, sizeof file, "checkpoint");
                    cr_error(log, "%s: checkpoint cell (i, j, k) = (%d, %d, %d): density %g, kinetic energy %g, "
                             "face fluxes^2 %g (code units): not a state the solver can take (damaged file)", file, i,
                             j, k, rho, ek, fb);
                    rc = CR_ECONFIG;
                }
            }
    if (rc) return rc;
    cr_mhd_set_time(m, t, (long)ns);
    return CR_OK;
}
