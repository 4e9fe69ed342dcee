#!/usr/bin/env python3
"""Extracts small seed inputs for the libFuzzer targets from the real models in
../shared/testdata (never copying the models themselves):

  graph_fuzz/         the GraphDef of each small saved_model.pb
  tensor_proto_fuzz/  distinct Const values from those graphs
  npy_fuzz/           small .npy files of corpus_expected, plus numpy.save of
                      each dtype and layout the reader accepts
  idx_fuzz/           tiny IDX files of every element type, raw and gzipped
                      (first byte selects the .gz path, see idx_fuzz.cc)
  kernel_fuzz/        fixed pseudo-random byte strings (the input is read by
                      FuzzedDataProvider, so any bytes pick an op and attrs)

Run with the reference environment (TensorFlow's protos, numpy):
  .venv-reference/bin/python fuzz/make_corpus.py
"""
import gzip
import hashlib
import io
import pathlib
import struct
import sys

import numpy as np
from tensorflow.core.protobuf import saved_model_pb2

ROOT = pathlib.Path(__file__).resolve().parent
SHARED = ROOT.parent.parent / "shared" / "testdata"
MAX_GRAPH_BYTES = 40_000  # keeps the committed corpus small
MAX_SEED_BYTES = 4_096


def write(target, data, name=None):
    out = ROOT / "corpus" / target
    out.mkdir(parents=True, exist_ok=True)
    (out / (name or hashlib.sha1(data).hexdigest()[:16])).write_bytes(data)


def graphs_and_consts():
    seen = set()
    for pb in sorted(SHARED.glob("**/saved_model.pb")):
        if pb.stat().st_size > MAX_GRAPH_BYTES:
            continue
        sm = saved_model_pb2.SavedModel.FromString(pb.read_bytes())
        for mg in sm.meta_graphs:
            data = mg.graph_def.SerializeToString()
            name = str(pb.parent.relative_to(SHARED)).replace("/", "_")
            if data not in seen:
                seen.add(data)
                write("graph_fuzz", data, name)
            for node in mg.graph_def.node:
                if node.op == "Const" and "value" in node.attr:
                    t = node.attr["value"].tensor.SerializeToString()
                    if len(t) <= MAX_SEED_BYTES and t not in seen:
                        seen.add(t)
                        write("tensor_proto_fuzz", t)


def npys():
    for f in sorted(SHARED.glob("corpus_expected/**/*.npy")):
        if f.stat().st_size <= MAX_SEED_BYTES:
            write("npy_fuzz", f.read_bytes())
    arrays = [
        np.arange(6, dtype="<f4").reshape(2, 3),
        np.arange(6, dtype=">i8").reshape(3, 2),
        np.asfortranarray(np.arange(6, dtype="<f8").reshape(2, 3)),
        np.array([True, False]),
        np.array([1 + 2j], dtype="<c8"),
        np.array(7, dtype="<u2"),
        np.zeros((0, 3), dtype="<i4"),
        np.array([b"ab", b"c"]),
        np.array(["h\u00e9", "x"]),
        np.array([1.5], dtype="<f2"),
    ]
    for a in arrays:
        buf = io.BytesIO()
        np.save(buf, a)
        write("npy_fuzz", buf.getvalue())


def idxs():
    codes = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    for code, dt in codes.items():
        a = np.arange(6, dtype=dt).reshape(2, 3)
        raw = bytes([0, 0, code, a.ndim]) + b"".join(struct.pack(">I", d) for d in a.shape) + a.tobytes()
        write("idx_fuzz", b"\x00" + raw)
        write("idx_fuzz", b"\x01" + gzip.compress(raw, mtime=0))


def kernel_seeds():
    for i in range(32):
        write("kernel_fuzz", b"".join(hashlib.sha512(b"%d.%d" % (i, j)).digest() for j in range(2)))


if __name__ == "__main__":
    if not SHARED.is_dir():
        sys.exit(f"no {SHARED}")
    graphs_and_consts()
    npys()
    idxs()
    kernel_seeds()
