/* test_flux_mhdfile.h — writes small synthetic mhd.h5 files in the
 * GAMERA/kaipy layout (root corners X, Y, Z; groups Step#N with `time` and
 * cell-centred Bx By Bz Vx Vy Vz D) for the field-line and flux tests, with
 * switches that break the file in the ways the readers must catch. */
#ifndef TEST_FLUX_MHDFILE_H
#define TEST_FLUX_MHDFILE_H

#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_h5.h"

/* Cell values at centre c [R_E] and time t [s]. */
typedef void (*mhdfile_fill_fn)(const double c[3], double t, double B[3], double V[3], double *D, void *ctx);

enum {
    SYNTH_OK = 0,
    SYNTH_BAD_Y_SHAPE = 1,    /* Y corners one row short (inconsistent grid) */
    SYNTH_BAD_BZ_SHAPE = 2,   /* Bz of the last slice with a wrong shape */
    SYNTH_NO_BZ_LAST = 3,     /* Bz missing from the last slice */
    SYNTH_NO_TIME_LAST = 4    /* the last slice without its `time` attribute */
};

/* Corners (nk+1, nj+1, ni+1) C order; nslices slices at times[]. Cell
 * values are taken at centres C[3 * cell] (cell = (k nj + j) ni + i) when
 * given, else at the mean of the cell's corners. B0 (3 arrays of cell
 * values, may be NULL) is written as the background field Bx0, By0, Bz0.
 * Returns CR_OK or an error. */
static inline int mhdfile_write(const char *path, int ni, int nj, int nk, const double *X, const double *Y,
                              const double *Z, const double *C, const double *const *B0, int nslices,
                              const double *times, mhdfile_fill_fn fill, void *ctx, int flaw)
{
    struct cr_h5 *f = cr_h5_create(path, NULL, NULL);
    if (!f) return CR_EIO;
    hid_t root = cr_h5_root(f);
    hsize_t cd[3] = {(hsize_t)nk + 1, (hsize_t)nj + 1, (hsize_t)ni + 1};
    hsize_t cdy[3] = {cd[0], cd[1] - (flaw == SYNTH_BAD_Y_SHAPE), cd[2]};
    int rc = cr_h5_write_doubles(root, "X", 3, cd, X, "R_E", "corner x (SM)", NULL);
    rc |= cr_h5_write_doubles(root, "Y", 3, cdy, Y, "R_E", "corner y (SM)", NULL);
    rc |= cr_h5_write_doubles(root, "Z", 3, cd, Z, "R_E", "corner z (SM)", NULL);
    size_t n = (size_t)ni * nj * nk;
    if (B0) {
        hsize_t bd[3] = {(hsize_t)nk, (hsize_t)nj, (hsize_t)ni};
        rc |= cr_h5_write_doubles(root, "Bx0", 3, bd, B0[0], "nT", "background field", NULL);
        rc |= cr_h5_write_doubles(root, "By0", 3, bd, B0[1], "nT", "background field", NULL);
        rc |= cr_h5_write_doubles(root, "Bz0", 3, bd, B0[2], "nT", "background field", NULL);
    }
    double *v[7];
    for (int q = 0; q < 7; q++) v[q] = malloc(n * sizeof(double));
    static const char *const nm[7] = {"Bx", "By", "Bz", "Vx", "Vy", "Vz", "D"};
    static const char *const un[7] = {"nT", "nT", "nT", "km/s", "km/s", "km/s", "#/cc"};
    const size_t si = (size_t)ni + 1, sj = (size_t)nj + 1;
    for (int s = 0; s < nslices && !rc; s++) {
        for (int k = 0; k < nk; k++)
            for (int j = 0; j < nj; j++)
                for (int i = 0; i < ni; i++) {
                    double c[3] = {0, 0, 0};
                    for (int a = 0; a < 8; a++) {
                        size_t m = ((size_t)(k + (a >> 2)) * sj + (size_t)(j + ((a >> 1) & 1))) * si + (size_t)(i + (a & 1));
                        c[0] += 0.125 * X[m];
                        c[1] += 0.125 * Y[m];
                        c[2] += 0.125 * Z[m];
                    }
                    double B[3], V[3], D;
                    size_t q = ((size_t)k * nj + j) * ni + i;
                    if (C) memcpy(c, C + 3 * q, sizeof c);
                    fill(c, times[s], B, V, &D, ctx);
                    v[0][q] = B[0];
                    v[1][q] = B[1];
                    v[2][q] = B[2];
                    v[3][q] = V[0];
                    v[4][q] = V[1];
                    v[5][q] = V[2];
                    v[6][q] = D;
                }
        char grp[32];
        snprintf(grp, sizeof grp, "Step#%d", s);
        hid_t g = H5Gcreate2(root, grp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        int last = s == nslices - 1;
        if (!(last && flaw == SYNTH_NO_TIME_LAST)) rc |= cr_h5_attr_double(g, "time", times[s]);
        for (int q = 0; q < 7; q++) {
            hsize_t dd[3] = {(hsize_t)nk, (hsize_t)nj, (hsize_t)ni};
            if (q == 2 && last && flaw == SYNTH_NO_BZ_LAST) continue;
            if (q == 2 && last && flaw == SYNTH_BAD_BZ_SHAPE) {
                dd[0] = (hsize_t)nj;
                dd[1] = (hsize_t)nk;
            }
            rc |= cr_h5_write_doubles(g, nm[q], 3, dd, v[q], un[q], "cell-centred", NULL);
        }
        H5Gclose(g);
    }
    for (int q = 0; q < 7; q++) free(v[q]);
    if (rc) {
        cr_h5_discard(f);
        return CR_EIO;
    }
    return cr_h5_commit(f);
}

#endif
