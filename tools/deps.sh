#!/bin/sh
# deps.sh — check for / install the Debian packages cusprate needs.
#   sh tools/deps.sh check     exit 0 when everything is present
#   sh tools/deps.sh install   apt-get install the missing packages
set -eu
PKGS="build-essential pkg-config zlib1g-dev libhdf5-dev hdf5-tools libnetcdf-dev netcdf-bin libgsl-dev libinih-dev
libcriterion-dev libudunits2-dev python3 python3-matplotlib python3-netcdf4 python3-h5py python3-numpy strace
libopenmpi-dev openmpi-bin"

check() {
    command -v pkg-config >/dev/null 2>&1 || return 1
    pkg-config --exists hdf5 netcdf gsl inih zlib criterion || return 1
    command -v h5dump >/dev/null 2>&1 || return 1
    command -v ncdump >/dev/null 2>&1 || return 1
    command -v mpicc >/dev/null 2>&1 || return 1
    command -v mpirun >/dev/null 2>&1 || return 1
    # UDUNITS-2 (the tests' CF checker) ships no pkg-config file: its header
    [ -f /usr/include/udunits2.h ] || return 1
    command -v strace >/dev/null 2>&1 || return 1   # the kill-at-every-rename test
    /usr/bin/python3 -c 'import matplotlib, netCDF4, h5py, numpy' >/dev/null 2>&1 || return 1
    return 0
}

case "${1:-check}" in
check)
    if check; then exit 0; fi
    echo "deps.sh: some packages are missing" >&2
    exit 1 ;;
install)
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -q --no-install-recommends $PKGS
    check ;;
*)
    echo "usage: sh tools/deps.sh check|install" >&2
    exit 2 ;;
esac
