/* cr_progress.c — terminal progress line (see cr_progress.h). */
#include "cr_progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cr_common.h"
#include "cr_sys.h"

struct cr_progress {
    char label[64];
    char unit[32];
    double total;
    FILE *out;
    int visible;
    int drawn;
    double t0, last;
};

struct cr_progress *cr_progress_new(const struct cr_progress_inp *inp)
{
    struct cr_progress *p = cr_zalloc(1, sizeof *p);
    if (!p) return NULL;
    snprintf(p->label, sizeof p->label, "%s", inp->label ? inp->label : "");
    snprintf(p->unit, sizeof p->unit, "%s", inp->unit ? inp->unit : "");
    p->total = inp->total;
    p->out = cr_log_stream(inp->log);
    if (inp->force > 0)
        p->visible = 1;
    else if (inp->force < 0)
        p->visible = 0;
    else
        p->visible = isatty(fileno(p->out));
    p->t0 = cr_wtime();
    p->last = -1e30;
    return p;
}

int cr_progress_visible(const struct cr_progress *p) { return p && p->visible; }

static void fmt_time(double s, char *buf, size_t n)
{
    if (!(s >= 0) || s > 1e8) { snprintf(buf, n, "--"); return; }
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, n, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    else if (t >= 60) snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
    else snprintf(buf, n, "%lds", t);
}

void cr_progress_update(struct cr_progress *p, double done, const char *extra)
{
    if (!p || !p->visible) return;
    double t = cr_wtime();
    int final = done >= p->total;
    if (!final && t - p->last < 0.25) return;
    p->last = t;
    double el = t - p->t0;
    double frac = p->total > 0 ? done / p->total : 0;
    double rate = el > 0 ? done / el : 0;
    char eta[32], ela[32];
    fmt_time(rate > 0 ? (p->total - done) / rate : -1, eta, sizeof eta);
    fmt_time(el, ela, sizeof ela);
    fprintf(p->out, "\r%s %5.1f%% %.4g/%.4g %s  %.3g %s/s  elapsed %s  ETA %s  %s\033[K", p->label,
            100 * frac, done, p->total, p->unit, rate, p->unit, ela, eta, extra ? extra : "");
    fflush(p->out);
    p->drawn = 1;
}

void cr_progress_release(struct cr_progress *p)
{
    if (!p) return;
    if (p->drawn) {
        fputc('\n', p->out);
        fflush(p->out);
    }
    free(p);
}
