"""What the `savedmodel serve` tests (REST and gRPC) share: TF Serving's test
models, their copies, the config file TF Serving reads, the server process and
TensorFlow's own run of a signature as the oracle.

Importing it skips the importing test module when the test models or the CLI
are missing."""
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

import refutil

TF_SERVING = os.path.join(refutil.TESTDATA, "tf_serving")
if not os.path.isdir(TF_SERVING):
    pytest.skip("no %s (TF Serving's test models)" % TF_SERVING, allow_module_level=True)
if not os.path.exists(refutil.CLI):
    pytest.skip("no %s (build the savedmodel_cli target)" % refutil.CLI, allow_module_level=True)

import tensorflow as tf  # noqa: E402

X = [1.0, 2.0, 5.0]
# Every half_plus_two variant TF Serving ships: y = 0.5 * x + 2.
HALF_PLUS_TWO = ["saved_model_half_plus_two_cpu", "saved_model_half_plus_two_gpu", "saved_model_half_plus_two_mkl",
                 "saved_model_half_plus_two_tf2_cpu", "saved_model_half_plus_two_cpu_with_saved_model_config",
                 "saved_model_half_plus_two_2_versions"]
# The models Classify and Regress run on. TF2 exports write every signature
# with method tensorflow/serving/predict; TF Serving checks the method only with
# --enable_signature_method_name_check (off by default), so they serve too.
EXAMPLE_MODELS = ["default", "saved_model_half_plus_two_tf2_cpu"]
START_TIMEOUT_S = 120
# Config text serving every version of a model (the default is the latest only).
ALL_VERSIONS = "    model_version_policy { all {} }\n"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_model(src_name, dst_root, dst_name=None):
    dst = os.path.join(dst_root, dst_name or src_name)
    shutil.copytree(os.path.join(TF_SERVING, src_name), dst)
    return dst


def version_dir(model_dir, version=123):
    return os.path.join(model_dir, "%08d" % version)


def config_text(models):
    """TF Serving's text ModelServerConfig; models: [(name, path, extra text)]."""
    body = "".join('  config {\n    name: "%s"\n    base_path: "%s"\n    model_platform: "tensorflow"\n%s  }\n'
                   % (name, path, extra) for name, path, extra in models)
    return "model_config_list {\n%s}\n" % body


def example(**features):
    ex = tf.train.Example()
    for k, v in features.items():
        ex.features.feature[k].float_list.value.extend(v if isinstance(v, list) else [v])
    return ex


def tf_signature(model_dir, signature):
    """TensorFlow's own run of a signature (the oracle); cached per model."""
    key = (model_dir, signature)
    if key not in tf_signature.cache:
        tf_signature.cache[key] = tf.saved_model.load(model_dir, tags=["serve"]).signatures[signature]
    return tf_signature.cache[key]


tf_signature.cache = {}


def tf_run_examples(model_dir, signature, serialized):
    """The signature run on serialized tf.Examples, as TF Serving feeds it."""
    out = tf_signature(model_dir, signature)(inputs=tf.constant(serialized))
    return {k: v.numpy() for k, v in out.items()}


class ServerProcess:
    """One `savedmodel serve` process, its output in a file named by `log_port`."""

    def __init__(self, tmp, args, log_port, netns=None):
        self.log_path = os.path.join(tmp, "server-%d.log" % log_port)
        self.log = open(self.log_path, "wb")
        cmd = [refutil.CLI, "serve"] + args
        if netns:
            cmd = ["ip", "netns", "exec", netns] + cmd
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)

    def output(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")[-4000:]

    def alive(self):
        return self.proc.poll() is None

    def poll(self, check, timeout, interval, what, retry_on=(), describe_error=lambda e: e):
        """Calls check() until it returns (True, result) and returns the result,
        failing at once if the server exits. check returns (done, result or what
        it saw); an error in `retry_on` is what it saw. `what` names the wait
        in the timeout's message."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            assert self.alive(), "server exited (%s):\n%s" % (self.proc.returncode, self.output())
            try:
                done, last = check()
                if done:
                    return last
            except retry_on as e:
                last = describe_error(e)
            time.sleep(interval)
        raise AssertionError("%s after %ds (last: %s):\n%s" % (what, timeout, last, self.output()))

    def stop(self):
        """SIGTERM, as a container runtime sends it; returns the exit code."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode
