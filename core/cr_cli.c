/* cr_cli.c — the command line: `cusprate COMMAND [FILE.ini] [section.key=value ...]`.
 * Parses arguments, loads and validates the configuration, resolves the run
 * folder and dispatches to the command; maps statuses to exit codes
 * (0 ok, 2 configuration or input error, 1 other failure). */
#include "cr_cli.h"
#include "cr_par.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gsl/gsl_errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "cr_common.h"
#include "cr_epoch.h"
#include "cr_file.h"
#include "cr_h5.h"
#include "cr_version.h"

const struct cr_key cr_run_keys[] = {
    {.section = "run", .name = "name", .type = CR_KEY_STRING, .unit = "", .def = "",
     .doc = "name of the run (recorded in every output; default: the INI file's stem)"},
    {.section = "run", .name = "dir", .type = CR_KEY_PATH, .unit = "", .def = "",
     .doc = "output folder (relative to the INI file); default out/<INI stem> under the current folder"},
    {.section = "run", .name = "threads", .type = CR_KEY_INT, .unit = "", .def = "0", .min = 0, .max = 4096,
     .flags = CR_KEY_RANGED, .doc = "OpenMP threads (0 = OMP_NUM_THREADS or all cores)"},
    {.section = "run", .name = "log_level", .type = CR_KEY_CHOICE, .unit = "", .def = "info",
     .choices = "error|warn|info|debug", .doc = "messages printed on stderr"},
    {.section = "run", .name = "epoch", .type = CR_KEY_STRING, .unit = "UTC", .def = CR_EPOCH_DEFAULT,
     .doc = "UT of simulation time t = 0 (ISO 8601, YYYY-MM-DDTHH:MM:SSZ): per-step MJD in mhd.h5, CF time units "
            "'seconds since <epoch>', the driver's MJD"},
    {.section = "run", .name = "progress", .type = CR_KEY_CHOICE, .unit = "", .def = "auto",
     .choices = "auto|always|never", .doc = "progress line: auto = only on a terminal"},
    CR_KEY_END,
};

struct cr_config *cr_config_new_all(const struct cr_log *log)
{
    return cr_config_new(cr_schema_tables, (size_t)cr_nschema_tables, log);
}

void cr_run_dir_resolve(const struct cr_config *cfg, const char *ini_path, char *buf, size_t n)
{
    const char *dir = cr_config_path(cfg, "run", "dir");
    if (dir && *dir) {
        snprintf(buf, n, "%s", dir);
        return;
    }
    char stem[256] = "run";
    if (ini_path) cr_path_stem(ini_path, stem, sizeof stem);
    snprintf(buf, n, "out/%s", stem);
}

/* ".NAME.tmp.PID" (core/cr_file.h cr_tmp_name): the PID, else 0 */
static long tmp_owner(const char *name)
{
    if (name[0] != '.') return 0;
    const char *t = strstr(name, ".tmp.");
    if (!t || t == name) return 0;
    const char *p = t + 5;
    while (strstr(p, ".tmp.")) { /* the last ".tmp." */
        t = strstr(p, ".tmp.");
        p = t + 5;
    }
    if (!*p) return 0;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9') return 0;
    return strtol(p, NULL, 10);
}

/* With the folder's lock held no other cusprate writes there: temporaries of
 * processes that no longer exist are what killed runs left; remove them (in
 * the folder and its subfolders one level down). */
static void remove_dead_temporaries(const char *dir, int depth, const struct cr_log *log)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char path[4400];
        if (cr_path_join(path, sizeof path, dir, e->d_name)) continue;
        struct stat sb;
        if (lstat(path, &sb) != 0) continue;
        if (S_ISDIR(sb.st_mode)) {
            if (depth > 0) remove_dead_temporaries(path, depth - 1, log);
            continue;
        }
        long pid = tmp_owner(e->d_name);
        if (pid <= 0 || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* alive, or not ours to judge */
        if (unlink(path) == 0) cr_info(log, "removed %s, a temporary file left by a killed run (process %ld)", path, pid);
    }
    closedir(d);
}

int cr_run_lock(const struct cr_cmd_ctx *ctx, const char *dir)
{
    if (ctx->run_lock && *ctx->run_lock >= 0) return CR_OK;
    if (ctx->par.rank > 0) return CR_OK; /* an MPI run's folder is held by its rank 0 */
    char path[4200];
    if (cr_path_join(path, sizeof path, dir, ".cusprate.lock")) return CR_EIO;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
        /* fly, rate and report write beside the inputs they read: no folder, no inputs */
        cr_error(ctx->log, "%s: no such run folder (check [run] dir; the commands that make its inputs create it)",
                 dir);
        return CR_ECONFIG;
    }
    if (fd < 0) {
        cr_error(ctx->log, "%s: cannot create the run folder's lock: %s", path, strerror(errno));
        return CR_EIO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char who[256] = "";
        ssize_t k = pread(fd, who, sizeof who - 1, 0);
        who[k > 0 ? k : 0] = '\0';
        char *nl = strchr(who, '\n');
        if (nl) *nl = '\0';
        long pid = strtol(who, NULL, 10);
        close(fd);
        if (pid == (long)getpid()) return CR_OK; /* this process holds it through another context */
        cr_error(ctx->log, "%s is in use by another cusprate (%s): two runs writing into one folder would "
                           "delete each other's files; wait for it or give another [run] dir", dir,
                 who[0] ? who : "holder unknown");
        return CR_ECONFIG;
    }
    char line[300];
    int len = snprintf(line, sizeof line, "%ld %s\n", (long)getpid(), ctx->ini_path ? ctx->ini_path : "");
    if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)len, 0) != len)
        cr_warn(ctx->log, "%s: could not record the holder", path);
    if (ctx->run_lock) *ctx->run_lock = fd; /* kept open until the process ends */
    remove_dead_temporaries(dir, 1, ctx->log);
    return CR_OK;
}

int cr_run_path(const struct cr_cmd_ctx *ctx, const char *name, char *buf, size_t n)
{
    int rc = cr_mkdir_p(ctx->run_dir, ctx->log);
    if (rc) return rc;
    if ((rc = cr_run_lock(ctx, ctx->run_dir))) return rc;
    if (cr_path_join(buf, n, ctx->run_dir, name)) {
        cr_error(ctx->log, "%s/%s: path too long", ctx->run_dir, name);
        return CR_EIO;
    }
    return CR_OK;
}

int cr_cmd_config(struct cr_cmd_ctx *ctx)
{
    cr_config_print(ctx->cfg, stdout, NULL);
    return CR_OK;
}

static void usage(FILE *out)
{
    fprintf(out,
            "cusprate %s — dayside reconnection rate from cusp ion dispersions, checked against\n"
            "reconnected-flux accounting in a global MHD magnetosphere.\n\n"
            "usage: cusprate COMMAND FILE.ini [section.key=value ...]\n"
            "       cusprate bench WHAT [section.key=value ...]\n"
            "       cusprate COMMAND --help | cusprate --help | cusprate --version | cusprate keys\n\n"
            "commands:\n",
            cr_version());
    for (int i = 0; i < cr_ncommands; i++)
        fprintf(out, "  %-10s %-10s %s\n", cr_commands[i].name, cr_commands[i].args, cr_commands[i].summary);
    fprintf(out, "  %-10s %-10s %s", "bench", "WHAT", "run a benchmark and print its figures (WHAT: all");
    for (int i = 0; i < cr_nbenches; i++) fprintf(out, "|%s", cr_benches[i].name);
    fprintf(out, ")\n  %-10s %-10s %s\n", "keys", "", "print the configuration schema (every key) as Markdown");
    fprintf(out, "\nExit status: 0 success, 2 configuration or input-data error (nothing written), 1 other failure.\n");
}

static void command_help(const struct cr_command *c, const struct cr_log *log)
{
    printf("usage: cusprate %s %s [section.key=value ...]\n\n%s.\n\n%s\n", c->name, c->args, c->summary, c->help);
    struct cr_config *cfg = cr_config_new_all(log);
    if (!cfg) return;
    if (c->sections && c->sections[0]) {
        printf("\nKeys it reads (defaults shown):\n");
        cr_config_print(cfg, stdout, c->sections);
    }
    cr_config_release(cfg);
}

/* "section.key=value": identifier, dot, identifier, '=' (value may hold anything). */
static int is_ident_char(char c, int first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

static int is_override(const char *a)
{
    const char *p = a;
    if (!is_ident_char(*p, 1)) return 0;
    while (is_ident_char(*p, 0)) p++;
    if (*p++ != '.') return 0;
    if (!is_ident_char(*p, 1)) return 0;
    while (is_ident_char(*p, 0)) p++;
    return *p == '=';
}

static int run_command(const struct cr_command *c, int argc, char **argv, struct cr_log *log)
{
    /* argv[0] is the command name */
    const char *ini = NULL;
    char **pos = cr_zalloc((size_t)argc, sizeof *pos);
    int npos = 0;
    if (!pos) return 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            command_help(c, log);
            free(pos);
            return 0;
        }
    }
    for (int i = 1; i < argc; i++) {
        if (is_override(argv[i])) continue;
        if (c->needs_file && !ini) ini = argv[i];
        else pos[npos++] = argv[i];
    }
    if (c->needs_file && !ini) {
        cr_error(log, "cusprate %s: missing FILE.ini (usage: cusprate %s %s)", c->name, c->name, c->args);
        free(pos);
        return 2;
    }
    /* every other argument must be a section.key=value override: a mistyped
       one is refused, never dropped */
    int max_pos = c->needs_file ? 0 : 1;
    if (npos > max_pos) {
        const char *a = pos[max_pos];
        int k = max_pos + 1 < npos ? max_pos + 1 : -1;
        if (strchr(a, '=') || strchr(a, ':'))
            cr_error(log, "cusprate %s: '%s' is not an override: write section.key=value (a key of `cusprate keys`, "
                          "no spaces around '=')", c->name, a);
        else if (k > 0 && !strcmp(pos[k], "="))
            cr_error(log, "cusprate %s: '%s = ...': write overrides without spaces, as %s=VALUE", c->name, a, a);
        else if (strstr(a, ".ini"))
            cr_error(log, "cusprate %s: a second parameter file '%s' (one FILE.ini; override keys as "
                          "section.key=value)", c->name, a);
        else
            cr_error(log, "cusprate %s: unexpected argument '%s' (usage: cusprate %s %s [section.key=value ...])",
                     c->name, a, c->name, c->args);
        free(pos);
        return 2;
    }
    struct cr_config *cfg = cr_config_new_all(log);
    if (!cfg) { free(pos); return 1; }
    int rc = CR_OK;
    if (ini) rc = cr_config_load(cfg, ini);
    for (int i = 1; i < argc && rc == CR_OK; i++)
        if (is_override(argv[i])) rc = cr_config_override(cfg, argv[i]);
    if (rc == CR_OK) rc = cr_config_check_required(cfg);
    struct cr_epoch epoch;
    if (rc == CR_OK) rc = cr_epoch_from_config(cfg, &epoch, log);
    if (rc) {
        cr_config_release(cfg);
        free(pos);
        return cr_status_exit_code(rc);
    }
    log->level = (enum cr_log_level)cr_config_choice(cfg, "run", "log_level");
    {
        /* an MPI run speaks through rank 0; the others report warnings and errors */
        struct cr_par world;
        cr_par_world(&world);
        if (world.rank > 0 && log->level > CR_LEVEL_WARN) log->level = CR_LEVEL_WARN;
    }
#ifdef _OPENMP
    long threads = cr_config_int(cfg, "run", "threads");
    if (threads > 0) omp_set_num_threads((int)threads);
#endif
    int run_lock = -1;
    struct cr_cmd_ctx ctx = {.cfg = cfg, .log = log, .ini_path = ini, .argc = npos, .argv = pos, .run_lock = &run_lock};
    /* the processes of an MPI run: a parallel command (and `bench mhd`) shares
     * its work among them; any other runs on rank 0 alone */
    cr_par_world(&ctx.par);
    const int parallel = c->parallel || (!strcmp(c->name, "bench") && npos > 0 && !strcmp(pos[0], "mhd"));
    if (ctx.par.size > 1 && !parallel) {
        if (ctx.par.rank > 0) {
            cr_config_release(cfg);
            free(pos);
            return 0;
        }
        cr_info(log, "cusprate %s runs on one process (rank 0 of %d): only mhd, flux and particles share their work",
                c->name, ctx.par.size);
        ctx.par = (struct cr_par){.rank = 0, .size = 1, .comm = NULL};
    }
    cr_run_dir_resolve(cfg, ini, ctx.run_dir, sizeof ctx.run_dir);
    rc = c->run(&ctx);
    if (rc) cr_error(log, "cusprate %s: failed (%s)", c->name, cr_status_name(rc));
    if (run_lock >= 0) close(run_lock); /* releases the folder */
    cr_config_release(cfg);
    free(pos);
    return cr_status_exit_code(rc);
}

static int cmd_bench(struct cr_cmd_ctx *ctx)
{
    const char *what = ctx->argc > 0 ? ctx->argv[0] : "all";
    int found = 0, rc = CR_OK;
    for (int i = 0; i < cr_nbenches; i++) {
        if (strcmp(what, "all") && strcmp(what, cr_benches[i].name)) continue;
        found = 1;
        printf("== bench %s: %s\n", cr_benches[i].name, cr_benches[i].summary);
        fflush(stdout);
        int r = cr_benches[i].run(ctx);
        if (r) rc = r;
    }
    if (!found) {
        cr_error(ctx->log, "cusprate bench: unknown benchmark '%s' (allowed: all", what);
        for (int i = 0; i < cr_nbenches; i++) cr_error(ctx->log, "  %s: %s", cr_benches[i].name, cr_benches[i].summary);
        return CR_ECONFIG;
    }
    return rc;
}

static const char *const sec_none[] = {"run", NULL};
static const struct cr_command bench_command = {
    "bench", "WHAT", "run a benchmark and print its figures",
    "Runs the named benchmark (or all) and prints figures: cell-updates per second, particle-steps per "
    "second, point locations per second, peak memory. Configuration keys can be overridden as section.key=value.",
    sec_none, 0, cmd_bench, 0};

static int cli_main(int argc, char **argv);

int cr_cli_main(int argc, char **argv)
{
    struct cr_log log = {.level = CR_LEVEL_WARN, .stream = stderr};
    cr_h5_library_begin();
    int status = cli_main(argc, argv);
    cr_h5_library_end(&log);
    return status;
}

static int cli_main(int argc, char **argv)
{
    struct cr_log log = {.level = CR_LEVEL_INFO, .stream = stderr};
    /* GSL's default handler aborts; library code checks GSL's return codes. */
    gsl_set_error_handler_off();
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("%s\nbuild: %s\n", cr_version_full(), cr_version_build());
        return 0;
    }
    if (!strcmp(argv[1], "keys")) {
        struct cr_config *cfg = cr_config_new_all(&log);
        if (!cfg) return 1;
        printf("# cusprate configuration keys\n\nEvery key, its type and allowed range, unit, default and meaning. "
               "Generated by `cusprate keys`.\n");
        cr_config_print_schema(cfg, stdout);
        cr_config_release(cfg);
        return 0;
    }
    if (!strcmp(argv[1], "bench")) return run_command(&bench_command, argc - 1, argv + 1, &log);
    for (int i = 0; i < cr_ncommands; i++)
        if (!strcmp(argv[1], cr_commands[i].name)) return run_command(&cr_commands[i], argc - 1, argv + 1, &log);
    cr_error(&log, "unknown command '%s' (see cusprate --help)", argv[1]);
    return 2;
}
