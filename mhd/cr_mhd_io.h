/* cr_mhd_io.h — output of an MHD run: <run>/mhd.h5 in the GAMERA/kaipy
 * layout (root corners X, Y, Z and volumes dV; one group Step#N per slice
 * with attribute `time` and cell datasets D, Vx, Vy, Vz, P, Bx, By, Bz,
 * Jx, Jy, Jz, each with units and a description), the XDMF companion
 * mhd.xmf that ParaView/VisIt open, and for 1-D problems a CSV profile
 * mhd_profile.csv with every slice. All files are written under temporary
 * names and renamed into place when the run completes. */
#ifndef CR_MHD_IO_H
#define CR_MHD_IO_H

#include <hdf5.h>

#include "../core/cr_config.h"
#include "cr_mhd.h"

struct cr_mhd_out;

struct cr_mhd_out_inp {
    const char *dir;              /* run folder (exists) */
    const struct cr_config *cfg;  /* resolved configuration (provenance), may be NULL */
    const char *problem;          /* problem name (root attribute), may be NULL */
    int csv;                      /* 1: also write the CSV profile (1-D problems) */
    const struct cr_log *log;
};

/* Create the files (temporary names) and write the grid. */
struct cr_mhd_out *cr_mhd_out_open(struct cr_mhd *m, const struct cr_mhd_out_inp *inp);

/* Append one slice (Step#N, N = 0, 1, ...) of the current state. */
int cr_mhd_out_write(struct cr_mhd_out *o, struct cr_mhd *m);

/* Number of slices written so far. */
int cr_mhd_out_count(const struct cr_mhd_out *o);

/* Finish: commit = 1 writes the XDMF and renames every file into place;
 * commit = 0 removes the temporaries. Frees o. */
int cr_mhd_out_close(struct cr_mhd_out *o, int commit);

/* The open HDF5 file of mhd.h5 (temporary name until close), e.g. to add
 * set-up-specific datasets to the Step#N group just written. */
hid_t cr_mhd_out_file(const struct cr_mhd_out *o);

/* Restart: copy the groups Step#0 .. Step#n-1 of src (an open HDF5 file or
 * group holding slices of this same grid, e.g. a checkpoint) into the output
 * and count them as written (times taken from their `time` attributes), so
 * that the next cr_mhd_out_write appends Step#n. Only on an output with no
 * slice yet. CR_EIO when a group is missing or cannot be copied. */
int cr_mhd_out_adopt(struct cr_mhd_out *o, hid_t src, int n);

#endif
