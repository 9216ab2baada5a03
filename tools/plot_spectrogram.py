#!/usr/bin/python3
"""plot_spectrogram.py — draw a cusprate ion spectrogram (<flyby>.spectrogram.nc).

Energy on a logarithmic axis against time (bottom axis) and spacecraft
magnetic latitude (top axis), colour on a logarithmic scale; written as PNG.

    /usr/bin/python3 tools/plot_spectrogram.py RUN/FLYBY.spectrogram.nc [-o OUT.png]
        [--var diff_energy_flux|diff_number_flux|counts] [--vmin V] [--vmax V]

Needs matplotlib, numpy and netCDF4 (Debian: python3-matplotlib,
python3-numpy, python3-netcdf4).
"""
import argparse
import os
import sys

import matplotlib

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402
from netCDF4 import Dataset  # noqa: E402

LABELS = {
    "diff_energy_flux": "differential energy flux",
    "diff_number_flux": "differential number flux",
    "counts": "count rate",
}


def edges_from_centres(c):
    """Cell edges for pcolormesh from (possibly uneven) sample centres."""
    c = np.asarray(c, dtype=float)
    if c.size == 1:
        return np.array([c[0] - 0.5, c[0] + 0.5])
    mid = 0.5 * (c[1:] + c[:-1])
    return np.concatenate(([c[0] - (mid[0] - c[0])], mid, [c[-1] + (c[-1] - mid[-1])]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", help="<flyby>.spectrogram.nc written by `cusprate fly`")
    ap.add_argument("-o", "--out", help="PNG to write (default: the file name with .png)")
    ap.add_argument("--var", default="diff_energy_flux", choices=sorted(LABELS))
    ap.add_argument("--vmin", type=float, help="lower end of the colour scale (default: 1e-5 of the peak)")
    ap.add_argument("--vmax", type=float, help="upper end of the colour scale")
    a = ap.parse_args(argv)

    with Dataset(a.file) as nc:
        t = nc["time"][:].filled(np.nan)
        mlat = nc["mlat"][:].filled(np.nan)
        bnds = nc["energy_bnds"][:].filled(np.nan)
        z = nc[a.var][:].filled(np.nan)
        units = nc[a.var].units
        inst = getattr(nc, "instrument", "instrument")
        flyby = getattr(nc, "flyby", os.path.basename(a.file))
        sector = getattr(nc, "mlt_sector", None)
        hemi = getattr(nc, "hemisphere", "")

    # energy edges: the channel bounds; gaps between passbands stay blank
    e_edges = np.concatenate((bnds[:, 0], [bnds[-1, 1]]))
    zz = np.where(z > 0, z, np.nan).T  # (energy, time)
    if np.any(bnds[1:, 0] > bnds[:-1, 1] * (1 + 1e-9)):
        # non-contiguous channels: draw each passband as its own row
        e_edges = bnds.reshape(-1)
        rows = np.full((2 * zz.shape[0] - 1, zz.shape[1]), np.nan)
        rows[0::2] = zz
        zz = rows
    t_edges = edges_from_centres(t)

    fig, ax = plt.subplots(figsize=(9, 4.5), constrained_layout=True)
    finite = zz[np.isfinite(zz)]
    if finite.size:
        vmax = a.vmax if a.vmax else np.nanmax(finite)
        # default: five decades below the peak (or the 2nd percentile if higher)
        vmin = a.vmin if a.vmin else max(np.nanpercentile(finite, 2), vmax * 1e-5)
        if vmin >= vmax:
            vmin = vmax / 10
        mesh = ax.pcolormesh(t_edges, e_edges, np.ma.masked_invalid(zz), norm=LogNorm(vmin=vmin, vmax=vmax),
                             shading="flat", cmap="jet")
        fig.colorbar(mesh, ax=ax, label=f"{LABELS[a.var]} [{units}]")
    else:
        ax.text(0.5, 0.5, "no counts", transform=ax.transAxes, ha="center")
    ax.set_yscale("log")
    ax.set_ylim(e_edges[0], e_edges[-1])
    ax.set_xlim(t_edges[0], t_edges[-1])
    ax.set_xlabel("time since the start of the run [s]")
    ax.set_ylabel("energy [eV]")

    # top axis: magnetic latitude at the sample times (monotonic passes only)
    if t.size > 1 and np.all(np.diff(t) > 0):
        top = ax.secondary_xaxis(
            "top", functions=(lambda x: np.interp(x, t, mlat), lambda y: np.interp(y, mlat, t)
                              if np.all(np.diff(mlat) > 0) else np.interp(y, mlat[::-1], t[::-1])))
        top.set_xlabel("MLat [deg]")
    title = f"{flyby}: {inst}"
    if sector:
        title += f", MLT {sector} h"
    if hemi:
        title += f", {hemi}"
    ax.set_title(title, fontsize=10)
    out = a.out or os.path.splitext(a.file)[0] + ".png"
    fig.savefig(out, dpi=120)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
