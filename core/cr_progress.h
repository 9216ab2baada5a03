/* cr_progress.h — a progress line for long loops: fraction done, rate, ETA.
 *
 * Drawn on one terminal line (carriage return), at most a few times per
 * second, and only when the stream is a terminal; silent otherwise (batch
 * jobs, CI, pipes), so logs stay clean.
 */
#ifndef CR_PROGRESS_H
#define CR_PROGRESS_H

#include "cr_log.h"

struct cr_progress;

struct cr_progress_inp {
    const char *label;      /* "mhd", "trace", ... */
    double total;           /* amount of work (e.g. simulated seconds, particles) */
    const char *unit;       /* unit of `total`, e.g. "s" or "particles" */
    const struct cr_log *log; /* stream to draw on (stderr by default) */
    int force;              /* 1: draw even when not a terminal (tests), -1: never */
};

struct cr_progress *cr_progress_new(const struct cr_progress_inp *inp);

/* Report `done` of total; `extra` is appended (e.g. "dt=1.2e-3 s"), may be NULL. */
void cr_progress_update(struct cr_progress *p, double done, const char *extra);

/* 1 when the line is drawn (stream is a terminal or forced). */
int cr_progress_visible(const struct cr_progress *p);

/* Finish the line (newline if anything was drawn) and free. */
void cr_progress_release(struct cr_progress *p);

#endif
