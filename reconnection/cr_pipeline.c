/* cr_pipeline.c — `cusprate pipeline`: mhd -> flux -> particles -> fly ->
 * rate -> report, each stage dispatched by name through cr_commands and
 * skipped when up to date (see cr_pipeline.h). */
#include "cr_pipeline.h"

#include <errno.h>
#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/cr_common.h"
#include "../core/cr_file.h"
#include "../core/cr_h5.h"
#include "../core/cr_nc.h"
#include "cr_lockwood_io.h"

const struct cr_key cr_pipeline_keys[] = {
    {.section = "pipeline", .name = "flybys", .type = CR_KEY_STRING, .unit = "", .def = "",
     .doc = "comma-separated flyby files (relative to this INI file's folder) flown by the fly stage"},
    {.section = "pipeline", .name = "mlt_sectors", .type = CR_KEY_REALS, .unit = "h", .def = "", .min = 0, .max = 24,
     .flags = CR_KEY_RANGED | CR_KEY_MAX_OPEN, .min_count = 0, .max_count = 24,
     .doc = "MLT sector centres: every flyby is flown once per centre (flyby.mlt overridden, its name suffixed "
            "_mlt<centre>); empty = each flyby once as its file says"},
    {.section = "pipeline", .name = "launch_time", .type = CR_KEY_REAL, .unit = "s", .def = "flyby", .min = -1e12,
     .max = 1e12, .flags = CR_KEY_RANGED, .choices = "flyby",
     .doc = "flyby.launch_time for every flyby of this run (one set of flyby files serves runs of different "
            "lengths; any time); flyby = as each flyby file says"},
    {.section = "pipeline", .name = "stages", .type = CR_KEY_STRING, .unit = "",
     .def = "mhd, flux, particles, fly, rate, report",
     .doc = "stages to consider, from mhd, flux, particles, fly, rate, report (always run in that order)"},
    {.section = "pipeline", .name = "force", .type = CR_KEY_BOOL, .unit = "", .def = "no",
     .doc = "run every stage even when its outputs are up to date"},
    CR_KEY_END,
};

enum { ST_MHD, ST_FLUX, ST_PARTICLES, ST_FLY, ST_RATE, ST_REPORT, ST_N };
static const char *const stage_names[ST_N] = {"mhd", "flux", "particles", "fly", "rate", "report"};

/* ---- small helpers ------------------------------------------------------------ */

struct plist {
    char **p;
    int n, cap;
};

static int plist_add(struct plist *l, const char *path)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 8;
        char **g = realloc(l->p, (size_t)cap * sizeof *g);
        if (!g) return CR_ENOMEM;
        l->p = g;
        l->cap = cap;
    }
    l->p[l->n] = cr_strdup(path);
    return l->p[l->n++] ? CR_OK : CR_ENOMEM;
}

static void plist_free(struct plist *l)
{
    for (int k = 0; k < l->n; k++) free(l->p[k]);
    free(l->p);
    memset(l, 0, sizeof *l);
}

static void plist_add_list(struct plist *l, char **list)
{
    for (char **q = list; q && *q; q++) plist_add(l, *q);
}

static const struct cr_command *find_command(const char *name)
{
    for (int i = 0; i < cr_ncommands; i++)
        if (!strcmp(cr_commands[i].name, name)) return &cr_commands[i];
    return NULL;
}

static int schema_has(const char *section, const char *name)
{
    for (int t = 0; t < cr_nschema_tables; t++)
        for (const struct cr_key *k = cr_schema_tables[t]; k->name; k++)
            if (!strcmp(k->section, section) && !strcmp(k->name, name)) return 1;
    return 0;
}

/* The resolved configuration restricted to the sections a command reads
 * ([run] left out: threads, logging and the folder do not change results).
 * Caller frees. */
static char *config_stamp(const struct cr_config *cfg, const struct cr_command *cmd)
{
    static const char *const skip[] = {"run", NULL};
    int every = !cmd || !cmd->sections || !cmd->sections[0];
    return cr_config_ini_select(cfg, every ? NULL : cmd->sections, skip, 1);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    while (s) {
        if (n + 2048 > cap) {
            char *g = realloc(s, cap *= 2);
            if (!g) {
                free(s);
                s = NULL;
                break;
            }
            s = g;
        }
        size_t got = fread(s + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    fclose(f);
    if (s) s[n] = '\0';
    return s;
}

static int write_stamp(const char *path, const char *text, const struct cr_log *log)
{
    char tmp[4200];
    if (cr_tmp_name(path, tmp, sizeof tmp)) return CR_EIO;
    FILE *f = fopen(tmp, "w");
    if (!f || fputs(text, f) < 0 || fclose(f)) {
        if (f) remove(tmp);
        cr_warn(log, "pipeline: cannot write %s", path);
        return CR_EIO;
    }
    return cr_commit_file(tmp, path, log);
}

/* The resolved configuration an output records (its HDF5 root attribute or
 * netCDF global attribute `config`, written by cr_h5/cr_nc), NULL when it
 * has none or is not such a file. Caller frees. */
static char *recorded_config(const char *path)
{
    size_t len = strlen(path);
    char *text = NULL;
    if (len > 3 && !strcmp(path + len - 3, ".h5")) {
        cr_h5_quiet();
        if (H5Fis_hdf5(path) <= 0) return NULL;
        hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        if (f < 0) return NULL;
        const size_t cap = 1 << 22;
        text = malloc(cap);
        if (text && cr_h5_read_attr_string(f, ".", "config", text, cap)) {
            free(text);
            text = NULL;
        }
        H5Fclose(f);
    } else if (len > 3 && !strcmp(path + len - 3, ".nc")) {
        int ncid;
        size_t n = 0;
        if (nc_open(path, NC_NOWRITE, &ncid) != NC_NOERR) return NULL;
        if (nc_inq_attlen(ncid, NC_GLOBAL, "config", &n) == NC_NOERR && (text = malloc(n + 1))) {
            if (nc_get_att_text(ncid, NC_GLOBAL, "config", text) == NC_NOERR) text[n] = '\0';
            else {
                free(text);
                text = NULL;
            }
        }
        nc_close(ncid);
    }
    return text;
}

/* Why an output's recorded configuration says the stage must run again: the
 * sections the command reads (the stamp's selection) differ from `stamp`,
 * or cannot be read back; "" when they agree or the file records none. */
static void recorded_reason(const char *out, const struct cr_command *cmd, const char *stamp, char *why, size_t n)
{
    why[0] = '\0';
    char *rec = recorded_config(out);
    if (!rec) return;
    char *msg = NULL;
    size_t msglen = 0;
    FILE *ms = open_memstream(&msg, &msglen);
    struct cr_log quiet = {.level = CR_LEVEL_ERROR, .stream = ms, .no_timestamps = 1};
    struct cr_config *rc = ms ? cr_config_new_all(&quiet) : NULL;
    char *old = NULL;
    if (rc && cr_config_load_string(rc, rec, "recorded configuration") == CR_OK) old = config_stamp(rc, cmd);
    if (ms) fclose(ms);
    if (!old) {
        snprintf(why, n, "%.2000s records a configuration this version cannot compare (%.600s)", out,
                 msg && *msg ? msg : "unreadable");
        size_t l = strlen(why);
        while (l > 0 && (why[l - 1] == '\n' || why[l - 1] == ')')) why[--l] = '\0';
        snprintf(why + l, n - l, ")");
    } else if (strcmp(old, stamp)) {
        /* the first line that differs */
        const char *a = old, *b = stamp;
        while (*a && *a == *b) a++, b++;
        while (a > old && a[-1] != '\n') a--;
        while (b > stamp && b[-1] != '\n') b--;
        int la = (int)strcspn(a, ";\n"), lb = (int)strcspn(b, ";\n"); /* without the unit comment */
        while (la > 0 && a[la - 1] == ' ') la--;
        while (lb > 0 && b[lb - 1] == ' ') lb--;
        snprintf(why, n, "%.2000s was made with other settings (it records '%.*s', now '%.*s')", out,
                 la > 300 ? 300 : la, a, lb > 300 ? 300 : lb, b);
    }
    free(old);
    free(msg);
    cr_config_release(rc);
    free(rec);
}

/* ---- one stage ------------------------------------------------------------------ */

struct stage_run {
    const char *label;           /* "fly noon_tracers" */
    const char *command;         /* command name */
    struct plist in, out;        /* files */
    struct cr_cmd_ctx ctx;       /* context to run it with */
    char stamp_path[4700];
};

enum { R_UPTODATE, R_RAN, R_UNAVAILABLE, R_FAILED, R_NOT_REACHED };
static const char *const result_names[] = {"up to date", "ran", "UNAVAILABLE", "FAILED", "not reached"};

/* Why a stage must run ("" when up to date): an output missing or older
 * than an input, an output whose recorded configuration differs from this
 * run's for the sections the stage reads (whoever made it: the pipeline or
 * the command by hand), or the pipeline's own stamp of the stage changed. */
static void stale_reason(const struct stage_run *s, const struct cr_command *cmd, const char *stamp, char *why,
                         size_t n)
{
    why[0] = '\0';
    if (s->out.n == 0) {
        snprintf(why, n, "its outputs are not known before it runs");
        return;
    }
    time_t oldest_out = 0;
    for (int k = 0; k < s->out.n; k++) {
        time_t t = cr_file_mtime(s->out.p[k]);
        if (t == 0) {
            snprintf(why, n, "%.3000s is missing", s->out.p[k]);
            return;
        }
        if (oldest_out == 0 || t < oldest_out) oldest_out = t;
    }
    /* an input that does not exist is not one this run uses (an analytic field
     * instead of mhd.h5); a stage that needs it says so when it runs */
    for (int k = 0; k < s->in.n; k++) {
        time_t t = cr_file_mtime(s->in.p[k]);
        if (t == 0) continue;
        if (t > oldest_out) {
            snprintf(why, n, "%.3000s is newer than its output", s->in.p[k]);
            return;
        }
    }
    for (int k = 0; k < s->out.n; k++) {
        recorded_reason(s->out.p[k], cmd, stamp, why, n);
        if (why[0]) return;
    }
    /* outputs that record no configuration (report/index.md): the stamp */
    char *old = read_file(s->stamp_path);
    if (old && strcmp(old, stamp)) snprintf(why, n, "its configuration changed");
    free(old);
}

static int run_stage(struct stage_run *s, int force, const struct cr_log *log, int *result)
{
    const struct cr_command *cmd = find_command(s->command);
    char *stamp = config_stamp(s->ctx.cfg, cmd);
    if (!stamp) return CR_ENOMEM;
    char why[4200];
    stale_reason(s, cmd, stamp, why, sizeof why);
    if (force && !why[0]) snprintf(why, sizeof why, "pipeline.force = yes");
    if (!why[0]) {
        cr_info(log, "pipeline: %s: up to date, skipped", s->label);
        *result = R_UPTODATE;
        free(stamp);
        return CR_OK;
    }
    if (!cmd) {
        cr_error(log,
                 "pipeline: stage %s must run (%s) but is not available in this build: there is no `cusprate %s` "
                 "command. Provide its output by other means or build the stage; stopping here.",
                 s->label, why, s->command);
        *result = R_UNAVAILABLE;
        free(stamp);
        return CR_ERR;
    }
    cr_info(log, "pipeline: %s: running (%s)", s->label, why);
    int rc = cmd->run(&s->ctx);
    if (rc) {
        cr_error(log, "pipeline: stage %s failed (%s)", s->label, cr_status_name(rc));
        *result = R_FAILED;
    } else {
        *result = R_RAN;
        write_stamp(s->stamp_path, stamp, log);
    }
    free(stamp);
    return rc;
}

/* ---- the command ------------------------------------------------------------------ */

static int parse_stages(const char *text, int *want, const struct cr_log *log)
{
    for (int k = 0; k < ST_N; k++) want[k] = 0;
    char *copy = cr_strdup(text ? text : "");
    if (!copy) return CR_ENOMEM;
    char *save = NULL;
    int rc = CR_OK;
    for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
        int found = 0;
        for (int k = 0; k < ST_N; k++)
            if (!strcmp(tok, stage_names[k])) want[k] = found = 1;
        if (!found) {
            cr_error(log, "pipeline.stages: unknown stage '%s' (allowed: mhd, flux, particles, fly, rate, report)", tok);
            rc = CR_ECONFIG;
        }
    }
    free(copy);
    return rc;
}

static int split_flybys(const struct cr_config *cfg, struct plist *l, const struct cr_log *log)
{
    const char *text = cr_config_string(cfg, "pipeline", "flybys");
    char *copy = cr_strdup(text ? text : "");
    if (!copy) return CR_ENOMEM;
    char *save = NULL;
    int rc = CR_OK;
    for (char *tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ' || *tok == '\t' || *tok == '\n') tok++;
        size_t len = strlen(tok);
        while (len && (tok[len - 1] == ' ' || tok[len - 1] == '\t' || tok[len - 1] == '\n')) tok[--len] = '\0';
        if (!len) continue;
        char path[4096];
        if (cr_path_join(path, sizeof path, cr_config_dir(cfg), tok)) rc = CR_ECONFIG;
        else if (!cr_file_exists(path)) {
            cr_error(log, "pipeline.flybys: %s does not exist", path);
            rc = CR_ECONFIG;
        } else rc = plist_add(l, path);
    }
    free(copy);
    return rc;
}

/* The fly stage for one flyby file: the run file, the flyby file over it,
 * then the run's launch time (launch not NaN) and the MLT sector centre (mlt
 * not NULL: flyby.mlt set, name suffixed _mlt<centre>). */
static int run_fly(const struct cr_cmd_ctx *ctx, const char *flyby, const double *mlt, double launch,
                   const char *parts, const char *stamps, int force, char *label, size_t nlabel, int *res)
{
    const struct cr_log *log = ctx->log;
    struct cr_config *fc = cr_config_new_all(log);
    if (!fc) return CR_ENOMEM;
    int rc = ctx->ini_path ? cr_config_load(fc, ctx->ini_path) : CR_OK;
    if (!rc) rc = cr_config_load(fc, flyby);
    /* the command line's section.key=value overrides win over both files */
    if (!rc) rc = cr_config_copy_overrides(fc, ctx->cfg);
    char name[256], ov[320];
    if (!rc) {
        const char *nm = schema_has("flyby", "name") ? cr_config_string(fc, "flyby", "name") : "";
        if (nm && *nm) snprintf(name, sizeof name, "%s", nm);
        else cr_path_stem(flyby, name, sizeof name);
    }
    if (!rc && !isnan(launch)) {
        snprintf(ov, sizeof ov, "flyby.launch_time=%.17g", launch);
        rc = cr_config_override(fc, ov);
    }
    if (!rc && mlt) {
        size_t len = strlen(name);
        snprintf(name + len, sizeof name - len, "_mlt%g", *mlt);
        snprintf(ov, sizeof ov, "flyby.mlt=%.17g", *mlt);
        rc = cr_config_override(fc, ov);
        snprintf(ov, sizeof ov, "flyby.name=%s", name);
        if (!rc) rc = cr_config_override(fc, ov);
    }
    if (!rc) rc = cr_config_check_required(fc);
    if (!rc) {
        struct stage_run s = {.command = "fly", .ctx = *ctx};
        snprintf(label, nlabel, "fly %s", name);
        s.label = label;
        s.ctx.cfg = fc;
        s.ctx.ini_path = flyby;
        s.ctx.argc = 0;
        s.ctx.argv = NULL;
        char out[4400];
        /* forward: the protons of particles.h5; backward: the MHD slices */
        if (schema_has("flyby", "method") && cr_config_choice(fc, "flyby", "method") == 1) {
            const char *mf = schema_has("particles", "mhd_file") ? cr_config_path(fc, "particles", "mhd_file") : "";
            char mhd[4400];
            if (mf && *mf) snprintf(mhd, sizeof mhd, "%s", mf);
            else snprintf(mhd, sizeof mhd, "%s/mhd.h5", ctx->run_dir);
            plist_add(&s.in, mhd);
        } else {
            plist_add(&s.in, parts);
        }
        plist_add(&s.in, flyby);
        snprintf(out, sizeof out, "%s/%s.spectrogram.nc", ctx->run_dir, name);
        plist_add(&s.out, out);
        snprintf(s.stamp_path, sizeof s.stamp_path, "%s/fly_%s.ini", stamps, name);
        rc = run_stage(&s, force, log, res);
        plist_free(&s.in);
        plist_free(&s.out);
    }
    cr_config_release(fc);
    return rc;
}

int cr_cmd_pipeline(struct cr_cmd_ctx *ctx)
{
    const struct cr_log *log = ctx->log;
    struct cr_config *cfg = ctx->cfg;
    int want[ST_N];
    int rc = parse_stages(cr_config_string(cfg, "pipeline", "stages"), want, log);
    if (rc) return rc;
    const int force = cr_config_bool(cfg, "pipeline", "force");
    struct plist flybys = {0};
    rc = split_flybys(cfg, &flybys, log);
    if (rc) {
        plist_free(&flybys);
        return rc;
    }
    if (want[ST_FLY] && flybys.n == 0)
        cr_warn(log, "pipeline: no flyby files in pipeline.flybys: the fly stage has nothing to do");
    char lockpath[4200];
    if ((rc = cr_run_path(ctx, ".cusprate.lock", lockpath, sizeof lockpath))) { /* the folder is ours for the run */
        plist_free(&flybys);
        return rc;
    }
    char stamps[4200];
    snprintf(stamps, sizeof stamps, "%.4096s/.pipeline", ctx->run_dir);
    if ((rc = cr_mkdir_p(stamps, log))) {
        plist_free(&flybys);
        return rc;
    }
    char mhd[4200], flux[4200], parts[4200], index[4300];
    snprintf(mhd, sizeof mhd, "%s/mhd.h5", ctx->run_dir);
    snprintf(flux, sizeof flux, "%s/flux.nc", ctx->run_dir);
    snprintf(parts, sizeof parts, "%s/particles.h5", ctx->run_dir);
    snprintf(index, sizeof index, "%s/report/index.md", ctx->run_dir);
    /* summary rows */
    enum { MAXROWS = 64 };
    char row_label[MAXROWS][300];
    int row_result[MAXROWS], nrow = 0, stopped = 0;

#define ROW(label_, result_)                                                          \
    do {                                                                              \
        if (nrow < MAXROWS) {                                                         \
            snprintf(row_label[nrow], sizeof row_label[nrow], "%s", (label_));         \
            row_result[nrow++] = (result_);                                           \
        }                                                                             \
    } while (0)

    for (int st = 0; st < ST_N && !rc; st++) {
        if (!want[st]) continue;
        if (st == ST_FLY) {
            size_t nsec = 0;
            const double *sec = cr_config_reals(cfg, "pipeline", "mlt_sectors", &nsec);
            const double launch = cr_config_real(cfg, "pipeline", "launch_time");
            for (int f = 0; f < flybys.n && !rc; f++)
                for (size_t q = 0; q < (nsec > 0 ? nsec : 1) && !rc; q++) {
                    char label[300] = "";
                    int res = R_NOT_REACHED;
                    rc = run_fly(ctx, flybys.p[f], nsec > 0 ? &sec[q] : NULL, launch, parts, stamps, force, label,
                                 sizeof label, &res);
                    if (label[0]) ROW(label, res); /* the stage was reached */
                }
            continue;
        }
        struct stage_run s = {.label = stage_names[st], .command = stage_names[st], .ctx = *ctx};
        s.ctx.argc = 0;
        s.ctx.argv = NULL;
        snprintf(s.stamp_path, sizeof s.stamp_path, "%s/%s.ini", stamps, stage_names[st]);
        char **list = NULL;
        int nl = 0;
        switch (st) {
        case ST_MHD:
            plist_add(&s.out, mhd);
            break;
        case ST_FLUX:
            plist_add(&s.in, mhd);
            plist_add(&s.out, flux);
            break;
        case ST_PARTICLES:
            plist_add(&s.in, mhd);
            plist_add(&s.out, parts);
            break;
        case ST_RATE:
            list = cr_rate_inputs(cfg, ctx->run_dir, &nl, log);
            plist_add_list(&s.in, list);
            for (int k = 0; k < nl; k++) {
                char out[4200];
                if (cr_rate_output_for(list[k], ctx->run_dir, out, sizeof out) == CR_OK) plist_add(&s.out, out);
            }
            cr_lw_free_list(list);
            break;
        case ST_REPORT:
            plist_add(&s.in, flux);
            list = cr_lw_list_dir(ctx->run_dir, ".rate.nc", &nl);
            plist_add_list(&s.in, list);
            cr_lw_free_list(list);
            plist_add(&s.out, index);
            break;
        default:
            break;
        }
        int res = R_NOT_REACHED;
        rc = run_stage(&s, force, log, &res);
        ROW(stage_names[st], res);
        plist_free(&s.in);
        plist_free(&s.out);
    }
    if (rc) stopped = 1;

    /* what was not reached */
    int seen_fail = 0;
    for (int st = 0; st < ST_N; st++) {
        if (!want[st]) continue;
        int listed = 0;
        for (int r = 0; r < nrow; r++)
            if (!strncmp(row_label[r], stage_names[st], strlen(stage_names[st]))) listed = 1;
        if (!listed && stopped) {
            seen_fail = 1;
            ROW(stage_names[st], R_NOT_REACHED);
        }
    }
    (void)seen_fail;
    printf("pipeline summary (%s):\n", ctx->run_dir);
    for (int r = 0; r < nrow; r++) printf("  %-32s %s\n", row_label[r], result_names[row_result[r]]);
    if (!rc && want[ST_REPORT]) printf("report: %s (and index.html)\n", index);
    fflush(stdout);
#undef ROW
    plist_free(&flybys);
    return rc;
}
