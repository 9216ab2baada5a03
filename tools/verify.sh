#!/bin/sh
# verify.sh — `make verify`: long verification runs that do not fit in
# `make test`. Each prints its figures; results are recorded in
# docs/verification.md.
set -eu
cd "$(dirname "$0")/.."
BIN=bin/cusprate
echo "verify: no long verification runs registered yet"
