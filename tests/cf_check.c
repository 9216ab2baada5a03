/* cf_check.c — the CF checker of cf_check.h, with UDUNITS-2 for the units
 * (CF-1.8 section 3.1: units must be recognised by UDUNITS; section 4.4:
 * time "since" an epoch; section 1.2/5: coordinate variables; section 3.5:
 * flags). */
#include "cf_check.h"

#include <netcdf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <udunits2.h>

static void add(char *msg, size_t n, int *count, const char *fmt, ...)
{
    size_t len = strlen(msg);
    va_list ap;
    va_start(ap, fmt);
    if (len + 1 < n) vsnprintf(msg + len, n - len, fmt, ap);
    va_end(ap);
    len = strlen(msg);
    if (len + 1 < n) {
        msg[len] = '\n';
        msg[len + 1] = '\0';
    }
    (*count)++;
}

static int get_text_att(int nc, int var, const char *name, char *buf, size_t n)
{
    size_t len;
    nc_type t;
    if (nc_inq_att(nc, var, name, &t, &len) != NC_NOERR || t != NC_CHAR || len + 1 > n) return -1;
    if (nc_get_att_text(nc, var, name, buf) != NC_NOERR) return -1;
    buf[len] = '\0';
    return 0;
}

static int att_count(int nc, int var, const char *name)
{
    size_t len;
    nc_type t;
    if (nc_inq_att(nc, var, name, &t, &len) != NC_NOERR) return -1;
    return (int)len;
}

static int words(const char *s)
{
    int n = 0, in = 0;
    for (; *s; s++) {
        int sp = *s == ' ';
        if (!sp && !in) n++;
        in = !sp;
    }
    return n;
}

int cf_check(const char *path, char *msg, size_t n)
{
    msg[0] = '\0';
    int nc, count = 0;
    if (nc_open(path, NC_NOWRITE, &nc) != NC_NOERR) return -1;
    ut_set_error_message_handler(ut_ignore);
    ut_system *sys = ut_read_xml(NULL);
    if (!sys) {
        nc_close(nc);
        add(msg, n, &count, "UDUNITS-2 database not found");
        return count;
    }
    /* a time "since" an epoch decodes when it converts to this one */
    ut_unit *second = ut_parse(sys, "seconds since 1970-01-01 00:00:00", UT_ASCII);
    char buf[4096];
    if (get_text_att(nc, NC_GLOBAL, "Conventions", buf, sizeof buf) || strncmp(buf, "CF-1.", 5))
        add(msg, n, &count, "global: Conventions is not CF-1.x");
    int nvars, ndims;
    nc_inq_nvars(nc, &nvars);
    nc_inq_ndims(nc, &ndims);
    for (int v = 0; v < nvars; v++) {
        char name[NC_MAX_NAME + 1], ln[1024] = "";
        nc_inq_varname(nc, v, name);
        get_text_att(nc, v, "long_name", ln, sizeof ln);
        if (get_text_att(nc, v, "units", buf, sizeof buf) == 0) {
            ut_unit *u = ut_parse(sys, buf, UT_ASCII);
            if (!u) {
                add(msg, n, &count, "%s: units '%s' do not parse with UDUNITS-2", name, buf);
            } else {
                if (strstr(buf, " since ")) {
                    cv_converter *cv = ut_get_converter(u, second);
                    if (!cv) add(msg, n, &count, "%s: units '%s' are not a time since an epoch", name, buf);
                    else cv_free(cv);
                }
                ut_free(u);
            }
            if (!strcmp(name, "time") && !strstr(buf, " since "))
                add(msg, n, &count, "time: units '%s' name no epoch ('seconds since ...')", buf);
            if (strstr(buf, "degrees_north") && strstr(ln, "magnetic"))
                add(msg, n, &count, "%s: magnetic latitude in degrees_north (the geographic latitude unit)", name);
        } else {
            nc_type t;
            nc_inq_vartype(nc, v, &t);
            if (t != NC_CHAR && t != NC_STRING)
                add(msg, n, &count, "%s: no units attribute", name);
        }
        int fm = get_text_att(nc, v, "flag_meanings", buf, sizeof buf) == 0 ? words(buf) : -1;
        int fv = att_count(nc, v, "flag_values"), fk = att_count(nc, v, "flag_masks");
        if (fm >= 0 && fm != fv && fm != fk)
            add(msg, n, &count, "%s: %d flag_meanings for %d flag_values / %d flag_masks", name, fm, fv, fk);
        if (fm < 0 && (fv >= 0 || fk >= 0)) add(msg, n, &count, "%s: flag values without flag_meanings", name);
    }
    for (int d = 0; d < ndims; d++) {
        char dn[NC_MAX_NAME + 1];
        nc_inq_dimname(nc, d, dn);
        if (!strcmp(dn, "bnds")) continue;
        int v, vd, nd;
        if (nc_inq_varid(nc, dn, &v) != NC_NOERR || nc_inq_varndims(nc, v, &nd) != NC_NOERR || nd != 1 ||
            nc_inq_vardimid(nc, v, &vd) != NC_NOERR || vd != d)
            add(msg, n, &count, "dimension %s has no coordinate variable", dn);
    }
    ut_free(second);
    ut_free_system(sys);
    nc_close(nc);
    return count;
}
