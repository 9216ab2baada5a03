/* cr_log.h — levelled, time-stamped logging.
 *
 * A log is a small value owned by the caller (the CLI makes one per run) and
 * passed to library objects through their input structs; NULL means the
 * default: level INFO on stderr. There is no global logger state.
 */
#ifndef CR_LOG_H
#define CR_LOG_H

#include <stdio.h>

enum cr_log_level { CR_LEVEL_ERROR = 0, CR_LEVEL_WARN = 1, CR_LEVEL_INFO = 2, CR_LEVEL_DEBUG = 3 };

struct cr_log {
    enum cr_log_level level; /* messages above this level are dropped */
    FILE *stream;            /* NULL = stderr */
    int no_timestamps;       /* 1: omit the time stamp (tests compare text) */
};

/* Print one message if its level is enabled. log may be NULL. */
void cr_log_msg(const struct cr_log *log, enum cr_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* 1 if a message of this level would be printed. */
int cr_log_enabled(const struct cr_log *log, enum cr_log_level level);

/* Stream the log writes to (stderr when unset). */
FILE *cr_log_stream(const struct cr_log *log);

/* Parse "error", "warn", "info", "debug"; -1 when unknown. */
int cr_log_level_parse(const char *name);

#define cr_error(log, ...) cr_log_msg((log), CR_LEVEL_ERROR, __VA_ARGS__)
#define cr_warn(log, ...) cr_log_msg((log), CR_LEVEL_WARN, __VA_ARGS__)
#define cr_info(log, ...) cr_log_msg((log), CR_LEVEL_INFO, __VA_ARGS__)
#define cr_debug(log, ...) cr_log_msg((log), CR_LEVEL_DEBUG, __VA_ARGS__)

#endif
