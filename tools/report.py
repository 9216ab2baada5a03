#!/usr/bin/env python3
"""report.py — figures of the cusprate comparison report.

usage: report.py COMPARISON.nc OUTDIR

Reads report/comparison.nc (written by `cusprate report`) and, for every
flyby, writes into OUTDIR
  comparison_<flyby>.png   the Lockwood-Smith estimate (both forms, 1-sigma
                           bars) against the reconnection time t_o, and the
                           flux-accounting rate of the flyby's MLT sector
                           against time, in the units and length convention
                           named in the file;
  spectrogram_<flyby>.png  the flyby's spectrogram (the quantity the cutoff
                           was found in, log colour scale) with E_ic and the
                           smoothed E_ic overlaid.
Exit status: 0 done, 3 matplotlib/netCDF4/numpy missing (nothing drawn),
2 bad arguments or unreadable input.
"""
import os
import sys


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import netCDF4
        import numpy as np
    except ImportError as e:
        sys.stderr.write("report.py: %s: figures skipped\n" % e)
        return 3
    cmp_path, outdir = argv[1], argv[2]
    try:
        ds = netCDF4.Dataset(cmp_path)
    except OSError as e:
        sys.stderr.write("report.py: cannot read %s: %s\n" % (cmp_path, e))
        return 2
    ds.set_auto_mask(True)

    def text(var, k):
        row = var[k]
        if np.ma.isMaskedArray(row):
            row = row.filled(b"\0")
        return b"".join(bytes(c) for c in row).split(b"\0")[0].decode("utf-8", "replace")

    convention = getattr(ds, "length_convention", "")
    nfly = len(ds.dimensions["flyby"])
    pair_fly = ds["pair_flyby"][:]
    ft0 = ds["flux_time"][:]
    ft1 = ds["flux_time_end"][:]
    for k in range(nfly):
        name = text(ds["flyby_name"], k)
        if not name:
            continue
        sel = np.asarray(pair_fly == k)
        fig, ax = plt.subplots(figsize=(9, 4.5))
        sector = ds["E_flux_sector"][k, :]
        # flux accounting: one value per interval, drawn as steps
        xs = np.ravel(np.column_stack([ft0, ft1]))
        ys = np.ravel(np.column_stack([sector, sector]))
        ax.plot(xs, ys, color="tab:blue", lw=1.5, label="flux accounting (sector %.2f-%.2f h MLT)"
                % (float(ds["sector_mlt_min"][k]), float(ds["sector_mlt_max"][k])))
        if sel.any():
            t_o = ds["pair_t_o"][:][sel]
            t_oe = ds["pair_t_o_err"][:][sel]
            for var, err, col, lab in (("pair_E_lockwood", "pair_E_lockwood_err", "tab:orange", "Lockwood form"),
                                       ("pair_E_conv", "pair_E_conv_err", "tab:red", "convection-corrected")):
                e = ds[var][:][sel]
                ee = ds[err][:][sel]
                ax.errorbar(t_o, e, yerr=ee, xerr=t_oe, fmt="o", ms=2.5, elinewidth=0.3, color=col, alpha=0.6,
                            label="estimate, %s, at t_o (1-sigma bars)" % lab)
        ax.set_xlabel("time since the MHD run start [s] (estimates at their reconnection time t_o)")
        ax.set_ylabel("reconnection electric field [mV/m]")
        ax.set_title("%s: Lockwood-Smith estimate vs flux accounting" % name, fontsize=10)
        if convention:
            fig.text(0.01, 0.005, shorten(convention, 160), fontsize=6, va="bottom")
        ax.legend(fontsize=7, loc="best")
        ax.grid(alpha=0.3)
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        fig.savefig(os.path.join(outdir, "comparison_%s.png" % name), dpi=110)
        plt.close(fig)

        # spectrogram with E_ic
        spec = text(ds["spectrogram_file"], k)
        rate = text(ds["rate_file"], k)
        fig, ax = plt.subplots(figsize=(9, 4.5))
        try:
            r = netCDF4.Dataset(rate)
            quantity = getattr(r, "quantity", "diff_energy_flux")
            t_s = r["t_s"][:]
            eic = r["E_ic"][:]
            eics = r["E_ic_smooth"][:]
            r.close()
            s = netCDF4.Dataset(spec)
            t = s["time"][:]
            en = s["energy"][:]
            z = s[quantity][:]
            units = getattr(s[quantity], "units", "")
            s.close()
            order = np.argsort(en)
            en = en[order]
            z = np.ma.masked_less_equal(np.ma.asarray(z)[:, order], 0)
            if z.count() > 0:
                im = ax.pcolormesh(t, en, z.T, shading="nearest", norm=matplotlib.colors.LogNorm(), cmap="viridis")
                fig.colorbar(im, ax=ax, label="%s [%s]" % (quantity, units))
            ax.plot(t_s, eic, "o", ms=2.5, mfc="white", mec="black", mew=0.4, label="E_ic")
            ax.plot(t_s, eics, "r-", lw=1.2, label="E_ic smoothed")
            ax.set_yscale("log")
            ax.legend(fontsize=7, loc="upper right")
        except (OSError, KeyError, IndexError) as e:
            ax.text(0.5, 0.5, "spectrogram unavailable: %s" % e, ha="center", transform=ax.transAxes)
        ax.set_xlabel("time since the MHD run start [s]")
        ax.set_ylabel("energy [eV]")
        ax.set_title("%s: precipitating ions with the low-energy cutoff E_ic" % name, fontsize=10)
        fig.tight_layout()
        fig.savefig(os.path.join(outdir, "spectrogram_%s.png" % name), dpi=110)
        plt.close(fig)
    ds.close()
    return 0


def shorten(text, n):
    return text[:n] + ("..." if len(text) > n else "")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
