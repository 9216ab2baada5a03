#!/usr/bin/python3
"""mms_fpi_to_vdf.py -- MMS FPI L2 distributions of four spacecraft -> cusprate's layout
vdf-1 (<name>.vdf.nc, docs/formats.md), the input of `cusprate gradient`.

  mms_fpi_to_vdf.py --dist F.. --fgm F.. --mec F.. [--moms F..] (--time T [--time T..] |
                    --times FILE | --start T --stop T [--every N]) [--max-dt S] -o OUT.vdf.nc
  mms_fpi_to_vdf.py --selftest OUTDIR

Inputs (one file or more per spacecraft): *.cdf, MMS L2 CDF (FPI brst d[ie]s-dist and
d[ie]s-moms, FGM brst, MEC epht89d), read with the Python module cdflib, which is NOT a
Debian package (pip install cdflib; without it a CDF input exits with status 3); or *.nc,
the same exported by pyrfu + xarray (see tools/README.md). Each spacecraft's distribution
nearest to each requested UTC time is taken; B and position are interpolated linearly to
its time. FPI phi/theta are LOOK directions: the velocity's polar = 180 - theta and
azimuth = phi + 180 (mod 360), sorted increasing. Times are accumulation centres (Epoch +
(DELTA_PLUS - DELTA_MINUS)/2, as pyrfu). Exit status: 0 done, 1 self-test failed,
2 bad arguments or input, 3 cdflib missing for a CDF input (or numpy/netCDF4 missing).
"""
import argparse
import datetime
import os
import re
import sys

try:
    import numpy as np
    import netCDF4
except ImportError as e:
    print(f"mms_fpi_to_vdf: {e}: needs python3-numpy and python3-netcdf4", file=sys.stderr)
    sys.exit(3)

MASS = {"dis": 1.67262192369e-27, "des": 9.1093837015e-31}  # kg, proton / electron (core/cr_units.h)
F_TO_CM = {"s^3/cm^6": 1.0, "s^3/m^6": 1e-12, "s^3/km^6": 1e-30}  # -> s^3 cm^-6
LEAPS = np.array(["2015-07-01", "2017-01-01"], "datetime64[ns]").astype(np.int64)  # after MMS-era leap seconds
NS = {"nanoseconds": 1, "microseconds": 10**3, "milliseconds": 10**6, "seconds": 10**9, "s": 10**9,
      "minutes": 60 * 10**9, "hours": 3600 * 10**9, "days": 86400 * 10**9}
DEG = ("deg", "degree", "degrees", "")
UNITS_OK = {"energy": ("ev", ""), "phi": DEG, "theta": DEG}


class InputError(Exception):
    pass


def utc_ns(text):
    """ISO 8601 UTC ('2015-10-16T13:07:02.160', optional Z) -> int64 ns since 1970."""
    try:
        return int(np.datetime64(text.strip().rstrip("Z").replace(" ", "T"), "ns").astype(np.int64))
    except ValueError:
        raise InputError(f"not an ISO 8601 time: '{text}'")


def iso(ns, unit="ms"):
    return str(np.datetime64(int(ns), "ns").astype(f"datetime64[{unit}]"))


# ---- CDF (cdflib) ---------------------------------------------------------------------
def read_cdf(path, kind):
    try:
        import cdflib
    except ImportError:
        print(f"mms_fpi_to_vdf: {path}: reading CDF needs the Python module cdflib, not a Debian package "
              "(pip install cdflib); or export the data with pyrfu to netCDF (tools/README.md)", file=sys.stderr)
        sys.exit(3)
    f = cdflib.CDF(path)
    pat = {"dist": r"mms([1-4])_d([ie])s_dist_(brst|fast)", "fgm": r"mms([1-4])_fgm_b_gse_(brst|srvy)_l2",
           "mec": r"mms([1-4])_mec_r_gse", "moms": r"mms([1-4])_d([ie])s_bulkv_gse_(brst|fast)"}[kind]
    info = f.cdf_info()
    names = info.zVariables if hasattr(info, "zVariables") else info["zVariables"]
    hits = [n for n in names if re.fullmatch(pat, n)]
    if len(hits) != 1:
        raise InputError(f"{path}: {len(hits)} variables match {pat} (one expected)")
    var, att = hits[0], f.varattsget(hits[0])
    m = re.fullmatch(pat, var)
    ep = att["DEPEND_0"]  # TT2000 -> UTC by cdflib, with its leap-second table
    t = cdflib.cdfepoch.to_datetime(f.varget(ep)).astype("datetime64[ns]").astype(np.int64)
    eatt = f.varattsget(ep)
    if kind in ("dist", "moms") and "DELTA_PLUS_VAR" in eatt:  # FPI Epoch = start of the accumulation
        half = 0.0
        for key, sign in (("DELTA_PLUS_VAR", 0.5), ("DELTA_MINUS_VAR", -0.5)):
            if key in eatt:
                a = f.varattsget(eatt[key])
                si, unit = str(a.get("SI_CONVERSION", "")), str(a.get("UNITS", "s")).strip().lower()
                scale = float(si.split(">")[0]) if ">" in si else (1e-3 if unit == "ms" else 1.0)
                half += sign * float(np.ravel(f.varget(eatt[key]))[0]) * scale
        step = np.median(np.diff(t)) / 1e9 if len(t) > 1 else half * 2
        t = t + int(round(1e9 * (half if abs(half - step / 2) <= step / 4 else step / 2)))  # pyrfu's fallback
    data = np.asarray(f.varget(var))
    data = data.reshape((len(t),) + data.shape[-(3 if kind == "dist" else 1):])
    sp = "dis" if kind in ("dist", "moms") and m.group(2) == "i" else "des"
    if kind != "dist":
        return {"probe": int(m.group(1)), "t": t, "y": data[:, :3].astype(float), "units": str(att.get("UNITS", "")),
                "species": sp if kind == "moms" else None, "src": path}
    axes = {}  # DEPEND_1..3 name the axes: phi, theta, energy (as pyrfu's get_dist reads them)
    for i in (1, 2, 3):
        name = att[f"DEPEND_{i}"]
        key = next((k for k in UNITS_OK if f"_{k}_" in name), None)
        if key is None:
            raise InputError(f"{path}: DEPEND_{i} of {var} is {name}, not phi, theta or energy")
        axes[key] = (i, np.asarray(f.varget(name), dtype=float), str(f.varattsget(name).get("UNITS", "")))
    f_tept = np.transpose(data, (0, axes["energy"][0], axes["phi"][0], axes["theta"][0]))
    return skymap(path, int(m.group(1)), sp, t, f_tept, str(att.get("UNITS", "")), axes)


# ---- netCDF (pyrfu / xarray export) --------------------------------------------------
def nc_times(v):
    """CF time; xarray may write 'nanoseconds since 2015-10-16 13:06:59.9', which cftime refuses."""
    m = re.fullmatch(r"\s*(\w+)\s+since\s+(.+?)\s*", getattr(v, "units", ""))
    if not m or m.group(1).lower() not in NS:
        raise InputError(f"time variable '{v.name}' has units '{getattr(v, 'units', '')}'")
    ref, x, step = utc_ns(re.sub(r"(\+00:?00| UTC|Z)$", "", m.group(2))), np.asarray(v[:]), NS[m.group(1).lower()]
    return ref + (x.astype(np.int64) * step if x.dtype.kind in "iu" else np.round(x * step).astype(np.int64))


def read_nc(path, kind):
    with netCDF4.Dataset(path) as d:
        d.set_auto_mask(False)
        m = re.search(r"mms([1-4])", os.path.basename(path))
        probe = getattr(d, "probe", m and m.group(1))
        if probe is None:
            raise InputError(f"{path}: no global attribute 'probe' and no mms1..mms4 in the file name")
        units = lambda v: str(getattr(v, "UNITS", getattr(v, "units", "")))
        if kind != "dist":
            cand = [v for v in d.variables.values() if v.ndim == 2 and len(d.dimensions[v.dimensions[1]]) in (3, 4)
                    and "since" in getattr(d.variables.get(v.dimensions[0]), "units", "")]
            if len(cand) != 1:
                raise InputError(f"{path}: {len(cand)} variables (time, comp) of 3 or 4 components (one expected)")
            v = cand[0]
            return {"probe": int(probe), "t": nc_times(d[v.dimensions[0]]), "y": np.asarray(v[:], float)[:, :3],
                    "units": units(v), "species": None, "src": path}
        if "data" not in d.variables or d["data"].ndim != 4:
            raise InputError(f"{path}: no variable 'data' (time, idx0, idx1, idx2) as pyrfu's get_dist makes")
        sp, base = str(getattr(d, "species", "")).lower(), os.path.basename(path)
        sp = "dis" if sp.startswith("ion") or "_dis_" in base else "des" if sp[:4] == "elec" or "_des_" in base else ""
        if not sp:
            raise InputError(f"{path}: species unknown (attribute 'species', or _dis_/_des_ in the file name)")
        axes = {k: (i, np.asarray(d[k][:], float), units(d[k])) for i, k in ((1, "energy"), (2, "phi"), (3, "theta"))}
        return skymap(path, int(probe), sp, nc_times(d[d["data"].dimensions[0]]), d["data"][:], units(d["data"]), axes)


# ---- FPI skymap -> velocity directions -----------------------------------------------
def skymap(path, probe, sp, t, f, funits, axes):
    """Checks units; f (time, energy, phi, theta) is kept as read until records are chosen."""
    key = funits.replace(" ", "").lower()
    if key not in F_TO_CM:
        raise InputError(f"{path}: distribution in '{funits}' (phase-space density s^3/cm^6 expected)")
    for k, (_, _, u) in axes.items():
        if u.strip().lower() not in UNITS_OK[k]:
            raise InputError(f"{path}: {k} in '{u}' (eV, degrees expected)")
    nt, ne, nphi, _ = f.shape
    return {"probe": probe, "species": sp, "t": t, "f": f, "scale": F_TO_CM[key], "src": path,
            "energy": np.broadcast_to(axes["energy"][1].reshape(-1, ne), (nt, ne)),  # brst: per record (two tables)
            "phi": np.broadcast_to(axes["phi"][1].reshape(-1, nphi), (nt, nphi)),  # brst: per record
            "theta": np.ravel(axes["theta"][1])}


def to_velocity(d, k):
    """Records k of FPI look directions -> f (record, energy, polar, azimuth) of the particle velocity."""
    f = np.asarray(d["f"][k], dtype=float)
    f = np.swapaxes(np.where(np.abs(f) < 1e30, f, np.nan) * d["scale"], 2, 3)  # fill -> NaN
    pol = 180.0 - d["theta"]
    o = np.argsort(pol)
    pol, f = pol[o], f[:, :, o, :]
    az = np.mod(d["phi"][k] + 180.0, 360.0)
    o = np.argsort(az, axis=1)
    az, f = np.take_along_axis(az, o, 1), np.take_along_axis(f, o[:, None, None, :], 3)
    o = np.argsort(d["energy"][k], axis=1)
    e, f = np.take_along_axis(d["energy"][k], o, 1), np.take_along_axis(f, o[:, :, None, None], 1)
    if np.any(np.diff(pol) <= 0) or pol[0] < 0 or pol[-1] > 180:
        raise InputError(f"mms{d['probe']}: theta {d['theta']} gives no increasing polar angles in [0, 180]")
    return f, e, pol, az


# ---- assembling and writing ----------------------------------------------------------
def load(paths, kind):
    """{probe: record}, the files of one probe joined in time order (repeated times dropped)."""
    out = {}
    for p in paths or []:
        r = read_cdf(p, kind) if p.lower().endswith(".cdf") else read_nc(p, kind)
        for k, v in r.items():
            out.setdefault(r["probe"], {}).setdefault(k, []).append(v)
    for probe, q in out.items():
        if len(set(q["species"]) - {None}) > 1:
            raise InputError(f"mms{probe}: ion and electron files mixed")
        o = np.argsort(np.concatenate(q["t"]), kind="stable")
        o = o[np.r_[True, np.diff(np.concatenate(q["t"])[o]) > 0]]
        for k in q:
            if k in ("t", "f", "energy", "phi", "y"):
                q[k] = np.concatenate(q[k])[o]
            elif k != "src":
                q[k] = q[k][0]
    return out


def interp(series, t, what, probe):
    ok = np.all(np.isfinite(series["y"]) & (np.abs(series["y"]) < 1e30), axis=1)
    ts, y = series["t"][ok], series["y"][ok]
    if len(ts) < 2 or t.min() < ts[0] or t.max() > ts[-1]:
        raise InputError(f"mms{probe} {what}: {iso(t.min())} .. {iso(t.max())} not inside its data"
                         + (f" ({iso(ts[0])} .. {iso(ts[-1])})" if len(ts) else ""))
    return np.stack([np.interp((t - ts[0]) / 1e9, (ts - ts[0]) / 1e9, y[:, c]) for c in range(3)], axis=-1)


def convert(a):
    dists, aux = load(a.dist, "dist"), {k: load(getattr(a, k), k) for k in ("fgm", "mec", "moms")}
    probes = sorted(dists)
    if len(probes) not in (2, 4):
        raise InputError(f"distributions of spacecraft mms{probes}: four (or a pair) needed")
    species = {dists[p]["species"] for p in probes} | {aux["moms"][p]["species"] for p in aux["moms"]}
    if len(species - {None}) != 1:
        raise InputError("ion (dis) and electron (des) files mixed")
    for k, want in (("fgm", "nt"), ("mec", "km"), ("moms", "km/s")):
        if (k != "moms" or aux[k]) and sorted(aux[k]) != probes:
            raise InputError(f"--{k} gives spacecraft mms{sorted(aux[k])}, the distributions mms{probes}")
        for p in aux[k]:
            if aux[k][p]["units"].strip().lower() not in (want, ""):
                raise InputError(f"--{k}: mms{p} in '{aux[k][p]['units']}' ({want} expected)")
    first = dists[probes[0]]["t"]
    if a.time or a.times:
        lines = [s.split("#")[0] for s in a.time or open(a.times).read().splitlines()]
        T = np.sort([utc_ns(s) for s in lines if s.strip()])
    else:
        T = first[(first >= utc_ns(a.start)) & (first <= utc_ns(a.stop))][:: a.every]
    if len(T) == 0:
        raise InputError("no requested time (or no distribution of the first spacecraft in --start..--stop)")
    nrec, nsc = len(T), len(probes)
    tsel, f, e, pol, az = np.zeros((nrec, nsc), np.int64), [], [], [], []
    pos, B, U = (np.zeros((nrec, nsc, 3)) for _ in range(3))
    for j, p in enumerate(probes):
        td = dists[p]["t"]
        k = np.clip(np.searchsorted(td, T), 1, max(len(td) - 1, 1))
        k = np.where(np.abs(td[k - 1] - T) <= np.abs(td[np.minimum(k, len(td) - 1)] - T), k - 1, k)
        limit = a.max_dt if a.max_dt is not None else (np.median(np.diff(td)) / 1e9 if len(td) > 1 else 0.0)
        far = np.abs(td[k] - T) / 1e9 > limit
        if far.any():
            raise InputError(f"mms{p}: no distribution within {limit:.3f} s of {iso(T[far][0])} "
                             f"(its data: {iso(td[0])} .. {iso(td[-1])})")
        tsel[:, j] = td[k]
        fj, ej, polj, azj = to_velocity(dists[p], k)
        f.append(fj), e.append(ej), pol.append(polj), az.append(azj)
        B[:, j] = interp(aux["fgm"][p], tsel[:, j], "FGM B", p)
        pos[:, j] = interp(aux["mec"][p], tsel[:, j], "MEC position", p)
        if aux["moms"]:
            U[:, j] = interp(aux["moms"][p], tsel[:, j], "bulk velocity", p)
    if len({x.shape[1:] for x in f}) != 1:
        raise InputError("the spacecraft's distributions have different numbers of bins")
    if np.any((LEAPS > tsel.min()) & (LEAPS <= tsel.max())):
        raise InputError("the records span a leap second (2015-06-30 or 2016-12-31 23:59:60 UTC): split them")
    pol = np.broadcast_to(np.array(pol)[None], (nrec, nsc, len(pol[0])))
    write(a.output, probes, (species - {None}).pop(), tsel, np.stack(f, 1), np.stack(e, 1), pol, np.stack(az, 1),
          pos, B, U if aux["moms"] else None, [s for p in probes for s in dists[p]["src"]], a.cmdline)
    print(f"wrote {a.output}: {nrec} record(s) of mms{probes}, {iso(tsel.min())} to {iso(tsel.max())}; "
          f"the spacecraft's times within a record differ by <= {np.ptp(tsel, 1).max() / 1e6:.0f} ms")


def write(path, probes, sp, tsel, f, e, pol, az, pos, B, U, srcs, cmdline):
    trec = tsel.mean(axis=1).round().astype(np.int64)
    epoch = trec[0] // 1000 * 1000  # the first record's time to the microsecond
    o = netCDF4.Dataset(path, "w", format="NETCDF4")
    try:
        dims = ("time", "spacecraft", "three", "energy", "polar", "azimuth")
        for name, n in zip(dims, f.shape[:2] + (3,) + f.shape[2:]):
            o.createDimension(name, n)
        o.setncatts({"Conventions": "CF-1.8", "cusprate_layout": "vdf-1", "grid_type": "spherical",
                     "coordinate_system": "GSE", "species": {"dis": "proton", "des": "electron"}[sp],
                     "title": f"MMS FPI {sp.upper()} distributions of mms{'/'.join(map(str, probes))}",
                     "velocity_direction": "particle velocity: polar = 180 - FPI theta, azimuth = FPI phi + 180",
                     "angle_frame": "FPI's despun spacecraft frame (DBCS), taken as GSE without rotation",
                     "time_convention": "UTC, centre of each accumulation; record time = mean of the spacecraft's",
                     "source": " ".join(os.path.basename(s) for s in srcs),
                     "history": f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%dT%H:%M:%SZ} {cmdline}"})

        def var(name, dims, data, units, long_name, **kw):
            v = o.createVariable(name, "f8" if np.asarray(data).dtype.kind == "f" else "i4", dims, **kw)
            v.setncatts({k: x for k, x in (("units", units), ("long_name", long_name)) if x})
            v[...] = data
            return v

        var("time", ("time",), (trec - epoch) / 1e9, f"seconds since {iso(epoch, 'us')}Z", "time of the record")
        var("time_offset", ("time", "spacecraft"), (tsel - trec[:, None]) / 1e9, "s",
            "each spacecraft's distribution time minus the record time")
        var("probe", ("spacecraft",), np.array(probes), "", "MMS spacecraft number")
        var("mass", (), MASS[sp], "kg", "particle mass")
        var("charge", (), 1.0 if sp == "dis" else -1.0, "1", "particle charge in elementary charges")
        for name, x, u, ln in (("position", pos, "km", "spacecraft position (MEC)"), ("B", B, "nT", "FGM field"),
                               ("bulk_velocity", U, "km/s", "bulk velocity (FPI moments)")):
            if x is not None:
                var(name, ("time", "spacecraft", "three"), x, u, ln)
        for name, x, u in (("energy", e, "eV"), ("polar", pol, "degree"), ("azimuth", az, "degree")):
            same = np.all(x == x[:1, :1])  # one table for every record and spacecraft: 1-D
            dims = (name,) if same else ("time", "spacecraft", name)
            var(name, dims, x[0, 0] if same else x, u, name + " bin centre")
        var("f", ("time", "spacecraft", "energy", "polar", "azimuth"), f, "s3 cm-6",
            "phase-space density (NaN = not measured)", zlib=True, complevel=4)
        o.close()
    except BaseException:
        o.isopen() and o.close()
        os.remove(path)
        raise


# ---- self-test: synthetic FPI-like inputs, converted and checked against the layout ----
QE, T0, U0 = 1.602176634e-19, utc_ns("2015-10-16T13:07:00"), np.array([-150.0, 80.0, 40.0])
KT, CADENCE = {"dis": 400.0, "des": 200.0}, {"dis": 150_000_000, "des": 30_000_000}  # eV, ns


def maxwellian(v, n, sp):  # v [km/s] -> f [s^3 cm^-6]
    m, kt = MASS[sp], KT[sp] * QE
    return n * 1e-6 * (m / (2 * np.pi * kt)) ** 1.5 * np.exp(-m * np.sum((v - U0) ** 2, -1) * 1e6 / (2 * kt))


def unit(polar, azimuth):
    p, a = np.radians(polar), np.radians(azimuth)
    return np.stack(np.broadcast_arrays(np.sin(p) * np.cos(a), np.sin(p) * np.sin(a), np.cos(p)), -1)


def field(t, probe):  # B [nT] and position [km] (a regular tetrahedron, 35 km sides), linear in time
    s = (np.asarray(t) - T0)[:, None] / 1e9
    corner = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]])[probe - 1]
    return [10.0, -5.0, 20.0] + s * [0.5, 0.2, -0.1], [60000.0, 0, 0] + 12.5 * corner + s * [1.0, -2.0, 0.5]


def synth(probe, sp, nt):
    """A drifting Maxwellian as FPI brst records it: look directions, two alternating energy tables."""
    k = np.arange(nt)
    t = T0 + CADENCE[sp] * (probe % 4 * 23 + probe // 4) // 100 + k * CADENCE[sp]  # the four out of phase
    e0 = np.geomspace(10.0, 28000.0, 32)
    energy = np.where(k[:, None] % 2 == 0, e0, e0 * (e0[1] / e0[0]) ** 0.5)
    phi = np.mod(5.625 + 11.25 * np.arange(32) + 7.3 * k[:, None] + 3 * probe, 360.0)  # per record, unsorted
    theta = 5.625 + 11.25 * np.arange(16)
    v = -np.sqrt(2 * energy * QE / MASS[sp])[:, :, None, None, None] / 1e3 * unit(theta, phi[:, :, None])[:, None]
    n = 5.0 * (1 + 0.02 * (probe - 1))
    return {"t": t, "f": maxwellian(v, n, sp).astype(np.float32), "energy": energy, "phi": phi, "theta": theta, "n": n}


def write_nc(path, t, rows, attrs, unit="nanoseconds"):  # as xarray's to_netcdf of pyrfu's objects
    with netCDF4.Dataset(path, "w") as d:
        d.setncatts(attrs)
        d.createDimension("time", len(t))
        ref = utc_ns(iso(t[0], "us"))
        v = d.createVariable("time", "i8" if unit == "nanoseconds" else "f8", ("time",))
        v.units = f"{unit} since {iso(ref, 'us').replace('T', ' ')}"
        v[:] = (t - ref) // NS[unit] if unit == "nanoseconds" else (t - ref) / NS[unit]
        for name, dims, x, units in rows:
            for dn, n in zip(dims, x.shape):
                d.dimensions.get(dn) or d.createDimension(dn, n)
            v = d.createVariable(name, x.dtype, dims, fill_value=np.nan)
            v.UNITS, v[...] = units, x


def write_cdf(cdflib, path, t, rows, delta_ms=None):  # rows: (name, data, attrs); record-varying with DEPEND_0
    ref = utc_ns(iso(t[0], "s"))
    tt = cdflib.cdfepoch.compute_tt2000([int(x) for x in re.split(r"\D", iso(ref, "s"))] + [0, 0, 0]) + (t - ref)
    c = cdflib.cdfwrite.CDF(path, delete=True)
    spec = lambda n, typ, dims, rv: {"Variable": n, "Data_Type": typ, "Num_Elements": 1, "Rec_Vary": rv,
                                     "Dim_Sizes": dims}
    ep = {"DELTA_PLUS_VAR": "epoch_plus_var", "DELTA_MINUS_VAR": "epoch_minus_var"} if delta_ms else {}
    for name, ms in zip(ep.values(), (delta_ms, 0.0)):
        c.write_var(spec(name, 21, [], False), {"UNITS": "ms", "SI_CONVERSION": "1.0e-3>s"}, np.float32([ms]))
    c.write_var(spec("Epoch", 33, [], True), ep, np.asarray(tt, np.int64))
    for name, y, a in rows:
        rv = "DEPEND_0" in a
        c.write_var(spec(name, 21, list(y.shape[1:] if rv else y.shape), rv), a, y.astype(np.float32))
    c.close()


def inputs(out, sp, truth, cdflib=None):
    """Input files of the four spacecraft: pyrfu-netCDF form, or CDF form through cdflib; the options."""
    files = {k: [] for k in ("dist", "fgm", "mec", "moms")}
    tb, tr = T0 - 10**9 + np.arange(1200) * 62_500_000, T0 + np.arange(-2, 4) * 30 * 10**9  # FGM 16/s, MEC 30 s
    for p, s in truth.items():
        pre, dn, nt = os.path.join(out, f"mms{p}_{sp}"), f"mms{p}_{sp}_", len(s["t"])
        b, r, u = field(tb, p)[0], field(tr, p)[1], np.tile(U0, (nt, 1))
        if cdflib is None:
            names = [pre + x for x in ("_dist_brst.nc", "_fgm.nc", "_mec.nc", "_moms.nc")]
            write_nc(names[0], s["t"], [("data", ("time", "idx0", "idx1", "idx2"), s["f"], "s^3/cm^6"),
                                        ("energy", ("time", "idx0"), s["energy"], "eV"),
                                        ("phi", ("time", "idx1"), s["phi"], "deg"),
                                        ("theta", ("idx2",), s["theta"], "deg")],
                     {"species": "ions" if sp == "dis" else "electrons"})
            for name, t, y, un in zip(names[1:], (tb, tr, s["t"]), (b, r, u), ("nT", "km", "km/s")):
                write_nc(name, t, [("__xarray_dataarray_variable__", ("time", "comp"), y, un)], {}, "microseconds")
        else:
            names = [pre + x for x in ("_fpi_brst_l2_dist.cdf", "_fgm_brst_l2.cdf", "_mec_epht89d.cdf", "_moms.cdf")]
            start, ms = s["t"] - CADENCE[sp] // 2, CADENCE[sp] / 1e6  # FPI Epoch: the start of the accumulation
            dist = {"DEPEND_0": "Epoch", "DEPEND_1": dn + "phi_brst", "DEPEND_2": dn + "theta_brst",
                    "DEPEND_3": dn + "energy_brst", "UNITS": "s^3/cm^6", "FILLVAL": np.float32(-1e31)}
            rec = {"DEPEND_0": "Epoch"}
            write_cdf(cdflib, names[0], start, [(dn + "dist_brst", s["f"].transpose(0, 2, 3, 1), dist),  # t, phi, th, E
                                                (dn + "phi_brst", s["phi"], {**rec, "UNITS": "deg"}),
                                                (dn + "theta_brst", s["theta"], {"UNITS": "deg"}),
                                                (dn + "energy_brst", s["energy"], {**rec, "UNITS": "eV"})], ms)
            b4 = np.c_[b, np.linalg.norm(b, axis=1)]  # FGM: Bx, By, Bz, |B|
            write_cdf(cdflib, names[1], tb, [(f"mms{p}_fgm_b_gse_brst_l2", b4, {**rec, "UNITS": "nT"})])
            write_cdf(cdflib, names[2], tr, [(f"mms{p}_mec_r_gse", r, {**rec, "UNITS": "km"})])
            write_cdf(cdflib, names[3], start, [(dn + "bulkv_gse_brst", u, {**rec, "UNITS": "km/s"})], ms)
        for k, name in zip(files, names):
            files[k].append(name)
    return sum(([f"--{k}"] + v for k, v in files.items()), [])


def check(path, truth, sp, fails):
    def ok(cond, what):
        print(f"  {'ok  ' if cond else 'FAIL'} {what}")
        fails.extend([] if cond else [f"{os.path.basename(path)}: {what}"])
    probes, n0 = sorted(truth), np.array([truth[p]["n"] for p in sorted(truth)])
    with netCDF4.Dataset(path) as d:
        d.set_auto_mask(False)
        g = [getattr(d, k, "") for k in ("cusprate_layout", "grid_type", "coordinate_system", "species")]
        ok(g == ["vdf-1", "spherical", "GSE", "proton" if sp == "dis" else "electron"], f"global attributes {g}")
        units = [d[k].units for k in ("f", "energy", "polar", "azimuth", "B", "position")]
        ok(d["f"].dimensions == ("time", "spacecraft", "energy", "polar", "azimuth") and d["polar"].dimensions ==
           ("polar",) and units == ["s3 cm-6", "eV", "degree", "degree", "nT", "km"], f"dimensions and units; energy "
           f"{d['energy'].dimensions}, azimuth {d['azimuth'].dimensions}")
        m, q, f, pol = float(d["mass"][...]), float(d["charge"][...]), d["f"][:], d["polar"][:]
        ok(m == MASS[sp] and q == (1 if sp == "dis" else -1), f"mass {m:.4e} kg, charge {q:+g}")
        E, az = (np.broadcast_to(d[k][:], f.shape[:2] + (f.shape[i],)) for k, i in (("energy", 2), ("azimuth", 4)))
        ok(np.all(np.diff(pol) > 0) and pol[0] >= 0 and pol[-1] <= 180 and np.all(np.diff(az) > 0)
           and az.min() >= 0 and az.max() < 360, "polar and azimuth increasing, within [0, 180] and [0, 360)")
        t = netCDF4.num2date(d["time"][:], d["time"].units, only_use_cftime_datetimes=False)
        t = np.array([utc_ns(x.isoformat()) for x in t])[:, None] + np.round(d["time_offset"][:] * 1e9).astype(int)
        off = max(np.abs(truth[p]["t"][:, None] - t[:, j]).min(0).max() for j, p in enumerate(probes))
        ok(off < 20000 and np.ptp(t, 1).max() < CADENCE[sp], f"times (units '{d['time'].units}', read by cftime): "
           f"the spacecraft's own within {off / 1e3:.1f} us, less than a cadence apart")
        BR = [field(t[:, j], p) for j, p in enumerate(probes)]
        ok(np.allclose(d["B"][:], np.stack([b for b, _ in BR], 1), atol=1e-5) and np.allclose(
            d["position"][:], np.stack([r for _, r in BR], 1), atol=1e-4), "B and position at each spacecraft's time")
        vel = np.sqrt(2 * E * QE / m)[..., None, None, None] / 1e3 * unit(pol[:, None], az[:, :, None, None, :])
        want = maxwellian(vel, n0[None, :, None, None, None], sp)
        ok(np.allclose(f, want, rtol=1e-5, atol=1e-7 * want.max()), "f = the Maxwellian at the written directions")
        mid = np.sqrt(E[..., 1:] * E[..., :-1])  # bins as cusprate's defaults (docs/formats.md)
        lo = np.concatenate([E[..., :1] ** 2 / mid[..., :1], mid], -1)
        hi = np.concatenate([mid, E[..., -1:] ** 2 / mid[..., -1:]], -1)
        dv3 = ((2 * hi * QE / m) ** 1.5 - (2 * lo * QE / m) ** 1.5) * 1e6 / 3  # cm^3 s^-3
        pe = np.radians(np.r_[0, (pol[1:] + pol[:-1]) / 2, 180])
        ae = np.concatenate([az[..., -1:] - 360, az, az[..., :1] + 360], -1)
        dphi = np.radians(ae[..., 2:] - ae[..., :-2]) / 2
        w = np.nan_to_num(f) * dv3[..., None, None] * (np.cos(pe[:-1]) - np.cos(pe[1:]))[:, None]
        w *= dphi[:, :, None, None]
        n, U = w.sum((2, 3, 4)), (w[..., None] * vel).sum((2, 3, 4)) / w.sum((2, 3, 4))[..., None]
        dn, dU = np.abs(n / n0 - 1).max(), np.abs(U - U0).max()
        ok(dn < 0.03, f"density by spherical quadrature: relative error {dn:.4f} < 0.03")
        ok(dU < 0.05 * np.linalg.norm(U0), f"bulk velocity by the same quadrature: error {dU:.1f} km/s")


def selftest(out):
    os.makedirs(out, exist_ok=True)
    try:
        import cdflib
    except ImportError:
        cdflib = None
    fails, res = [], {}
    for sp, nt, form in (("dis", 40, "nc"), ("des", 12, "nc")) + ((("dis", 40, "cdf"),) if cdflib else ()):
        truth = {p: synth(p, sp, nt) for p in (1, 2, 3, 4)}
        args = inputs(out, sp, truth, cdflib if form == "cdf" else None)
        t1 = truth[1]["t"]
        for tag, sel in (("time", [f"--time={iso(t1[nt // 2] + 50_000_000)}Z", "--time=" + iso(t1[4])]),
                         ("range", ["--start", iso(t1[2]), "--stop", iso(t1[7])])):
            res[sp, form, tag] = os.path.join(out, f"selftest_{sp}_{form}_{tag}.vdf.nc")
            print(f"{sp} from {'CDF (cdflib)' if form == 'cdf' else 'pyrfu netCDF'}, --{tag}:")
            main(args + sel + ["-o", res[sp, form, tag]])
            check(res[sp, form, tag], truth, sp, fails)
    if cdflib:
        with netCDF4.Dataset(res["dis", "nc", "range"]) as a, netCDF4.Dataset(res["dis", "cdf", "range"]) as b:
            keys = ("energy", "azimuth", "time", "B", "position")
            same = np.array_equal(a["f"][:], b["f"][:]) and all(np.allclose(a[k][:], b[k][:], 1e-6, 1e-4) for k in keys)
        print(f"  {'ok  ' if same else 'FAIL'} the CDF and the netCDF forms give the same file (float32 angles)")
        fails.extend([] if same else ["the CDF and the netCDF forms differ"])
    else:
        try:
            read_cdf(os.path.join(out, "none.cdf"), "dist")
        except SystemExit as e:
            print(f"cdflib is not importable: the CDF form is untested here; a CDF input exits with status {e.code}")
            fails.extend([] if e.code == 3 else ["a CDF input without cdflib: exit status not 3"])
    print("self-test: " + (f"{len(fails)} FAILED: " + "; ".join(fails) if fails else "all checks passed"))
    return 1 if fails else 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    for k, h in (("dist", "FPI distributions, mmsN_fpi_brst_l2_d[ie]s-dist_*.cdf or pyrfu .nc"),
                 ("fgm", "FGM B, mmsN_fgm_brst_l2_*.cdf or .nc"),
                 ("mec", "MEC position, mmsN_mec_srvy_l2_epht89d_*.cdf or .nc"),
                 ("moms", "optional bulk_velocity, mmsN_fpi_brst_l2_d[ie]s-moms_*.cdf or .nc")):
        p.add_argument(f"--{k}", nargs="+", metavar="FILE", help=h + " (one or more per spacecraft)")
    p.add_argument("--time", action="append", help="UTC, ISO 8601 (repeatable)")
    p.add_argument("--times", metavar="FILE", help="UTC times, one a line ('#' starts a comment)")
    p.add_argument("--start", help="every distribution of the lowest-numbered spacecraft from START ...")
    p.add_argument("--stop", help="... to STOP (UTC)")
    p.add_argument("--every", type=int, default=1, help="with --start/--stop: every N-th (default 1)")
    p.add_argument("--max-dt", type=float, help="largest |distribution time - requested time| [s] (default: a cadence)")
    p.add_argument("-o", "--output", help="output file, <name>.vdf.nc")
    p.add_argument("--selftest", metavar="OUTDIR", help="build synthetic inputs in OUTDIR, convert and check them")
    a = p.parse_args(argv)
    if a.selftest:
        return selftest(a.selftest)
    a.cmdline = " ".join(["mms_fpi_to_vdf.py"] + (argv if argv is not None else sys.argv[1:]))
    try:
        if not (a.dist and a.fgm and a.mec and a.output) or a.every < 1 or bool(a.start) != bool(a.stop) \
                or [bool(a.time), bool(a.times), bool(a.start)].count(True) != 1:
            raise InputError("needs --dist, --fgm, --mec, -o and one of --time, --times, --start with --stop")
        convert(a)
    except (InputError, OSError, KeyError, IndexError, ValueError) as e:
        if argv is not None:  # called by the self-test
            raise
        print(f"mms_fpi_to_vdf: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
