#!/usr/bin/env python3
"""rate_stats.py — the acceptance figures of a rate comparison, per flyby.

usage: rate_stats.py REPORT/comparison.nc

For every flyby of the report (written by `cusprate report`), over the
estimates that have a flux-accounting interval at their reconnection time
(the convection-corrected form, E_mp_conv against the sector's E_xline):
  N            number of such estimates
  median       median of estimate / flux-accounting rate
  IQR          its 25 and 75 % quantiles
  neg          fraction of negative estimates
and from the flyby's rate file, over its valid estimates:
  X            median of the time-of-flight term X = dt_o/dt_s - 1
  -U/V_c       median of -U/V_c, the X of steady reconnection
               (E = B_s (V_c - U)/(1 + X) = B_s V_c)
  X/(-U/V_c)   their ratio (1 for a steady state seen as Lockwood & Smith
               assume)
  d            the field-line length used [R_E]
Prints a Markdown table. Exit status 0, 2 for bad input, 3 without numpy or
netCDF4.
"""
import sys


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    try:
        import netCDF4
        import numpy as np
    except ImportError as e:
        sys.stderr.write("rate_stats.py: %s\n" % e)
        return 3
    try:
        ds = netCDF4.Dataset(argv[1])
    except OSError as e:
        sys.stderr.write("rate_stats.py: cannot read %s: %s\n" % (argv[1], e))
        return 2

    def text(var, k):
        if isinstance(var[k], str):  # netCDF-4 string variable
            return var[k]
        row = np.ma.filled(var[k], b"\0")
        return b"".join(bytes(c) for c in row).split(b"\0")[0].decode("utf-8", "replace")

    pf = np.asarray(ds["pair_flyby"][:])
    est = np.ma.filled(ds["pair_E_conv"][:], np.nan).astype(float)
    flx = np.ma.filled(ds["pair_E_flux"][:], np.nan).astype(float)
    print("| flyby | N | median ratio | IQR | negative | median X | median -U/V_c | X/(-U/V_c) | d [R_E] |")
    print("|---|---|---|---|---|---|---|---|---|")
    for k in range(len(ds.dimensions["flyby"])):
        name = text(ds["flyby_name"], k)
        sel = (pf == k) & np.isfinite(est) & np.isfinite(flx) & (flx != 0)
        r = est[sel] / flx[sel]
        row = [name, "%d" % r.size]
        if r.size:
            q1, q2, q3 = np.percentile(r, [25, 50, 75])
            row += ["%.2f" % q2, "%.2f-%.2f" % (q1, q3), "%.0f %%" % (100.0 * np.mean(est[sel] < 0))]
        else:
            row += ["n/a", "n/a", "n/a"]
        try:
            rf = netCDF4.Dataset(text(ds["rate_file"], k))
            x = np.ma.filled(rf["X"][:], np.nan).astype(float)
            u = np.ma.filled(rf["U"][:], np.nan).astype(float)
            vc = np.ma.filled(rf["V_c"][:], np.nan).astype(float)
            e = np.ma.filled(rf["E_i_conv"][:], np.nan).astype(float)
            d = np.ma.filled(rf["d"][:], np.nan).astype(float)
            rf.close()
            ok = np.isfinite(x) & np.isfinite(e) & (np.abs(x) < 1e29) & (np.abs(e) < 1e29) & (vc != 0)
            if ok.any():
                mx = np.median(x[ok])
                mu = np.median(-u[ok] / vc[ok])
                row += ["%.3g" % mx, "%.3g" % mu, "%.2f" % (mx / mu), "%.3g" % np.median(d[ok])]
            else:
                row += ["n/a"] * 4
        except (OSError, KeyError, IndexError):
            row += ["n/a"] * 4
        print("| " + " | ".join(row) + " |")
    ds.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
