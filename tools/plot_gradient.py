#!/usr/bin/python3
"""plot_gradient.py -- figures from cusprate's <name>.gradient.nc (cusprate gradient).

    /usr/bin/python3 tools/plot_gradient.py GRADIENT.nc OUTDIR [--record K]

Gradient distributions as in Shuster et al. (2026), smile-shaped electron gradient
distributions (layout: docs/formats.md). Writes into OUTDIR, printing each path:
  gradient_<K>.png  record K (default: all if at most 4, else the first and last): f per
                    spacecraft (log) in the (v_perp1, v_perp2) plane at v_par ~ 0 and the
                    (v_par, v_perp1) plane at v_perp2 ~ 0 (mean over the bin nearest 0, or
                    the two as near), and grad_par/perp1/perp2 f (a pair: ds_f), RdBu_r;
  terms.png         (several records) |div P| and parts, E_par and parts, identity checks;
  separation.png    (several records, model reference) relative errors against
                    tetra_size / reference_scale_length, slopes 1 and 2.
A figure whose variables are absent is skipped with a note on stderr. Exit status:
0 done, 2 bad arguments or missing/malformed input, 3 numpy/matplotlib/netCDF4 missing.
"""
import argparse
import os
import re
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import netCDF4
    import numpy as np
    from matplotlib.colors import LogNorm, Normalize
    from matplotlib.ticker import MaxNLocator
except ImportError as _e:
    MISSING = _e
else:
    MISSING = None

PROG = "plot_gradient.py"
FAC = (r"\parallel", r"\perp 1", r"\perp 2")
VSYM = {"v_par": r"$v_\parallel$", "v_perp1": r"$v_{\perp 1}$", "v_perp2": r"$v_{\perp 2}$"}
PLANES = {"pp": ("v_perp1", "v_perp2", "v_par"), "pl": ("v_par", "v_perp1", "v_perp2")}
VGRID = ("v_par", "v_perp1", "v_perp2")


class Malformed(Exception):
    pass


def note(msg):
    print("%s: %s" % (PROG, msg), file=sys.stderr)


def units(ds, name, default=""):
    """The variable's units with mathtext exponents ('cm^-6' or 'cm-6' -> 'cm$^{-6}$')."""
    u = getattr(ds[name], "units", default) if name in ds.variables else default
    return re.sub(r"([A-Za-z])\^?(-?[0-9]+)\b", r"\1$^{\2}$", u)


def read(ds, name, k=None):
    """Variable (or its record k) as a float array, fill values as NaN; None if absent."""
    if name not in ds.variables:
        return None
    a = ds[name][:] if k is None else ds[name][k]
    return np.ma.filled(np.ma.asarray(a, dtype=float), np.nan)


def near_zero(v):
    """Indices of the bin nearest v = 0 (both central bins where two are as near)."""
    step = np.min(np.abs(np.diff(v))) if v.size > 1 else 1.0
    return np.flatnonzero(np.abs(v) <= np.abs(v).min() + 1e-3 * step)


def relerr(a, b):  # |a - b| / |b| of vectors (last axis) or scalars
    nrm = (lambda q: np.linalg.norm(q, axis=-1)) if a.ndim > 1 else np.abs
    return nrm(a - b) / nrm(b)


def check(ds, path, gname):
    """Required variables and shapes of the distribution figure, else Malformed."""
    if "time" not in ds.dimensions or ds.dimensions["time"].size == 0:
        raise Malformed("%s: no records (dimension 'time' missing or empty)" % path)
    for name in ("time", "f") + VGRID + (gname,):
        if name not in ds.variables:
            raise Malformed("%s: variable %s missing" % (path, "'%s'" % name if name != "grad_f" else
                                                          "'grad_f' (or 'ds_f')"))
    nt, nv = ds.dimensions["time"].size, tuple(ds[n].size for n in VGRID)
    for name, lead, what in (("f", ds["f"].shape[1:2], "spacecraft"),
                             (gname, () if gname == "ds_f" else (3,), "fac")):
        if tuple(ds[name].shape) != (nt,) + lead + nv:
            raise Malformed("%s: '%s' has shape %s, expected (time, %sv_par, v_perp1, v_perp2) = %s"
                            % (path, name, ds[name].shape, what + ", " if lead else "", (nt,) + lead + nv))


def panel(ax, ds, plane, z, norm, cmap):
    """z indexed [x, y] of the plane, drawn on the bin centres."""
    xn, yn, _ = PLANES[plane]
    vu = units(ds, xn, "km/s")
    m = ax.pcolormesh(read(ds, xn), read(ds, yn), np.ma.masked_invalid(z.T), norm=norm,
                      cmap=cmap, shading="nearest")
    ax.set(xlabel="%s [%s]" % (VSYM[xn], vu), ylabel="%s [%s]" % (VSYM[yn], vu), aspect="equal")
    ax.xaxis.set_major_locator(MaxNLocator(4))
    ax.yaxis.set_major_locator(MaxNLocator(5))
    ax.tick_params(labelsize=8)
    return m


def plot_record(ds, k, out, gname):
    v = {n: read(ds, n) for n in VGRID}
    sel = {"pp": near_zero(v["v_par"]), "pl": near_zero(v["v_perp2"])}
    cut = {}
    for p, idx in sel.items():
        c = v[PLANES[p][2]]
        step = np.min(np.abs(np.diff(c))) / 2 if c.size > 1 else 0.0
        cut[p] = "%s in [%.0f, %.0f] %s" % (VSYM[PLANES[p][2]], c[idx].min() - step,
                                            c[idx].max() + step, units(ds, PLANES[p][2], "km/s"))

    def cuts(a):  # a[..., v_par, v_perp1, v_perp2] -> both planes
        return {"pp": a[..., sel["pp"], :, :].mean(axis=-3), "pl": a[..., sel["pl"]].mean(axis=-1)}

    f = cuts(np.nan_to_num(read(ds, "f", k), nan=0.0))  # not measured = 0
    g = cuts(read(ds, gname, k))
    nsc = f["pp"].shape[0]
    if gname == "ds_f":
        grows = [[(g["pp"], "pp", r"$\partial_s f$"), (g["pl"], "pl", r"$\partial_s f$")]]
    else:
        grows = [[(g[p][c], p, r"$\nabla_{%s} f$" % FAC[c]) for c in range(3)] for p in ("pp", "pl")]
    nrow = 2 + len(grows)
    fig = plt.figure(figsize=(3.3 * max(nsc, len(grows[0])) + 1.5, 3.2 * nrow + 0.6),
                     layout="constrained")
    subs = fig.subfigures(nrow, 1)
    for p, sf in zip(("pp", "pl"), subs[:2]):
        pos = f[p][f[p] > 0]
        norm = LogNorm(max(pos.min(), pos.max() * 1e-5), pos.max()) if pos.size else Normalize(0, 1)
        axs = np.atleast_1d(sf.subplots(1, nsc))
        for s, ax in enumerate(axs):
            m = panel(ax, ds, p, np.ma.masked_less_equal(f[p][s], 0.0), norm, "viridis")
            ax.set_title("spacecraft %d" % (s + 1), fontsize=10)
        sf.colorbar(m, ax=axs, shrink=0.9, label="f [%s]" % units(ds, "f"))
        sf.suptitle("f, %s" % cut[p], fontsize=11)
    for row, sf in zip(grows, subs[2:]):
        for (z, p, lab), ax in zip(row, np.atleast_1d(sf.subplots(1, len(row)))):
            a = np.abs(z[np.isfinite(z)])
            lim = (a.max() if a.size else 0.0) or 1.0    # +-max |value| of the panel
            e = 10.0 ** np.floor(np.log10(lim))          # the power of ten into the label
            m = panel(ax, ds, p, z / e, Normalize(-lim / e, lim / e), "RdBu_r")
            ax.set_title("%s, %s" % (lab, cut[p]), fontsize=10)
            sf.colorbar(m, ax=ax, shrink=0.9, label="%s [10$^{%d}$ %s]" % (lab, np.log10(e), units(ds, gname)))
    title = ["record %d: t = %.10g %s" % (k, read(ds, "time", k), getattr(ds["time"], "units", ""))]
    for n in ("tetra_size", "separation"):  # a pair: separation (or tetra_size)
        if n in ds.variables:
            title.append("%s %.3g km" % ("separation" if gname == "ds_f" else "tetrahedron size", read(ds, n, k)))
            break
    title += ["%s %.2f" % (n, read(ds, n, k)) for n in ("elongation", "planarity") if n in ds.variables]
    fig.suptitle(", ".join(title), fontsize=12)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return True


def plot_terms(ds, out):
    t = read(ds, "time")
    x, xl = (t, "time [%s]" % getattr(ds["time"], "units", "")) if np.all(np.diff(t) > 0) \
        else (np.arange(t.size), "record")
    names = ("div_P", "T_grad_n", "n_div_T", "div_inertia", "E_par", "E_par_density",
             "E_par_temperature", "int_grad_f", "grad_n", "kinetic_div_stress_par", "div_stress_par")
    v = {n: read(ds, n) for n in names}
    sym = {"div_P": r"$|\nabla\cdot P|$", "T_grad_n": r"$|T\cdot\nabla n|$",
           "n_div_T": r"$|n\,\nabla\cdot T|$", "div_inertia": r"$|\nabla\cdot(m n U U)|$",
           "E_par": r"$E_\parallel$", "E_par_density": r"$E_\parallel$ (density part)",
           "E_par_temperature": r"$E_\parallel$ (temperature part)"}
    ident = []
    if v["int_grad_f"] is not None and v["grad_n"] is not None:
        ident.append((r"$|\int\nabla f\,d^3v - \nabla n|\, /\, |\nabla n|$", relerr(v["int_grad_f"], v["grad_n"])))
    # the parallel stress identity relative to the whole |div Pi|: its parallel
    # component alone can be ~0 (a perpendicular structure), which would
    # make a relative error meaningless
    if all(v[n] is not None for n in ("kinetic_div_stress_par", "div_stress_par", "div_P", "div_inertia")):
        whole = np.linalg.norm(v["div_P"] + v["div_inertia"], axis=-1)
        ident.append((r"$|m\int v_\parallel\, v\cdot\nabla f\,d^3v - (\nabla\cdot\Pi)_\parallel|\, /\, "
                      r"|\nabla\cdot\Pi|$",
                      np.abs(v["kinetic_div_stress_par"] - v["div_stress_par"]) / np.where(whole > 0, whole, np.nan)))
    rows = [("[%s]" % units(ds, "div_P", "nPa/km"), True,
             [(sym[n], np.linalg.norm(v[n], axis=-1)) for n in names[:4] if v[n] is not None]),
            (r"$E_\parallel$ [%s]" % units(ds, "E_par", "mV/m"), False,
             [(sym[n], v[n]) for n in names[4:7] if v[n] is not None]),
            ("relative difference", True, ident)]
    rows = [r for r in rows if r[2]]
    missing = [n for n in names if v[n] is None]
    if missing:
        note("terms.png: %s absent, %s" % (", ".join(missing), "not drawn" if rows else "figure skipped"))
    if not rows:
        return False
    fig, axs = plt.subplots(len(rows), 1, figsize=(9, 3.0 * len(rows) + 0.5), sharex=True,
                            layout="constrained", squeeze=False)
    for (yl, logy, curves), ax in zip(rows, axs[:, 0]):
        for i, (lab, y) in enumerate(curves):  # open markers of shrinking size: overlaps stay visible
            ax.plot(x, np.ma.masked_invalid(np.ma.masked_less_equal(y, 0.0) if logy else y),
                    "-" + "osD^"[i], ms=8 - 1.5 * i, mfc="none", label=lab)
        ax.set_yscale("log") if logy else ax.axhline(0.0, color="0.6", lw=0.8)
        ax.set_ylabel(yl)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axs[-1, 0].set_xlabel(xl)
    axs[-1, 0].xaxis.set_major_locator(MaxNLocator(integer=xl == "record"))
    fig.suptitle("gradient terms per record (%s)" % os.path.basename(ds.filepath()))
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return True


def plot_separation(ds, out):
    absent = [n for n in ("div_P", "tetra_size") if n not in ds.variables]
    if absent:
        note("separation.png skipped: %s absent" % ", ".join(absent))
        return False
    ref = read(ds, "reference_grad_P")
    x = read(ds, "tetra_size") / read(ds, "reference_scale_length")
    curves = [(r"$|\nabla\cdot P - \nabla P_{ref}|\, /\, |\nabla P_{ref}|$ (distributions)",
               relerr(read(ds, "div_P"), ref), "o-")]
    if "reference_grad_P_linear" in ds.variables:
        curves.append((r"$|\nabla P_{ref,lin} - \nabla P_{ref}|\, /\, |\nabla P_{ref}|$ (model, four-point)",
                       relerr(read(ds, "reference_grad_P_linear"), ref), "s--"))
    else:
        note("separation.png: reference_grad_P_linear absent, not drawn")
    o = np.argsort(x)
    fig, ax = plt.subplots(figsize=(7, 5), layout="constrained")
    ys = []
    for lab, y, sty in curves:
        y = np.ma.masked_invalid(np.ma.masked_less_equal(y[o], 0.0))
        ax.plot(x[o], y, sty, ms=5, mfc="none", label=lab)
        ys.append(y)
    ymin = np.ma.stack(ys).min(axis=0)
    ok = (x[o] > 0) & ~np.ma.getmaskarray(ymin)
    if ok.any():  # reference slopes through half the smallest error at the smallest separation
        x0, y0 = x[o][ok][0], 0.5 * ymin[ok][0]
        xs = np.array([x0, x[o][ok][-1]])
        for s, ls in ((1, ":"), (2, "-.")):
            ax.plot(xs, y0 * (xs / x0) ** s, ls, color="0.4", lw=0.9, label="slope %d" % s)
    ax.set(xscale="log", yscale="log", xlabel="tetra_size / reference_scale_length",
           ylabel="relative error")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    ax.set_title("separation scan (%s)" % os.path.basename(ds.filepath()), fontsize=10)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return True


def draw(path, outdir, record):
    try:
        ds = netCDF4.Dataset(path)
    except (OSError, ValueError) as e:
        raise Malformed("%s: cannot read: %s" % (path, getattr(e, "strerror", None) or e))
    with ds:
        gname = "ds_f" if "grad_f" not in ds.variables and "ds_f" in ds.variables else "grad_f"
        check(ds, path, gname)
        nt = ds.dimensions["time"].size
        if record is not None and not 0 <= record < nt:
            raise Malformed("%s: --record %d out of range (records 0..%d)" % (path, record, nt - 1))
        recs = [record] if record is not None else (list(range(nt)) if nt <= 4 else [0, nt - 1])
        jobs = [("gradient_%d.png" % k, lambda o, k=k: plot_record(ds, k, o, gname)) for k in recs]
        if nt > 1:
            jobs.append(("terms.png", lambda o: plot_terms(ds, o)))
            if {"reference_grad_P", "reference_scale_length"} <= set(ds.variables):
                jobs.append(("separation.png", lambda o: plot_separation(ds, o)))
        os.makedirs(outdir, exist_ok=True)
        bad = []
        for name, job in jobs:  # a malformed variable stops its figure, not the others
            try:
                if job(os.path.join(outdir, name)):
                    print(os.path.join(outdir, name))
            except (ValueError, IndexError, KeyError, TypeError) as e:
                bad.append("%s: malformed for %s: %s" % (path, name, e))
        if bad:
            raise Malformed("; ".join(bad))


def synth(path, pair):
    """Synthetic file: an electron bi-Maxwellian drifting along e_perp1 with exponential
    n and T profiles, exact moments at each spacecraft, four-point estimates of the
    barycentre terms, analytic grad f (3 records of shrinking size; a pair: 1 record)."""
    me, qe, kp = 9.1093837e-31, 1.602176634e-19, 1.602176634e-4  # kg, C, eV cm^-3 -> nPa
    nt, nsc = (1, 2) if pair else (3, 4)
    F = np.array([[0.0, 0, 1], [1, 0, 0], [0, 1, 0]])      # rows e_par = z, e_perp1 = x, e_perp2 = y
    a = np.array([0.002, 0.004, 0.008])                     # d ln n / d(par, perp1, perp2) [1/km]
    b = np.array([0.006, -0.012, 0.008])                    # d ln T_par = d ln T_perp [1/km]
    n0, tpar, tperp, u = 10.0, 100.0, 60.0, 300.0           # cm^-3, eV, eV, km/s along e_perp1
    wpar, wperp = (np.sqrt(2 * qe * t / me) / 1e3 for t in (tpar, tperp))   # km/s
    v = (np.arange(16) - 7.5) * 6.4 * wpar / 16
    dv3 = (v[1] - v[0]) ** 3 * 1e15                          # d^3v in cm^3 s^-3
    VP, V1, V2 = np.meshgrid(v, v, v, indexing="ij")
    w2 = (VP / wpar) ** 2 + ((V1 - u) ** 2 + V2 ** 2) / wperp ** 2

    def model(rf):  # n, T tensor (xyz), f at the FAC offset rf from the barycentre
        n, s = n0 * np.exp(a @ rf), np.exp(b @ rf)
        f = n / (np.pi ** 1.5 * wpar * wperp ** 2 * 1e15 * s ** 1.5) * np.exp(-w2 / s)
        return n, F.T @ np.diag([tpar * s, tperp * s, tperp * s]) @ F, f

    grad_f = np.array([model(np.zeros(3))[2] * (a[c] + b[c] * (w2 - 1.5)) for c in range(3)])
    shape = [[-0.5, 0, 0], [0.5, 0, 0]] if pair else \
        np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) * [1.0, 0.8, 0.55]
    TS, T3, VT = ("time", "spacecraft"), ("time", "three"), ("time", "three", "three")
    S3, S33, T1 = TS + ("three",), TS + ("three", "three"), ("time",)
    rec = {}
    for k in range(nt):
        r = np.array(shape) * 2.0 / 2 ** k                  # km from the barycentre
        n, T, f = (np.array(q) for q in zip(*[model(F @ ri) for ri in r]))
        D = r - r.mean(axis=0)
        grad = lambda q: (np.linalg.pinv(D) @ (q - q.mean(axis=0)).reshape(nsc, -1)).reshape((3,) + q.shape[1:])
        div = lambda q: np.einsum("jij->i", grad(q))
        gn, U, ev = grad(n), F.T @ [0, u, 0], np.sort(np.linalg.eigvalsh(D.T @ D / nsc))[::-1]
        vals = dict(position=(S3, "km", r + [1e4, 0, 0]), f=(TS + VGRID, "s^3 cm^-6", f), n=(TS, "cm^-3", n),
                    U=(S3, "km/s", np.tile(U, (nsc, 1))), U_sc=(S3, "km/s", np.tile(U, (nsc, 1))),
                    B=(S3, "nT", np.tile([0, 0, 50.0], (nsc, 1))), P=(S33, "nPa", kp * n[:, None, None] * T),
                    T=(S33, "eV", T), frame=(("time", "fac", "three"), "1", F),
                    tetra_size=(T1, "km", np.mean([np.linalg.norm(p - q) for i, p in enumerate(r)
                                                          for q in r[:i]])))
        if pair:
            vals.update(ds_f=(T1 + VGRID, "s^3 cm^-6 km^-1", grad_f[1]), direction=(T3, "1", [1.0, 0, 0]),
                        ds_n=(T1, "cm^-3 km^-1", gn[0]), ds_P=(VT, "nPa/km", grad(vals["P"][2])[0]))
        else:
            div_p = div(vals["P"][2])
            vals.update(
                grad_f=(("time", "fac") + VGRID, "s^3 cm^-6 km^-1", grad_f),
                tetra_eigenvalues=(("time", "eigen"), "km^2", ev),
                elongation=(T1, "1", 1 - np.sqrt(ev[1] / ev[0])), planarity=(T1, "1", 1 - np.sqrt(ev[2] / ev[1])),
                grad_n=(T3, "cm^-3 km^-1", gn), div_P=(T3, "nPa/km", div_p),
                T_grad_n=(T3, "nPa/km", kp * T.mean(axis=0) @ gn), n_div_T=(T3, "nPa/km", kp * n.mean() * div(T)),
                div_inertia=(T3, "nPa/km", me * U * (U @ gn) * 1e21),
                int_grad_f=(T3, "cm^-3 km^-1", F.T @ grad_f.reshape(3, -1).sum(axis=1) * dv3),
                kinetic_div_stress_par=(T1, "nPa/km", me * 1e21 * dv3 * np.sum(
                    VP * (VP * grad_f[0] + V1 * grad_f[1] + V2 * grad_f[2]))),
                reference_grad_P=(T3, "nPa/km", kp * n0 * (F.T @ ((a + b) * [tpar, tperp, tperp]))),
                reference_grad_P_linear=(T3, "nPa/km", div_p),   # exact moments: the same estimate
                reference_scale_length=(T1, "km", 1 / np.linalg.norm(a + b)))
            vals["div_stress_par"] = (T1, "nPa/km", (div_p + vals["div_inertia"][2])[2])
            for name in ("div_P", "T_grad_n", "n_div_T", "div_inertia"):
                vals[name + "_fac"] = (("time", "fac"), "nPa/km", F @ vals[name][2])
            for name, part in (("E_par", "div_P"), ("E_par_density", "T_grad_n"),
                               ("E_par_temperature", "n_div_T")):  # -(.)_par / (n e), par = z
                vals[name] = (T1, "mV/m", -vals[part][2][2] * 1e-12 / (n0 * 1e6 * qe) * 1e3)
        for key, (dims, unit, val) in vals.items():
            rec.setdefault(key, (dims, unit, []))[2].append(val)
    with netCDF4.Dataset(path, "w") as ds:
        ds.Conventions, ds.coordinate_system, ds.species = "CF-1.8", "SM", "electrons"
        for d, n in (("time", nt), ("spacecraft", nsc), ("three", 3), ("fac", 3), ("eigen", 3),
                     ("v_par", 16), ("v_perp1", 16), ("v_perp2", 16)):
            ds.createDimension(d, n)
        rec["time"] = (T1, "s since 2026-01-01 00:00:00", np.arange(nt) * 10.0)
        rec.update({d: ((d,), "km/s", v) for d in VGRID})
        for name, (dims, unit, val) in rec.items():
            var = ds.createVariable(name, "f8", dims)
            var[:], var.units = np.array(val), unit


def main():
    ap = argparse.ArgumentParser(prog=PROG, description="figures from <name>.gradient.nc")
    ap.add_argument("gradient_nc", nargs="?")
    ap.add_argument("outdir", nargs="?")
    ap.add_argument("--record", type=int, metavar="K", help="draw only record K")
    ap.add_argument("--selftest", metavar="OUTDIR", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if MISSING is not None:
        note("%s: figures skipped" % MISSING)
        return 3
    np.seterr(all="ignore")  # a zero reference gives an undrawn NaN, not a warning
    try:
        if a.selftest:  # synthetic files (four spacecraft; a pair) written and drawn
            for pair, sub in ((False, ""), (True, "pair")):
                os.makedirs(d := os.path.join(a.selftest, sub), exist_ok=True)
                synth(path := os.path.join(d, "selftest.gradient.nc"), pair)
                print(path)
                draw(path, d, None)
            return 0
        if not a.gradient_nc or not a.outdir:
            ap.print_usage(sys.stderr)
            return 2
        draw(a.gradient_nc, a.outdir, a.record)
    except Malformed as e:
        note(e)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
