/* cr_script.c — find and run the figure scripts (see cr_script.h). */
#include "cr_script.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cr_common.h"
#include "cr_file.h"

static int find_script(const struct cr_config *cfg, const char *section, const char *name, char *buf, size_t n)
{
    const char *cfgp = cr_config_path(cfg, section, "script");
    if (cfgp && *cfgp) {
        snprintf(buf, n, "%s", cfgp);
        return cr_file_exists(buf) ? CR_OK : CR_ECONFIG;
    }
    const char *root = getenv("CUSPRATE_ROOT");
    if (root && *root) {
        snprintf(buf, n, "%.3900s/tools/%.100s", root, name);
        if (cr_file_exists(buf)) return CR_OK;
    }
    snprintf(buf, n, "tools/%.100s", name);
    if (cr_file_exists(buf)) return CR_OK;
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        const char *up[] = {"..", "../..", "../../.."};
        for (size_t k = 0; k < CR_ARRAY_LEN(up); k++) {
            snprintf(buf, n, "%.3800s/%s/tools/%.100s", exe, up[k], name);
            if (cr_file_exists(buf)) return CR_OK;
        }
    }
    return CR_ECONFIG;
}

/* Run PYTHON SCRIPT INPUT OUTDIR; returns the exit status (or -1). */
static int run_script(const char *python, const char *script, const char *input, const char *outdir,
                      const struct cr_log *log)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        cr_warn(log, "cannot start %s: %s", python, strerror(errno));
        return -1;
    }
    if (pid == 0) {
        char *argv[] = {(char *)python, (char *)script, (char *)input, (char *)outdir, NULL};
        execvp(python, argv);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int cr_script_figures(const struct cr_config *cfg, const char *section, const char *name, const char *input,
                      const char *outdir, char *note, size_t n, const struct cr_log *log)
{
    char script[4096];
    const char *py = cr_config_string(cfg, section, "python");
    if (!py || !*py) py = getenv("PYTHON");
    if (!py || !*py) py = "/usr/bin/python3";
    if (find_script(cfg, section, name, script, sizeof script)) {
        snprintf(note, n, "figures skipped: tools/%.100s not found (set %.60s.script)", name, section);
        return 0;
    }
    int st = run_script(py, script, input, outdir, log);
    if (st == 0) return 1;
    if (st == 3) snprintf(note, n, "figures skipped: %.800s has no matplotlib/netCDF4 (see `make deps`)", py);
    else if (st == 127 || st < 0) snprintf(note, n, "figures skipped: cannot run %.900s", py);
    else snprintf(note, n, "figures skipped: %.200s %.700s failed (exit status %d)", py, script, st);
    return 0;
}
