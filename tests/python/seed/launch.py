"""Runs one of the seed's scripts with savedmodel or with real TensorFlow.

    python launch.py ours|tensorflow SCRIPT --seed N [--runs JSON]

The script text is the same for both; for TensorFlow only its import lines are
rewritten (savedmodel.compat.v1 -> tensorflow.compat.v1, the tutorial's
input_data -> tensorflow.examples.tutorials.mnist, its original home), and the
launcher checks that nothing else changed. Then, before the script runs:
- TensorFlow: tf.compat.v1.disable_v2_behavior() (graph mode, ref variables, as
  TF 1.x), and our input_data.py, loaded by path, registered as
  tensorflow.examples.tutorials.mnist.input_data (TensorFlow 2 dropped it), so
  both sides read the same files and draw the same batches;
- both: numpy.random.seed(N), the one source of the batch order.

--runs is a JSON list of environment dicts: the script runs once per entry in
this process, each time with fresh globals, so TensorFlow's import is paid once.
"""
import argparse
import importlib.util
import json
import os
import re
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
INPUT_DATA = os.path.join(HERE, "..", "..", "..", "python", "savedmodel", "compat", "v1", "examples",
                          "tutorials", "mnist", "input_data.py")

# Import-line rewrites for TensorFlow, most specific first.
_TF_IMPORTS = [
    ("savedmodel.compat.v1.examples.tutorials.mnist", "tensorflow.examples.tutorials.mnist"),
    ("savedmodel.compat.v1", "tensorflow.compat.v1"),
]
_IMPORT_LINE = re.compile(r"^\s*(import|from)\s")


def tensorflow_text(text):
    """The script with its import lines rewritten for TensorFlow."""
    out = []
    for line in text.splitlines(keepends=True):
        if _IMPORT_LINE.match(line):
            for ours, theirs in _TF_IMPORTS:
                line = line.replace(ours, theirs)
        out.append(line)
    new = "".join(out)
    changed = [i for i, (a, b) in enumerate(zip(text.splitlines(), new.splitlines())) if a != b]
    if any(not _IMPORT_LINE.match(text.splitlines()[i]) for i in changed):
        raise AssertionError("the rewrite touched a line that is not an import")
    if "savedmodel" in "".join(l for l in new.splitlines(keepends=True) if _IMPORT_LINE.match(l)):
        raise AssertionError("an import of savedmodel is left for TensorFlow:\n" + new)
    return new


def _setup_tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow.compat.v1 as tf
    tf.disable_v2_behavior()
    tf.logging.set_verbosity(tf.logging.ERROR)
    import tensorflow
    spec = importlib.util.spec_from_file_location("tensorflow.examples.tutorials.mnist.input_data",
                                                  os.path.abspath(INPUT_DATA))
    input_data = importlib.util.module_from_spec(spec)
    parent = tensorflow
    for name in ("tensorflow.examples", "tensorflow.examples.tutorials", "tensorflow.examples.tutorials.mnist"):
        pkg = types.ModuleType(name)
        pkg.__path__ = []
        sys.modules[name] = pkg
        setattr(parent, name.rsplit(".", 1)[1], pkg)
        parent = pkg
    sys.modules[spec.name] = input_data
    spec.loader.exec_module(input_data)
    parent.input_data = input_data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("side", choices=["ours", "tensorflow"])
    ap.add_argument("script")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--runs", default="[{}]", help="JSON list of environment dicts, one per run")
    args = ap.parse_args()

    with open(args.script) as f:
        text = f.read()
    if args.side == "tensorflow":
        text = tensorflow_text(text)
        _setup_tensorflow()
    code = compile(text, args.script, "exec")

    import numpy
    for env in json.loads(args.runs):
        os.environ.update({k: str(v) for k, v in env.items()})
        numpy.random.seed(args.seed)
        exec(code, {"__name__": "__main__", "__file__": args.script})


if __name__ == "__main__":
    main()
