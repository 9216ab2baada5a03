/* cf_check.h — a small CF-1.8 checker for the netCDF files cusprate writes
 * (used by the tests that produce them): every units attribute parses with
 * UDUNITS-2, the time coordinate's units are "<time unit> since <epoch>"
 * and decode to seconds, every dimension has a coordinate variable (except
 * the bounds vertex dimension `bnds`), flag_meanings match flag_values or
 * flag_masks, and no magnetic latitude claims the geographic degrees_north. */
#ifndef CF_CHECK_H
#define CF_CHECK_H

#include <stddef.h>

/* Number of problems found in the file (0 = passes); their description,
 * one per line, in msg. -1 when the file cannot be opened. */
int cf_check(const char *path, char *msg, size_t n);

/* In a Criterion test: the file passes the checker. */
#define CF_ASSERT_FILE(path)                                                                       \
    do {                                                                                           \
        static char cf_msg_[16384];                                                                \
        int cf_n_ = cf_check((path), cf_msg_, sizeof cf_msg_);                                     \
        cr_assert_eq(cf_n_, 0, "%s: %d CF problem(s):\n%s", (path), cf_n_, cf_msg_);               \
    } while (0)

#endif
