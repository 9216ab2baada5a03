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
                           smoothed E_ic overlaid;
the run's flux.nc (next to the report folder) drawn by tools/plot_flux.py as
  flux_rates.png, flux_map.png  opening and closing per MLT bin against time,
                           the topology map (Burkholder et al. 2025, Fig. 1);
and, for every flyby flown in several MLT sectors (names <base>_mlt<h>),
  sectors_<base>.png       the sectors' spectrograms side by side against
                           MLat with E_ic, and below each its estimate against
                           the sector's flux-accounting rate (the analogue of
                           Burkholder et al. 2025, Figs. 4-6).
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
        if isinstance(row, str):  # netCDF-4 string variable
            return row
        if np.ma.isMaskedArray(row):
            row = row.filled(b"\0")
        return b"".join(bytes(c) for c in row).split(b"\0")[0].decode("utf-8", "replace")

    convention = getattr(ds, "length_convention", "")
    nfly = len(ds.dimensions["flyby"])
    pair_fly = ds["pair_flyby"][:]
    ft0 = ds["flux_time"][:]
    ft1 = ds["flux_time_end"][:]
    groups = {}
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
            # a readable range: the flux-accounting rate and the bulk (10-90 %) of
            # the estimates; estimates outside it are drawn as triangles on the
            # edge and counted in the legend, their error bars cut at the edge
            ref = float(np.nanmax(np.abs(np.ma.filled(sector, np.nan)))) if np.ma.count(sector) else 1.0
            allest = np.concatenate([np.ma.filled(ds[v][:][sel], np.nan).astype(float)
                                     for v in ("pair_E_lockwood", "pair_E_conv")])
            allest = allest[np.isfinite(allest)]
            hi, lo = 4.0 * ref, -1.0 * ref
            if allest.size:
                hi = max(hi, float(np.percentile(allest, 90)) * 1.2)
                lo = min(lo, float(np.percentile(allest, 10)) * 1.2)
            for var, err, col, lab in (("pair_E_lockwood", "pair_E_lockwood_err", "tab:orange", "Lockwood form"),
                                       ("pair_E_conv", "pair_E_conv_err", "tab:red", "convection-corrected")):
                e = np.ma.filled(ds[var][:][sel], np.nan).astype(float)
                ee = np.ma.filled(ds[err][:][sel], np.nan).astype(float)
                inside = (e >= lo) & (e <= hi)
                lower = np.clip(e - ee, lo, hi)
                upper = np.clip(e + ee, lo, hi)
                ax.errorbar(t_o[inside], e[inside], yerr=[e[inside] - lower[inside], upper[inside] - e[inside]],
                            xerr=t_oe[inside], fmt="o", ms=2.5, elinewidth=0.3, color=col, alpha=0.6,
                            label="estimate, %s, at t_o (1-sigma bars)" % lab)
                above, below = e > hi, e < lo
                if above.any() or below.any():
                    ax.plot(t_o[above], np.full(above.sum(), hi), "^", color=col, ms=5, alpha=0.8,
                            label="%s outside %.3g..%.3g mV/m: %d (drawn on the edge)"
                            % (lab, lo, hi, int(above.sum() + below.sum())))
                    ax.plot(t_o[below], np.full(below.sum(), lo), "v", color=col, ms=5, alpha=0.8)
            ax.set_ylim(lo, hi)
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
        draw_spectrogram(ax, fig, spec, rate, "time")
        ax.set_title("%s: precipitating ions with the low-energy cutoff E_ic" % name, fontsize=10)
        fig.tight_layout()
        fig.savefig(os.path.join(outdir, "spectrogram_%s.png" % name), dpi=110)
        plt.close(fig)
        groups.setdefault(name.rsplit("_mlt", 1)[0], []).append((name, spec, rate, k))

    # the paper's Figs. 4-6 (Burkholder et al. 2025): per instrument, the
    # spectrograms of the MLT sectors side by side against MLat with E_ic, and
    # below them each sector's estimate against its flux-accounting rate
    for base, members in sorted(groups.items()):
        members.sort(key=lambda m: float(ds["sector_mlt_min"][m[3]]))
        ncol = len(members)
        fig, axes = plt.subplots(2, ncol, figsize=(4.2 * ncol, 7.0), squeeze=False)
        for c, (name, spec, rate, k) in enumerate(members):
            draw_spectrogram(axes[0][c], fig, spec, rate, "mlat")
            axes[0][c].set_title("%.1f-%.1f MLT" % (float(ds["sector_mlt_min"][k]), float(ds["sector_mlt_max"][k])),
                                 fontsize=9)
            ax = axes[1][c]
            sector = ds["E_flux_sector"][k, :]
            ax.plot(np.ravel(np.column_stack([ft0, ft1])), np.ravel(np.column_stack([sector, sector])),
                    color="tab:blue", lw=1.5, label="flux accounting")
            sel = np.asarray(pair_fly == k)
            if sel.any():
                e = np.ma.filled(ds["pair_E_conv"][:][sel], np.nan).astype(float)
                ee = np.ma.filled(ds["pair_E_conv_err"][:][sel], np.nan).astype(float)
                t_o = ds["pair_t_o"][:][sel]
                ref = float(np.nanmax(np.abs(np.ma.filled(sector, np.nan)))) if np.ma.count(sector) else 1.0
                hi, lo = 4.0 * ref, -1.0 * ref
                inside = (e >= lo) & (e <= hi)
                ax.errorbar(t_o[inside], e[inside], yerr=np.minimum(ee[inside], hi - lo), fmt="o", ms=2.5,
                            elinewidth=0.3, color="tab:red", alpha=0.6, label="estimate (conv.-corrected)")
                out = ~inside & np.isfinite(e)
                if out.any():
                    ax.plot(t_o[out], np.clip(e[out], lo, hi), "^", color="tab:red", ms=5,
                            label="outside the range: %d" % int(out.sum()))
                ax.set_ylim(lo, hi)
            ax.set_xlabel("time [s] (estimates at t_o)", fontsize=8)
            if c == 0:
                ax.set_ylabel("E at the magnetopause [mV/m]", fontsize=8)
            ax.legend(fontsize=6)
            ax.grid(alpha=0.3)
        fig.suptitle("%s: cusp ion dispersions per MLT sector and the rate they give (cf. Burkholder et al. 2025, "
                     "Figs. 4-6)" % base, fontsize=10)
        fig.tight_layout(rect=(0, 0, 1, 0.96))
        fig.savefig(os.path.join(outdir, "sectors_%s.png" % base), dpi=100)
        plt.close(fig)
    ds.close()

    # the paper's Fig. 1: newly opened and closed flux per MLT bin against
    # time and the topology map, from the run's flux.nc (tools/plot_flux.py)
    flux = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(cmp_path))), "flux.nc")
    if os.path.exists(flux):
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        try:
            import plot_flux

            with netCDF4.Dataset(flux) as fd:
                plot_flux.plot_rates(fd, 0, os.path.join(outdir, "flux_rates.png"))
                plot_flux.plot_map(fd, 0, 0, os.path.join(outdir, "flux_map.png"))
        except (ImportError, OSError, KeyError, IndexError) as e:
            sys.stderr.write("report.py: flux figures skipped: %s\n" % e)
    return 0


def draw_spectrogram(ax, fig, spec, rate, xaxis):
    """The spectrogram of `spec` (the quantity of `rate`) against time or
    MLat, log colour scale, with E_ic and its smoothed curve."""
    import matplotlib
    import netCDF4
    import numpy as np

    try:
        r = netCDF4.Dataset(rate)
        quantity = getattr(r, "quantity", "diff_energy_flux")
        x_r = r["t_s"][:] if xaxis == "time" else r["mlat"][:]
        eic = r["E_ic"][:]
        eics = r["E_ic_smooth"][:]
        r.close()
        s = netCDF4.Dataset(spec)
        x = s["time"][:] if xaxis == "time" else s["mlat"][:]
        en = s["energy"][:]
        z = s[quantity][:]
        units = getattr(s[quantity], "units", "")
        method = getattr(s, "method", "forward")
        s.close()
        order = np.argsort(en)
        en = en[order]
        z = np.ma.masked_less_equal(np.ma.asarray(z)[:, order], 0)
        if z.count() > 0:
            # six decades below the peak: a Maxwellian's far tail (1e-100 and less in
            # backward spectrograms) would otherwise take the whole colour scale
            vmax = float(z.max())
            norm = matplotlib.colors.LogNorm(vmin=vmax * 1e-6, vmax=vmax, clip=True)
            im = ax.pcolormesh(x, en, z.T, shading="nearest", norm=norm, cmap="viridis")
            fig.colorbar(im, ax=ax, label="%s [%s]" % (quantity, units))
            ax.text(0.01, 0.01, method, transform=ax.transAxes, fontsize=7, color="white", va="bottom")
        ax.plot(x_r, eic, "o", ms=2.5, mfc="white", mec="black", mew=0.4, label="E_ic")
        ax.plot(x_r, eics, "r-", lw=1.2, label="E_ic smoothed")
        ax.set_yscale("log")
        ax.legend(fontsize=7, loc="upper right")
    except (OSError, KeyError, IndexError) as e:
        ax.text(0.5, 0.5, "spectrogram unavailable: %s" % e, ha="center", transform=ax.transAxes)
    ax.set_xlabel("time since the MHD run start [s]" if xaxis == "time" else "MLat [deg]")
    ax.set_ylabel("energy [eV]")


def shorten(text, n):
    return text[:n] + ("..." if len(text) > n else "")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
