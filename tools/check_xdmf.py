#!/usr/bin/python3
"""check_xdmf.py — a ParaView-free check of an XDMF 2 file (mhd.xmf, grid.xmf).

Parses the XML and checks, without ParaView, what its XDMF reader needs:
every HDF DataItem names an existing dataset (external links followed, as the
HDF5 library does) whose shape is the item's Dimensions; a HyperSlab's
start/stride/count lie inside its dataset and give its Dimensions; a JOIN
function's arguments share one shape and the result adds the joined axis;
cell attributes have the topology's cell counts, node attributes its node
counts; times increase. Optionally requires vector attributes (--vectors
V,B,J) on every 3-D grid and grids whose names start with given prefixes
(--grids Ionosphere_north,Ionosphere_south) in every time step.

usage: check_xdmf.py FILE.xmf [--vectors V,B,J] [--grids NAME,...]
Exit status 0 when every check passes; otherwise each problem on stderr, 1.
"""
import argparse
import os
import sys
import xml.etree.ElementTree as ET

import h5py
import numpy as np


def dims_of(item):
    return [int(v) for v in item.get("Dimensions", "").split()]


class Checker:
    def __init__(self, path):
        self.path = path
        self.base = os.path.dirname(os.path.abspath(path))
        self.problems = []
        self.files = {}

    def bad(self, msg):
        self.problems.append(msg)

    def h5(self, name):
        full = os.path.join(self.base, name)
        if full not in self.files:
            try:
                self.files[full] = h5py.File(full, "r")
            except OSError as e:
                self.files[full] = None
                self.bad(f"{name}: cannot open ({e})")
        return self.files[full]

    def hdf_shape(self, item):
        text = (item.text or "").strip()
        if ":" not in text:
            self.bad(f"HDF DataItem '{text}' is not FILE:/PATH")
            return None
        name, dpath = text.split(":", 1)
        f = self.h5(name)
        if f is None:
            return None
        try:
            obj = f[dpath]
        except KeyError:
            self.bad(f"{name}:{dpath}: no such dataset")
            return None
        if not isinstance(obj, h5py.Dataset):
            self.bad(f"{name}:{dpath}: not a dataset")
            return None
        return list(obj.shape)

    def item_shape(self, item):
        """Shape the DataItem delivers, after checking it (None when broken)."""
        want = dims_of(item)
        kind = item.get("ItemType", "Uniform")
        if kind == "HyperSlab":
            kids = item.findall("DataItem")
            if len(kids) != 2:
                self.bad("HyperSlab without its two DataItems")
                return None
            sel = np.array((kids[0].text or "").split(), dtype=int)
            src = self.item_shape(kids[1])
            if src is None:
                return None
            r = len(src)
            if sel.size != 3 * r:
                self.bad(f"HyperSlab selection of {sel.size} numbers for a rank-{r} dataset")
                return None
            start, stride, count = sel[:r], sel[r:2 * r], sel[2 * r:]
            if np.any(start < 0) or np.any(stride < 1) or np.any(start + (count - 1) * stride >= np.array(src)):
                self.bad(f"HyperSlab {sel.tolist()} outside the dataset of shape {src}")
                return None
            if int(np.prod(count)) != int(np.prod(want)):
                self.bad(f"HyperSlab count {count.tolist()} does not give Dimensions {want}")
                return None
            return want
        if kind == "Function":
            kids = item.findall("DataItem")
            shapes = [self.item_shape(k) for k in kids]
            if any(s is None for s in shapes):
                return None
            if "JOIN" in item.get("Function", ""):
                if any(s != shapes[0] for s in shapes):
                    self.bad(f"JOIN of different shapes {shapes}")
                    return None
                if want != shapes[0] + [len(shapes)]:
                    self.bad(f"JOIN of {len(shapes)} x {shapes[0]} declared as {want}")
                    return None
            return want
        fmt = item.get("Format", "XML")
        if fmt == "HDF":
            got = self.hdf_shape(item)
            if got is None:
                return None
            if got != want:
                self.bad(f"{(item.text or '').strip()}: shape {got}, Dimensions say {want}")
                return None
            return got
        n = len((item.text or "").split())
        if n != int(np.prod(want)):
            self.bad(f"XML DataItem of {n} values, Dimensions {want}")
        return want

    def grid(self, g, vectors):
        name = g.get("Name", "?")
        topo = g.find("Topology")
        if topo is None:
            self.bad(f"grid {name}: no Topology")
            return
        nodes = [int(v) for v in topo.get("NumberOfElements", "").split()]
        cells = [n - 1 for n in nodes]
        geo = g.find("Geometry")
        for it in (geo.findall("DataItem") if geo is not None else []):
            s = self.item_shape(it)
            if s is not None and s != nodes:
                self.bad(f"grid {name}: geometry of shape {s}, topology nodes {nodes}")
        seen = set()
        for at in g.findall("Attribute"):
            an, centre = at.get("Name"), at.get("Center", "Node")
            seen.add((an, at.get("AttributeType", "Scalar")))
            it = at.find("DataItem")
            s = self.item_shape(it) if it is not None else None
            if s is None:
                continue
            want = cells if centre == "Cell" else nodes
            if at.get("AttributeType") == "Vector":
                want = want + [3]
            if s != want:
                self.bad(f"grid {name}: attribute {an} of shape {s}, {centre.lower()} shape {want}")
        if len(nodes) == 3:
            for v in vectors:
                if (v, "Vector") not in seen:
                    self.bad(f"grid {name}: no vector attribute {v}")

    def run(self, vectors, grids):
        try:
            root = ET.parse(self.path).getroot()
        except ET.ParseError as e:
            self.bad(f"not XML: {e}")
            return self.problems
        if root.tag != "Xdmf":
            self.bad("root element is not Xdmf")
        times = []
        temporal = root.find("Domain/Grid")
        steps = temporal.findall("Grid") if temporal is not None else []
        for st in steps:
            t = st.find("Time")
            if t is not None:
                times.append(float(t.get("Value")))
            uni = [st] if st.get("GridType", "Uniform") == "Uniform" else st.findall("Grid")
            for g in uni:
                self.grid(g, vectors)
            for p in grids:
                if not any(g.get("Name", "").startswith(p) for g in uni):
                    self.bad(f"step {st.get('Name')}: no grid {p}")
        if any(b <= a for a, b in zip(times, times[1:])):
            self.bad(f"times do not increase: {times}")
        if not steps:
            self.bad("no grids")
        return self.problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("xmf")
    ap.add_argument("--vectors", default="", help="vector attributes every 3-D grid must have (comma-separated)")
    ap.add_argument("--grids", default="", help="grid name prefixes every step must have (comma-separated)")
    a = ap.parse_args()
    vec = [v for v in a.vectors.split(",") if v]
    grd = [v for v in a.grids.split(",") if v]
    problems = Checker(a.xmf).run(vec, grd)
    for p in problems:
        print(f"{a.xmf}: {p}", file=sys.stderr)
    print(f"{a.xmf}: {'ok' if not problems else str(len(problems)) + ' problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
