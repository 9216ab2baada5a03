#!/bin/sh
# demo.sh — `make demo`: the default run. At this stage: build the default
# D grid of the magnetosphere and report it.
set -eu
cd "$(dirname "$0")/.."
BIN=bin/cusprate
if $BIN --help | grep -q '^  pipeline'; then
    $BIN pipeline runs/southward_quick.ini
    echo "demo: results in out/southward_quick (report: out/southward_quick/report/index.md)"
else
    $BIN grid runs/grid_D.ini
    echo "demo: grid written to out/grid_D/grid.h5 (open out/grid_D/grid.xmf in ParaView)"
fi
