/* cr_mhd_pack.c — `cusprate pack`: one self-contained copy of mhd.h5.
 *
 * The magnetosphere's mhd.h5 reaches its slices through HDF5 external links
 * (Step#N -> mhd_slices.K/step_N.h5, cr_mhd_io.h). h5py and the HDF5 tools
 * follow them, but a tool that writes the file name of each step's object
 * into another file (kaipy's genXDMF writes f["Step#N"].file.filename into
 * its XDMF) then names the slice file without its folder. `pack` writes
 * <run>/mhd.gam.h5 (GAMERA's serial file name): every root object copied
 * with the external links expanded (H5Ocopy with H5O_COPY_EXPAND_EXT_LINK_FLAG),
 * and every root attribute of mhd.h5 (the run's provenance, units, epoch)
 * copied over the new file's own, plus `packed_by`. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_cli.h"
#include "../core/cr_common.h"
#include "../core/cr_file.h"
#include "../core/cr_h5.h"
#include "../core/cr_version.h"

struct pack_ctx {
    hid_t dst;
    hid_t ocpl;
    const char *src_path;
    const struct cr_log *log;
    int rc;
    int nobj;
};

static herr_t copy_link(hid_t src, const char *name, const H5L_info_t *info, void *op)
{
    (void)info;
    struct pack_ctx *c = op;
    if (H5Ocopy(src, name, c->dst, name, c->ocpl, H5P_DEFAULT) < 0) {
        cr_error(c->log, "pack: %s: cannot copy '%s' (a slice file missing? it must lie where mhd.h5's link says)",
                 c->src_path, name);
        c->rc = CR_EIO;
        return 1;
    }
    c->nobj++;
    return 0;
}

static herr_t copy_attr(hid_t src, const char *name, const H5A_info_t *info, void *op)
{
    (void)info;
    struct pack_ctx *c = op;
    hid_t a = H5Aopen(src, name, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : -1, s = a >= 0 ? H5Aget_space(a) : -1;
    int rc = (a < 0 || t < 0 || s < 0) ? CR_EIO : CR_OK;
    hssize_t n = rc ? 0 : H5Sget_simple_extent_npoints(s);
    const int vstr = !rc && H5Tis_variable_str(t) > 0;
    if (!rc && !vstr && H5Tdetect_class(t, H5T_VLEN) > 0) rc = CR_EIO; /* variable-length sequences: not ours */
    size_t sz = vstr ? sizeof(char *) : (rc ? 0 : H5Tget_size(t));
    void *buf = rc ? NULL : calloc((size_t)(n > 0 ? n : 1), sz > 0 ? sz : 1);
    if (!rc && !buf) rc = CR_ENOMEM;
    hid_t mt = -1;
    if (!rc) {
        mt = vstr ? H5Tcopy(t) : H5Tget_native_type(t, H5T_DIR_ASCEND);
        if (mt < 0 || H5Aread(a, mt, buf) < 0) rc = CR_EIO;
    }
    if (!rc) {
        if (H5Aexists(c->dst, name) > 0) H5Adelete(c->dst, name);
        hid_t b = H5Acreate2(c->dst, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
        if (b < 0 || H5Awrite(b, mt, buf) < 0) rc = CR_EIO;
        if (b >= 0) H5Aclose(b);
        if (vstr) H5Dvlen_reclaim(mt, s, H5P_DEFAULT, buf);
    }
    if (mt >= 0) H5Tclose(mt);
    free(buf);
    if (s >= 0) H5Sclose(s);
    if (t >= 0) H5Tclose(t);
    if (a >= 0) H5Aclose(a);
    if (rc) {
        cr_error(c->log, "pack: %s: cannot copy the root attribute '%s'", c->src_path, name);
        c->rc = rc;
        return 1;
    }
    return 0;
}

/* Copy src (mhd.h5) into the self-contained dst. */
static int pack_file(const char *src_path, const char *dst_path, const struct cr_config *cfg,
                     const struct cr_log *log)
{
    hid_t src = cr_h5_open_read(src_path, log);
    if (src < 0) return CR_ECONFIG;
    struct cr_h5 *out = cr_h5_create(dst_path, cfg, log);
    if (!out) {
        H5Fclose(src);
        return CR_EIO;
    }
    struct pack_ctx c = {.dst = cr_h5_root(out), .ocpl = H5Pcreate(H5P_OBJECT_COPY), .src_path = src_path,
                         .log = log};
    H5Pset_copy_object(c.ocpl, H5O_COPY_EXPAND_EXT_LINK_FLAG);
    hsize_t idx = 0;
    H5Literate(src, H5_INDEX_NAME, H5_ITER_INC, &idx, copy_link, &c);
    if (!c.rc) {
        idx = 0;
        H5Aiterate2(src, H5_INDEX_NAME, H5_ITER_INC, &idx, copy_attr, &c);
    }
    if (!c.rc) {
        char note[9000];
        snprintf(note, sizeof note, "self-contained copy of %.4096s (every Step#N copied in) by %.512s", src_path,
                 cr_version_full());
        if (cr_h5_attr_string(c.dst, "packed_by", note)) c.rc = CR_EIO;
    }
    H5Pclose(c.ocpl);
    H5Fclose(src);
    if (c.rc) {
        cr_h5_discard(out);
        return c.rc;
    }
    int rc = cr_h5_commit(out);
    if (!rc) cr_info(log, "pack: wrote %s (%d root objects from %s)", dst_path, c.nobj, src_path);
    return rc;
}

int cr_cmd_pack(struct cr_cmd_ctx *ctx)
{
    char src[4200], dst[4200];
    if (cr_path_join(src, sizeof src, ctx->run_dir, "mhd.h5")) return CR_ECONFIG;
    if (!cr_file_exists(src)) {
        cr_error(ctx->log, "pack: %s not found (run `cusprate mhd` first)", src);
        return CR_ECONFIG;
    }
    int rc = cr_run_path(ctx, "mhd.gam.h5", dst, sizeof dst);
    if (rc) return rc;
    return pack_file(src, dst, ctx->cfg, ctx->log);
}
