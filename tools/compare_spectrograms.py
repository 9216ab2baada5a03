#!/usr/bin/env python3
"""compare_spectrograms.py — two spectrograms of the same pass, pixel by pixel.

usage: compare_spectrograms.py A.spectrogram.nc B.spectrogram.nc OUT.png [MIN_MACRO]

Draws the differential energy flux of A and B (log colour scale over six
decades below the larger peak) and z = (A - B) / sqrt(err_A^2 + err_B^2) on
the pixels where A has at least MIN_MACRO (default 20) macro-particles, and
prints chi^2 per pixel and the summed fluxes with their z. Meant for a
forward (A) against a backward (B) spectrogram: tests/test_liouville.c makes
the pair. Exit status 0, 2 for bad input, 3 without matplotlib/netCDF4.
"""
import sys


def main(argv):
    if len(argv) not in (4, 5):
        sys.stderr.write(__doc__)
        return 2
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import netCDF4
        import numpy as np
    except ImportError as e:
        sys.stderr.write("compare_spectrograms.py: %s\n" % e)
        return 3
    nmin = int(argv[4]) if len(argv) == 5 else 20
    try:
        a, b = netCDF4.Dataset(argv[1]), netCDF4.Dataset(argv[2])
    except OSError as e:
        sys.stderr.write("compare_spectrograms.py: %s\n" % e)
        return 2
    fa, ea, ma = (np.ma.filled(a[v][:], 0).astype(float) for v in ("diff_energy_flux", "diff_energy_flux_err",
                                                                   "macro_particles"))
    fb, eb = (np.ma.filled(b[v][:], 0).astype(float) for v in ("diff_energy_flux", "diff_energy_flux_err"))
    if fa.shape != fb.shape:
        sys.stderr.write("compare_spectrograms.py: different shapes %s %s\n" % (fa.shape, fb.shape))
        return 2
    lat, en = a["mlat"][:], a["energy"][:]
    sel = ma >= nmin
    z = np.where(sel, (fa - fb) / np.sqrt(ea ** 2 + eb ** 2 + 1e-300), np.nan)
    chi2 = float(np.nansum(z ** 2) / max(1, sel.sum()))
    zs = (fa[sel].sum() - fb[sel].sum()) / np.sqrt((ea[sel] ** 2).sum() + (eb[sel] ** 2).sum())
    print("pixels with >= %d macro-particles in A: %d; chi^2/dof %.3f; summed flux A %.4g, B %.4g (z = %.2f)"
          % (nmin, sel.sum(), chi2, fa[sel].sum(), fb[sel].sum(), zs))
    vmax = max(fa.max(), fb.max())
    norm = matplotlib.colors.LogNorm(vmin=vmax * 1e-6, vmax=vmax, clip=True)
    fig, ax = plt.subplots(1, 3, figsize=(14, 4.2))
    for k, (f, title) in enumerate(((fa, "%s (%s)" % (argv[1].split("/")[-1], getattr(a, "method", "forward"))),
                                    (fb, "%s (%s)" % (argv[2].split("/")[-1], getattr(b, "method", "forward"))))):
        im = ax[k].pcolormesh(lat, en, np.ma.masked_less_equal(f, 0).T, shading="nearest", norm=norm, cmap="viridis")
        ax[k].set_yscale("log")
        ax[k].set_title(title, fontsize=8)
        ax[k].set_xlabel("MLat [deg]")
        ax[k].set_ylabel("energy [eV]")
        fig.colorbar(im, ax=ax[k], label="diff. energy flux [eV cm^-2 s^-1 sr^-1 eV^-1]")
    im = ax[2].pcolormesh(lat, en, z.T, shading="nearest", cmap="RdBu_r", vmin=-3, vmax=3)
    ax[2].set_yscale("log")
    ax[2].set_title("z = (A - B) / sigma, %d pixels, chi^2/dof %.2f" % (sel.sum(), chi2), fontsize=8)
    ax[2].set_xlabel("MLat [deg]")
    fig.colorbar(im, ax=ax[2], label="z")
    fig.tight_layout()
    fig.savefig(argv[3], dpi=100)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
