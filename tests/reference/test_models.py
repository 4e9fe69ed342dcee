"""Freshly made TensorFlow models (gen_models.py) run through our CLI and
compared with TensorFlow's outputs (issue 7, section 4).

Every signature of every generated model is one case. A case is PENDING when
the ops it needs (reached from its outputs, the init/main op and the restore
op, through every function it calls) include one our build has no kernel
for; pending cases are still run and their outcome written to
build/reference/models/pending.json, but they cannot fail the suite. A case
with nothing missing must run and match TensorFlow.
"""
import collections
import json
import os

import numpy as np

import gen_models
import refutil

# Float outputs: |ours - tf| <= ATOL + RTOL * |tf|. Kernels here are the same
# single-precision formulas as TF's; only summation order differs.
RTOL = 1e-5
ATOL = 1e-6
# Looser bounds for a model, each with its reason: {model: (rtol, atol, why)}.
TOLERANCES = {}

# Supported cases whose answer differs from TF's on purpose or for a reason
# already understood: {"model/tags/signature": "reason"}.
KNOWN_DIFFERENCES = {}

# Cases that need no missing op but a part of the runtime not built yet; they
# count as pending, with the reason, and fail the test once they pass (so the
# list stays true).
PENDING = {}

OUT = os.path.join(refutil.CACHE, "models_runs")


def _case_key(model, run):
    return "%s/%s/%s" % (model, ",".join(run["tags"]), run["signature"])


# ------------------------------------------------------- ops a case needs

def _meta_graph(sm, tags):
    for meta in sm.meta_graphs:
        if set(meta.meta_info_def.tags) == set(tags):
            return meta
    raise KeyError("no MetaGraphDef with tags %s" % tags)


def _node_name(tensor_name):
    return tensor_name.lstrip("^").split(":")[0]


def _called_functions(node):
    for attr in node.attr.values():
        if attr.HasField("func"):
            yield attr.func.name
        for f in attr.list.func:
            yield f.name


def needed_ops(meta, signature_key):
    """Op types a run of the signature executes: the graph walked back from
    its outputs (stopping at fed inputs), the init/main op and the restore
    op, plus every node of every function those call, transitively."""
    graph = meta.graph_def
    nodes = {n.name: n for n in graph.node}
    functions = {f.signature.name: f for f in graph.library.function}
    sig = meta.signature_def[signature_key]
    fed = {_node_name(i.name) for i in sig.inputs.values()}

    roots = [_node_name(o.name) for o in sig.outputs.values()]
    if "__saved_model_init_op" in meta.signature_def:
        roots += [_node_name(o.name)
                  for o in meta.signature_def["__saved_model_init_op"].outputs.values()]
    for key in ("saved_model_main_op", "legacy_init_op"):
        if key in meta.collection_def:
            roots += [_node_name(n) for n in meta.collection_def[key].node_list.value]
    if meta.saver_def.restore_op_name:
        roots.append(_node_name(meta.saver_def.restore_op_name))

    ops, seen, pending_funcs = set(), set(), []
    stack = [r for r in roots if r in nodes]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        node = nodes[name]
        if node.op in functions:
            pending_funcs.append(node.op)
        else:
            ops.add(node.op)
        pending_funcs += list(_called_functions(node))
        if name in fed:
            continue
        stack += [_node_name(i) for i in node.input if _node_name(i) in nodes]

    done = set()
    while pending_funcs:
        fname = pending_funcs.pop()
        if fname in done or fname not in functions:
            continue
        done.add(fname)
        for node in functions[fname].node_def:
            if node.op in functions:
                pending_funcs.append(node.op)
            else:
                ops.add(node.op)
            pending_funcs += list(_called_functions(node))
    return ops


# ------------------------------------------------------- running ours

def _load(path):
    a = np.load(path, allow_pickle=True)
    if a.dtype.kind in "OSU":
        # numpy 'S' arrays drop trailing NULs; compare both sides that way.
        flat = [(v.encode() if isinstance(v, str) else bytes(v)).rstrip(b"\0") for v in a.ravel()]
        out = np.empty(len(flat), dtype=object)
        out[:] = flat
        return out.reshape(a.shape)
    return a


def _run_ours(model_dir, run, out_dir):
    args = ["run", os.path.join(model_dir, "saved_model"), "--tag_set", ",".join(run["tags"]),
            "--signature_def", run["signature"], "--outdir", out_dir, "--overwrite"]
    if run["input_examples"] is not None:
        args += ["--input_examples", run["input_examples"]]
    elif run["inputs"]:
        args += ["--inputs", ";".join("%s=%s" % (k, os.path.join(model_dir, f))
                                      for k, f in sorted(run["inputs"].items()))]
    return refutil.cli(*args, check=False, timeout=300)


def _compare(model, model_dir, run, out_dir):
    """None when ours matches TF, else a one-line description."""
    rtol, atol = TOLERANCES.get(model, (RTOL, ATOL, ""))[:2]
    problems = []
    for key, fname in sorted(run["outputs"].items()):
        want = _load(os.path.join(model_dir, fname))
        path = os.path.join(out_dir, key + ".npy")
        if not os.path.exists(path):
            problems.append("%s: no output written" % key)
            continue
        got = _load(path)
        if got.shape != want.shape:
            problems.append("%s: shape %s, TF %s" % (key, got.shape, want.shape))
            continue
        if got.dtype != want.dtype:
            problems.append("%s: dtype %s, TF %s" % (key, got.dtype, want.dtype))
            continue
        if want.dtype.kind == "f":
            w, g = want.astype(np.float64), got.astype(np.float64)
            bad = ~np.isclose(g, w, rtol=rtol, atol=atol, equal_nan=True)
            if bad.any():
                err = np.abs(g - w)
                problems.append("%s: %d of %d elements off, max abs err %.3g, max rel err %.3g" %
                                (key, bad.sum(), bad.size, np.nanmax(err),
                                 np.nanmax(err / np.maximum(np.abs(w), 1e-30))))
        elif want.dtype == object:
            if want.tolist() != got.tolist():
                problems.append("%s: strings differ: ours %s, TF %s" %
                                (key, got.ravel()[:6].tolist(), want.ravel()[:6].tolist()))
        elif not np.array_equal(got, want):
            problems.append("%s: %d of %d elements differ (ours %s, TF %s)" %
                            (key, (got != want).sum(), want.size, got.ravel()[:6].tolist(),
                             want.ravel()[:6].tolist()))
    return "; ".join(problems) or None


def _first_error_line(proc):
    text = (proc.stderr or proc.stdout or "").strip().splitlines()
    return text[-1][:300] if text else "exit %d" % proc.returncode


# ------------------------------------------------------- the test

def test_generated_models():
    from tensorflow.core.protobuf import saved_model_pb2

    root = gen_models.ensure()
    kernels = set(refutil.registry()["kernels"])
    models = sorted(d for d in os.listdir(root)
                    if os.path.isdir(os.path.join(root, d)) and not d.startswith("."))
    assert models, "the generator wrote no models into %s" % root

    passed, pending, failed, known = [], [], [], []
    missing_by_model = collections.defaultdict(set)
    for model in models:
        model_dir = os.path.join(root, model)
        case_file = os.path.join(model_dir, "case.json")
        assert os.path.exists(case_file), "%s has no case.json (generator stopped half way?)" % model
        case = json.load(open(case_file))
        assert case["runs"], "%s: no signature to run" % model
        sm = saved_model_pb2.SavedModel()
        with open(os.path.join(model_dir, "saved_model", "saved_model.pb"), "rb") as f:
            sm.ParseFromString(f.read())
        for i, run in enumerate(case["runs"]):
            key = _case_key(model, run) + ("" if run["input_examples"] is None
                                           else " (--input_examples)")
            missing = sorted(needed_ops(_meta_graph(sm, run["tags"]), run["signature"]) - kernels)
            out_dir = os.path.join(OUT, model, "run%d" % i)
            os.makedirs(out_dir, exist_ok=True)
            proc = _run_ours(model_dir, run, out_dir)
            outcome = (_compare(model, model_dir, run, out_dir) if proc.returncode == 0
                       else "CLI error: " + _first_error_line(proc))
            if missing:
                missing_by_model[model].update(missing)
                pending.append({"case": key, "family": case["family"], "missing_ops": missing,
                                "ours": outcome or "runs and matches TF despite the missing ops",
                                "oracle": run.get("oracle")})
            elif key in PENDING:
                if outcome is None:
                    failed.append("%s: now matches TensorFlow: take it off PENDING" % key)
                else:
                    pending.append({"case": key, "family": case["family"], "missing_ops": [],
                                    "reason": PENDING[key], "ours": outcome})
            elif outcome is None:
                passed.append(key)
            elif key in KNOWN_DIFFERENCES:
                known.append("%s: %s (known: %s)" % (key, outcome, KNOWN_DIFFERENCES[key]))
                passed.append(key)
            else:
                failed.append("%s: %s" % (key, outcome))

    op_counts = collections.Counter(op for ops in missing_by_model.values() for op in ops)
    report = {
        "models": len(models),
        "cases": len(passed) + len(pending) + len(failed),
        "passed": len(passed), "pending": len(pending), "failed": len(failed),
        "models_fully_supported": len([m for m in models if m not in missing_by_model]),
        "missing_op_model_counts": dict(op_counts.most_common()),
        "pending_cases": pending,
        "failed_cases": failed,
        "known_differences": known,
        "passed_cases": passed,
    }
    with open(os.path.join(root, "pending.json"), "w") as f:
        json.dump(report, f, indent=1)
    doc = ["## Models made fresh by TensorFlow (`gen_models.py`, `test_models.py`)", "",
           "%d models, %d signatures: %d answer as TensorFlow does, %d pending, %d failing. A "
           "signature is pending when the ops it needs include ops we have no kernel for; the "
           "missing ops, by the number of models needing each:" % (
               len(models), report["cases"], len(passed), len(pending), len(failed)), ""]
    doc += ["- %s: %d" % kv for kv in op_counts.most_common()]
    doc += ["", "Pending signatures: " + ", ".join(p["case"] for p in pending) + "."]
    if known:
        doc += ["", "Known differences:", ""] + ["- " + k for k in known]
    refutil.doc_section("models", doc)
    refutil.record("models", cases=report["cases"], passed=len(passed), pending=len(pending),
                   failed=len(failed))
    print("\nmodels: %d models, %d cases: %d passed, %d pending (%d models need missing ops; "
          "top: %s), %d failed; details in %s" %
          (len(models), report["cases"], len(passed), len(pending), len(missing_by_model),
           ", ".join("%s x%d" % kv for kv in op_counts.most_common(5)), len(failed),
           os.path.join(root, "pending.json")))
    assert not failed, "supported models that disagree with TensorFlow:\n  " + "\n  ".join(failed)


def test_compare_catches_differences(tmp_path):
    """The comparison itself: a wrong value, dtype or string must be caught."""
    want = {"f": np.array([1.0, 2.0], np.float32), "i": np.array([1, 2], np.int64),
            "s": np.array([b"a", b"b\0"], dtype=object)}
    cases = {
        None: want,
        "f: 1 of 2": dict(want, f=np.array([1.0, 2.001], np.float32)),
        "i: dtype int32": dict(want, i=np.array([1, 2], np.int32)),
        "s: strings differ": dict(want, s=np.array([b"a", b"c"], dtype=object)),
        "f: shape": dict(want, f=np.array([[1.0, 2.0]], np.float32)),
    }
    run = {"outputs": {}}
    for k, v in want.items():
        np.save(tmp_path / ("want_" + k + ".npy"), v, allow_pickle=True)
        run["outputs"][k] = "want_%s.npy" % k
    for expect, got in cases.items():
        out = tmp_path / "got"
        out.mkdir(exist_ok=True)
        for k, v in got.items():
            # ours writes 'S' arrays, which drop trailing NULs
            np.save(out / (k + ".npy"), v.astype(bytes) if v.dtype == object else v)
        problem = _compare("m", str(tmp_path), run, str(out))
        if expect is None:
            assert problem is None, problem
        else:
            assert problem and expect in problem, (expect, problem)
