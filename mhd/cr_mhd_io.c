/* cr_mhd_io.c — mhd.h5 (GAMERA/kaipy layout), mhd.xmf and the 1-D CSV
 * profile, with the slices inside mhd.h5 or in files of their own linked
 * from it (see cr_mhd_io.h). */
#include "cr_mhd_io.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/cr_common.h"
#include "../core/cr_epoch.h"
#include "../core/cr_file.h"
#include "../core/cr_h5.h"
#include "../core/cr_par.h"
#include "../core/cr_version.h"

enum { CR_MHD_XMF_MAX_SURF = 4, CR_MHD_XMF_MAX_VAR = 16 };

struct cr_mhd_xmf_surface {
    char group[64];
    int nsurf, n1, n2, nvar;
    char label[4][32];
    char var[CR_MHD_XMF_MAX_VAR][32];
};

struct cr_mhd_out {
    struct cr_h5 *h5;
    char h5_path[4096], xmf_path[4096], csv_path[4096], csv_tmp[4200];
    FILE *csv;
    int nout;
    double *times;
    int ntimes_cap;
    int has_b0;
    const struct cr_log *log;
    double *buf[CR_MHD_NOUT];
    size_t ncell;
    int ni, nj, nk;
    /* split slices */
    int split;
    char sdir[4096];  /* folder path */
    char sname[256];  /* its name inside the run folder */
    char dir[4096];   /* the run folder */
    struct cr_h5 *slice; /* the slice file being written (temporary name) */
    const struct cr_config *cfg;
    /* a decomposed solver (mhd/cr_mhd_part.c): every rank gathers its block
     * into rank 0's buffers, rank 0 alone writes */
    int writer;                      /* this process writes the files */
    const struct cr_mhd_part *part;  /* NULL: the solver has the whole grid */
    double *lbuf[CR_MHD_NOUT];       /* this block's values (decomposed only) */
    const struct cr_grid *g;         /* the grid written (the global one when decomposed) */
    struct cr_epoch epoch;
    int physical;        /* physical units (seconds, nT): UnitsID EARTH and per-step MJD */
    int nsurf;           /* surfaces stored in every slice, described in mhd.xmf */
    struct cr_mhd_xmf_surface surf[CR_MHD_XMF_MAX_SURF];
};

/* Output variables of the current state into o->buf (gathered on the
 * writer when decomposed). */
static int output_vars(struct cr_mhd_out *o, struct cr_mhd *m)
{
    if (!o->part) return cr_mhd_output_vars(m, o->buf);
    int rc = cr_mhd_output_vars(m, o->lbuf);
    for (int q = 0; q < CR_MHD_NOUT && !rc; q++) rc = cr_mhd_gather_cells(m, o->lbuf[q], o->writer ? o->buf[q] : NULL, 0);
    return rc;
}

#define SLICE_PREFIX "mhd_slices."

/* K of a folder name mhd_slices.K, -1 for any other name. */
static long slice_folder_index(const char *name)
{
    size_t np = strlen(SLICE_PREFIX);
    if (strncmp(name, SLICE_PREFIX, np) != 0 || !name[np]) return -1;
    char *end = NULL;
    long k = strtol(name + np, &end, 10);
    return (*end || k < 0 || name[np] < '0' || name[np] > '9') ? -1 : k;
}

/* N of a slice file name step_NNNNNN.h5, -1 for any other name. */
static long slice_file_index(const char *name)
{
    if (strncmp(name, "step_", 5) != 0 || name[5] < '0' || name[5] > '9') return -1;
    char *end = NULL;
    long n = strtol(name + 5, &end, 10);
    return (strcmp(end, ".h5") || n < 0) ? -1 : n;
}

int cr_mhd_out_slice_path(const struct cr_mhd_out *o, int s, char *buf, size_t n)
{
    int w = snprintf(buf, n, "%s/step_%06d.h5", o->sdir, s);
    return (w < 0 || (size_t)w >= n) ? CR_EIO : CR_OK;
}

/* Remove the plain files of a folder that keep() rejects (all when keep is
 * NULL, then the folder itself). */
static int prune_folder(const char *path, int (*keep)(const char *, long), long arg, const struct cr_log *log)
{
    DIR *d = opendir(path);
    if (!d) {
        cr_error(log, "%s: cannot read folder: %s", path, strerror(errno));
        return CR_EIO;
    }
    int rc = CR_OK;
    struct dirent *e;
    char f[8400];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (keep && keep(e->d_name, arg)) continue;
        snprintf(f, sizeof f, "%.4096s/%.255s", path, e->d_name);
        if (unlink(f)) {
            cr_error(log, "%s: cannot remove: %s", f, strerror(errno));
            rc = CR_EIO;
        }
    }
    closedir(d);
    if (!rc && !keep && rmdir(path)) {
        cr_error(log, "%s: cannot remove folder: %s", path, strerror(errno));
        rc = CR_EIO;
    }
    return rc;
}

static int keep_complete_slice(const char *name, long n)
{
    long s = slice_file_index(name);
    return s >= 0 && s < n;
}

/* The largest K of the mhd_slices.K folders in dir (-1: none); with
 * remove_except >= 0 those other than K = remove_except are removed. */
static int scan_slice_folders(const char *dir, long remove_except, long *kmax, const struct cr_log *log)
{
    DIR *d = opendir(dir);
    if (!d) {
        cr_error(log, "%s: cannot read folder: %s", dir, strerror(errno));
        return CR_EIO;
    }
    int rc = CR_OK;
    *kmax = -1;
    struct dirent *e;
    char f[8400];
    while ((e = readdir(d))) {
        long k = slice_folder_index(e->d_name);
        if (k < 0) continue;
        if (k > *kmax) *kmax = k;
        if (remove_except >= 0 && k != remove_except) {
            snprintf(f, sizeof f, "%.4096s/%.255s", dir, e->d_name);
            rc |= prune_folder(f, NULL, 0, log);
        }
    }
    closedir(d);
    return rc ? CR_EIO : CR_OK;
}

static int add_time(struct cr_mhd_out *o, double t)
{
    if (o->nout >= o->ntimes_cap) {
        int cap = o->ntimes_cap ? 2 * o->ntimes_cap : 64;
        double *nt = realloc(o->times, (size_t)cap * sizeof(double));
        if (!nt) return CR_ENOMEM;
        o->times = nt;
        o->ntimes_cap = cap;
    }
    o->times[o->nout++] = t;
    return CR_OK;
}

static int open_slice_folder(struct cr_mhd_out *o, const char *dir, const char *want)
{
    if (*want) {
        if (slice_folder_index(want) < 0) {
            cr_error(o->log, "mhd: '%s' is not a slice folder name (%sK)", want, SLICE_PREFIX);
            return CR_EIO;
        }
        snprintf(o->sname, sizeof o->sname, "%s", want);
    } else {
        long kmax;
        if (scan_slice_folders(dir, -1, &kmax, o->log)) return CR_EIO;
        snprintf(o->sname, sizeof o->sname, "%s%ld", SLICE_PREFIX, kmax + 1);
    }
    if (cr_path_join(o->sdir, sizeof o->sdir, dir, o->sname) ||
        snprintf(o->dir, sizeof o->dir, "%s", dir) >= (int)sizeof o->dir) {
        cr_error(o->log, "mhd: output folder name too long: %s", dir);
        return CR_EIO;
    }
    o->split = 1;
    return cr_mkdir_p(o->sdir, o->log);
}

static const char *const var_names[CR_MHD_NOUT] = {"D", "Vx", "Vy", "Vz", "P", "Bx", "By", "Bz", "Jx", "Jy", "Jz"};

static void var_meta(const struct cr_mhd_units *u, int q, const char **units, char *desc, size_t n)
{
    static const char *const what[CR_MHD_NOUT] = {
        "mass density", "velocity x component", "velocity y component", "velocity z component", "gas pressure",
        "magnetic field x component (total, background included)",
        "magnetic field y component (total, background included)",
        "magnetic field z component (total, background included)", "current density x component (curl B)",
        "current density y component (curl B)", "current density z component (curl B)"};
    const char *un = q == 0 ? u->density_unit
                     : q <= 3 ? u->velocity_unit
                     : q == 4 ? u->pressure_unit
                     : q <= 7 ? u->bfield_unit
                              : u->current_unit;
    *units = un;
    snprintf(desc, n, "%s at cell centres [%s]", what[q], un);
}

static double scale_of(const struct cr_mhd_units *u, int q)
{
    return q == 0 ? u->density : q <= 3 ? u->velocity : q == 4 ? u->pressure : q <= 7 ? u->bfield : u->current;
}

/* Active corners (or cells) of a node-sized array into C order. */
static void pack_corners(const struct cr_grid *g, const double *src, double scale, double *dst)
{
    size_t o = 0;
    for (int k = 0; k <= g->nk; k++)
        for (int j = 0; j <= g->nj; j++)
            for (int i = 0; i <= g->ni; i++) dst[o++] = src[CR_GIDX(g, i, j, k)] * scale;
}

static void pack_cells(const struct cr_grid *g, const double *src, double scale, double *dst)
{
    size_t o = 0;
    for (int k = 0; k < g->nk; k++)
        for (int j = 0; j < g->nj; j++)
            for (int i = 0; i < g->ni; i++) dst[o++] = src[CR_GIDX(g, i, j, k)] * scale;
}

static int open_files(struct cr_mhd_out *o, struct cr_mhd *m, const struct cr_mhd_out_inp *inp);

struct cr_mhd_out *cr_mhd_out_open(struct cr_mhd *m, const struct cr_mhd_out_inp *inp)
{
    const struct cr_mhd_part *part = cr_mhd_part(m);
    const struct cr_grid *g = inp->grid ? inp->grid : cr_mhd_grid(m);
    struct cr_mhd_out *o = cr_zalloc(1, sizeof *o);
    if (!o) return NULL;
    o->log = inp->log;
    o->cfg = inp->cfg;
    if (cr_epoch_from_config(inp->cfg, &o->epoch, inp->log)) {
        free(o);
        return NULL;
    }
    {
        const struct cr_mhd_units *u = cr_mhd_units(m);
        o->physical = !strcmp(u->time_unit, "s") && !strcmp(u->bfield_unit, "nT");
    }
    o->part = part;
    o->g = g;
    o->writer = !part || part->par->rank == 0;
    if (part) {
        /* every rank: its block's values; the background field gathered on
         * the writer now, before any file work that could fail there alone */
        const struct cr_grid *gb = cr_mhd_grid(m);
        int rc = inp->grid ? CR_OK : CR_ECONFIG;
        if (rc) cr_error(inp->log, "mhd: a decomposed run's output needs the global grid");
        for (int q = 0; q < CR_MHD_NOUT && !rc; q++)
            if (!(o->lbuf[q] = malloc((size_t)gb->ni * (size_t)gb->nj * (size_t)gb->nk * sizeof(double))))
                rc = CR_ENOMEM;
        const size_t nglob = (size_t)g->ni * (size_t)g->nj * (size_t)g->nk;
        for (int q = 3; q < 6 && !rc && o->writer; q++)
            if (!(o->buf[q] = malloc(nglob * sizeof(double)))) rc = CR_ENOMEM;
        double *b0[3] = {o->lbuf[3], o->lbuf[4], o->lbuf[5]};
        rc = cr_par_max_int(part->par, rc);
        if (!rc && cr_mhd_output_b0(m, b0) == CR_OK) {
            o->has_b0 = 1;
            for (int q = 0; q < 3 && !rc; q++) rc = cr_mhd_gather_cells(m, b0[q], o->writer ? o->buf[3 + q] : NULL, 0);
        }
        if (rc) {
            cr_mhd_out_close(o, 0);
            return NULL;
        }
    }
    int rc = o->writer ? open_files(o, m, inp) : CR_OK;
    if (part) rc = cr_par_max_int(part->par, rc); /* the writer's failure stops every rank */
    if (rc) {
        cr_mhd_out_close(o, 0);
        return NULL;
    }
    return o;
}

/* The writer's part of cr_mhd_out_open: the files and the grid. */
static int open_files(struct cr_mhd_out *o, struct cr_mhd *m, const struct cr_mhd_out_inp *inp)
{
    const struct cr_mhd_part *part = o->part;
    const struct cr_grid *g = o->g;
    const struct cr_mhd_units *u = cr_mhd_units(m);
    if (inp->slice_dir && open_slice_folder(o, inp->dir, inp->slice_dir)) return CR_EIO;
    if (cr_path_join(o->h5_path, sizeof o->h5_path, inp->dir, "mhd.h5") ||
        cr_path_join(o->xmf_path, sizeof o->xmf_path, inp->dir, "mhd.xmf") ||
        cr_path_join(o->csv_path, sizeof o->csv_path, inp->dir, "mhd_profile.csv")) {
        cr_error(inp->log, "mhd: output folder name too long: %s", inp->dir);
        return CR_EIO;
    }
    o->ncell = (size_t)g->ni * (size_t)g->nj * (size_t)g->nk;
    o->ni = g->ni, o->nj = g->nj, o->nk = g->nk;
    size_t ncorner = (size_t)(g->ni + 1) * (size_t)(g->nj + 1) * (size_t)(g->nk + 1);
    for (int q = 0; q < CR_MHD_NOUT; q++) {
        if (o->buf[q]) continue; /* the gathered background field */
        o->buf[q] = malloc((q < 3 ? (ncorner > o->ncell ? ncorner : o->ncell) : o->ncell) * sizeof(double));
        if (!o->buf[q]) {
            return CR_EIO;
        }
    }
    o->h5 = cr_h5_create(o->h5_path, inp->cfg, inp->log);
    if (!o->h5) {
        return CR_EIO;
    }
    hid_t root = cr_h5_root(o->h5);
    int rc = 0;
    char note[512];
    snprintf(note, sizeof note, "%s; lengths in %s, times in %s", u->note ? u->note : "", u->length_unit,
             u->time_unit);
    rc |= cr_h5_attr_string(root, "mhd_units", note);
    rc |= cr_h5_attr_string(root, "problem", inp->problem ? inp->problem : "");
    rc |= cr_h5_attr_double(root, "gamma", cr_mhd_gamma(m));
    rc |= cr_h5_attr_string(root, "layout",
                            "GAMERA/kaipy: corners X Y Z (Nk+1, Nj+1, Ni+1), cells (Nk, Nj, Ni), C order, no ghosts; "
                            "groups Step#N with attribute time");
    /* kaipy's unit switch: anything but "CODE" means the values are physical */
    rc |= cr_h5_attr_string(root, "UnitsID", o->physical ? "EARTH" : "CODE");
    if (o->physical) {
        rc |= cr_h5_attr_string(root, "epoch_utc", o->epoch.iso);
        rc |= cr_h5_attr_double(root, "epoch_mjd", o->epoch.mjd);
        rc |= cr_h5_attr_string(root, "time_units", "s since epoch_utc (Step#N attribute time); MJD = epoch_mjd + "
                                                   "time / 86400 (Step#N attribute MJD)");
    }
    if (inp->dipole_nt > 0) rc |= cr_h5_attr_double(root, "MagM0", -inp->dipole_nt);
    hsize_t dc[3] = {(hsize_t)g->nk + 1, (hsize_t)g->nj + 1, (hsize_t)g->ni + 1};
    hsize_t dv[3] = {(hsize_t)g->nk, (hsize_t)g->nj, (hsize_t)g->ni};
    const double *xyz[3] = {g->x, g->y, g->z};
    const char *cn[3] = {"X", "Y", "Z"};
    for (int q = 0; q < 3 && !rc; q++) {
        char desc[256];
        snprintf(desc, sizeof desc, "%s coordinate of the cell corners [%s]", cn[q], u->length_unit);
        pack_corners(g, xyz[q], u->length, o->buf[0]);
        rc |= cr_h5_write_doubles(root, cn[q], 3, dc, o->buf[0], u->length_unit, desc, inp->log);
    }
    if (!rc) {
        char vu[128], desc[256];
        snprintf(vu, sizeof vu, "(%s)^3", u->length_unit);
        snprintf(desc, sizeof desc, "cell volumes [%s]", vu);
        pack_cells(g, g->vol, u->length * u->length * u->length, o->buf[0]);
        rc |= cr_h5_write_doubles(root, "dV", 3, dv, o->buf[0], vu, desc, inp->log);
    }
    double *b0[3] = {o->buf[3], o->buf[4], o->buf[5]};
    if (!rc && (part ? o->has_b0 : cr_mhd_output_b0(m, b0) == CR_OK)) {
        o->has_b0 = 1;
        const char *bn[3] = {"Bx0", "By0", "Bz0"};
        for (int q = 0; q < 3 && !rc; q++) {
            char desc[256];
            snprintf(desc, sizeof desc, "background (static) magnetic field %c component at cell centres [%s]",
                     'x' + q, u->bfield_unit);
            for (size_t n = 0; n < o->ncell; n++) b0[q][n] *= u->bfield;
            rc |= cr_h5_write_doubles(root, bn[q], 3, dv, b0[q], u->bfield_unit, desc, inp->log);
        }
    }
    if (rc) {
        cr_error(inp->log, "mhd: cannot write the grid to %s", o->h5_path);
        return CR_EIO;
    }
    if (inp->csv) {
        if (cr_tmp_name(o->csv_path, o->csv_tmp, sizeof o->csv_tmp) || !(o->csv = fopen(o->csv_tmp, "w"))) {
            cr_error(inp->log, "mhd: cannot create %s", o->csv_path);
            return CR_EIO;
        }
        fprintf(o->csv, "# %s: mhd profile, problem %s; %s\n", cr_version_full(),
                inp->problem ? inp->problem : "", note);
        fprintf(o->csv, "# columns: t [%s], x y z [%s] (cell centroid), rho [%s], vx vy vz [%s], p [%s], "
                        "bx by bz [%s] (total field)\n",
                u->time_unit, u->length_unit, u->density_unit, u->velocity_unit, u->pressure_unit, u->bfield_unit);
        fprintf(o->csv, "t,x,y,z,rho,vx,vy,vz,p,bx,by,bz\n");
    }
    return CR_OK;
}

int cr_mhd_out_count(const struct cr_mhd_out *o) { return o->nout; }

int cr_mhd_out_write(struct cr_mhd_out *o, struct cr_mhd *m)
{
    const struct cr_mhd_units *u = cr_mhd_units(m);
    const struct cr_grid *g = o->g;
    int rc = output_vars(o, m);
    if (!rc && !o->writer) o->nout++;
    if (rc || !o->writer) return rc;
    for (int q = 0; q < CR_MHD_NOUT; q++) {
        double s = scale_of(u, q);
        if (s != 1.0)
            for (size_t n = 0; n < o->ncell; n++) o->buf[q][n] *= s;
    }
    char name[64];
    snprintf(name, sizeof name, "Step#%d", o->nout);
    const char *fpath = o->h5_path;
    if (o->split) {
        char sp[4200];
        if ((rc = cr_mhd_out_end_slice(o)) || (rc = cr_mhd_out_slice_path(o, o->nout, sp, sizeof sp))) return rc;
        if (!(o->slice = cr_h5_create(sp, o->cfg, o->log))) return CR_EIO;
        fpath = cr_h5_path(o->slice);
        rc |= cr_h5_attr_string(cr_h5_root(o->slice), "content",
                                "one slice (group Step#N) of a cusprate MHD run; mhd.h5 in the run folder links to "
                                "it and holds the grid");
    }
    hid_t grp = H5Gcreate2(cr_mhd_out_file(o), name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (grp < 0) {
        cr_error(o->log, "mhd: cannot create group %s in %s", name, fpath);
        return CR_EIO;
    }
    double t = cr_mhd_time(m) * u->time;
    rc |= cr_h5_attr_double(grp, "time", t);
    rc |= cr_h5_attr_string(grp, "time_units", u->time_unit);
    rc |= cr_h5_attr_int(grp, "cycle", cr_mhd_nstep(m));
    if (o->physical) rc |= cr_h5_attr_double(grp, "MJD", cr_epoch_mjd(&o->epoch, t));
    hsize_t dv[3] = {(hsize_t)g->nk, (hsize_t)g->nj, (hsize_t)g->ni};
    for (int q = 0; q < CR_MHD_NOUT && !rc; q++) {
        const char *un;
        char desc[256];
        var_meta(u, q, &un, desc, sizeof desc);
        rc |= cr_h5_write_doubles(grp, var_names[q], 3, dv, o->buf[q], un, desc, o->log);
    }
    H5Gclose(grp);
    if (rc) {
        cr_error(o->log, "mhd: cannot write %s to %s", name, fpath);
        return CR_EIO;
    }
    /* a split slice's file is complete when cr_mhd_out_end_slice closes it */
    if (!o->split) H5Fflush(cr_h5_root(o->h5), H5F_SCOPE_LOCAL);
    if ((rc = add_time(o, t))) return rc;
    if (o->csv) {
        size_t n = 0;
        for (int k = 0; k < g->nk; k++)
            for (int j = 0; j < g->nj; j++)
                for (int i = 0; i < g->ni; i++, n++) {
                    size_t c = CR_GIDX(g, i, j, k);
                    fprintf(o->csv, "%.9g,%.9g,%.9g,%.9g", t, g->cx[c] * u->length, g->cy[c] * u->length,
                            g->cz[c] * u->length);
                    for (int q = 0; q < 8; q++) fprintf(o->csv, ",%.12g", o->buf[q][n]);
                    fputc('\n', o->csv);
                }
        if (ferror(o->csv)) {
            cr_error(o->log, "mhd: cannot write %s", o->csv_tmp);
            return CR_EIO;
        }
    }
    return CR_OK;
}

/* One HDF DataItem of shape dims (rank 2 or 3) at file:/path. */
static void xmf_item(FILE *f, const char *indent, const int *dims, int rank, const char *file, const char *path)
{
    fprintf(f, "%s<DataItem Dimensions=\"", indent);
    for (int d = 0; d < rank; d++) fprintf(f, d ? " %d" : "%d", dims[d]);
    fprintf(f, "\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">%s:%s</DataItem>\n", file, path);
}

/* Surface s of a (nsurf, n1, n2) dataset: an XDMF hyperslab of (n1, n2). */
static void xmf_slab(FILE *f, const char *indent, const struct cr_mhd_out *o, int q, int s, const char *file,
                     const char *path)
{
    const struct cr_mhd_xmf_surface *sf = &o->surf[q];
    const int d3[3] = {sf->nsurf, sf->n1, sf->n2};
    fprintf(f, "%s<DataItem ItemType=\"HyperSlab\" Dimensions=\"%d %d\" Type=\"HyperSlab\">\n", indent, sf->n1,
            sf->n2);
    fprintf(f, "%s  <DataItem Dimensions=\"3 3\" Format=\"XML\">%d 0 0 1 1 1 1 %d %d</DataItem>\n", indent, s,
            sf->n1, sf->n2);
    char in2[64];
    snprintf(in2, sizeof in2, "%s  ", indent);
    xmf_item(f, in2, d3, 3, file, path);
    fprintf(f, "%s</DataItem>\n", indent);
}

/* The XDMF companion under its temporary name `tmp` (renamed by the caller). */
static int write_xmf(const struct cr_mhd_out *o, char *tmp, size_t ntmp)
{
    if (cr_tmp_name(o->xmf_path, tmp, ntmp)) return CR_EIO;
    FILE *f = fopen(tmp, "w");
    if (!f) {
        cr_error(o->log, "mhd: cannot create %s", o->xmf_path);
        return CR_EIO;
    }
    const char *h5 = strrchr(o->h5_path, '/');
    h5 = h5 ? h5 + 1 : o->h5_path;
    int nk = o->nk, nj = o->nj, ni = o->ni;
    const int dc[3] = {nk + 1, nj + 1, ni + 1}, dv[3] = {nk, nj, ni}, dvec[4] = {nk, nj, ni, 3};
    fprintf(f, "<?xml version=\"1.0\" ?>\n<!-- %s: MHD slices in %s (open this file in ParaView or VisIt) -->\n"
               "<Xdmf Version=\"2.0\">\n<Domain>\n"
               "<Grid Name=\"mhd\" GridType=\"Collection\" CollectionType=\"Temporal\">\n",
            cr_version_full(), h5);
    /* with surfaces (e.g. the ionosphere) every slice is a spatial collection of
     * the MHD grid and the surfaces */
    const int coll = o->nsurf > 0;
    const char *in = coll ? "    " : "  ";
    for (int s = 0; s < o->nout; s++) {
        if (coll)
            fprintf(f, "  <Grid Name=\"Step#%d\" GridType=\"Collection\" CollectionType=\"Spatial\">\n"
                       "    <Time Value=\"%.17g\"/>\n",
                    s, o->times[s]);
        fprintf(f, "%s<Grid Name=\"%s%d\" GridType=\"Uniform\">\n", in, coll ? "mhd_" : "Step#", s);
        if (!coll) fprintf(f, "%s  <Time Value=\"%.17g\"/>\n", in, o->times[s]);
        fprintf(f, "%s  <Topology TopologyType=\"3DSMesh\" NumberOfElements=\"%d %d %d\"/>\n", in, nk + 1, nj + 1,
                ni + 1);
        fprintf(f, "%s  <Geometry GeometryType=\"X_Y_Z\">\n", in);
        char ind[32], ind2[32];
        snprintf(ind, sizeof ind, "%s    ", in);
        snprintf(ind2, sizeof ind2, "%s      ", in);
        const char *cn[3] = {"X", "Y", "Z"};
        for (int q = 0; q < 3; q++) {
            char p[16];
            snprintf(p, sizeof p, "/%s", cn[q]);
            xmf_item(f, ind, dc, 3, h5, p);
        }
        fprintf(f, "%s  </Geometry>\n", in);
        /* split slices: the slice's own file, so that a reader that does not
         * follow HDF5 external links opens it too */
        char sf[4400];
        if (o->split) snprintf(sf, sizeof sf, "%s/step_%06d.h5", o->sname, s);
        else snprintf(sf, sizeof sf, "%s", h5);
        for (int q = 0; q < CR_MHD_NOUT; q++) {
            char p[64];
            snprintf(p, sizeof p, "/Step#%d/%s", s, var_names[q]);
            fprintf(f, "%s  <Attribute Name=\"%s\" AttributeType=\"Scalar\" Center=\"Cell\">\n", in, var_names[q]);
            xmf_item(f, ind, dv, 3, sf, p);
            fprintf(f, "%s  </Attribute>\n", in);
        }
        /* the vectors V, B, J: their components joined (XDMF function JOIN) */
        static const char *const vec[3] = {"V", "B", "J"};
        static const int first[3] = {1, 5, 8};
        for (int q = 0; q < 3; q++) {
            fprintf(f, "%s  <Attribute Name=\"%s\" AttributeType=\"Vector\" Center=\"Cell\">\n", in, vec[q]);
            fprintf(f, "%s    <DataItem ItemType=\"Function\" Function=\"JOIN($0, $1, $2)\" Dimensions=\"%d %d %d %d\">\n",
                    in, dvec[0], dvec[1], dvec[2], dvec[3]);
            for (int c = 0; c < 3; c++) {
                char p[64];
                snprintf(p, sizeof p, "/Step#%d/%s", s, var_names[first[q] + c]);
                xmf_item(f, ind2, dv, 3, sf, p);
            }
            fprintf(f, "%s    </DataItem>\n%s  </Attribute>\n", in, in);
        }
        fprintf(f, "%s</Grid>\n", in);
        for (int q = 0; q < o->nsurf; q++) {
            const struct cr_mhd_xmf_surface *su = &o->surf[q];
            for (int k = 0; k < su->nsurf; k++) {
                fprintf(f, "    <Grid Name=\"%s_%s_%d\" GridType=\"Uniform\">\n", su->group, su->label[k], s);
                fprintf(f, "      <Topology TopologyType=\"2DSMesh\" NumberOfElements=\"%d %d\"/>\n", su->n1, su->n2);
                fprintf(f, "      <Geometry GeometryType=\"X_Y_Z\">\n");
                for (int c = 0; c < 3; c++) {
                    char p[160];
                    snprintf(p, sizeof p, "/Step#%d/%s/%s", s, su->group, cn[c]);
                    xmf_slab(f, "        ", o, q, k, sf, p);
                }
                fprintf(f, "      </Geometry>\n");
                for (int v = 0; v < su->nvar; v++) {
                    char p[160];
                    snprintf(p, sizeof p, "/Step#%d/%s/%s", s, su->group, su->var[v]);
                    fprintf(f, "      <Attribute Name=\"%s\" AttributeType=\"Scalar\" Center=\"Node\">\n", su->var[v]);
                    xmf_slab(f, "        ", o, q, k, sf, p);
                    fprintf(f, "      </Attribute>\n");
                }
                fprintf(f, "    </Grid>\n");
            }
        }
        if (coll) fprintf(f, "  </Grid>\n");
    }
    fprintf(f, "</Grid>\n</Domain>\n</Xdmf>\n");
    int bad = ferror(f);
    bad |= fclose(f);
    if (bad) {
        unlink(tmp);
        cr_error(o->log, "mhd: cannot write %s", o->xmf_path);
        return CR_EIO;
    }
    return CR_OK;
}

int cr_mhd_out_xmf_surface(struct cr_mhd_out *o, const char *group, int nsurf, int n1, int n2,
                           const char *const *labels, const char *const *vars, int nvar)
{
    if (o->nsurf >= CR_MHD_XMF_MAX_SURF || nsurf < 1 || nsurf > 4 || n1 < 2 || n2 < 2 || nvar < 0 ||
        nvar > CR_MHD_XMF_MAX_VAR || strlen(group) >= sizeof o->surf[0].group) {
        cr_error(o->log, "mhd: cannot describe surface group %s in the XDMF file", group);
        return CR_EIO;
    }
    struct cr_mhd_xmf_surface *s = &o->surf[o->nsurf];
    snprintf(s->group, sizeof s->group, "%s", group);
    s->nsurf = nsurf;
    s->n1 = n1;
    s->n2 = n2;
    for (int k = 0; k < nsurf; k++) snprintf(s->label[k], sizeof s->label[k], "%s", labels[k]);
    for (int v = 0; v < nvar; v++) snprintf(s->var[v], sizeof s->var[v], "%s", vars[v]);
    s->nvar = nvar;
    o->nsurf++;
    return CR_OK;
}

int cr_mhd_out_close(struct cr_mhd_out *o, int commit)
{
    if (!o) return CR_OK;
    int rc = CR_OK;
    if (o->csv) {
        int bad = ferror(o->csv);
        bad |= fclose(o->csv);
        o->csv = NULL;
        if (!commit || bad) unlink(o->csv_tmp);
        else rc |= cr_commit_file(o->csv_tmp, o->csv_path, o->log);
        if (bad) rc = CR_EIO;
    }
    if (o->slice) {
        if (commit && !rc) rc |= cr_mhd_out_end_slice(o);
        else cr_h5_discard(o->slice), o->slice = NULL;
    }
    if (o->h5 && commit && !rc && o->split) {
        /* the links Step#N -> <slice folder>/step_N.h5:/Step#N, relative to
         * the folder of mhd.h5 (where HDF5 looks for them first) */
        hid_t lapl = H5Pcreate(H5P_LINK_ACCESS);
        for (int s = 0; s < o->nout && !rc; s++) {
            char name[64], target[512];
            snprintf(name, sizeof name, "Step#%d", s);
            snprintf(target, sizeof target, "%s/step_%06d.h5", o->sname, s);
            if (H5Lcreate_external(target, name, cr_h5_root(o->h5), name, H5P_DEFAULT, lapl) < 0) {
                cr_error(o->log, "mhd: cannot link %s to %s in %s", name, target, o->h5_path);
                rc = CR_EIO;
            }
        }
        H5Pclose(lapl);
    }
    if (o->h5) {
        /* mhd.h5 and mhd.xmf stay a pair whenever the process dies: both are
         * complete under temporary names first, the old mhd.xmf goes, mhd.h5
         * takes its name, then mhd.xmf (a kill in between leaves mhd.h5
         * without a companion, never an mhd.xmf describing another mhd.h5) */
        char xtmp[4200] = "";
        if (commit && !rc) rc |= write_xmf(o, xtmp, sizeof xtmp);
        if (commit && !rc && unlink(o->xmf_path) && errno != ENOENT) {
            cr_error(o->log, "%s: cannot remove the previous file: %s", o->xmf_path, strerror(errno));
            rc = CR_EIO;
        }
        if (commit && !rc) {
            rc |= cr_h5_commit(o->h5);
            if (!rc) rc |= cr_commit_file(xtmp, o->xmf_path, o->log);
            else unlink(xtmp);
        } else {
            cr_h5_discard(o->h5);
            if (xtmp[0]) unlink(xtmp);
        }
        o->h5 = NULL;
        /* mhd.h5 now links to this run's folder: earlier runs' go */
        long kmax;
        if (commit && !rc && o->split) rc |= scan_slice_folders(o->dir, slice_folder_index(o->sname), &kmax, o->log);
    }
    for (int q = 0; q < CR_MHD_NOUT; q++) free(o->buf[q]), free(o->lbuf[q]);
    free(o->times);
    free(o);
    return rc ? CR_EIO : CR_OK;
}

hid_t cr_mhd_out_file(const struct cr_mhd_out *o)
{
    if (!o->split) return cr_h5_root(o->h5);
    return o->slice ? cr_h5_root(o->slice) : -1;
}

const char *cr_mhd_out_slice_dir(const struct cr_mhd_out *o) { return o->split ? o->sname : ""; }

int cr_mhd_out_end_slice(struct cr_mhd_out *o)
{
    if (!o->split) return H5Fflush(cr_h5_root(o->h5), H5F_SCOPE_LOCAL) < 0 ? CR_EIO : CR_OK;
    if (!o->slice) return CR_OK;
    int rc = cr_h5_commit(o->slice);
    o->slice = NULL;
    return rc;
}

int cr_mhd_out_writer(const struct cr_mhd_out *o) { return o->writer; }

int cr_mhd_out_adopt_files(struct cr_mhd_out *o, int n)
{
    if (!o->writer) {
        /* the files are the writer's; the others count the slices */
        o->nout = n;
        return CR_OK;
    }
    if (!o->split || o->nout != 0 || n < 0) {
        cr_error(o->log, "mhd: slice files can only be adopted into a split output without slices");
        return CR_EIO;
    }
    int rc = prune_folder(o->sdir, keep_complete_slice, n, o->log);
    for (int s = 0; s < n && !rc; s++) {
        char sp[4200], name[64];
        double t;
        snprintf(name, sizeof name, "Step#%d", s);
        if ((rc = cr_mhd_out_slice_path(o, s, sp, sizeof sp))) break;
        hid_t f = cr_h5_open_read(sp, o->log);
        if (f < 0) return CR_EIO;
        if (cr_h5_read_attr_double(f, name, "time", &t)) {
            cr_error(o->log, "%s: no group %s with a time attribute", sp, name);
            rc = CR_EIO;
        }
        H5Fclose(f);
        if (!rc) rc = add_time(o, t);
    }
    return rc;
}
