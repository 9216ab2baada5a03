/* cr_version.c — build identification; the Makefile passes the git hash and
 * flags as macros. */
#include "cr_version.h"

#ifndef CR_VERSION_STRING
#define CR_VERSION_STRING "0.1.0"
#endif
#ifndef CR_GIT_HASH
#define CR_GIT_HASH "unknown"
#endif
#ifndef CR_BUILD_FLAGS
#define CR_BUILD_FLAGS "unknown"
#endif

#if defined(__clang__)
#define CR_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define CR_COMPILER "gcc " __VERSION__
#else
#define CR_COMPILER "unknown compiler"
#endif

#ifdef _OPENMP
#define CR_OMP_TEXT "OpenMP on"
#else
#define CR_OMP_TEXT "OpenMP off"
#endif

const char *cr_version(void) { return CR_VERSION_STRING; }
const char *cr_version_git(void) { return CR_GIT_HASH; }
const char *cr_version_build(void) { return CR_COMPILER "; " CR_OMP_TEXT "; flags: " CR_BUILD_FLAGS; }
const char *cr_version_full(void) { return "cusprate " CR_VERSION_STRING " (git " CR_GIT_HASH ")"; }
