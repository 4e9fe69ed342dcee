"""`savedmodel show` and `run` against saved_model_cli itself (issue 15).

Every SavedModel under ../shared/testdata (tf_serving/ and corpus/) and every
one the reference generator writes (gen_models.py), plus a small TF2 model
with composite TypeSpecs and Python defaults, goes through both tools: `show` with no flags, with each `--tag_set`, with each
`--signature_def`, and `--all`; `run` of each signature on the same .npy
inputs. Standard output must be identical, the .npy files written by
`--outdir` equal, and where saved_model_cli fails ours must fail too.
saved_model_cli is called in-process (its show/run functions with parsed
flags) because each fresh process spends seconds importing TensorFlow; its
log lines go to stderr and are not compared.

Every remaining difference is listed in KNOWN with its reason and reported as
pending; a listed case that starts to agree fails, so the list stays true.
"""
import contextlib
import difflib
import io
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import warnings

import numpy as np
import pytest

import refutil

# (model path relative to testdata, case label) -> why the outputs differ.
# A model of "*" applies to every model.
KNOWN = {
    # saved_model_cli lists the keys of a MetaGraphDef saved with no tags
    # (--tag_set ''), but its --signature_def and run drop empty tags and then
    # refuse the empty list; ours selects that MetaGraphDef everywhere.
    ("corpus/tf_half_plus_two_empty_tags", "show --tag_set '' --signature_def *"):
        "saved_model_cli cannot select a MetaGraphDef saved with no tags; ours can",
    ("corpus/tf_half_plus_two_empty_tags", "run --tag_set '' --signature_def *"):
        "saved_model_cli cannot select a MetaGraphDef saved with no tags; ours can",
    # saved_model_cli sorts a function's concrete functions by the names
    # TensorFlow gives them when it loads the model (fresh uids in load order,
    # e.g. ..._fn_194 < ..._fn_201), not by the names stored in the file; ours
    # sorts the stored names, so the Option numbering differs.
    ("corpus/cppflow_lexci_cnn", "show --all"): "concrete function Option order (load-time names)",
    ("corpus/mnist_mlp_tf2_4", "show --all"): "concrete function Option order (load-time names)",
    ("corpus/rnn_series_gru_tf2_6", "show --all"): "concrete function Option order (load-time names)",
    ("corpus/rossman_sharded_vars_tf2_2", "show --all"): "concrete function Option order (load-time names)",
    ("corpus/text_vectorization_tf2_10", "show --all"): "concrete function Option order (load-time names)",
    ("corpus/tf_fuzz_bad_node_attr", "show --all"):
        "TensorFlow fails to load this fuzzed graph and prints 'Concrete Functions: N/A'; our "
        "ValidateMetaGraphDef accepts it, so ours lists the functions",
    ("corpus/tf2onnx_assign", "run --tag_set 'serve' --signature_def serving_default"):
        "the graph reads a variable and Assigns it with no control edge between them; TensorFlow's "
        "executor happens to run the Assign first (9), ours the read (8)",
    # The reference generator's models (skipped with CLI_PARITY_GENERATED=0):
    ("generated/tf1_assets_vocab", "run --tag_set 'serve' --signature_def id_to_word"):
        "string outputs: saved_model_cli's .npy is a pickled object array of bytes, ours a '|S<n>' "
        "array (np.load gives the same values; our npy writer has no pickle)",
    ("generated/tf2_module", "run --tag_set 'serve' --signature_def strings"):
        "string outputs: saved_model_cli's .npy is a pickled object array of bytes, ours a '|S<n>' "
        "array (np.load gives the same values; our npy writer has no pickle)",
    # Deliberate: ours loads what tf.saved_model.load loads, where saved_model_cli's TF1 loader
    # fails. A TF2 export restores through its object graph (the restore function of these two
    # names variables the checkpoint lacks, or restores others than the signature reads), and an
    # asset-path Const reads the file packaged in assets/, not the path it had when saved.
    ("corpus/tfc_uninitialized_variable", "run --tag_set 'serve' --signature_def serving_default"):
        "deliberate: restored through the object graph, as tf.saved_model.load does; "
        "saved_model_cli's TF1 loader fails ('No variables to save')",
    ("generated/keras3_tf_saved_model_save", "run --tag_set 'serve' --signature_def serving_default"):
        "deliberate: restored through the object graph, as tf.saved_model.load does; "
        "saved_model_cli's TF1 loader leaves the Dense variables unrestored",
    ("generated/tf1_assets_vocab", "run --tag_set 'serve' --signature_def asset_length"):
        "deliberate: the asset-path Const points at the export's assets/ (as tf.saved_model.load "
        "rebinds assets); saved_model_cli reads the path the file had at export time, gone since",
}



class _Tally:
    """Outcomes of parity cases, recorded for the section's summary line: a
    case passes, is pending with its KNOWN reason, is stale (listed in KNOWN
    but agreeing now), or fails."""

    def __init__(self):
        self.cases = self.passed = self.pending = 0
        self.failures, self.pendings, self.stale = [], [], []

    def add(self, name, label, problem, reason, can_be_stale=True):
        if problem is None and reason is None:
            self.passed += 1
        elif problem is None and can_be_stale:
            self.stale.append("%s: %s (listed as: %s)" % (name, label, reason))
        elif reason is not None:
            self.pending += 1
            self.pendings.append("%s: %s -- %s" % (name, label, reason))
        else:
            self.failures.append("%s: %s\n%s" % (name, label, problem))

    def check(self, what):
        refutil.record("cli", cases=self.cases, passed=self.passed, pending=self.pending,
                       failed=len(self.failures) + len(self.stale))
        for line in self.pendings:
            print("pending: " + line)
        report = self.failures + ["now agrees, remove from KNOWN: " + s for s in self.stale]
        assert not report, "%d of %d %s differ from saved_model_cli:\n\n%s" % (
            len(report), self.cases, what, "\n\n".join(report))

def _known(model, label):
    for (m, pattern), reason in KNOWN.items():
        if m in ("*", model) and re.fullmatch(re.escape(pattern).replace(r"\*", ".*"), label):
            return reason
    return None


def _models():
    """(name, path) of every SavedModel compared: ../shared/testdata's and
    the ones the reference generator writes (gen_models, cached and shared
    with test_models.py), unless CLI_PARITY_GENERATED=0."""
    out = []
    for sub in ("tf_serving", "corpus"):
        root = os.path.join(refutil.TESTDATA, sub)
        for dirpath, dirnames, filenames in os.walk(root):
            if "saved_model.pb" in filenames or "saved_model.pbtxt" in filenames:
                out.append((os.path.relpath(dirpath, refutil.TESTDATA), dirpath))
                dirnames[:] = []
            dirnames.sort()
    if os.environ.get("CLI_PARITY_GENERATED", "1") != "0":
        import gen_models
        root = gen_models.ensure()
        for name in sorted(os.listdir(root)):
            path = os.path.join(root, name, "saved_model")
            if os.path.isdir(path):
                out.append(("generated/" + name, path))
    return sorted(out)


class SavedModelCli:
    """saved_model_cli's own functions, run in this process."""

    FLAGS = ("dir", "all", "tag_set", "signature_def", "list_ops", "inputs", "input_exprs",
             "input_examples", "outdir", "overwrite", "output_prefix", "signature_def_key",
             "variables_to_feed", "checkpoint_path")

    def __init__(self):
        from absl import flags
        from tensorflow.python.tools import saved_model_cli
        self._flags = flags.FLAGS
        self._parser = saved_model_cli.create_parser()

    def __call__(self, args):
        """(ok, stdout, error) for `saved_model_cli ARGS`."""
        for name in self.FLAGS:
            self._flags[name].value = self._flags[name].default
        out = io.StringIO()
        try:
            # numpy's cast warnings inside saved_model_cli are its behaviour, not news.
            with contextlib.redirect_stdout(out), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ns = self._parser.parse_args([str(a) for a in args])
                ns.func()
            return True, out.getvalue(), ""
        except SystemExit as e:
            return False, out.getvalue(), "exit %s" % e.code
        except Exception as e:  # noqa: BLE001 - any failure of the tool is a result
            return False, out.getvalue(), "%s: %s" % (type(e).__name__, str(e)[:500])


def _ours(args):
    proc = subprocess.run([refutil.CLI] + [str(a) for a in args], capture_output=True, text=True,
                          errors="replace", timeout=300)
    return proc.returncode == 0, proc.stdout, proc.stderr.strip()[-500:]


_OPS = re.compile(r"^(The MetaGraph with tag set .* contains the following ops: )\{(.*)\}$", re.M)


def _normalise(text, outdir=None):
    # A Python set prints in an order that changes from run to run.
    text = _OPS.sub(lambda m: m.group(1) + "{" + ", ".join(sorted(m.group(2).split(", "))) + "}", text)
    if outdir:
        text = text.replace(outdir, "OUTDIR")
    return text


def _example_batch():
    import tensorflow as tf
    ex = [tf.train.Example(features=tf.train.Features(feature={
        "x": tf.train.Feature(float_list=tf.train.FloatList(value=[v]))})) for v in (1.0, 3.0)]
    arr = np.empty(2, dtype=object)
    arr[:] = [e.SerializeToString() for e in ex]
    return arr


def _make_input(info, method):
    """A deterministic value for a signature input of any dtype and shape."""
    import tensorflow as tf
    dtype = tf.dtypes.as_dtype(info.dtype)
    if info.tensor_shape.unknown_rank:
        shape = [2]
    else:
        shape = [2 if d.size < 0 else d.size for d in info.tensor_shape.dim]
    n = int(np.prod(shape)) if shape else 1
    if dtype == tf.string:
        if method in ("tensorflow/serving/classify", "tensorflow/serving/regress") and shape == [2]:
            return _example_batch()
        arr = np.empty(n, dtype=object)
        arr[:] = [b"the quick brown fox"[: 3 + i % 10] for i in range(n)]
        return arr.reshape(shape)
    if dtype == tf.bool:
        return (np.arange(n) % 2 == 0).reshape(shape)
    np_dtype = dtype.as_numpy_dtype
    if dtype.is_floating:
        return ((np.arange(n) % 7) * 0.5 + 1).astype(np_dtype).reshape(shape)
    return (np.arange(n) % 5 + 1).astype(np_dtype).reshape(shape)


def _inputs_for(model, key, sig, tmp):
    """--inputs text feeding each input from an .npy file: the corpus's
    expected-input files where there are some, generated values otherwise."""
    expected = os.path.join(refutil.TESTDATA, "corpus_expected", os.path.basename(model), key)
    parts = []
    for name in sorted(sig.inputs):
        path = os.path.join(expected, "input.%s.npy" % name)
        if not os.path.exists(path):
            path = os.path.join(tmp, "%s.%s.npy" % (key.replace("/", "_"), name))
            np.save(path, _make_input(sig.inputs[name], sig.method_name), allow_pickle=True)
        parts.append("%s=%s" % (name, path))
    return ";".join(parts)


RTOL = 1e-5  # as ../shared/testdata/corpus_expected asks


def _outputs_close(theirs_dir, ours_dir):
    """Every output file of theirs has ours of the same dtype and shape, equal
    to RTOL (floats) or exactly (anything else)."""
    names = sorted(os.listdir(theirs_dir)) if os.path.isdir(theirs_dir) else []
    if not names:
        return False
    for name in names:
        mine = os.path.join(ours_dir, name)
        if not os.path.exists(mine):
            return False
        x = np.load(os.path.join(theirs_dir, name), allow_pickle=True)
        y = np.load(mine, allow_pickle=True)
        if x.dtype != y.dtype or x.shape != y.shape:
            return False
        if x.dtype.kind in "fc":
            if not np.allclose(x, y, rtol=RTOL, atol=1e-6, equal_nan=True):
                return False
        elif not np.array_equal(x, y):
            return False
    return True


def _npy_equal(a, b):
    x, y = np.load(a, allow_pickle=True), np.load(b, allow_pickle=True)
    if x.dtype != y.dtype or x.shape != y.shape:
        return False
    if x.dtype.kind in "fc":
        return bool(np.array_equal(x, y, equal_nan=True))
    return bool(np.array_equal(x, y))


_ids = itertools.count()


HALF_PLUS_TWO = "tf_serving/saved_model_half_plus_two_cpu/00000123"
TYPES = "corpus/mlnet_types_test"

# Input flags on one model, each run by both tools: saved_model_cli's input
# syntax, its numpy conversions and the errors it raises.
INPUT_CASES = [
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", "x=[[1.0],[2.0]]"]),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", "x=[[True],[2.0],[None],['1.5'],[b'2']]"]),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", "x=[[1],[100000000000000000000000]]"]),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", "x=[[1e300],[-0.0]]"]),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", 'x={"a":1}']),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", 'x=[{"x":[5.0]}]']),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", "x=[[{1.0}]]"]),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", "x=[['a'],[2.0]]"]),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", "x=[[1.0],2.0]"]),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", "x=[[1],[2,3]]"]),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", "x=(1.0,2.0)"]),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", "x=1.0"]),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", "x=[[]]"]),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", "x=[[2**70]]"]),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", "x=[[1+2j]]"]),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", "x=[[-2j],[1.5 - 0.5J],[(3+1j)]]"]),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", "x=[[True],[1j]]"]),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", "x=[['1'],[1j]]"]),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", "x=[[None],[1j]]"]),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", "x=[[complex(1,2)]]"]),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", "x=[[1j+1]]"]),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", "x=[[1+2]]"]),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", "x=[[1+2j+3j]]"]),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", "x=[[(1.5)],[(2)]]"]),
    (HALF_PLUS_TWO, "regress_x_to_y", ["--input_examples", 'inputs=[{"x":[1.0, 2j]}]']),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", "x=[[1.5]];x=[[2.5]]"]),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", "x"]),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", "z=[[1.0]]"]),
    (HALF_PLUS_TWO, "nope", ["--input_exprs", "x=[[1.0]]"]),
    (HALF_PLUS_TWO, "serving_default", []),
    (HALF_PLUS_TWO, "serving_default", ["--inputs", "x=a[b][c]"]),
    (HALF_PLUS_TWO, "serving_default", ["--input_exprs", "x=[[1.0]]", "--input_examples", 'x=[{"x":[1.0]}]']),
    (HALF_PLUS_TWO, "regress_x_to_y", ["--input_examples", 'inputs=[{"x":[1.0]},{"x":[3.0]}]']),
    (HALF_PLUS_TWO, "classify_x_to_y", ["--input_examples", 'inputs=[{"x":[1.0]}]']),
    (HALF_PLUS_TWO, "regress_x_to_y", ["--input_examples", 'inputs=[{"x":[1, 2.0]}]']),
    (HALF_PLUS_TWO, "regress_x_to_y", ["--input_examples", 'inputs=[{"x":["a", 5.0]}]']),
    (HALF_PLUS_TWO, "regress_x_to_y", ["--input_examples", 'inputs=[{"x":[1.0, "a"]}]']),
    (HALF_PLUS_TWO, "regress_x_to_y", ["--input_examples", 'inputs=[{"x":[1.0, 2]}]']),
    (HALF_PLUS_TWO, "regress_x_to_y", ["--input_examples", 'inputs=[{"x":[True]}]']),
    (HALF_PLUS_TWO, "regress_x_to_y", ["--input_examples", 'inputs=[{"x":[1, True]}]']),
    (HALF_PLUS_TWO, "regress_x_to_y", ["--input_examples", 'inputs=[{"x":[1180591620717411303424]}]']),
    (HALF_PLUS_TWO, "regress_x_to_y", ["--input_examples", 'inputs=[{"x":[[1.0]]}]']),
    (HALF_PLUS_TWO, "regress_x_to_y", ["--input_examples", 'inputs=[{"x":[]}]']),
    (HALF_PLUS_TWO, "regress_x_to_y", ["--input_examples", 'inputs={"x":[1.0]}']),
    (HALF_PLUS_TWO, "regress_x_to_y", ["--input_examples", 'inputs=[{"x":1.0}]']),
    (HALF_PLUS_TWO, "regress_x_to_y", ["--input_examples", 'inputs=[{"x":(1.0,)}]']),
    (HALF_PLUS_TWO, "regress_x_to_y", ["--input_examples", 'inputs=[{"x":[None]}]']),
    (HALF_PLUS_TWO, "regress_x_to_y", ["--input_examples", 'inputs=[{"x":[1.0]}, 5]']),
    (HALF_PLUS_TWO, "regress_x_to_y", ["--input_examples", 'inputs=[{"x":[b"a"]}]']),
    (TYPES, "serving_default", ["--input_exprs", "f32=[[1,2]]"]),
    (TYPES, "serving_default", ["--input_exprs",
                                "b=[[1,0]];f32=[[1,2]];f64=[[1,2]];i16=[[1,2]];i32=[[1,2]];i64=[[1,2]];"
                                "i8=[[-128,127]];u16=[[1,2]];u32=[[1,2]];u64=[[1,2]];u8=[[1,2]]"]),
    (TYPES, "serving_default", ["--input_exprs",
                                "b=[[1,0]];f32=[[1,2]];f64=[[1,2]];i16=[[1,2]];i32=[[1,2]];i64=[[1,2]];"
                                "i8=[[300,1]];u16=[[1,2]];u32=[[1,2]];u64=[[1,2]];u8=[[1,2]]"]),
    (TYPES, "serving_default", ["--input_exprs",
                                "b=[['', 'x']];f32=[['1', 2.5]];f64=[[1,2]];i16=[['7', 1_0]];i32=[[1,2]];"
                                "i64=[[1,2]];i8=[[1,2]];u16=[[1,2]];u32=[[1,2]];u64=[[1,2]];u8=[[1,2]]"]),
    (TYPES, "serving_default", ["--input_exprs",
                                "b=[[1,0]];f32=[[1,2]];f64=[[1,2]];i16=[[1,2]];i32=[[1,2]];i64=[[1,2]];"
                                "i8=[[1,2]];u16=[[1,2]];u32=[[1,2]];u64=[[18446744073709551615,2]];u8=[[1,2]]"]),
]
KNOWN.update({
    ("input " + TYPES, "serving_default --input_exprs b=[[1,0]];f32=[[1,2]];f64=[[1,2]];i16=[[1,2]];"
                       "i32=[[1,2]];i64=[[1,2]];i8=[[300,1]];u16=[[1,2]];u32=[[1,2]];u64=[[1,2]];u8=[[1,2]]"):
        "deliberate: an int out of the input's range is an error; saved_model_cli's "
        "np.asarray(v).astype(int8) silently wraps 300 to 44",
    ("input " + TYPES, "serving_default --input_exprs b=[[1,0]];f32=[[1,2]];f64=[[1,2]];i16=[[1,2]];"
                       "i32=[[1,2]];i64=[[1,2]];i8=[[1,2]];u16=[[1,2]];u32=[[1,2]];"
                       "u64=[[18446744073709551615,2]];u8=[[1,2]]"):
        "deliberate: ours feeds 2**64-1 to a uint64 input exactly; saved_model_cli's numpy conversion "
        "goes through float64 and feeds 0",
})


def _composite_model(path):
    """A TF2 model whose concrete functions take composite TypeSpecs and
    Python defaults (float, bool, tuple), which `show --all` prints."""
    import tensorflow as tf

    class Module(tf.Module):
        @tf.function(input_signature=[tf.SparseTensorSpec([None, 3], tf.float32)])
        def sparse(self, x):
            return tf.sparse.reduce_sum(x)

        @tf.function(input_signature=[tf.RaggedTensorSpec([None, None], tf.int32, 1)])
        def ragged(self, x):
            return x.flat_values

        @tf.function
        def defaults(self, x, scale=0.1, flag=True, items=(1.0, "a")):
            return x * scale

    m = Module()
    m.defaults(tf.constant([1.0]))
    m.defaults(tf.constant([1.0, 2.0]), 2.5, False, [3, 4])
    tf.saved_model.save(m, path, signatures={"serving_default": m.sparse})
    return path


def _complex_model(path):
    """A TF2 model fed complex64 and complex128 inputs (and a float one), each
    returned unchanged, so the fed values show in the output."""
    import tensorflow as tf

    class Module(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.complex64, name="c64"),
                                      tf.TensorSpec([None], tf.complex128, name="c128"),
                                      tf.TensorSpec([None], tf.float32, name="f32")])
        def serve(self, c64, c128, f32):
            return {"o64": tf.identity(c64), "o128": tf.identity(c128), "of32": tf.identity(f32)}

    m = Module()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve})
    return path


# --input_exprs on _complex_model: Python's complex literals as
# ast.literal_eval reads them, converted as numpy converts them.
COMPLEX_CASES = [
    "c64=[1+2j, -2j, 3];c128=[1.5-0.5j, 1e300j, (2+0j)];f32=[1, 2.5]",
    "c64=[True, 1j];c128=['1+2j', '(3-4j)'];f32=[1j, -1.5+2j]",
    "c64=[None, 1j];c128=[1j];f32=[1.0]",
    "c64=[2**70, 1j];c128=[1j];f32=[1.0]",
    "c64=[1j];c128=[1j];f32=[None, 1j]",
    "c64=['x', 1j];c128=[1j];f32=[1.0]",
    "c64=[1j];c128=[complex(1, 2)];f32=[1.0]",
    "c64=[[1j], [2j]];c128=[1j];f32=[1.0]",
]

# Tag sets with spaces, empty tags and several tags, through show, run and
# freeze_model: saved_model_cli trims each tag for run, freeze_model,
# --signature_def and --list_ops, but not when it lists signature keys.
TRAIN_SERVE = "corpus/rust_regression_tf1_train_serve"
TAG_CASES = [
    (HALF_PLUS_TWO, ["show", "--tag_set", " serve"]),
    (HALF_PLUS_TWO, ["show", "--tag_set", "serve,"]),
    (HALF_PLUS_TWO, ["show", "--tag_set", ",serve,,"]),
    (HALF_PLUS_TWO, ["show", "--tag_set", " serve\t", "--signature_def", "serving_default"]),
    (HALF_PLUS_TWO, ["show", "--tag_set", "serve ", "--list_ops"]),
    (HALF_PLUS_TWO, ["show", "--tag_set", ",", "--signature_def", "serving_default"]),
    (HALF_PLUS_TWO, ["show", "--tag_set", "Serve", "--signature_def", "serving_default"]),
    (HALF_PLUS_TWO, ["run", "--tag_set", " serve ,", "--signature_def", "serving_default",
                     "--input_exprs", "x=[[1.0]]"]),
    (HALF_PLUS_TWO, ["run", "--tag_set", " ", "--signature_def", "serving_default",
                     "--input_exprs", "x=[[1.0]]"]),
    (TRAIN_SERVE, ["show", "--tag_set", "serve,train"]),
    (TRAIN_SERVE, ["show", "--tag_set", "serve, train"]),
    (TRAIN_SERVE, ["show", "--tag_set", "train,\tserve", "--signature_def", "tensorflow/serving/regress"]),
    (TRAIN_SERVE, ["show", "--tag_set", "serve", "--signature_def", "tensorflow/serving/regress"]),
    (TRAIN_SERVE, ["show", "--tag_set", "serve, train", "--list_ops"]),
]


def test_cli_parity():
    if not os.path.isdir(refutil.TESTDATA):
        print("no ../shared/testdata: comparing the generated models only")
    if not os.path.exists(refutil.CLI):
        pytest.fail("build/savedmodel is missing; build the savedmodel_cli target first")
    from tensorflow.python.saved_model import loader_impl

    tmp = tempfile.mkdtemp(prefix="cli_parity_")
    models = _models() + [("made/composite_specs", _composite_model(os.path.join(tmp, "composite")))]
    if not models:
        pytest.skip("no models to compare (no ../shared/testdata, generated models off)")
    smcli = SavedModelCli()
    tally = _Tally()
    try:
        for model, path in models:
            saved_model = loader_impl.parse_saved_model(path)
            runs = []
            for label, args in [("show", ["show", "--dir", path]), ("show --all", ["show", "--dir", path, "--all"])]:
                runs.append((label, args, None))
            for mg in saved_model.meta_graphs:
                tags = ",".join(mg.meta_info_def.tags)
                shown = repr(tags) if tags else "''"
                runs.append(("show --tag_set %s" % shown, ["show", "--dir", path, "--tag_set", tags], None))
                for key in sorted(mg.signature_def):
                    runs.append(("show --tag_set %s --signature_def %s" % (shown, key),
                                 ["show", "--dir", path, "--tag_set", tags, "--signature_def", key], None))
                    if key.startswith("__"):
                        continue  # init ops, not something to run
                    sig = mg.signature_def[key]
                    if not sig.inputs:
                        continue  # saved_model_cli run needs at least one input flag
                    inputs = _inputs_for(model, key, sig, tmp)
                    runs.append(("run --tag_set %s --signature_def %s" % (shown, key),
                                 ["run", "--dir", path, "--tag_set", tags, "--signature_def", key,
                                  "--inputs", inputs], next(_ids)))
            for label, args, run_id in runs:
                tally.cases += 1
                theirs_dir = ours_dir = None
                if run_id is not None:
                    theirs_dir = os.path.join(tmp, "theirs%d" % run_id)
                    ours_dir = os.path.join(tmp, "ours%d" % run_id)
                    t_ok, t_out, t_err = smcli(args + ["--outdir", theirs_dir])
                    o_ok, o_out, o_err = _ours(args + ["--outdir", ours_dir])
                    t_out, o_out = _normalise(t_out, theirs_dir), _normalise(o_out, ours_dir)
                else:
                    t_ok, t_out, t_err = smcli(args)
                    o_ok, o_out, o_err = _ours(args)
                    t_out, o_out = _normalise(t_out), _normalise(o_out)
                problem = None
                if t_ok != o_ok:
                    problem = "saved_model_cli %s, ours %s (theirs: %s | ours: %s)" % (
                        "succeeds" if t_ok else "fails", "succeeds" if o_ok else "fails", t_err, o_err)
                elif t_out != o_out:
                    problem = "stdout differs:\n" + "\n".join(difflib.unified_diff(
                        t_out.splitlines(), o_out.splitlines(), "saved_model_cli", "savedmodel", n=1, lineterm=""))
                elif run_id is not None and t_ok:
                    for name in sorted(os.listdir(theirs_dir)):
                        mine = os.path.join(ours_dir, name)
                        if not os.path.exists(mine) or not _npy_equal(os.path.join(theirs_dir, name), mine):
                            problem = "%s differs" % name
                            break
                reason = _known(model, label)
                missing = None
                if problem and not o_ok:
                    missing = re.search(r"no kernel for op '[^']+'", o_err)
                elif problem and run_id is not None and t_ok and _outputs_close(theirs_dir, ours_dir):
                    missing = "float results differ only in the last digits (within %g relative; " \
                              "TensorFlow's oneDNN kernels sum in another order)" % RTOL
                if reason is None and missing:
                    # Like test_models.py: a model needing a kernel we lack is pending, naming it;
                    # so are results that differ by rounding only.
                    reason = missing if isinstance(missing, str) else missing.group(0)
                tally.add(model, label, problem, reason, can_be_stale=not missing)
        for model, key, flags in INPUT_CASES:
            path = os.path.join(refutil.TESTDATA, model)
            if not os.path.isdir(path):
                continue
            label = " ".join([key] + flags)
            args = ["run", "--dir", path, "--tag_set", "serve", "--signature_def", key] + flags
            t_ok, t_out, t_err = smcli(args)
            o_ok, o_out, o_err = _ours(args)
            tally.cases += 1
            problem = None
            if t_ok != o_ok:
                problem = "saved_model_cli %s, ours %s (theirs: %s | ours: %s)" % (
                    "succeeds" if t_ok else "fails", "succeeds" if o_ok else "fails", t_err, o_err)
            elif t_out != o_out:
                problem = "stdout differs:\n" + "\n".join(difflib.unified_diff(
                    t_out.splitlines(), o_out.splitlines(), "saved_model_cli", "savedmodel", n=1, lineterm=""))
            reason = _known("input " + model, label)
            tally.add("input " + model, label, problem, reason)
        extra = [("made/complex_inputs", ["run", "--dir", _complex_model(os.path.join(tmp, "complex")),
                                          "--tag_set", "serve", "--signature_def", "serving_default",
                                          "--input_exprs", e]) for e in COMPLEX_CASES]
        extra += [(model, args[:1] + ["--dir", os.path.join(refutil.TESTDATA, model)] + args[1:])
                  for model, args in TAG_CASES if os.path.isdir(os.path.join(refutil.TESTDATA, model))]
        for model, args in extra:
            label = " ".join(repr(a) if (not a or a != a.strip() or "," in a) else a
                             for a in [args[0]] + args[3:])
            t_ok, t_out, t_err = smcli(args)
            o_ok, o_out, o_err = _ours(args)
            tally.cases += 1
            problem = None
            if t_ok != o_ok:
                problem = "saved_model_cli %s, ours %s (theirs: %s | ours: %s)" % (
                    "succeeds" if t_ok else "fails", "succeeds" if o_ok else "fails", t_err, o_err)
            elif _normalise(t_out) != _normalise(o_out):
                problem = "stdout differs:\n" + "\n".join(difflib.unified_diff(
                    _normalise(t_out).splitlines(), _normalise(o_out).splitlines(), "saved_model_cli",
                    "savedmodel", n=1, lineterm=""))
            reason = _known("args " + model, label)
            tally.add("args " + model, label, problem, reason)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    tally.check("cases")


def _freeze_model_model(path, values=1.0):
    """A TF2 model for freeze_model: fully defined input shapes (a small one
    frozen to a zero Const, a large one to a Fill), resource variables read by
    ReadVariableOp and ResourceGather, one variable a signature modifies, and
    names with '/' (config names replace them with '_')."""
    import tensorflow as tf

    class Module(tf.Module):
        def __init__(self):
            super().__init__()
            with tf.name_scope("dense"):
                self.w = tf.Variable(values * np.arange(6, dtype=np.float32).reshape(3, 2), name="kernel")
                self.b = tf.Variable(values * np.array([0.5, -0.5], np.float32), name="bias")
            self.table = tf.Variable(values * np.arange(8, dtype=np.float32).reshape(4, 2), name="table")
            self.count = tf.Variable(0.0, name="count")

        @tf.function(input_signature=[tf.TensorSpec([2, 3], tf.float32, name="x"),
                                      tf.TensorSpec([3], tf.int32, name="ids")])
        def serve(self, x, ids):
            return {"out/y": tf.matmul(x, self.w) + self.b, "emb": tf.gather(self.table, ids)}

        @tf.function(input_signature=[tf.TensorSpec([40, 30], tf.float32, name="big")])
        def big(self, big):
            return {"sum": tf.reduce_sum(big, axis=1) + self.b[0]}

        @tf.function(input_signature=[tf.TensorSpec([2], tf.float32, name="v")])
        def bump(self, v):
            self.count.assign_add(1.0)
            return {"c": v * self.count.read_value()}

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
        def batch(self, x):
            return {"y": tf.matmul(x, self.w)}

    m = Module()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve, "big": m.big, "bump": m.bump,
                                             "batch": m.batch})
    return path


def _feed_value(feed):
    """A deterministic input for a tf2xla Feed (unknown dims as 2)."""
    import tensorflow as tf
    dtype = tf.dtypes.as_dtype(feed.type)
    shape = [2 if d.size < 0 else d.size for d in feed.shape.dim]
    n = int(np.prod(shape)) if shape else 1
    if dtype.is_integer:
        return (np.arange(n) % 3).astype(dtype.as_numpy_dtype).reshape(shape)
    return ((np.arange(n) % 7) * 0.5 + 1).astype(dtype.as_numpy_dtype).reshape(shape)


def _run_frozen(graph_path, config, inputs):
    """Imports a frozen GraphDef into TensorFlow and fetches the config's
    fetches with the config's feeds set from `inputs` (by feed name)."""
    import tensorflow as tf
    graph_def = tf.compat.v1.GraphDef()
    with open(graph_path, "rb") as f:
        graph_def.ParseFromString(f.read())
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=graph) as sess:
        feeds = {graph.get_tensor_by_name("%s:%d" % (f.id.node_name, f.id.output_index)): inputs[f.name]
                 for f in config.feed}
        names = [f.name for f in config.fetch]
        fetches = ["%s:%d" % (f.id.node_name, f.id.output_index) for f in config.fetch]
        return dict(zip(names, sess.run(fetches, feeds)))


def _sorted_config(text):
    """A tf2xla Config with its feeds and fetches in name order:
    saved_model_cli lists them in protobuf's map order, which changes from
    process to process."""
    from google.protobuf import text_format
    from tensorflow.compiler.tf2xla import tf2xla_pb2
    config = text_format.Parse(text, tf2xla_pb2.Config())
    for field in ("feed", "fetch"):
        items = sorted(getattr(config, field), key=lambda x: x.name)
        copies = [type(x)() for x in items]
        for c, x in zip(copies, items):
            c.CopyFrom(x)
        config.ClearField(field)
        getattr(config, field).extend(copies)
    return config


def _compare_freeze(theirs, ours):
    """None when our --output_prefix directory matches saved_model_cli's,
    else what differs: the same files; original_graph.pb the same GraphDef;
    config.pbtxt the same Config (byte for byte when its lists have one
    entry each, else up to feed/fetch order); frozen_graph.pb, run in
    TensorFlow on the config's feeds, the same outputs (not compared when
    variables are fed: they have no value in a bare import)."""
    import tensorflow as tf
    names = sorted(os.listdir(theirs))
    if sorted(os.listdir(ours)) != names:
        return "files %s, ours %s" % (names, sorted(os.listdir(ours)))
    graphs = []
    for d in (theirs, ours):
        g = tf.compat.v1.GraphDef()
        with open(os.path.join(d, "original_graph.pb"), "rb") as f:
            g.ParseFromString(f.read())
        graphs.append(g)
    if graphs[0] != graphs[1]:
        return "original_graph.pb differs"
    texts = []
    for d in (theirs, ours):
        with open(os.path.join(d, "config.pbtxt")) as f:
            texts.append(f.read())
    t_config, o_config = _sorted_config(texts[0]), _sorted_config(texts[1])
    if t_config != o_config:
        return "config.pbtxt differs:\n" + "\n".join(difflib.unified_diff(
            str(t_config).splitlines(), str(o_config).splitlines(), "saved_model_cli", "savedmodel", n=1,
            lineterm=""))
    if len(t_config.feed) <= 1 and len(t_config.fetch) <= 1 and texts[0] != texts[1]:
        return "config.pbtxt text differs"
    if t_config.variable:
        return None
    inputs = {f.name: _feed_value(f) for f in t_config.feed}
    results = []
    for d, config in ((theirs, t_config), (ours, o_config)):
        try:
            results.append(_run_frozen(os.path.join(d, "frozen_graph.pb"), config, inputs))
        except Exception as e:  # noqa: BLE001 - a graph TensorFlow cannot run is a result
            results.append("%s: %s" % (type(e).__name__, str(e).splitlines()[0][:300]))
    t_out, o_out = results
    if isinstance(t_out, str) or isinstance(o_out, str):
        if isinstance(t_out, str) and isinstance(o_out, str):
            return None  # neither frozen graph runs in TensorFlow
        return "running the frozen graphs in TensorFlow: theirs %s, ours %s" % (
            t_out if isinstance(t_out, str) else "runs", o_out if isinstance(o_out, str) else "runs")
    for name, value in t_out.items():
        if value.dtype != o_out[name].dtype or value.shape != o_out[name].shape or not np.allclose(
                value, o_out[name], rtol=RTOL, atol=1e-6, equal_nan=True):
            return "frozen graph output %s: %r, ours %r" % (name, value, o_out[name])
    return None


# Runs saved_model_cli freeze_model cases in a child process: grappler, which
# freeze_model runs, aborts the whole process on some fuzzed graphs.
_FREEZE_DRIVER = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import test_cli_parity
cli = test_cli_parity.SavedModelCli()
with open(sys.argv[2]) as f:
    cases = json.load(f)
with open(sys.argv[3], "a") as out:
    for i, args in cases:
        ok, _, err = cli(args)
        out.write(json.dumps([i, ok, err]) + "\n")
        out.flush()
"""


def _saved_model_cli_isolated(cases, tmp):
    """{case id: (ok, error)} for saved_model_cli runs of `cases` ([(id, args)]);
    a case during which the child dies fails with the child's last words, and
    the rest run in a new child."""
    import sys
    results, remaining = {}, list(cases)
    here = os.path.dirname(os.path.abspath(__file__))
    while remaining:
        cases_path, out_path = os.path.join(tmp, "cases.json"), os.path.join(tmp, "results.jsonl")
        with open(cases_path, "w") as f:
            json.dump(remaining, f)
        if os.path.exists(out_path):
            os.remove(out_path)
        proc = subprocess.run([sys.executable, "-c", _FREEZE_DRIVER, here, cases_path, out_path],
                              capture_output=True, text=True, errors="replace", timeout=1800)
        if os.path.exists(out_path):
            with open(out_path) as f:
                for line in f:
                    i, ok, err = json.loads(line)
                    results[i] = (ok, err)
        remaining = [c for c in remaining if c[0] not in results]
        if remaining:
            last = [l for l in proc.stderr.splitlines() if "Check failed" in l or "Fatal" in l]
            results[remaining[0][0]] = (False, "process died: %s" % (last[0] if last else proc.returncode))
            remaining = remaining[1:]
    return results


def test_freeze_model_parity():
    """`savedmodel freeze_model` against saved_model_cli freeze_model: every
    model's serving_default (most fail on both sides: their inputs have an
    unknown batch size), and a made model through each flag."""
    if not os.path.exists(refutil.CLI):
        pytest.fail("build/savedmodel is missing; build the savedmodel_cli target first")
    from tensorflow.python.saved_model import loader_impl
    tmp = tempfile.mkdtemp(prefix="freeze_parity_")
    tally = _Tally()
    compared = 0
    try:
        made = _freeze_model_model(os.path.join(tmp, "made"))
        other = _freeze_model_model(os.path.join(tmp, "other"), values=-2.0)
        runs = []
        for model, path in _models():
            saved_model = loader_impl.parse_saved_model(path)
            for mg in saved_model.meta_graphs:
                if "serving_default" in mg.signature_def and mg.meta_info_def.tags:
                    runs.append((model, ["--dir", path, "--tag_set", ",".join(mg.meta_info_def.tags)]))
        runs += [("made/freeze", ["--dir", made, "--tag_set", "serve"] + flags) for flags in [
            [],
            ["--signature_def_key", "big"],
            ["--signature_def_key", "batch"],
            ["--signature_def_key", "nope"],
            ["--signature_def_key", "bump", "--variables_to_feed", "all"],
            ["--variables_to_feed", "all"],
            ["--variables_to_feed", "ALL"],
            ["--variables_to_feed", "dense/kernel, table"],
            ["--variables_to_feed", "dense/kernel,nope"],
            ["--variables_to_feed", " , "],
            ["--checkpoint_path", os.path.join(other, "variables", "variables")],
            ["--checkpoint_path", os.path.join(tmp, "missing", "variables")],
            ["--tag_set", " serve "],
            ["--tag_set", "gpu"],
        ]]
        dirs = [(os.path.join(tmp, "theirs%d" % i), os.path.join(tmp, "ours%d" % i)) for i in range(len(runs))]
        theirs_results = _saved_model_cli_isolated(
            [(i, ["freeze_model"] + args + ["--output_prefix", dirs[i][0]]) for i, (_, args) in enumerate(runs)],
            tmp)
        for i, (model, args) in enumerate(runs):
            label = " ".join(args[4:]) or "default"
            tally.cases += 1
            theirs, ours = dirs[i]
            t_ok, t_err = theirs_results[i]
            o_ok, _, o_err = _ours(["freeze_model"] + args + ["--output_prefix", ours])
            problem = None
            if t_ok != o_ok:
                problem = "saved_model_cli %s, ours %s (theirs: %s | ours: %s)" % (
                    "succeeds" if t_ok else "fails", "succeeds" if o_ok else "fails", t_err, o_err)
            elif t_ok:
                problem = _compare_freeze(theirs, ours)
                compared += problem is None
            reason = _known("freeze " + model, label)
            tally.add("freeze " + model, label, problem, reason)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("freeze_model: %d of %d cases succeed on both sides with the same files and results "
          "(the rest fail on both)" % (compared, tally.cases))
    tally.check("freeze_model cases")
