#!/usr/bin/env python3
"""msphere_sweep.py — the magnetosphere across driving: stability and validation.

Runs `cusprate mhd` on a magnetosphere parameter file (runs/southward.ini, the
D grid, or runs/southward_quick.ini) once per case of the storm protocol of
docs/magnetosphere.md ("Across driving"), each with msphere.validate=yes, and
collects what every run's msphere_validation.txt says: subsolar stand-off
against Shue et al. (1998), bow shock against Farris & Russell (1994),
polar-cap potential against Boyle et al. (1997) and the Hill-Siscoe
saturation (Siscoe et al. 2002), the Dst proxy, the time-step ratio after the
IMF turns and div B; with --open-flux also the open flux of the last minute
(`cusprate flux` over the last 60 s).

Cases (IMF Bz after the spin-up; n = 5 /cc, V = 400 km/s, T = 1e5 K unless
named):
  bz0, bz5, bz10, bz20       Bz = 0, -5, -10, -20 nT (the validation)
  n20v600                    Bz = -10 nT, n = 20 /cc, V = 600 km/s (stability)
  v800                       Bz = -10 nT, V = 800 km/s (stability)
each with the conductance models given by --conductance (uniform, model or
both; `ionosphere.conductance`).

Exit status 1 when a run fails or a stability goal is missed (a collapsed
time step, the smallest CFL step after the turning below a third of the step
before it, div B above 1e-12); the validation goals are reported (PASS/FAIL
per quantity) and, as findings, do not change the status. A markdown table
goes to OUT/sweep.md.

  python3 tools/msphere_sweep.py --ini runs/southward_quick.ini --out out/sweep_quick
  python3 tools/msphere_sweep.py --ini runs/southward.ini --out out/sweep_D --cases bz10,bz20
"""
import argparse
import os
import re
import subprocess
import sys
import time

CASES = {
    "bz0": ["wind.bz=0"],
    "bz5": ["wind.bz=-5"],
    "bz10": ["wind.bz=-10"],
    "bz20": ["wind.bz=-20"],
    "n20v600": ["wind.bz=-10", "wind.n=20", "wind.vx=-600"],
    "v800": ["wind.bz=-10", "wind.vx=-800"],
}

NUM = r"([-+0-9.eEinfa]+)"


def parse_validation(path):
    """The figures of one msphere_validation.txt (None where absent)."""
    v = {}
    try:
        text = open(path).read()
    except OSError:
        return None
    pats = {
        "mp": r"subsolar magnetopause " + NUM + r" R_E vs Shue et al\. 1998 " + NUM + r" R_E: " + NUM,
        "bs": r"bow shock +" + NUM + r" R_E vs Farris & Russell 1994 " + NUM + r" R_E.*?: " + NUM + r" %",
        "pc": r"cross-polar-cap pot\. +" + NUM + r" kV vs Boyle et al\. 1997 " + NUM + r" kV",
        "hs": r"Hill-Siscoe " + NUM + r" kV",
        "sig": r"polar-cap Sigma_P " + NUM + r" S",
        "dst": r"Dst proxy .*?mean\) " + NUM + r" nT",
        "dt": r"time step: " + NUM + r" s before .*?smallest after " + NUM + r" s: ratio " + NUM,
        "divb": r"div B: at most " + NUM,
        "floors": r"density (\d+), pressure (\d+) \(cell-stages\); Alfven-speed limiter (\d+)",
        "entropy": r"pressure from the entropy \(mhd\.dual_energy\) (\d+)",
    }
    for k, p in pats.items():
        m = re.search(p, text)
        v[k] = [float(x) for x in m.groups()] if m else None
    v["verdicts"] = {}
    for line in text.splitlines():
        for key, label in (("mp", "subsolar magnetopause"), ("bs", "bow shock"), ("pc", "cross-polar-cap"),
                           ("steady", "quasi-steady"), ("dt", "time step:"), ("divb", "div B:")):
            if line.strip().startswith(label):
                v["verdicts"][key] = "PASS" if line.rstrip().endswith("PASS") else "FAIL"
    return v


def fmt_wall(w):
    return "-" if w != w else "%.0f s" % w


def exit_status(log):
    """Exit status of a finished run from its log (0, 1: a goal missed, 3: a
    collapsed step, 2: refused; -1 unknown)."""
    try:
        text = open(log).read()
    except OSError:
        return -1
    if "time step collapsed" in text:
        return 3
    if "does not meet the reference tolerances" in text:
        return 1
    if "wrote " in text and "msphere_validation.txt" in text:
        return 0
    return -1


def flux_from_log(log):
    """Open flux N, S [MWb] from a `cusprate flux` log (None if absent)."""
    m = None
    try:
        for line in open(log):
            mm = re.search(r"open flux N ([0-9.]+) S ([0-9.]+) MWb", line)
            if mm:
                m = mm
    except OSError:
        return None
    return (float(m.group(1)), float(m.group(2))) if m else None


def open_flux(bin_, ini, rundir, t_end, log):
    """Open flux per hemisphere [MWb] over the last 60 s (cusprate flux)."""
    cmd = [bin_, "flux", ini, "run.dir=" + rundir, "flux.t_start=%g" % (t_end - 60), "flux.t_end=last",
           "run.progress=never"]
    with open(log, "w") as f:
        r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT)
    if r.returncode:
        return None
    return flux_from_log(log)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ini", default="runs/southward_quick.ini")
    ap.add_argument("--out", default="out/sweep_quick")
    ap.add_argument("--bin", default="bin/cusprate")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--conductance", default="both", choices=["uniform", "model", "both"])
    ap.add_argument("--open-flux", action="store_true", help="also run `cusprate flux` over the last minute")
    ap.add_argument("--slice-dt", default=None, help="msphere.slice_dt override (fewer analysis slices)")
    ap.add_argument("--extra", action="append", default=[], help="further KEY=VALUE overrides for every run")
    ap.add_argument("--report", action="store_true",
                    help="no runs: the table of the runs already in OUT (their logs give the exit status)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    conds = ["uniform", "model"] if a.conductance == "both" else [a.conductance]
    rows, bad = [], 0
    for case in a.cases.split(","):
        if case not in CASES:
            sys.exit("msphere_sweep: unknown case %r (known: %s)" % (case, ", ".join(CASES)))
        for cond in conds:
            name = "%s_%s" % (case, cond)
            rundir = os.path.abspath(os.path.join(a.out, name))
            args = [a.bin, "mhd", a.ini, "run.dir=" + rundir, "run.progress=never", "msphere.validate=yes",
                    "ionosphere.conductance=" + cond] + CASES[case] + a.extra
            if a.slice_dt:
                args.append("msphere.slice_dt=" + a.slice_dt)
            t0 = time.time()
            if a.report:
                rc, wall = exit_status(rundir + ".log"), float("nan")
            else:
                with open(rundir + ".log", "w") as f:
                    rc = subprocess.run(args, stdout=f, stderr=subprocess.STDOUT).returncode
                wall = time.time() - t0
            v = parse_validation(os.path.join(rundir, "msphere_validation.txt"))
            ok_run = rc in (0, 1) and v is not None  # 1: a validation goal missed
            stab = ok_run and v["verdicts"].get("dt") == "PASS" and v["verdicts"].get("divb") == "PASS"
            if not stab:
                bad += 1
            of = None
            if a.report and ok_run:
                of = flux_from_log(rundir + ".flux.log")
            elif ok_run and a.open_flux:
                m = re.search(r"t_end\s*=\s*([0-9.]+)", open(a.ini).read())
                t_end = float(m.group(1)) if m else None
                for e in a.extra:
                    if e.startswith("msphere.t_end="):
                        t_end = float(e.split("=", 1)[1])
                if t_end:
                    of = open_flux(a.bin, a.ini, rundir, t_end, rundir + ".flux.log")
            rows.append((name, rc, wall, v, of, stab))
            print("%-18s exit %d, %.0f s wall, stability %s" % (name, rc, wall, "PASS" if stab else "FAIL"),
                  flush=True)
    hdr = ("| case | magnetopause [R_E] (Shue) | bow shock [R_E] (F&R) | CPCP [kV] (Boyle; Hill-Siscoe) | "
           "open flux N/S [MWb] | Dst proxy [nT] | dt after/before | div B | floors p / entropy / vA | wall |\n"
           "|---|---|---|---|---|---|---|---|---|---|\n")
    out = [hdr]
    for name, rc, wall, v, of, stab in rows:
        if v is None or v.get("mp") is None:
            out.append("| %s | run failed (exit %d) | | | | | | | | %s |\n" % (name, rc, fmt_wall(wall)))
            continue
        vd = v["verdicts"]
        mp, bs, pc = v["mp"], v["bs"], v["pc"]
        hs = v["hs"][0] if v.get("hs") else float("nan")
        out.append("| %s | %.2f (%.2f, %+.1f %% %s) | %.2f (%.2f, %+.1f %% %s) | %.1f (%.1f; %.1f) %s | %s | %.1f | "
                   "%.2f %s | %.1e | %d / %d / %d | %s |\n" % (
                       name, mp[0], mp[1], mp[2], vd.get("mp", "?"), bs[0], bs[1], bs[2], vd.get("bs", "?"),
                       pc[0], pc[1], hs, vd.get("pc", "?"), "%.0f / %.0f" % of if of else "-",
                       v["dst"][0] if v.get("dst") else float("nan"), v["dt"][2] if v.get("dt") else float("nan"),
                       vd.get("dt", "?"), v["divb"][0] if v.get("divb") else float("nan"),
                       v["floors"][1] if v.get("floors") else -1, v["entropy"][0] if v.get("entropy") else 0,
                       v["floors"][2] if v.get("floors") else -1, fmt_wall(wall)))
    table = "".join(out)
    with open(os.path.join(a.out, "sweep.md"), "w") as f:
        f.write("# %s across driving (tools/msphere_sweep.py)\n\n" % a.ini + table)
    print(table)
    if bad:
        print("msphere_sweep: %d run(s) failed or missed a stability goal" % bad)
        return 1
    print("msphere_sweep: every run stable")
    return 0


if __name__ == "__main__":
    sys.exit(main())
