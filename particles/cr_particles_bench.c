/* cr_particles_bench.c — `cusprate bench particles`: full-orbit (Boris)
 * steps per second per core in the analytic dipole and through MHD
 * interpolation (a synthetic two-slice mhd.h5 on the LFM "D" grid holding a
 * dipole plus a uniform southward field and a uniform flow, so E = -V x B),
 * guiding-centre steps per second in the dipole, and backward (Liouville)
 * pixel traces per second with the cost of one converged spectrum (a
 * synthetic D-grid file with a magnetosheath beyond 9 R_E). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../core/cr_common.h"
#include "../core/cr_h5.h"
#include "../core/cr_sys.h"
#include "../core/cr_units.h"
#include "../grids/cr_field_mhd.h"
#include "../grids/cr_grid.h"
#include "cr_particles.h"

/* Deterministic start points: protons of `energy` eV at radii [r0, r1] in
 * the dipole-dominated region, all pitch angles. */
static void start_points(long n, double r0, double r1, double energy, const struct cr_push *p, double (*x)[3],
                         double (*v)[3])
{
    double umag = cr_push_umag_of_energy(p, energy);
    double vk = umag / cr_push_gamma(p, umag) * CR_RE_KM;
    for (long i = 0; i < n; i++) {
        double f = (i + 0.5) / n;
        double r = r0 + (r1 - r0) * f;
        double ph = 2.399963229728653 * (double)i; /* golden angle */
        double lat = 0.5 * sin(7.0 * f);
        x[i][0] = r * cos(lat) * cos(ph);
        x[i][1] = r * cos(lat) * sin(ph);
        x[i][2] = r * sin(lat);
        double a = CR_PI * fmod(0.618033988749895 * (double)(i + 1), 1.0);
        v[i][0] = vk * sin(a) * cos(ph + 1.0);
        v[i][1] = vk * sin(a) * sin(ph + 1.0);
        v[i][2] = vk * cos(a);
    }
}

static double cpu_time(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Advance n protons from t0 to t1 with `threads` threads; steps per second
 * of wall time, and per second of CPU time (*cpu_rate: the per-core rate,
 * insensitive to other load on the machine). */
static double run_rate(const struct cr_push *p, long n, double (*x)[3], double (*v)[3], double t0, double t1,
                       int threads, long *steps_out, int gc, double *cpu_rate)
{
    struct cr_particle *pt = cr_zalloc((size_t)n, sizeof *pt);
    if (!pt) return 0.0;
    for (long i = 0; i < n; i++)
        if (cr_push_start(p, NULL, &pt[i], t0, x[i], v[i], 1e30, (uint64_t)i) != CR_OK) pt[i].status = CR_PST_FAILED;
    cr_set_threads(threads);
    double w0 = cr_wtime(), c0 = cpu_time();
#pragma omp parallel
    {
        struct cr_push_work *w = cr_push_work_new(p);
#pragma omp for schedule(dynamic, 4)
        for (long i = 0; i < n; i++)
            if (w && pt[i].status == CR_PST_ACTIVE) cr_push_advance(p, w, &pt[i], t1);
        cr_push_work_release(w);
    }
    double wall = cr_wtime() - w0, cpu = cpu_time() - c0;
    long steps = 0;
    for (long i = 0; i < n; i++) steps += gc ? pt[i].ngc : pt[i].nfo;
    free(pt);
    *steps_out = steps;
    *cpu_rate = cpu > 0 ? (double)steps / cpu : 0.0;
    return wall > 0 ? (double)steps / wall : 0.0;
}

static void report(const char *what, const struct cr_push *p, long n, double (*x)[3], double (*v)[3], double t0,
                   double t1, int gc)
{
    int nmax = cr_max_threads();
    long s1, sn;
    double c1, cn;
    double r1 = run_rate(p, n, x, v, t0, t1, 1, &s1, gc, &c1);
    printf("  %-46s 1 thread : %7.3f M steps/s wall, %7.3f M steps per CPU-second (%ld steps)\n", what, r1 / 1e6,
           c1 / 1e6, s1);
    if (nmax > 1) {
        double rn = run_rate(p, n, x, v, t0, t1, nmax, &sn, gc, &cn);
        printf("  %-46s %d threads: %7.3f M steps/s wall (%.3f M/s per core), %7.3f M steps per CPU-second\n", what,
               nmax, rn / 1e6, rn / nmax / 1e6, cn / 1e6);
    }
    cr_set_threads(nmax);
    fflush(stdout);
}

/* A synthetic mhd.h5 on the LFM D grid: `ns` slices `dt` s apart, B = dipole +
 * (0, 0, -5) nT at the cell centres; without `sheath` V = (-100, 0, 0) km/s,
 * D = 5 /cc; with it a magnetosheath beyond r = 9 R_E (D = 20 /cc, V =
 * (-150, 0, 0) km/s, kT = 300 eV: beta > 1) around a tenuous magnetosphere
 * (D = 1 /cc at rest), and the pressure P. */
static int write_synthetic_mhd(const char *path, int ns, double dt, int sheath, const struct cr_log *log)
{
    struct cr_grid_spec spec = {.log = log};
    if (cr_grid_spec_preset(&spec, "D")) return CR_ECONFIG;
    struct cr_grid *g = cr_grid_new(&spec);
    if (!g) return CR_ECONFIG;
    int ni = g->ni, nj = g->nj, nk = g->nk;
    size_t nc = (size_t)(ni + 1) * (nj + 1) * (nk + 1), ncell = (size_t)ni * nj * nk;
    double *buf[3], *cell[8];
    int rc = CR_OK;
    for (int c = 0; c < 3; c++) buf[c] = malloc(nc * sizeof(double));
    for (int c = 0; c < 8; c++) cell[c] = malloc(ncell * sizeof(double));
    for (int c = 0; c < 3; c++) rc |= !buf[c];
    for (int c = 0; c < 8; c++) rc |= !cell[c];
    struct cr_h5 *h = rc ? NULL : cr_h5_create(path, NULL, log);
    if (!h) rc = CR_EIO;
    if (!rc) {
        size_t q = 0;
        for (int k = 0; k <= nk; k++)
            for (int j = 0; j <= nj; j++)
                for (int i = 0; i <= ni; i++, q++) {
                    size_t gi = CR_GIDX(g, i, j, k);
                    buf[0][q] = g->x[gi];
                    buf[1][q] = g->y[gi];
                    buf[2][q] = g->z[gi];
                }
        hsize_t cd[3] = {(hsize_t)nk + 1, (hsize_t)nj + 1, (hsize_t)ni + 1};
        const char *cn[3] = {"X", "Y", "Z"};
        for (int c = 0; c < 3 && !rc; c++)
            rc = cr_h5_write_doubles(cr_h5_root(h), cn[c], 3, cd, buf[c], "R_E", "cell corners", log);
        q = 0;
        for (int k = 0; k < nk; k++)
            for (int j = 0; j < nj; j++)
                for (int i = 0; i < ni; i++, q++) {
                    size_t gi = CR_GIDX(g, i, j, k);
                    double xc[3] = {g->cx[gi], g->cy[gi], g->cz[gi]}, B[3];
                    cr_dipole_field(30000.0, xc, B);
                    cell[0][q] = B[0];
                    cell[1][q] = B[1];
                    cell[2][q] = B[2] - 5.0;
                    cell[3][q] = -100.0;
                    cell[4][q] = 0.0;
                    cell[5][q] = 0.0;
                    cell[6][q] = 5.0;
                    cell[7][q] = 5.0e6 * 300.0 * CR_EV_J * 1e9; /* nPa */
                    if (sheath) {
                        int out = xc[0] * xc[0] + xc[1] * xc[1] + xc[2] * xc[2] > 81.0;
                        cell[3][q] = out ? -150.0 : 0.0;
                        cell[6][q] = out ? 20.0 : 1.0;
                        cell[7][q] = (out ? 20.0e6 * 300.0 : 1.0e6 * 10.0) * CR_EV_J * 1e9;
                    }
                }
        hsize_t dd[3] = {(hsize_t)nk, (hsize_t)nj, (hsize_t)ni};
        const char *vn[8] = {"Bx", "By", "Bz", "Vx", "Vy", "Vz", "D", "P"};
        const char *vu[8] = {"nT", "nT", "nT", "km/s", "km/s", "km/s", "#/cc", "nPa"};
        for (int s = 0; s < ns && !rc; s++) {
            char name[32];
            snprintf(name, sizeof name, "Step#%d", s);
            hid_t grp = H5Gcreate2(cr_h5_root(h), name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            if (grp < 0) {
                rc = CR_EIO;
                break;
            }
            rc = cr_h5_attr_double(grp, "time", dt * s);
            for (int c = 0; c < 8 && !rc; c++)
                rc = cr_h5_write_doubles(grp, vn[c], 3, dd, cell[c], vu[c], "synthetic benchmark slice", log);
            H5Gclose(grp);
        }
    }
    if (h) rc = rc ? (cr_h5_discard(h), rc) : cr_h5_commit(h);
    for (int c = 0; c < 3; c++) free(buf[c]);
    for (int c = 0; c < 8; c++) free(cell[c]);
    cr_grid_release(g);
    return rc;
}

/* Backward traces per second (1 and all threads) and the cost of one
 * converged spectrum: 47 channels x 4 sub-samples. */
static int bench_backward(const char *path, const struct cr_log *log)
{
    int rc = CR_OK;
    struct cr_field_mhd_inp mi = {.path = path, .log = log, .load = CR_MHD_LOAD_ALL | CR_MHD_LOAD_P};
    struct cr_field_mhd *m = cr_field_mhd_new(&mi, &rc);
    if (!m) return rc ? rc : CR_EIO;
    const int nch = 47, nlat = 21, nsub = 4;
    const long n = (long)nch * nlat * nsub;
    struct cr_lv_point *pts = cr_zalloc((size_t)n, sizeof *pts);
    struct cr_lv_result *res = cr_zalloc((size_t)n, sizeof *res);
    if (!pts || !res) {
        free(pts);
        free(res);
        cr_field_mhd_release(m);
        return CR_ENOMEM;
    }
    const double mkev = 938.27208816e6 / (CR_C * CR_C * 1e-6), rs = 1.0 + 590.0 / CR_RE_KM;
    long q = 0;
    for (int k = 0; k < nlat; k++)
        for (int c = 0; c < nch; c++)
            for (int j = 0; j < nsub; j++, q++) {
                double lat = (75.0 + 5.0 * k / (nlat - 1)) * CR_DEG;
                double e = 8.0 * pow(2500.0, (c + (j + 0.5) / nsub) / nch);
                double x[3] = {rs * cos(lat), 0.0, rs * sin(lat)}, B[3];
                cr_dipole_field(30000.0, x, B);
                double bm = sqrt(B[0] * B[0] + B[1] * B[1] + B[2] * B[2]), v = sqrt(2.0 * e / mkev);
                double a = (10.0 + 60.0 * j / nsub) * CR_DEG; /* pitch angle, downgoing */
                double e1[3] = {-B[2] / bm, 0.0, B[0] / bm}; /* perpendicular, in the meridian */
                for (int d = 0; d < 3; d++) pts[q].v[d] = v * (cos(a) * B[d] / bm + sin(a) * e1[d]);
                memcpy(pts[q].x, x, sizeof x);
                pts[q].t = 600.0 - 0.1 * k;
                pts[q].stream = (uint64_t)q + 1;
            }
    struct cr_liouville_inp li = {.field = cr_field_mhd_field(m), .mhd = m,
                                  .push = {.scheme = CR_PUSH_AUTO, .gc_rtol = 1e-6, .gc_ds_max = 0.25},
                                  .max_time = 600, .source = CR_LV_SRC_SHEATH, .n_sw = 5, .v_sw = 400,
                                  .beta_min = 1, .progress = -1, .log = log};
    int nth = cr_max_threads();
    for (int pass = 0; pass < 2 && !rc; pass++) {
        int th = pass == 0 ? 1 : nth;
        if (pass == 1 && nth == 1) break;
#ifdef _OPENMP
        omp_set_num_threads(th);
#endif
        struct cr_liouville_stats st;
        double w0 = cr_wtime();
        rc = cr_liouville_trace(&li, pts, n, res, &st);
        double wall = cr_wtime() - w0;
        if (rc) break;
        printf("  %-46s %d thread%s: %7.0f traces/s wall (%ld traces: %ld source, %ld inner, %ld timeout; %.0f steps "
               "per trace); one converged spectrum (%d channels x %d samples) %.2f s\n",
               "backward (Liouville) pixel traces, D grid", th, th > 1 ? "s" : " ", n / wall, n,
               st.n_status[CR_LV_SOURCE], st.n_status[CR_LV_INNER], st.n_status[CR_LV_TIMEOUT],
               (double)(st.steps_fo + st.steps_gc) / n, nch, nsub, nch * nsub * wall / n);
    }
#ifdef _OPENMP
    omp_set_num_threads(nth);
#endif
    free(pts);
    free(res);
    cr_field_mhd_release(m);
    return rc;
}

int cr_bench_particles(struct cr_cmd_ctx *ctx)
{
    const struct cr_log *log = ctx->log;
    printf("  machine: %d core(s), %d thread(s)\n", cr_num_cores(), cr_max_threads());
    /* 1. analytic dipole: 10 keV protons at 3-7 R_E, full orbit, 20 steps per gyration */
    struct cr_field *dip = cr_field_dipole_new(30000.0, 1.0);
    struct cr_push_inp in = {.field = dip, .scheme = CR_PUSH_FO_ONLY, .fo_dt_gyro = 0.05};
    struct cr_push *p = cr_push_new(&in);
    const long n = 512, nm = 4096;
    double(*x)[3] = cr_zalloc((size_t)nm, sizeof *x), (*v)[3] = cr_zalloc((size_t)nm, sizeof *v);
    if (!dip || !p || !x || !v) {
        cr_push_release(p);
        cr_field_release(dip);
        free(x);
        free(v);
        return CR_ENOMEM;
    }
    start_points(n, 3.0, 7.0, 1e4, p, x, v);
    report("full orbit, analytic dipole", p, n, x, v, 0.0, 20.0, 0);
    cr_push_release(p);
    /* guiding centre in the dipole (GSL rk8pd, 7 field evaluations per stage) */
    struct cr_push_inp ig = {.field = dip, .scheme = CR_PUSH_GC_ONLY};
    p = cr_push_new(&ig);
    start_points(256, 3.0, 7.0, 1e4, p, x, v);
    report("guiding centre, analytic dipole", p, 256, x, v, 0.0, 120.0, 1);
    cr_push_release(p);
    cr_field_release(dip);

    /* 2. MHD interpolation on the LFM D grid, two slices (time interpolation) */
    char dir[] = "/tmp/cusprate_bench_particles_XXXXXX";
    int rc = CR_OK;
    if (!mkdtemp(dir)) {
        cr_error(log, "bench particles: cannot make a temporary folder");
        rc = CR_EIO;
    }
    char path[256];
    snprintf(path, sizeof path, "%s/mhd.h5", dir);
    double w0 = cr_wtime();
    if (!rc) rc = write_synthetic_mhd(path, 2, 5.0, 0, log);
    if (!rc) {
        printf("  synthetic D-grid mhd.h5 (2 slices) written in %.2f s\n", cr_wtime() - w0);
        struct cr_field_mhd_inp mi = {.path = path, .log = log};
        struct cr_field_mhd *m = cr_field_mhd_new(&mi, &rc);
        if (m && !(rc = cr_field_mhd_set_time(m, 2.5))) {
            struct cr_field *f = cr_field_mhd_field(m);
            struct cr_push_inp im = {.field = f, .scheme = CR_PUSH_FO_ONLY, .fo_dt_gyro = 0.05};
            p = cr_push_new(&im);
            start_points(nm, 4.0, 8.0, 1e3, p, x, v);
            report("full orbit, MHD D grid (space + time interp.)", p, nm, x, v, 0.0, 5.0, 0);
            cr_push_release(p);
        }
        if (m) cr_field_mhd_release(m);
    }
    if (!getenv("CR_KEEP")) unlink(path);

    /* 3. backward (Liouville) pixel traces: a TRACERS-like noon pass over the
     * open polar cap (590 km, MLat 75-80), 47 channels 8 eV-20 keV, through
     * 13 static slices 50 s apart with a sheath beyond 9 R_E */
    char path2[300];
    snprintf(path2, sizeof path2, "%s/mhd_sheath.h5", dir);
    if (!rc) {
        w0 = cr_wtime();
        rc = write_synthetic_mhd(path2, 13, 50.0, 1, log);
        if (!rc) printf("  synthetic D-grid mhd.h5 with a sheath (13 slices) written in %.2f s\n", cr_wtime() - w0);
    }
    if (!rc) rc = bench_backward(path2, log);
    if (!getenv("CR_KEEP")) unlink(path2);
    if (!getenv("CR_KEEP")) rmdir(dir); else printf("  kept %s\n", path);
    free(x);
    free(v);
    printf("  goal: >= 2 M full-orbit steps/s per core with MHD interpolation (CHIMP: ~0.5 M)\n");
    printf("  peak memory %.1f MiB\n", cr_peak_rss_mib());
    return rc;
}
