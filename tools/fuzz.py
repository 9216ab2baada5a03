#!/usr/bin/python3
"""fuzz.py — hostile inputs for cusprate, bounded in time.

Mutates parameter files (every runs/*.ini: lines deleted, doubled, swapped,
keys misspelt, values replaced by extreme or malformed tokens, bytes
garbled) and every input file format (the text solar-wind driver,
bcwind.h5, MHD slice files, the spectrogram, checkpoint.h5, the vdf file),
runs the command that reads each (normally the AddressSanitizer + UBSan
build) and sorts every run into

  accepted          exit 0 (or a documented status the input may cause)
  refused cleanly   exit 2 and nothing written in the output folder
  refused, wrote    exit 2 but the output folder changed (a broken promise)
  timed out         still running after --timeout seconds (counted and kept, not failed)
  in libraries      a sanitizer report whose innermost frames lie in the
                    HDF5 or netCDF library (byte-damaged HDF5 metadata: a
                    crash in HDF5 1.10, or netCDF keeping its structures
                    after a failed open); counted and kept, failed only with
                    --strict, since the defence lies upstream
  crashed           a signal, a sanitizer report, or an exit status outside
                    the set allowed for that input

and exits 1 when anything crashed (outside HDF5) or wrote while refusing. Each such input
is kept under --keep (default fuzz-failures/) with its command and output.

  /usr/bin/python3 tools/fuzz.py --bin build/asan/cusprate --seconds 60

`make fuzz` builds the sanitized binary and runs this with FUZZ_SECONDS.
Seeds are made at the start by the binary itself (a tiny magnetosphere run,
a driver, a vdf file) or written here (a spectrogram, from docs/formats.md).
"""
import argparse
import glob
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

import h5py
import netCDF4
import numpy

SANITIZER = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer", "runtime error:")
TOKENS = ["", "0", "-0", "1", "-1", "2", "3", "1e308", "-1e308", "1e-308", "4.9e-324", "1e309", "nan", "NaN",
          "inf", "-inf", "0x10", "1e", "--5", "5 5", "5,", ",5", "99999999999999999999999", "-2147483649",
          "2147483648", "yes", "no", "maybe", "abc", "'", '"', "\\", "/", "..", "../../x", "a" * 300,
          "%s%s%n", "1,2,3", "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25", " ", "\t",
          "\u00e9\u00e8", "#", ";", "[", "]", "=", "x=y", "0.5", "-400", "1e5", "500", "-500", "12"]
SPECIAL = [float("nan"), float("inf"), -float("inf"), 1e300, -1e300, 0.0, -1.0, 1e-300, 5e-324, 1e30, -1e30]
TINY = ("[problem]\nname = magnetosphere\n[grid]\nkind = lfm\npreset = custom\nni = 16\nnj = 12\nnk = 16\n"
        "[wind]\nspinup_time = 0\nspinup_bz = -5\nduration = 7200\n[msphere]\nn_init = 1\nt_end = 40\n"
        "t_analysis = 20\nslice_dt = 5\nslice_dt_spinup = 10\ncheckpoint_dt = 10\n")


class Fuzz:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.work = tempfile.mkdtemp(prefix="cusprate_fuzz_")
        self.counts = {}
        self.n = 0
        self.env = dict(os.environ)
        supp = os.path.join(args.root, "tests", "lsan.supp")
        self.env.update({
            "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:allocator_may_return_null=1",
            "LSAN_OPTIONS": "suppressions=%s:print_suppressions=0" % supp,
            "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
            "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "passive"})

    # ---- running ------------------------------------------------------------
    def run(self, cmd, timeout=None):
        try:
            p = subprocess.run([self.args.bin] + cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env=self.env, timeout=timeout or self.args.timeout, cwd=self.work)
            return p.returncode, p.stdout.decode("utf-8", "replace")
        except subprocess.TimeoutExpired as e:
            return None, (e.stdout or b"").decode("utf-8", "replace")

    @staticmethod
    def snapshot(folder):
        snap = {}
        for base, _dirs, files in os.walk(folder):
            for f in files:
                if f == ".cusprate.lock":
                    continue
                p = os.path.join(base, f)
                try:
                    st = os.stat(p)
                    snap[p] = (st.st_size, st.st_mtime_ns)
                except OSError:
                    pass
        return snap

    def judge(self, target, cmd, allowed, watch, inputs):
        """Run one case; watch = folders that must not change when refused."""
        before = [self.snapshot(w) for w in watch]
        rc, out = self.run(cmd)
        self.n += 1
        c = self.counts.setdefault(target, {"tried": 0, "accepted": 0, "refused cleanly": 0, "refused, wrote": 0,
                                            "timed out": 0, "in libraries": 0, "crashed": 0})
        c["tried"] += 1
        if rc is None:
            c["timed out"] += 1
            self.keep(target, "timeout", cmd, rc, out, inputs)
            return
        san = any(m in out for m in SANITIZER)
        if rc < 0 or rc >= 128 or san or rc not in allowed:
            kind = "in libraries" if crashed_in_library(out) else "crashed"
            c[kind] += 1
            self.keep(target, kind.replace(" ", "-"), cmd, rc, out, inputs)
            return
        if rc == 2:
            after = [self.snapshot(w) for w in watch]
            if after != before:
                c["refused, wrote"] += 1
                self.keep(target, "wrote", cmd, rc, out, inputs)
            else:
                c["refused cleanly"] += 1
            return
        c["accepted"] += 1

    def keep(self, target, kind, cmd, rc, out, inputs):
        d = os.path.join(self.args.keep, "%s-%s-%d" % (target, kind, self.n))
        os.makedirs(d, exist_ok=True)
        for p in inputs:
            if os.path.isfile(p):
                shutil.copy(p, d)
        with open(os.path.join(d, "command.txt"), "w") as f:
            f.write("cusprate %s\nexit %s\n\n%s" % (" ".join(cmd), rc, out[-20000:]))
        print("fuzz: %s %s (exit %s): kept in %s" % (target, kind, rc, d), flush=True)

    # ---- mutations ----------------------------------------------------------
    def mutate_bytes(self, path):
        data = bytearray(open(path, "rb").read())
        op = self.rng.randrange(5)
        if not data:
            data = bytearray(os.urandom(self.rng.randrange(1, 64)))
        elif op == 0:  # flip bits
            for _ in range(self.rng.randrange(1, 16)):
                i = self.rng.randrange(len(data))
                data[i] ^= 1 << self.rng.randrange(8)
        elif op == 1:  # truncate
            data = data[:self.rng.randrange(len(data))]
        elif op == 2:  # overwrite a chunk with random bytes
            i = self.rng.randrange(len(data))
            n = self.rng.randrange(1, 256)
            data[i:i + n] = os.urandom(n)
        elif op == 3:  # zero a chunk
            i = self.rng.randrange(len(data))
            n = self.rng.randrange(1, 4096)
            data[i:i + n] = bytes(min(n, len(data) - i))
        else:  # duplicate a chunk
            i = self.rng.randrange(len(data))
            n = self.rng.randrange(1, 512)
            data[i:i] = data[i:i + n]
        open(path, "wb").write(bytes(data))

    def mutate_text(self, path):
        lines = open(path, "r", encoding="utf-8", errors="replace").read().split("\n")
        for _ in range(self.rng.randrange(1, 4)):
            op = self.rng.randrange(9)
            i = self.rng.randrange(len(lines)) if lines else 0
            if not lines:
                lines = [self.rng.choice(TOKENS)]
            elif op == 0:
                del lines[i]
            elif op == 1:
                lines.insert(i, lines[i])
            elif op == 2:  # a value replaced
                line = lines[i]
                if "=" in line:
                    k = line.split("=", 1)[0]
                    lines[i] = k + "= " + self.rng.choice(TOKENS)
                else:
                    w = line.split()
                    if w:
                        w[self.rng.randrange(len(w))] = self.rng.choice(TOKENS) or "0"
                        lines[i] = " ".join(w)
            elif op == 3:  # a key misspelt
                line = lines[i]
                if line and "=" in line:
                    j = self.rng.randrange(max(1, line.index("=")))
                    lines[i] = line[:j] + self.rng.choice("abxz_.") + line[j + 1:]
            elif op == 4:
                lines.insert(i, self.rng.choice(TOKENS))
            elif op == 5:
                j = self.rng.randrange(len(lines))
                lines[i], lines[j] = lines[j], lines[i]
            elif op == 6:
                lines.insert(i, "[" + self.rng.choice(["run", "grid", "wind", "mhd", "nosuch", "", "msphere"]) + "]")
            elif op == 7:  # a number token replaced anywhere
                w = lines[i].split(" ")
                j = self.rng.randrange(len(w))
                w[j] = repr(self.rng.choice(SPECIAL))
                lines[i] = " ".join(w)
            else:
                lines[i] = lines[i] + " " + self.rng.choice(TOKENS)
        with open(path, "w", encoding="utf-8", errors="replace") as f:
            f.write("\n".join(lines))

    def mutate_h5(self, path):
        """A value, a shape or an attribute of an HDF5 file (or its bytes)."""
        if self.rng.random() < 0.35:
            return self.mutate_bytes(path)
        try:
            with h5py.File(path, "r+") as f:
                dsets = []
                f.visititems(lambda n, o: dsets.append(n) if isinstance(o, h5py.Dataset) else None)
                if not dsets:
                    return
                name = self.rng.choice(dsets)
                d = f[name]
                op = self.rng.randrange(4)
                if op == 0 and d.dtype.kind == "f" and d.size > 0:
                    a = d[()]
                    a = numpy.array(a, dtype=float)
                    flat = a.reshape(-1)
                    for _ in range(self.rng.randrange(1, 4)):
                        flat[self.rng.randrange(flat.size)] = self.rng.choice(SPECIAL)
                    d[...] = a.reshape(d.shape)
                elif op == 1:  # another shape
                    a = numpy.array(d[()])
                    del f[name]
                    n = max(0, a.size + self.rng.choice([-1, 1, -a.size, 7]))
                    f.create_dataset(name, data=numpy.resize(a.reshape(-1), n).astype(a.dtype if a.size else float))
                elif op == 2:
                    del f[name]
                else:  # an attribute
                    objs = [f] + [f[n] for n in dsets[:50]]
                    o = self.rng.choice(objs)
                    keys = list(o.attrs.keys())
                    if keys:
                        k = self.rng.choice(keys)
                        if self.rng.random() < 0.5:
                            del o.attrs[k]
                        else:
                            o.attrs[k] = self.rng.choice(SPECIAL)
        except Exception:  # h5py could not open or edit it: garble the bytes instead
            self.mutate_bytes(path)

    def mutate_nc(self, path):
        if self.rng.random() < 0.35:
            return self.mutate_bytes(path)
        try:
            with netCDF4.Dataset(path, "r+") as nc:
                names = list(nc.variables.keys())
                op = self.rng.randrange(3)
                if op == 0 and names:
                    v = nc.variables[self.rng.choice(names)]
                    if v.dtype.kind == "f" and v.size > 0:
                        v.set_auto_mask(False)
                        a = numpy.array(v[...], dtype=float).reshape(-1)
                        for _ in range(self.rng.randrange(1, 4)):
                            a[self.rng.randrange(a.size)] = self.rng.choice(SPECIAL)
                        v[...] = a.reshape(v.shape)
                elif op == 1 and names:
                    old = self.rng.choice(names)
                    nc.renameVariable(old, old + "_x")
                else:
                    keys = nc.ncattrs()
                    if keys:
                        k = self.rng.choice(keys)
                        nc.setncattr(k, self.rng.choice(SPECIAL))
        except Exception:
            self.mutate_bytes(path)

    # ---- seeds --------------------------------------------------------------
    def make_seeds(self):
        w = self.work
        s = {}
        with open(os.path.join(w, "tiny.ini"), "w") as f:
            f.write("[run]\ndir = tiny\n" + TINY)
        rc, out = self.run(["mhd", "tiny.ini", "run.threads=1"], timeout=600)
        if rc != 0:
            sys.exit("fuzz: the seed run failed (exit %s):\n%s" % (rc, out[-4000:]))
        s["run"] = os.path.join(w, "tiny")
        with open(os.path.join(w, "ck.ini"), "w") as f:
            f.write("[run]\ndir = ck\n" + TINY)
        rc, out = self.run(["mhd", "ck.ini", "run.threads=1", "msphere.stop_after=7"], timeout=600)
        if rc != 0:
            sys.exit("fuzz: the checkpoint seed failed (exit %s):\n%s" % (rc, out[-4000:]))
        s["ckpt"] = os.path.join(w, "ck")
        rc, out = self.run(["wind", "/dev/null", "run.dir=%s/wind" % w, "wind.bcwind=yes", "wind.duration=3600",
                            "wind.spinup_time=600", "wind.bz_steps=-10"])
        if rc != 0:
            sys.exit("fuzz: the driver seed failed:\n" + out[-4000:])
        s["wind"] = os.path.join(w, "wind")
        rc, out = self.run(["tetrahedron", os.path.join(self.args.root, "runs", "tetrahedron_crescent.ini"),
                            "run.dir=%s/vdf" % w, "tetrahedron.separation=20"])
        if rc != 0:
            sys.exit("fuzz: the vdf seed failed:\n" + out[-4000:])
        s["vdf"] = glob.glob(os.path.join(w, "vdf", "*.vdf.nc"))[0]
        s["spec"] = os.path.join(w, "seed.spectrogram.nc")
        write_spectrogram(s["spec"])
        os.makedirs(os.path.join(w, "spec_out"))
        rc, out = self.run(["rate", "/dev/null", "run.dir=%s/spec_out" % w, "rate.spectrograms=" + s["spec"],
                            "rate.d=12", "rate.trace_field=dipole_uniform"])
        if rc != 0:
            sys.exit("fuzz: the spectrogram seed is refused (exit %s):\n%s" % (rc, out[-4000:]))
        self.seeds = s

    # ---- targets ------------------------------------------------------------
    def case_ini(self):
        files = sorted(glob.glob(os.path.join(self.args.root, "runs", "**", "*.ini"), recursive=True))
        src = self.rng.choice(files)
        d = tempfile.mkdtemp(dir=self.work)
        p = os.path.join(d, os.path.basename(src))
        shutil.copy(src, p)
        if self.rng.random() < 0.1:
            self.mutate_bytes(p)
        else:
            self.mutate_text(p)
        out = os.path.join(d, "out")
        cmd = "grid" if self.rng.random() < 0.15 else "config"
        args = [cmd, p, "run.dir=" + out, "run.threads=1"]
        if cmd == "grid":
            args += ["grid.preset=custom"] if "preset" not in open(p, errors="replace").read() else []
        self.judge("parameter file", args, {0, 2}, [d], [p])
        shutil.rmtree(d, ignore_errors=True)

    def case_driver(self, bc):
        d = tempfile.mkdtemp(dir=self.work)
        name = "bcwind.h5" if bc else "wind.txt"
        p = os.path.join(d, name)
        shutil.copy(os.path.join(self.seeds["wind"], name), p)
        if bc:
            self.mutate_h5(p)
        else:
            self.mutate_text(p) if self.rng.random() < 0.85 else self.mutate_bytes(p)
        out = os.path.join(d, "out")
        self.judge("bcwind.h5" if bc else "driver text", ["wind", "/dev/null", "wind.driver=" + p, "run.dir=" + out],
                   {0, 2}, [d], [p])
        shutil.rmtree(d, ignore_errors=True)

    def case_slice(self):
        d = tempfile.mkdtemp(dir=self.work)
        run = os.path.join(d, "run")
        shutil.copytree(self.seeds["run"], run)
        slices = sorted(glob.glob(os.path.join(run, "mhd_slices.*", "step_*.h5")))
        victim = self.rng.choice(slices + [os.path.join(run, "mhd.h5")])
        self.mutate_h5(victim)
        out = os.path.join(d, "out")
        args = ["particles", "/dev/null", "run.dir=" + out, "run.threads=1", "particles.mhd_file=%s/mhd.h5" % run,
                "particles.source=box", "particles.source_box=8,9,-1,1,-1,1", "particles.source_density=5",
                "particles.n=20", "particles.inject_interval=0,40", "particles.max_time=30"]
        self.judge("mhd slices", args, {0, 2}, [d], [victim])
        shutil.rmtree(d, ignore_errors=True)

    def case_checkpoint(self):
        d = tempfile.mkdtemp(dir=self.work)
        run = os.path.join(d, "ck")
        shutil.copytree(self.seeds["ckpt"], run)
        p = os.path.join(run, "checkpoint.h5")
        self.mutate_h5(p)
        ini = os.path.join(d, "ck.ini")
        with open(ini, "w") as f:
            f.write("[run]\ndir = ck\n" + TINY)
        # 3: a damaged state may make the time step collapse (a documented stop)
        self.judge("checkpoint", ["mhd", ini, "run.threads=1"], {0, 2, 3}, [d], [p])
        shutil.rmtree(d, ignore_errors=True)

    def case_spectrogram(self):
        d = tempfile.mkdtemp(dir=self.work)
        p = os.path.join(d, "f.spectrogram.nc")
        shutil.copy(self.seeds["spec"], p)
        self.mutate_nc(p)
        out = os.path.join(d, "out")
        os.makedirs(out)  # rate writes beside the run's files: the folder exists
        self.judge("spectrogram", ["rate", "/dev/null", "run.dir=" + out, "rate.spectrograms=" + p, "rate.d=12",
                                   "rate.trace_field=dipole_uniform"], {0, 2}, [d], [p])
        shutil.rmtree(d, ignore_errors=True)

    def case_vdf(self):
        d = tempfile.mkdtemp(dir=self.work)
        p = os.path.join(d, "f.vdf.nc")
        shutil.copy(self.seeds["vdf"], p)
        self.mutate_nc(p)
        out = os.path.join(d, "out")
        self.judge("vdf", ["gradient", "/dev/null", "run.dir=" + out, "gradient.input=" + p, "gradient.nv=8",
                           "gradient.figures=no"], {0, 2}, [d], [p])
        shutil.rmtree(d, ignore_errors=True)

    def go(self):
        t0 = time.time()
        self.make_seeds()
        cases = {"ini": self.case_ini, "ini2": self.case_ini, "driver": lambda: self.case_driver(False),
                 "bcwind": lambda: self.case_driver(True), "slice": self.case_slice, "checkpoint": self.case_checkpoint,
                 "spectrogram": self.case_spectrogram, "vdf": self.case_vdf}
        cases = [f for name, f in cases.items() if not self.args.only or name.rstrip("2") in self.args.only]
        k = 0
        while time.time() - t0 < self.args.seconds:
            cases[k % len(cases)]()
            k += 1
        return time.time() - t0


def crashed_in_library(out):
    """A sanitizer report that lies inside the HDF5 or netCDF library: an
    AddressSanitizer error whose innermost frame is there (HDF5 1.10 reading
    metadata that a bit flip corrupted), or leaks all allocated there
    (netCDF after failing to open such a file). Only byte-level damage of an
    HDF5 file leads there; counted apart (failed with --strict)."""
    if "ERROR: LeakSanitizer" in out and "ERROR: AddressSanitizer" not in out and "runtime error:" not in out:
        # leaks only: every leaked block allocated inside the libraries
        # (netCDF's failed open of a damaged file keeps its structures)
        blocks = out.split("leak of ")[1:]
        return bool(blocks) and all(lib_frame(b) for b in blocks)
    if "ERROR: AddressSanitizer" not in out:
        return False
    return lib_frame(out)


def lib_frame(out):
    """The innermost stack frame outside libc and the sanitizer runtime lies
    in libhdf5 or libnetcdf."""
    for line in out.splitlines():
        line = line.strip()
        if not line.startswith("#"):
            continue
        where = line.rsplit("(", 1)[-1]
        if "libc.so" in where or "libasan" in where or "__interceptor" in line or "libsanitizer" in line:
            continue
        return "libhdf5" in where or "libnetcdf" in where
    return False


def write_spectrogram(path):
    """A poleward pass over a cusp with a clean energy-latitude dispersion, in
    the layout of docs/formats.md (what `cusprate fly` writes)."""
    nt, ne = 60, 24
    t = 2000.0 + numpy.arange(nt) * 1.0
    e = numpy.logspace(1, 4.3, ne)
    mlat = 74.0 + 0.06 * numpy.arange(nt)
    cutoff = 300.0 * numpy.exp(-(mlat - 74.0) / 1.5) + 20.0
    flux = numpy.where(e[None, :] > cutoff[:, None], 1e7 * (e[None, :] / 1e3) ** -0.5, 1e3)
    with netCDF4.Dataset(path, "w") as nc:
        nc.createDimension("time", nt)
        nc.createDimension("energy", ne)
        for name, dims, data, units in [("time", ("time",), t, "s"), ("mlat", ("time",), mlat, "degrees_north"),
                                        ("mlt", ("time",), numpy.full(nt, 12.0), "h"),
                                        ("altitude", ("time",), numpy.full(nt, 590.0), "km"),
                                        ("energy", ("energy",), e, "eV"),
                                        ("diff_energy_flux", ("time", "energy"), flux, "eV cm^-2 s^-1 sr^-1 eV^-1"),
                                        ("effective_count", ("time", "energy"), numpy.full((nt, ne), 100.0), "1")]:
            v = nc.createVariable(name, "f8", dims)
            v.units = units
            v[...] = data
        nc.speed_km_s = 7.6
        nc.track_angle_deg = 0.0
        nc.hemisphere = "north"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default="build/asan/cusprate")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--timeout", type=float, default=30, help="seconds one run may take")
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--keep", default="fuzz-failures")
    ap.add_argument("--strict", action="store_true", help="fail on crashes inside the HDF5 library too")
    ap.add_argument("--only", nargs="*", help="inputs to fuzz: ini driver bcwind slice checkpoint spectrogram vdf")
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)
    args.keep = os.path.abspath(args.keep)
    fz = Fuzz(args)
    try:
        wall = fz.go()
    finally:
        shutil.rmtree(fz.work, ignore_errors=True)
    cols = ["tried", "accepted", "refused cleanly", "refused, wrote", "timed out", "in libraries", "crashed"]
    print("fuzz: seed %d, %.0f s, %s" % (args.seed, wall, args.bin))
    print("  %-16s" % "input" + "".join("%16s" % c for c in cols))
    tot = {c: 0 for c in cols}
    for target, c in fz.counts.items():
        print("  %-16s" % target + "".join("%16d" % c[k] for k in cols))
        for k in cols:
            tot[k] += c[k]
    print("  %-16s" % "all" + "".join("%16d" % tot[k] for k in cols))
    bad = tot["crashed"] + tot["refused, wrote"] + (tot["in libraries"] if args.strict else 0)
    if tot["in libraries"]:
        print("fuzz: %d crash(es) or leak(s) inside HDF5/netCDF on byte-damaged HDF5 metadata (kept in %s)%s"
              % (tot["in libraries"], args.keep, "" if args.strict else "; not failed without --strict"))
    if bad:
        print("fuzz: %d broken promise(s): inputs kept in %s" % (bad, args.keep))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
