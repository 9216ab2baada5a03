/* test_config.c — the configuration schema, INI loading and the CLI's
 * handling of bad input: every class of error names the file, line and key,
 * exits with status 2 and writes nothing. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../core/cr_cli.h"
#include "../core/cr_common.h"
#include "../core/cr_config.h"
#include "helpers.h"

static const struct cr_key test_keys[] = {
    {.section = "t", .name = "n", .type = CR_KEY_INT, .unit = "", .def = "8", .min = 2, .max = 100,
     .doc = "a count"},
    {.section = "t", .name = "x", .type = CR_KEY_REAL, .unit = "R_E", .def = "1.5", .min = 0, .max = 10,
     .flags = CR_KEY_MIN_OPEN, .doc = "a length"},
    {.section = "t", .name = "flag", .type = CR_KEY_BOOL, .unit = "", .def = "no", .doc = "a switch"},
    {.section = "t", .name = "solver", .type = CR_KEY_CHOICE, .unit = "", .def = "hlld", .choices = "hlld|hlle",
     .doc = "a choice"},
    {.section = "t", .name = "file", .type = CR_KEY_PATH, .unit = "", .def = "", .doc = "a path"},
    {.section = "t", .name = "list", .type = CR_KEY_REALS, .unit = "eV", .def = "1, 2, 3", .min = 0, .max = 1e6,
     .flags = CR_KEY_MIN_OPEN, .doc = "a table", .min_count = 2},
    {.section = "u", .name = "name", .type = CR_KEY_STRING, .unit = "", .def = "abc", .doc = "a name"},
    CR_KEY_END,
};

static struct cr_config *make_cfg(FILE *logf, struct cr_log *log)
{
    log->level = CR_LEVEL_INFO;
    log->stream = logf;
    log->no_timestamps = 1;
    const struct cr_key *tabs[] = {test_keys};
    return cr_config_new(tabs, 1, log);
}

Test(config, defaults_and_types)
{
    struct cr_log log;
    struct cr_config *cfg = make_cfg(stderr, &log);
    cr_assert_not_null(cfg);
    cr_assert_eq(cr_config_int(cfg, "t", "n"), 8);
    cr_assert_float_eq(cr_config_real(cfg, "t", "x"), 1.5, 0);
    cr_assert_eq(cr_config_bool(cfg, "t", "flag"), false);
    cr_assert_eq(cr_config_choice(cfg, "t", "solver"), 0);
    size_t n;
    const double *l = cr_config_reals(cfg, "t", "list", &n);
    cr_assert_eq(n, 3);
    cr_assert_float_eq(l[2], 3.0, 0);
    cr_assert_str_eq(cr_config_origin(cfg, "t", "n"), "default");
    cr_config_release(cfg);
}

/* A file loaded over another overrides its values (the pipeline lays a
 * flyby file over the run file); within one file a repeat is an error. */
Test(config, later_file_overrides_earlier)
{
    struct cr_log log;
    struct cr_config *cfg = make_cfg(stderr, &log);
    cr_assert_eq(cr_config_load_string(cfg, "[t]\nn = 12\nlist = 1, 2\n", "run.ini"), CR_OK);
    cr_assert_eq(cr_config_load_string(cfg, "[t]\nn = 14\nlist = 5\n  6 7\n", "flyby.ini"), CR_OK);
    cr_assert_eq(cr_config_int(cfg, "t", "n"), 14);
    size_t n;
    const double *l = cr_config_reals(cfg, "t", "list", &n);
    cr_assert_eq(n, 3);
    cr_assert_float_eq(l[0], 5.0, 0);
    cr_assert_str_eq(cr_config_origin(cfg, "t", "n"), "flyby.ini:2");
    cr_assert_eq(cr_config_load_string(cfg, "[t]\nn = 1\nn = 2\n", "again.ini"), CR_ECONFIG);
    cr_config_release(cfg);
}

/* Parts of the INI text for stamps: sections kept or skipped, single keys
 * skipped, blank lines kept only when asked. */
Test(config, ini_select_sections_and_keys)
{
    struct cr_log log;
    struct cr_config *cfg = make_cfg(stderr, &log);
    static const char *const only_t[] = {"t", NULL}, *const skip_x[] = {"t.x", NULL}, *const skip_t[] = {"t", NULL};
    char *a = cr_config_ini_select(cfg, only_t, skip_x, 0);
    cr_assert_not_null(a);
    cr_assert(strstr(a, "[t]\n") && strstr(a, "\nn = 8") && strstr(a, "\nlist = "), "%s", a);
    cr_assert_null(strstr(a, "\nx = "), "%s", a);
    cr_assert_null(strstr(a, "[u]"), "%s", a);
    cr_assert_null(strstr(a, "\n\n"), "%s", a);
    char *b = cr_config_ini_select(cfg, NULL, skip_t, 1);
    cr_assert_not_null(b);
    cr_assert(strstr(b, "[u]\nname = ") && !strstr(b, "[t]"), "%s", b);
    free(a);
    free(b);
    cr_config_release(cfg);
}

Test(config, load_string_overrides_and_paths)
{
    struct cr_log log;
    struct cr_config *cfg = make_cfg(stderr, &log);
    const char *ini = "[t]\nn = 12\nx = 2.5 ; inline comment\nflag = yes\nsolver = hlle\nfile = data/a.h5\n"
                      "list = 10, 20\n  30 40\n[u]\nname = \"quoted value\"\n";
    cr_assert_eq(cr_config_load_string(cfg, ini, "runs/test.ini"), CR_OK);
    cr_assert_eq(cr_config_int(cfg, "t", "n"), 12);
    cr_assert_float_eq(cr_config_real(cfg, "t", "x"), 2.5, 0);
    cr_assert(cr_config_bool(cfg, "t", "flag"));
    cr_assert_str_eq(cr_config_choice_name(cfg, "t", "solver"), "hlle");
    cr_assert_str_eq(cr_config_path(cfg, "t", "file"), "runs/data/a.h5");
    size_t n;
    const double *l = cr_config_reals(cfg, "t", "list", &n);
    cr_assert_eq(n, 4, "continuation lines append to lists (got %zu)", n);
    cr_assert_float_eq(l[3], 40.0, 0);
    cr_assert_str_eq(cr_config_string(cfg, "u", "name"), "quoted value");
    cr_assert_str_eq(cr_config_origin(cfg, "t", "x"), "runs/test.ini:3");
    cr_assert_eq(cr_config_override(cfg, "t.n=50"), CR_OK);
    cr_assert_eq(cr_config_int(cfg, "t", "n"), 50);
    cr_assert_str_eq(cr_config_origin(cfg, "t", "n"), "command line");
    char *txt = cr_config_to_ini(cfg);
    cr_assert_not_null(txt);
    cr_assert(strstr(txt, "[t]\n") && strstr(txt, "n = 50 ;") && strstr(txt, "x = 2.5 ; R_E"), "%s", txt);
    cr_assert(strstr(txt, "list = 10, 20, 30 40 ; eV"), "every list item is kept in the text: %s", txt);
    free(txt);
    cr_config_release(cfg);
}

/* Each bad input: status CR_ECONFIG and a message naming file:line and key. */
static void expect_bad(const char *ini, const char *want1, const char *want2)
{
    FILE *logf = tmpfile();
    struct cr_log log;
    struct cr_config *cfg = make_cfg(logf, &log);
    int rc = cr_config_load_string(cfg, ini, "bad.ini");
    char buf[4096] = "";
    rewind(logf);
    size_t got = fread(buf, 1, sizeof buf - 1, logf);
    buf[got] = '\0';
    fclose(logf);
    cr_assert_eq(rc, CR_ECONFIG, "expected config error for:\n%s", ini);
    cr_assert(strstr(buf, want1), "message lacks '%s': %s", want1, buf);
    if (want2) cr_assert(strstr(buf, want2), "message lacks '%s': %s", want2, buf);
    cr_config_release(cfg);
}

Test(config, bad_inputs_name_file_line_key)
{
    expect_bad("[t]\nn = 4\nbogus = 1\n", "bad.ini:3", "t.bogus");
    expect_bad("[t]\nn = four\n", "bad.ini:2", "t.n");
    expect_bad("[t]\nn = 1000\n", "bad.ini:2", "[2, 100]");
    expect_bad("[t]\nx = 0\n", "t.x", "(0, 10]");
    expect_bad("[t]\nsolver = roe\n", "t.solver", "hlld|hlle");
    expect_bad("[t]\nflag = maybe\n", "t.flag", "true/false");
    expect_bad("[nope]\nn = 1\n", "bad.ini:2", "[nope]");
    expect_bad("[t]\nn = 4\nthis line has no equals sign\n", "bad.ini:3", "syntax error");
    expect_bad("[t]\nn = 4\nn = 5\n", "bad.ini:3", "given twice");
    expect_bad("[t]\nlist = 1, -2\n", "t.list", "list item");
    expect_bad("[t]\nx = nan\n", "t.x", "not a finite");
}

Test(config, over_long_line_is_an_error)
{
    char ini[1024] = "[t]\nlist = 1";
    for (int i = 0; i < 120; i++) strcat(ini, ", 2");
    strcat(ini, "\n");
    expect_bad(ini, "bad.ini:2", "longer than");
}

Test(config, missing_file)
{
    FILE *logf = tmpfile();
    struct cr_log log;
    struct cr_config *cfg = make_cfg(logf, &log);
    cr_assert_eq(cr_config_load(cfg, "/nonexistent/dir/x.ini"), CR_ECONFIG);
    char buf[1024] = "";
    rewind(logf);
    size_t got = fread(buf, 1, sizeof buf - 1, logf);
    buf[got] = '\0';
    fclose(logf);
    cr_assert(strstr(buf, "/nonexistent/dir/x.ini"), "%s", buf);
    cr_config_release(cfg);
}

Test(config, bad_override)
{
    FILE *logf = tmpfile();
    struct cr_log log;
    struct cr_config *cfg = make_cfg(logf, &log);
    cr_assert_eq(cr_config_override(cfg, "t.n=1"), CR_ECONFIG);
    cr_assert_eq(cr_config_override(cfg, "t.zz=1"), CR_ECONFIG);
    cr_assert_eq(cr_config_override(cfg, "nonsense"), CR_ECONFIG);
    fclose(logf);
    cr_config_release(cfg);
}

/* ---- the CLI: exit status 2, the key in the message, nothing written ---- */

Test(cli, bad_input_classes_exit_2)
{
    char dir[256];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    struct {
        const char *ini;
        const char *want;
    } cases[] = {
        {"[run]\nthreads = -3\n", "run.threads"},
        {"[run]\nthredas = 2\n", "run.thredas"},
        {"[run]\nthreads = two\n", "run.threads"},
        {"[run]\nlog_level = loud\n", "run.log_level"},
        {"[run\nthreads = 1\n", "syntax error"},
    };
    for (size_t c = 0; c < CR_ARRAY_LEN(cases); c++) {
        char ini[512], outdir[512], cmd[2048];
        snprintf(ini, sizeof ini, "%s/case%zu.ini", dir, c);
        snprintf(outdir, sizeof outdir, "%s/out%zu", dir, c);
        helper_write_file(ini, cases[c].ini);
        char out[8192];
        snprintf(cmd, sizeof cmd, "config %s run.dir=%s", ini, outdir);
        int st = helper_run_cli(cmd, out, sizeof out);
        cr_assert_eq(st, 2, "case %zu: exit %d, output: %s", c, st, out);
        cr_assert(strstr(out, cases[c].want), "case %zu: message lacks '%s': %s", c, cases[c].want, out);
        cr_assert(strstr(out, ini) || c == 99, "case %zu: message lacks the file name: %s", c, out);
        struct stat sb;
        cr_assert(stat(outdir, &sb) != 0, "case %zu: output folder was created", c);
    }
    /* an override with a path value is an override, not a positional argument */
    char out0[8192], cmd0[1024];
    snprintf(cmd0, sizeof cmd0, "config /dev/null run.dir=%s/elsewhere", dir);
    cr_assert_eq(helper_run_cli(cmd0, out0, sizeof out0), 0, "%s", out0);
    cr_assert(strstr(out0, "/elsewhere") && strstr(out0, "command line"), "%s", out0);
    char out[8192];
    int st = helper_run_cli("config /nonexistent/file.ini", out, sizeof out);
    cr_assert_eq(st, 2);
    cr_assert(strstr(out, "/nonexistent/file.ini"), "%s", out);
    st = helper_run_cli("config /dev/null run.threads=100000", out, sizeof out);
    cr_assert_eq(st, 2);
    cr_assert(strstr(out, "run.threads"), "%s", out);
    st = helper_run_cli("nosuchcommand", out, sizeof out);
    cr_assert_eq(st, 2);
    helper_rm_rf(dir);
}

/* Every argument after FILE.ini is a section.key=value override or an
 * error: mistyped overrides are refused with a hint, never dropped; a
 * folder is not a parameter file; a list key written twice is the key
 * given twice (only indented lines continue a list). Exit 2, nothing
 * written. */
Test(cli, mistyped_overrides_and_repeated_list_keys_are_refused)
{
    char dir[256], ini[512], out[8192], cmd[2048];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(ini, sizeof ini, "%s/w.ini", dir);
    helper_write_file(ini, "[wind]\nbz = -5\n");
    struct {
        const char *args, *want;
    } cases[] = {
        {"wind.bz = -10", "without spaces"},
        {"wind.bz:-10", "not an override"},
        {"n=5", "not an override"},
        {"wind.n", "unexpected argument 'wind.n'"},
        {"other.ini", "second parameter file"},
    };
    for (size_t c = 0; c < CR_ARRAY_LEN(cases); c++) {
        snprintf(cmd, sizeof cmd, "config %s run.dir=%s/out %s", ini, dir, cases[c].args);
        int st = helper_run_cli(cmd, out, sizeof out);
        cr_assert_eq(st, 2, "'%s': exit %d: %s", cases[c].args, st, out);
        cr_assert(strstr(out, cases[c].want), "'%s': message lacks '%s': %s", cases[c].args, cases[c].want, out);
    }
    snprintf(cmd, sizeof cmd, "config %s", dir);
    cr_assert_eq(helper_run_cli(cmd, out, sizeof out), 2, "a folder as FILE.ini: %s", out);
    cr_assert(strstr(out, "a folder"), "%s", out);
    /* a list key twice: refused with both lines; an indented continuation appends */
    helper_write_file(ini, "[wind]\nbz_steps = -10\nbz_steps = -20\n");
    snprintf(cmd, sizeof cmd, "config %s", ini);
    cr_assert_eq(helper_run_cli(cmd, out, sizeof out), 2, "%s", out);
    cr_assert(strstr(out, ":3: key 'wind.bz_steps' given twice (first at line 2)"), "%s", out);
    helper_write_file(ini, "[wind]\nbz_steps = -10\n    -20\n");
    static char all[1 << 19]; /* the whole resolved configuration */
    cr_assert_eq(helper_run_cli(cmd, all, sizeof all), 0, "%s", all);
    const char *line = strstr(all, "\nbz_steps ");
    cr_assert(line && strstr(line, "-10, -20"), "bz_steps not -10, -20");
    char outdir[512];
    snprintf(outdir, sizeof outdir, "%s/out", dir);
    struct stat sb;
    cr_assert(stat(outdir, &sb) != 0, "a refused command created %s", outdir);
    helper_rm_rf(dir);
}

/* Two cusprate processes never write into one run folder: while another
 * process holds the folder's lock (here the test itself, as PID 4242) a
 * command that would write there exits 2 naming the holder and writes
 * nothing; once the lock is released the same command runs, and removes
 * the temporaries that killed runs left. */
Test(cli, a_busy_run_folder_is_refused)
{
    char dir[256], ini[512], out[8192], cmd[2048], lock[600], grid[600];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(ini, sizeof ini, "%s/g.ini", dir);
    helper_write_file(ini, "[grid]\nkind = cartesian\nni = 4\nnj = 4\nnk = 4\n");
    snprintf(lock, sizeof lock, "%s/.cusprate.lock", dir);
    snprintf(grid, sizeof grid, "%s/grid.h5", dir);
    int fd = open(lock, O_RDWR | O_CREAT, 0644);
    cr_assert(fd >= 0);
    cr_assert_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
    cr_assert_eq(write(fd, "4242 other.ini\n", 15), 15);
    snprintf(cmd, sizeof cmd, "grid %s run.dir=%s", ini, dir);
    cr_assert_eq(helper_run_cli(cmd, out, sizeof out), 2, "%s", out);
    cr_assert(strstr(out, "in use") && strstr(out, "4242 other.ini"), "%s", out);
    struct stat sb;
    cr_assert(stat(grid, &sb) != 0, "a refused command wrote %s", grid);
    close(fd); /* released */
    /* temporaries a killed run left (its process gone) are removed by the next
       holder of the lock, in the folder and one level down; a living
       process's are kept */
    pid_t dead; /* a process that has ended: /bin/true, reaped */
    char *targv[] = {"true", NULL};
    cr_assert_eq(posix_spawn(&dead, "/bin/true", NULL, NULL, targv, NULL), 0);
    waitpid(dead, NULL, 0);
    char t1[700], t2[700], t3[700], sub[600];
    snprintf(sub, sizeof sub, "%s/mhd_slices.0", dir);
    cr_assert_eq(mkdir(sub, 0755), 0);
    snprintf(t1, sizeof t1, "%s/.mhd.h5.tmp.%ld", dir, (long)dead);
    snprintf(t2, sizeof t2, "%s/.step_000003.h5.tmp.%ld", sub, (long)dead);
    snprintf(t3, sizeof t3, "%s/.flux.nc.tmp.%ld", dir, (long)getpid());
    helper_write_file(t1, "x");
    helper_write_file(t2, "x");
    helper_write_file(t3, "x");
    cr_assert_eq(helper_run_cli(cmd, out, sizeof out), 0, "%s", out);
    cr_assert(stat(grid, &sb) == 0, "grid.h5 not written after the release");
    cr_assert(stat(t1, &sb) != 0 && stat(t2, &sb) != 0, "a dead run's temporaries were kept: %s", out);
    cr_assert(stat(t3, &sb) == 0, "a living process's temporary was removed");
    helper_rm_rf(dir);
}

Test(cli, version_help_and_config_print)
{
    char out[65536];
    cr_assert_eq(helper_run_cli("--version", out, sizeof out), 0);
    cr_assert(strstr(out, "cusprate 0.") && strstr(out, "git") && strstr(out, "flags"), "%s", out);
    cr_assert_eq(helper_run_cli("--help", out, sizeof out), 0);
    cr_assert(strstr(out, "config"), "%s", out);
    cr_assert_eq(helper_run_cli("config --help", out, sizeof out), 0);
    cr_assert(strstr(out, "usage: cusprate config"), "%s", out);
    cr_assert_eq(helper_run_cli("config /dev/null run.threads=3", out, sizeof out), 0);
    cr_assert(strstr(out, "threads") && strstr(out, "command line"), "%s", out);
}
