/* test_core_io.c — HDF5/netCDF helpers: datasets carry units and
 * descriptions, files appear under their final name only when committed,
 * provenance (version, configuration) is attached; the progress line is
 * silent when not on a terminal; folder creation. */
#include <criterion/criterion.h>
#include <hdf5.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/cr_cli.h"
#include "../core/cr_common.h"
#include "../core/cr_file.h"
#include "../core/cr_h5.h"
#include "../core/cr_nc.h"
#include "../core/cr_progress.h"
#include "../core/cr_sys.h"
#include "helpers.h"

static int count_entries(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    if (p) {
        if (fscanf(p, "%d", &n) != 1) n = -1;
        pclose(p);
    }
    return n;
}

Test(core_io, h5_units_atomic_and_provenance)
{
    char dir[256], path[512];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/a.h5", dir);
    struct cr_log log = {.level = CR_LEVEL_ERROR};
    struct cr_config *cfg = cr_config_new_all(&log);
    cr_assert_not_null(cfg);
    cr_assert_eq(cr_config_override(cfg, "run.threads=2"), CR_OK);
    struct cr_h5 *f = cr_h5_create(path, cfg, &log);
    cr_assert_not_null(f);
    double data[6] = {1, 2, 3, 4, 5, 6};
    hsize_t dims[2] = {2, 3};
    cr_assert_eq(cr_h5_write_doubles(cr_h5_root(f), "B", 2, dims, data, "nT", "field", &log), CR_OK);
    cr_assert(!cr_file_exists(path), "final name must not exist before commit");
    cr_assert_eq(count_entries(dir), 1, "exactly one temporary file");
    cr_assert_eq(cr_h5_commit(f), CR_OK);
    cr_assert(cr_file_exists(path));
    cr_assert_eq(count_entries(dir), 1, "temporary renamed, not copied");

    hid_t h = cr_h5_open_read(path, &log);
    cr_assert(h >= 0);
    double back[6];
    cr_assert_eq(cr_h5_read_doubles(h, "B", back, 6, path, &log), CR_OK);
    for (int i = 0; i < 6; i++) cr_assert_eq(back[i], data[i]);
    char buf[4096];
    cr_assert_eq(cr_h5_read_attr_string(h, "B", "units", buf, sizeof buf), CR_OK);
    cr_assert_str_eq(buf, "nT");
    cr_assert_eq(cr_h5_read_attr_string(h, "B", "Units", buf, sizeof buf), CR_OK);
    cr_assert_str_eq(buf, "nT");
    cr_assert_eq(cr_h5_read_attr_string(h, "B", "description", buf, sizeof buf), CR_OK);
    cr_assert_str_eq(buf, "field");
    cr_assert_eq(cr_h5_read_attr_string(h, ".", "cusprate_version", buf, sizeof buf), CR_OK);
    cr_assert(strstr(buf, "cusprate"));
    cr_assert_eq(cr_h5_read_attr_string(h, ".", "config", buf, sizeof buf), CR_OK);
    cr_assert(strstr(buf, "threads = 2"), "%s", buf);
    /* wrong element count is a data error */
    cr_assert_eq(cr_h5_read_doubles(h, "B", back, 5, path, &log), CR_ECONFIG);
    cr_assert_neq(cr_h5_read_doubles(h, "missing", back, 6, path, &log), CR_OK);
    H5Fclose(h);

    /* discard leaves nothing behind */
    char p2[512];
    snprintf(p2, sizeof p2, "%s/b.h5", dir);
    f = cr_h5_create(p2, NULL, &log);
    cr_assert_not_null(f);
    cr_h5_discard(f);
    cr_assert(!cr_file_exists(p2));
    cr_assert_eq(count_entries(dir), 1);
    cr_config_release(cfg);
    helper_rm_rf(dir);
}

Test(core_io, nc_cf_attributes_and_atomic)
{
    char dir[256], path[512];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/s.nc", dir);
    struct cr_log log = {.level = CR_LEVEL_ERROR};
    struct cr_nc *f = cr_nc_create(path, "test", NULL, &log);
    cr_assert_not_null(f);
    int dim, var;
    cr_assert_eq(cr_nc_def_dim(f, "time", 3, &dim), CR_OK);
    cr_assert_eq(cr_nc_def_var(f, "time", NC_DOUBLE, 1, &dim, "s", "time", "sample time", "time", &var), CR_OK);
    double t[3] = {0, 1, 2};
    cr_assert_eq(nc_put_var_double(cr_nc_id(f), var, t), NC_NOERR);
    cr_assert(!cr_file_exists(path));
    cr_assert_eq(cr_nc_commit(f), CR_OK);
    int nc = cr_nc_open_read(path, &log);
    cr_assert(nc >= 0);
    char buf[256] = "";
    int vid;
    cr_assert_eq(nc_inq_varid(nc, "time", &vid), NC_NOERR);
    size_t len;
    cr_assert_eq(nc_inq_attlen(nc, vid, "units", &len), NC_NOERR);
    cr_assert_eq(nc_get_att_text(nc, vid, "units", buf), NC_NOERR);
    buf[len] = '\0';
    cr_assert_str_eq(buf, "s");
    cr_assert_eq(nc_inq_attlen(nc, NC_GLOBAL, "Conventions", &len), NC_NOERR);
    cr_assert_eq(nc_get_att_text(nc, NC_GLOBAL, "Conventions", buf), NC_NOERR);
    buf[len] = '\0';
    cr_assert_str_eq(buf, "CF-1.8");
    nc_close(nc);
    cr_assert_eq(cr_nc_open_read("/nonexistent.nc", &log), -1);
    helper_rm_rf(dir);
}

Test(core_io, progress_silent_off_terminal_and_drawn_when_forced)
{
    FILE *f = tmpfile();
    struct cr_log log = {.level = CR_LEVEL_INFO, .stream = f};
    struct cr_progress *p = cr_progress_new(&(struct cr_progress_inp){.label = "x", .total = 10, .unit = "s", .log = &log});
    cr_assert_not_null(p);
    cr_assert_eq(cr_progress_visible(p), 0, "a file is not a terminal");
    for (int i = 0; i <= 10; i++) cr_progress_update(p, i, NULL);
    cr_progress_release(p);
    cr_assert_eq(ftell(f), 0, "nothing written off a terminal");
    p = cr_progress_new(&(struct cr_progress_inp){.label = "x", .total = 10, .unit = "s", .log = &log, .force = 1});
    cr_progress_update(p, 10, "dt=1");
    cr_progress_release(p);
    char buf[512] = "";
    rewind(f);
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    buf[got] = '\0';
    cr_assert(strstr(buf, "100.0%") && strstr(buf, "ETA") && strstr(buf, "dt=1"), "%s", buf);
    fclose(f);
}

Test(core_io, mkdir_p_and_paths)
{
    char dir[256], sub[512];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(sub, sizeof sub, "%s/a/b/c", dir);
    struct cr_log log = {.level = CR_LEVEL_ERROR};
    cr_assert_eq(cr_mkdir_p(sub, &log), CR_OK);
    struct stat st;
    cr_assert_eq(stat(sub, &st), 0);
    cr_assert_eq(cr_mkdir_p(sub, &log), CR_OK, "existing folder is fine");
    char f[600];
    snprintf(f, sizeof f, "%s/file", dir);
    helper_write_file(f, "x");
    cr_assert_eq(cr_mkdir_p(f, &log), CR_EIO, "a file in the way is an error");
    cr_assert(cr_wtime() > 0);
    cr_assert(cr_peak_rss_mib() > 0);
    cr_assert(cr_max_threads() >= 1);
    helper_rm_rf(dir);
}
