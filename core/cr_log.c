/* cr_log.c — levelled, time-stamped logging (see cr_log.h). */
#include "cr_log.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

static const char *const level_names[] = {"ERROR", "WARN ", "INFO ", "DEBUG"};

FILE *cr_log_stream(const struct cr_log *log)
{
    return (log && log->stream) ? log->stream : stderr;
}

int cr_log_enabled(const struct cr_log *log, enum cr_log_level level)
{
    enum cr_log_level max = log ? log->level : CR_LEVEL_INFO;
    return level <= max;
}

void cr_log_msg(const struct cr_log *log, enum cr_log_level level, const char *fmt, ...)
{
    if (!cr_log_enabled(log, level)) return;
    FILE *out = cr_log_stream(log);
    char stamp[32] = "";
    if (!(log && log->no_timestamps)) {
        time_t now = time(NULL);
        struct tm tmv;
        localtime_r(&now, &tmv);
        strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S ", &tmv);
    }
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int lvl = (level >= CR_LEVEL_ERROR && level <= CR_LEVEL_DEBUG) ? (int)level : 2;
    fprintf(out, "%s%s %s\n", stamp, level_names[lvl], msg);
    fflush(out);
}

int cr_log_level_parse(const char *name)
{
    if (!name) return -1;
    if (!strcmp(name, "error")) return CR_LEVEL_ERROR;
    if (!strcmp(name, "warn")) return CR_LEVEL_WARN;
    if (!strcmp(name, "info")) return CR_LEVEL_INFO;
    if (!strcmp(name, "debug")) return CR_LEVEL_DEBUG;
    return -1;
}
