#!/bin/sh
# demo.sh — `make demo`: the default run.
#  1. build the default D grid of the magnetosphere and report it
#     (cell counts, smallest and largest cell, aspect ratio);
#  2. run the whole pipeline on runs/southward_quick.ini: magnetosphere ->
#     flux accounting -> protons -> virtual spacecraft -> Lockwood-Smith rates
#     -> comparison report. Set DEMO_GRID_ONLY=1 to stop after step 1.
set -eu
cd "$(dirname "$0")/.."
BIN=bin/cusprate
$BIN grid runs/grid_D.ini
echo "demo: grid written to out/grid_D/grid.h5 (open out/grid_D/grid.xmf in ParaView)"
if [ "${DEMO_GRID_ONLY:-0}" = 1 ]; then exit 0; fi
$BIN pipeline runs/southward_quick.ini
echo "demo: results in out/southward_quick (report: out/southward_quick/report/index.md)"
