#!/usr/bin/python3
"""plot_flux.py -- figures from cusprate's flux.nc (reconnected-flux accounting).

    /usr/bin/python3 tools/plot_flux.py RUN/flux.nc [-o OUTDIR] [--hemisphere north|south] [--map N]

Writes two PNG files next to flux.nc (or in OUTDIR):
  flux_rates.png  opening (and closing) rate per MLT bin against time, the
                  sectors 10.5-11.5, 11.5-12.5 and 12.5-13.5 MLT highlighted,
                  with the total dayside (06-18 MLT) opening rate;
  flux_map.png    the open/closed topology map of one hemisphere at one map
                  time (polar view, MLat from the pole outward, noon at top),
                  with the open-closed boundary of every MLT bin.
Rates in kWb/min on the left axis and kV on the right (1 kWb/min = 16.67 V).
"""
import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from netCDF4 import Dataset  # noqa: E402

SECTORS = [(10.5, 11.5), (11.5, 12.5), (12.5, 13.5)]
TOPO_COLOURS = {-1: "#bbbbbb", 0: "#6baed6", 1: "#fd8d3c", 2: "#31a354", 3: "#e6550d"}


def sector_rate(rate, mlt_lo, mlt_hi, lo, hi):
    """Sum of per-bin rates over bins inside [lo, hi) MLT (time x bins)."""
    sel = (mlt_lo >= lo - 1e-9) & (mlt_hi <= hi + 1e-9)
    if not sel.any():
        return None
    return np.nansum(rate[:, sel], axis=1)


def plot_rates(ds, hemi, out):
    t = ds["time"][:] / 60.0
    tb = ds["time_bnds"][:] / 60.0
    mb = ds["mlt_bnds"][:]
    op = ds["opening_rate"][:, hemi, :]
    cl = ds["closing_rate"][:, hemi, :]
    tmid = 0.5 * (tb[:, 0] + tb[:, 1])
    fig, axes = plt.subplots(2, 1, figsize=(9, 7), sharex=True)
    ax = axes[0]
    colours = ["#1b9e77", "#d95f02", "#7570b3"]
    for (lo, hi), c in zip(SECTORS, colours):
        r = sector_rate(op, mb[:, 0], mb[:, 1], lo, hi)
        if r is not None:
            ax.plot(tmid, r, "-o", ms=3, lw=2, color=c, label=f"{lo:g}-{hi:g} MLT")
    # every other bin in grey for context
    for k in range(op.shape[1]):
        if mb[k, 0] >= 6 and mb[k, 1] <= 18:
            ax.plot(tmid, op[:, k], "-", lw=0.6, color="0.75", zorder=0)
    ax.set_ylabel("opening rate [kWb/min]")
    ax.set_title(f"flux opened per MLT sector ({'north' if hemi == 0 else 'south'}), "
                 f"{(tb[0, 1] - tb[0, 0]) * 60:g} s intervals")
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(alpha=0.3)
    sec = ax.secondary_yaxis("right", functions=(lambda x: x / 60.0, lambda x: x * 60.0))
    sec.set_ylabel("[kV]")
    ax = axes[1]
    day = (mb[:, 0] >= 6) & (mb[:, 1] <= 18)
    ax.plot(tmid, np.nansum(op[:, day], axis=1), "-", color="#d62728", label="opening, 06-18 MLT")
    ax.plot(tmid, np.nansum(cl[:, ~day], axis=1), "-", color="#1f77b4", label="closing, 18-06 MLT")
    ax.plot(tmid, np.nansum(op, axis=1), ":", color="#d62728", lw=1, label="opening, all MLT")
    ax.plot(tmid, np.nansum(cl, axis=1), ":", color="#1f77b4", lw=1, label="closing, all MLT")
    ax.set_xlabel("time [min]")
    ax.set_ylabel("rate [kWb/min]")
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(alpha=0.3)
    sec = ax.secondary_yaxis("right", functions=(lambda x: x / 60.0, lambda x: x * 60.0))
    sec.set_ylabel("[kV]")
    if len(t) == 1:
        axes[1].set_xlim(tb[0, 0], tb[0, 1])
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def plot_map(ds, hemi, n, out):
    if "topology" not in ds.variables:
        print("plot_flux: flux.nc holds no topology maps (save_maps = no); map skipped", file=sys.stderr)
        return False
    topo = ds["topology"][n, hemi, :, :]
    lat = ds["map_mlat"][:]
    mlt = ds["map_mlt"][:]
    dlat = lat[1] - lat[0] if len(lat) > 1 else 1.0
    dmlt = mlt[1] - mlt[0] if len(mlt) > 1 else 24.0
    # polar plot: radius = 90 - |MLat|, angle with noon at the top, dusk to the left
    lat_e = np.concatenate([lat - 0.5 * dlat, [lat[-1] + 0.5 * dlat]])
    mlt_e = np.concatenate([mlt - 0.5 * dmlt, [mlt[-1] + 0.5 * dmlt]])
    theta = (mlt_e / 24.0) * 2 * np.pi  # counter-clockwise from MLT 0 (set at the bottom below)
    r = 90.0 - lat_e
    codes = sorted(TOPO_COLOURS)
    cmap = matplotlib.colors.ListedColormap([TOPO_COLOURS[c] for c in codes])
    norm = matplotlib.colors.BoundaryNorm(np.arange(codes[0] - 0.5, codes[-1] + 1.0), cmap.N)
    fig = plt.figure(figsize=(7, 7))
    ax = fig.add_subplot(111, projection="polar")
    ax.grid(False)
    ax.set_theta_offset(-np.pi / 2)  # MLT 0 at the bottom, 06 right, 12 top, 18 left (view from above the pole)
    ax.pcolormesh(theta, r, np.asarray(topo, dtype=float), cmap=cmap, norm=norm, shading="flat")
    # boundary per bin at the map time (interval start; the last map has none)
    nt = ds.dimensions["time"].size
    if n < nt:
        ocb = np.abs(ds["ocb_mlat"][n, hemi, :])
        mc = ds["mlt"][:]
        ax.plot((mc / 24.0) * 2 * np.pi, 90.0 - ocb, "k.", ms=4, label="boundary per bin")
    ax.set_rlim(0, 90.0 - lat_e[0])
    ax.grid(True, alpha=0.3)
    ax.set_xticks(np.arange(4) * np.pi / 2)
    ax.set_xticklabels(["00", "06", "12", "18"])
    rt = np.arange(10, 90.0 - lat_e[0] + 1e-9, 10)
    ax.set_yticks(rt)
    ax.set_yticklabels([f"{90 - v:g}" for v in rt], fontsize=7)
    names = {-1: "undetermined", 0: "solar wind", 1: "open north", 2: "closed", 3: "open south"}
    handles = [matplotlib.patches.Patch(color=TOPO_COLOURS[c], label=names[c]) for c in codes]
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(-0.12, -0.12), fontsize=8)
    t = ds["map_time"][n]
    ax.set_title(f"topology, {'north' if hemi == 0 else 'south'}, t = {t:g} s (MLat, MLT)")
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return True


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("flux_nc")
    ap.add_argument("-o", "--outdir", default=None)
    ap.add_argument("--hemisphere", choices=["north", "south"], default="north")
    ap.add_argument("--map", type=int, default=0, help="index of the map to draw (default 0)")
    a = ap.parse_args(argv)
    if not os.path.exists(a.flux_nc):
        print(f"plot_flux: {a.flux_nc} not found", file=sys.stderr)
        return 2
    outdir = a.outdir or os.path.dirname(os.path.abspath(a.flux_nc))
    os.makedirs(outdir, exist_ok=True)
    hemi = 0 if a.hemisphere == "north" else 1
    with Dataset(a.flux_nc) as ds:
        nmap = ds.dimensions["map_time"].size
        if not 0 <= a.map < nmap:
            print(f"plot_flux: --map must be in 0..{nmap - 1}", file=sys.stderr)
            return 2
        rates = os.path.join(outdir, "flux_rates.png")
        plot_rates(ds, hemi, rates)
        print(rates)
        mp = os.path.join(outdir, "flux_map.png")
        if plot_map(ds, hemi, a.map, mp):
            print(mp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
