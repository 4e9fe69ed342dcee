"""Section 1 of the reference suite: every kernel and every gradient against
TensorFlow. kernel_cases.py describes the cases; TensorFlow builds each graph
and computes the answers (cached under build/reference/kernels until the case
files or TensorFlow change); reference_runner computes ours; this file
compares them and writes docs/conformance.md."""
import collections
import json
import os

import numpy as np
import pytest

import kernel_cases as kc
import refutil

SECTION = "kernels"
CASES = kc.all_cases()
OPS = sorted({c.op for c in CASES})

# Differences we know of and keep, with TensorFlow's behaviour beside ours.
# Keyed by (op, note or label); each entry is listed in docs/conformance.md.
KNOWN = {
    ("Round", "int32"): "TensorFlow 2.21's CPU Round returns 0 for every int32 element; the op is "
                        "the identity on integers and ours returns the input unchanged",
    ("Conv2D", "filter larger than input"):
        "VALID padding with a 3x3 filter over a 2x2 input: TensorFlow 2.21's CPU kernel returns a "
        "[1, 2, 2, 1] tensor of zeros, although its own shape function gives an output size of 0; "
        "ours returns the empty [1, 0, 0, 1] result",
    ("Erf", "float64"): "TensorFlow 2.21 returns NaN for erf(+Inf) and erf(-Inf) in float64 (its float32 "
                        "kernel gives +-1); ours returns +-1, the limit, in both",
    ("Round", "int64"): "as for int32: TensorFlow 2.21 returns 0 for every int64 element; ours "
                        "returns the input unchanged",
}


def _placeholder(tf, arr, name):
    dt = tf.string if arr.dtype == object else tf.as_dtype(arr.dtype)
    return tf.compat.v1.placeholder(dt, shape=None, name=name)


def _build_op(tf, case):
    import inspect
    fn = getattr(tf.raw_ops, case.op)
    # tf.raw_ops takes the inputs first, in OpDef order, under their API names
    # (which may differ from the OpDef's: reduction_indices -> axis).
    names = list(inspect.signature(fn).parameters)
    kwargs, feeds = {}, {}
    for name, x in zip(names, case.inputs):
        if isinstance(x, list):
            phs = [_placeholder(tf, xi, "%s_%d" % (name, k)) for k, xi in enumerate(x)]
            feeds.update(zip(phs, x))
            kwargs[name] = phs
        else:
            ph = _placeholder(tf, x, name)
            feeds[ph] = x
            kwargs[name] = ph
    kwargs.update(case.attrs)
    fn(name="op", **kwargs)
    node = tf.compat.v1.get_default_graph().get_operation_by_name("op")
    return list(node.outputs)[:case.fetch], feeds


def _write_files(tf, files):
    """Files some cases read: vocabularies and a checkpoint TensorFlow wrote."""
    os.makedirs(os.path.join(files, "merge_tmp"), exist_ok=True)
    with open(os.path.join(files, "vocab.txt"), "w") as f:
        f.write("apple\nbanana\ncherry\n")
    with open(os.path.join(files, "pairs.tsv"), "w") as f:
        f.write("apple\t5\ncherry\t-7\nkiwi\t12\n")
    g = tf.Graph()
    with g.as_default():
        save = tf.raw_ops.SaveV2(prefix=os.path.join(files, "tf_written"), tensor_names=["x", "y"],
                                 shape_and_slices=["", ""],
                                 tensors=[tf.constant(kc.val(kc.F64, (2, 3))), tf.constant(kc.val(kc.I32, (4,)))])
        with tf.compat.v1.Session(graph=g) as sess:
            sess.run(save)


def _generate(path):
    """Builds every case with TensorFlow; writes graphs, feeds, TF's outputs
    and manifest.jsonl / expected.jsonl."""
    import tensorflow as tf
    files = os.path.join(path, "files")
    kc.FILES = files
    _write_files(tf, files)
    cases_dir = os.path.join(path, "cases")
    os.makedirs(cases_dir)
    manifest, expected = [], []
    for i, case in enumerate(CASES):
        cid = "%d" % i
        g = tf.Graph()
        exp = {"index": i, "op": case.op, "label": case.label, "note": case.note, "grad": bool(case.grad)}
        try:
            with g.as_default():
                if case.build:
                    fetches, feeds = case.build(tf)
                    if case.grad:
                        fetches = fetches[:1]
                else:
                    fetches, feeds = _build_op(tf, case)
                    if case.grad:
                        fetches = fetches[:1]
                sess = tf.compat.v1.Session(graph=g)
                xs = []
                if case.grad:
                    # Weight the output so that ops like Softmax get a non-trivial gradient.
                    y = sess.run(fetches[0], feeds)
                    w = tf.constant(kc.val(y.dtype.name, y.shape, 0.5, 2.0), name="weight")
                    weighted = tf.multiply(fetches[0], w, name="weighted")
                    phs = list(feeds)
                    xs = [phs[k] for k in case.grad]
                graph_def = g.as_graph_def()
                if case.grad:
                    fetches = tf.gradients(weighted, xs)
        except (TypeError, ValueError, NotImplementedError) as e:
            exp["construction_error"] = "%s: %s" % (type(e).__name__, str(e).splitlines()[0][:300])
            expected.append(exp)
            continue
        ours_def = graph_def
        if case.edit:
            ours_def = type(graph_def)()
            ours_def.CopyFrom(graph_def)
            case.edit(ours_def)
        with open(os.path.join(cases_dir, cid + ".pb"), "wb") as f:
            f.write(ours_def.SerializeToString())
        feed_list = []
        for k, (ph, arr) in enumerate(feeds.items()):
            fn = "cases/%s.in%d.pb" % (cid, k)
            refutil.write_tensor(os.path.join(path, fn), arr)
            feed_list.append([ph.name, fn])
        line = {"id": cid, "graph": "cases/%s.pb" % cid, "feeds": feed_list,
                "fetches": [t.name for t in fetches]}
        if case.grad:
            line["grad"] = {"y": "weighted:0", "xs": [x.name for x in xs]}
        try:
            with g.as_default():
                outs = sess.run(fetches, feeds)
            for k, o in enumerate(outs):
                refutil.write_tensor(os.path.join(cases_dir, "%s.tf%d.pb" % (cid, k)), np.asarray(o),
                                     dtype=fetches[k].dtype)
            exp["outputs"] = len(outs)
        except tf.errors.OpError as e:
            # TF 2.x opens with "Graph execution error:" and a Python traceback;
            # the cause follows the "Node: '...'" line.
            lines = [l.strip() for l in e.message.splitlines() if l.strip()]
            node_lines = [k for k, l in enumerate(lines) if l.startswith("Node:")]
            if node_lines and node_lines[-1] + 1 < len(lines):
                msg = lines[node_lines[-1] + 1]
            else:
                msg = next((l for l in lines if not l.startswith("Graph execution")), e.message)
            # TensorFlow lacking a CPU kernel for a dtype or layout is not a
            # verdict on the values: such cases are skipped, not compared.
            exp["tf_error"] = {"type": type(e).__name__, "message": msg[:300],
                               "no_kernel": isinstance(e, tf.errors.UnimplementedError) or
                                            "No OpKernel was registered" in e.message or
                                            "only supports NHWC on device type CPU" in e.message}
        except UnicodeDecodeError as e:
            # TensorFlow fails and its message quotes the (binary) input.
            exp["tf_error"] = {"type": "error with undecodable message", "message": str(e)[:300]}
        sess.close()
        manifest.append(line)
        exp["manifest_line"] = len(manifest) - 1
        expected.append(exp)
    with open(os.path.join(path, "manifest.jsonl"), "w") as f:
        f.writelines(json.dumps(l) + "\n" for l in manifest)
    with open(os.path.join(path, "expected.jsonl"), "w") as f:
        f.writelines(json.dumps(e) + "\n" for e in expected)


def _tolerance(case, dtype_name):
    if case.tol:
        return case.tol
    table = kc.GRAD_TOL if case.grad else kc.TOL
    return table.get(dtype_name, kc.TOL.get(dtype_name, (0, 0)))


def _compare(case, tf_arr, ours):
    """(ok, max_abs, max_rel, why)."""
    if tf_arr.shape != ours.shape:
        return False, None, None, "shape %s, TensorFlow %s" % (ours.shape, tf_arr.shape)
    if tf_arr.dtype != ours.dtype:
        return False, None, None, "dtype %s, TensorFlow %s" % (ours.dtype, tf_arr.dtype)
    if tf_arr.dtype == object or tf_arr.dtype.kind in "biu":
        ok = np.array_equal(tf_arr, ours)
        return ok, None, None, "" if ok else "values differ"
    name = kc.dtype_name(tf_arr)
    a = tf_arr.astype(np.complex128 if tf_arr.dtype.kind == "c" else np.float64)
    b = ours.astype(a.dtype)
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    if not np.array_equal(nan_a, nan_b):
        return False, None, None, "NaN in different places"
    fin = ~nan_a
    a, b = a[fin], b[fin]
    inf = np.isinf(a) | np.isinf(b)
    if not np.array_equal(a[inf], b[inf]):
        return False, None, None, "Inf in different places"
    a, b = a[~inf], b[~inf]
    if a.size == 0:
        return True, 0.0, 0.0, ""
    diff = np.abs(a - b)
    rel = diff / np.maximum(np.abs(a), 1e-30)
    rtol, atol = _tolerance(case, name)
    ok = bool(np.all(diff <= atol + rtol * np.abs(a)))
    return ok, float(diff.max()), float(np.where(diff > atol, rel, 0).max()), "" if ok else \
        "max abs error %.3g (rtol %g, atol %g)" % (diff.max(), rtol, atol)


def _unsupported_dtype(result):
    return (not result["ok"] and result["code"] == "UNIMPLEMENTED" and
            " kernel for type " in result["message"])


@pytest.fixture(scope="module")
def outcomes():
    """Generates (or reuses) the cases, runs ours, and classifies each case:
    pass, fail, unsupported (our kernel lacks that dtype) or skipped (TensorFlow
    refuses to build the graph)."""
    sources = [os.path.join(refutil.HERE, f) for f in ("kernel_cases.py", "test_kernels.py")]
    path, stamp = refutil.cache_dir("kernels", sources)
    if stamp:
        _generate(path)
        refutil.seal(path, stamp)
    expected = [json.loads(l) for l in open(os.path.join(path, "expected.jsonl"))]
    results = refutil.run_runner(os.path.join(path, "manifest.jsonl"), os.path.join(path, "ours"))
    out = []
    for exp in expected:
        case = CASES[exp["index"]]
        o = {"case": case, "exp": exp, "status": "pass", "why": "", "abs": None, "rel": None}
        if "construction_error" in exp:
            o["status"], o["why"] = "skipped", "TensorFlow refuses the graph: " + exp["construction_error"]
            out.append(o)
            continue
        r = results[exp["manifest_line"]]
        if _unsupported_dtype(r):
            o["status"], o["why"] = "unsupported", r["message"]
        elif "tf_error" in exp and exp["tf_error"].get("no_kernel"):
            o["status"] = "skipped"
            o["why"] = "TensorFlow has no CPU kernel for this dtype (%s); ours %s" % (
                exp["tf_error"]["message"][:120], "runs it" if r["ok"] else "fails: " + r["code"])
        elif "tf_error" in exp:
            if r["ok"]:
                o["status"] = "fail"
                o["why"] = "TensorFlow fails (%s: %s); ours succeeds" % (exp["tf_error"]["type"],
                                                                      exp["tf_error"]["message"])
            else:
                o["why"] = "both fail: TensorFlow %s, ours %s" % (exp["tf_error"]["type"], r["code"])
        elif not r["ok"]:
            o["status"], o["why"] = "fail", "ours fails: %s %s" % (r["code"], r["message"][:300])
        else:
            for k in range(exp["outputs"]):
                tf_arr = refutil.read_tensor(os.path.join(path, "cases", "%d.tf%d.pb" % (exp["index"], k)))
                ours = refutil.read_tensor(os.path.join(path, "ours", "%d.out%d.pb" % (exp["manifest_line"], k)))
                ok, ab, rel, why = _compare(case, tf_arr, ours)
                if ab is not None:
                    o["abs"] = max(o["abs"] or 0.0, ab)
                    o["rel"] = max(o["rel"] or 0.0, rel)
                if not ok:
                    o["status"], o["why"] = "fail", "output %d: %s" % (k, why)
                    break
        key = (case.op, case.note or case.label)
        if o["status"] == "fail" and key in KNOWN:
            o["status"], o["why"] = "known", KNOWN[key] + " (" + o["why"] + ")"
        out.append(o)
    _write_doc(out)
    counts = collections.Counter(o["status"] for o in out)
    refutil.record(SECTION, cases=len(out), passed=counts["pass"] + counts["known"],
                   pending=counts["unsupported"] + counts["skipped"], failed=counts["fail"])
    return out


def _write_doc(outs):
    rows = collections.OrderedDict()
    for o in sorted(outs, key=lambda o: (o["case"].op, o["case"].label, o["case"].grad is not None)):
        c = o["case"]
        key = (c.op + (" (gradient)" if c.grad else ""), c.label)
        r = rows.setdefault(key, {"cases": 0, "pass": 0, "fail": 0, "unsupported": 0, "skipped": 0,
                                  "known": 0, "abs": 0.0, "rel": 0.0, "why": []})
        r["cases"] += 1
        r[o["status"]] += 1
        r["abs"] = max(r["abs"], o["abs"] or 0.0)
        r["rel"] = max(r["rel"], o["rel"] or 0.0)
        if o["status"] in ("fail", "known", "skipped") and len(r["why"]) < 2:
            r["why"].append((c.note + ": " if c.note else "") + o["why"][:160])
    counts = collections.Counter(o["status"] for o in outs)
    lines = [
        "## Kernels (`test_kernels.py`, cases in `kernel_cases.py`)",
        "",
        "Each case is a small graph built with real TensorFlow and fed fixed inputs (including NaN, ",
        "+-Inf, -0.0, empty tensors, integer limits and invalid shapes); TensorFlow's outputs are ",
        "compared with ours: exactly for integer, bool and string outputs, within the stated float ",
        "tolerance otherwise. Where TensorFlow returns an error, ours must too. Gradient rows compare ",
        "our symbolic gradients with `tf.gradients` of the same graph.",
        "",
        "Status: `ok`; `FAIL`; `unsupported` = our kernel has no implementation for that dtype and ",
        "says so at load time (Unimplemented); `known` = a kept difference, explained below; ",
        "`skipped` = TensorFlow itself refuses to build the graph.",
        "",
        "Totals: %d cases, %d ok, %d failing, %d known differences, %d unsupported dtype cases, %d skipped." % (
            len(outs), counts["pass"], counts["fail"], counts["known"], counts["unsupported"], counts["skipped"]),
        "",
        "| op | dtype | cases | ok | max abs err | max rel err | status | notes |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    for (op, label), r in rows.items():
        status = ("FAIL" if r["fail"] else "known" if r["known"] else
                  "unsupported" if r["unsupported"] == r["cases"] else
                  "ok" if r["pass"] == r["cases"] else "partial")
        lines.append("| %s | %s | %d | %d | %s | %s | %s | %s |" % (
            op, label, r["cases"], r["pass"], "%.2g" % r["abs"] if r["abs"] else "0",
            "%.2g" % r["rel"] if r["rel"] else "0", status,
            "; ".join(w.replace("|", "/").replace("\n", " ") for w in r["why"])))
    if KNOWN:
        lines += ["", "Known kernel differences, TensorFlow's behaviour beside ours:", ""]
        for (op, what), why in sorted(KNOWN.items()):
            lines.append("- **%s** (%s): %s" % (op, what, why))
    refutil.doc_section(SECTION, lines)


@pytest.mark.parametrize("op", OPS)
def test_kernel_matches_tensorflow(outcomes, op):
    bad = [o for o in outcomes if o["case"].op == op and o["status"] == "fail"]
    msgs = ["%s %s%s: %s" % (o["case"].label, "(gradient) " if o["case"].grad else "",
                             o["case"].note, o["why"]) for o in bad]
    assert not bad, "%d of the %s cases differ from TensorFlow:\n  %s" % (len(bad), op, "\n  ".join(msgs[:15]))


def test_every_kernel_and_gradient_has_a_compared_case(outcomes):
    reg = refutil.registry()
    compared = {o["case"].op for o in outcomes if o["status"] in ("pass", "fail", "known") and not o["case"].grad}
    grads = {o["case"].op for o in outcomes if o["status"] in ("pass", "fail", "known") and o["case"].grad}
    no_case = sorted(set(reg["registered_kernels"]) - compared)
    no_grad_case = sorted(set(reg["gradients"]) - grads)
    assert not no_case, "registered kernels without a TensorFlow-compared case: %s" % no_case
    assert not no_grad_case, "registered gradients without a TensorFlow-compared case: %s" % no_grad_case
