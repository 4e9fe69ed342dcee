"""`savedmodel serve`'s gRPC API against TF Serving's own client and TensorFlow.

The server runs as a real process on a loopback port, serving copies of TF
Serving's test models (../shared/testdata/tf_serving); it is queried through
tensorflow-serving-api's PredictionServiceStub and ModelServiceStub, unchanged.
Every number is compared with TensorFlow running the same signature on the same
model; metadata with the JSON TF Serving itself returned; status codes and
messages with TF Serving's sources (predict_util.cc, classifier.cc,
regressor.cc, model_service_impl.cc, grpc_status_util.cc).
"""
import functools
import json
import os
import shutil
import signal
import subprocess
import time

import numpy as np
import pytest

import refutil

grpc = pytest.importorskip("grpc")
pytest.importorskip("tensorflow_serving.apis.prediction_service_pb2_grpc")

from google.protobuf import json_format  # noqa: E402
from tensorflow_serving.apis import (classification_pb2, get_model_metadata_pb2,  # noqa: E402
                                     get_model_status_pb2, inference_pb2, model_management_pb2, predict_pb2,
                                     prediction_service_pb2_grpc, model_service_pb2_grpc, regression_pb2)

from serverutil import (ALL_VERSIONS, EXAMPLE_MODELS, HALF_PLUS_TWO, START_TIMEOUT_S, TF_SERVING, X,  # noqa: E402
                        ServerProcess, config_text, copy_model, example, free_port, tf_run_examples, tf_signature,
                        version_dir)

_probe = subprocess.run([refutil.CLI, "serve", "--help"], capture_output=True, text=True)
if "unknown command 'serve'" in _probe.stdout + _probe.stderr:
    pytest.skip("this build of %s has no serve command" % refutil.CLI, allow_module_level=True)

import tensorflow as tf  # noqa: E402

SECTION = "server_grpc"
Code = grpc.StatusCode
RPC_TIMEOUT_S = 60


class Server(ServerProcess):
    """One `savedmodel serve` process with its gRPC channel and stubs."""

    def __init__(self, tmp, args, rest_api_port=0):
        self.port = free_port()
        super().__init__(tmp, ["--port", str(self.port), "--rest_api_port", str(rest_api_port),
                               "--file_system_poll_wait_seconds", "1"] + args, log_port=self.port)
        # As TF Serving's own clients do for big batches: the server allows 2 GiB,
        # the client library's receive default is 4 MiB.
        self.channel = grpc.insecure_channel("127.0.0.1:%d" % self.port,
                                             options=[("grpc.max_receive_message_length", -1),
                                                      ("grpc.max_send_message_length", -1)])
        self.predict = prediction_service_pb2_grpc.PredictionServiceStub(self.channel)
        self.models = model_service_pb2_grpc.ModelServiceStub(self.channel)

    def status(self, name, version=None):
        req = get_model_status_pb2.GetModelStatusRequest()
        req.model_spec.name = name
        if version is not None:
            req.model_spec.version.value = version
        return self.models.GetModelStatus(req, timeout=RPC_TIMEOUT_S)

    def wait_available(self, name, version=None, timeout=START_TIMEOUT_S):
        """Polls GetModelStatus until `name` (`version`, or any) is AVAILABLE."""
        def available():
            resp = self.status(name, version)
            states = {s.version: s.state for s in resp.model_version_status}
            if any(st == get_model_status_pb2.ModelVersionStatus.AVAILABLE
                   for v, st in states.items() if version is None or v == version):
                return True, resp
            return False, states
        return self.poll(available, timeout, 0.2, "%s version %s not AVAILABLE" % (name, version),
                         retry_on=grpc.RpcError, describe_error=lambda e: (e.code(), e.details()))

    def stop(self):
        self.channel.close()
        return super().stop()


# ---- one server for the read-only tests ------------------------------------------

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("grpc_models"))
    models = {name: copy_model(name, tmp) for name in HALF_PLUS_TWO}
    models["default"] = copy_model("saved_model_half_plus_two_cpu", tmp, "default")
    config = os.path.join(tmp, "models.config")
    with open(config, "w") as f:
        f.write(config_text([(n, p, ALL_VERSIONS if n == "saved_model_half_plus_two_2_versions" else "")
                             for n, p in sorted(models.items())]))
    server = Server(tmp, ["--model_config_file", config])
    try:
        for name in models:
            server.wait_available(name)
        server.wait_available("saved_model_half_plus_two_2_versions", 123)
        yield server, models
    finally:
        code = server.stop()
        assert code == 0, "server exit code %s after SIGTERM:\n%s" % (code, server.output())


def _predict_request(name, values, shape, signature="", dtype=tf.float32, version=None, key="x"):
    req = predict_pb2.PredictRequest()
    req.model_spec.name = name
    req.model_spec.signature_name = signature
    if version is not None:
        req.model_spec.version.value = version
    req.inputs[key].CopyFrom(tf.make_tensor_proto(values, dtype=dtype, shape=shape))
    return req


def _input_shape(model_dir):
    """[3, 1] where the signature takes [-1, 1]; [3] for the TF2 export, whose x is [1]."""
    spec = tf_signature(version_dir(model_dir), "serving_default").structured_input_signature[1]["x"]
    return [3, 1] if spec.shape.rank == 2 else [3]


@pytest.mark.parametrize("name", HALF_PLUS_TWO)
def test_predict_half_plus_two(served, name):
    server, models = served
    shape = _input_shape(models[name])
    resp = server.predict.Predict(_predict_request(name, X, shape), timeout=RPC_TIMEOUT_S)
    want = tf_signature(version_dir(models[name]), "serving_default")(
        x=tf.constant(np.array(X, np.float32).reshape(shape)))["y"].numpy()
    got = tf.make_ndarray(resp.outputs["y"])
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got.ravel(), [2.5, 3.0, 4.5])
    assert list(resp.outputs) == ["y"]
    assert resp.model_spec.name == name
    # Without a version in the request, the latest one answers.
    assert resp.model_spec.version.value == (124 if name.endswith("2_versions") else 123)
    assert resp.model_spec.signature_name == "serving_default"
    refutil.record(SECTION, cases=1, passed=1)


def test_predict_versions_and_output_filter(served):
    server, models = served
    name = "saved_model_half_plus_two_2_versions"
    for version in (123, 124):
        server.wait_available(name, version)
        resp = server.predict.Predict(_predict_request(name, X, [3, 1], version=version, signature="serving_default"),
                                      timeout=RPC_TIMEOUT_S)
        assert resp.model_spec.version.value == version
        np.testing.assert_array_equal(tf.make_ndarray(resp.outputs["y"]).ravel(), [2.5, 3.0, 4.5])
    # No version: the latest.
    resp = server.predict.Predict(_predict_request(name, X, [3, 1]), timeout=RPC_TIMEOUT_S)
    assert resp.model_spec.version.value == 124
    req = _predict_request("default", X, [3, 1])
    req.output_filter.append("y")
    resp = server.predict.Predict(req, timeout=RPC_TIMEOUT_S)
    assert list(resp.outputs) == ["y"]
    refutil.record(SECTION, cases=1, passed=1)


def test_predict_large_batch(served):
    """A request above gRPC's 4 MiB default: TF Serving lifts the limit to 2 GiB."""
    server, models = served
    x = np.arange(2 * 1024 * 1024, dtype=np.float32).reshape(-1, 1)  # 8 MiB of tensor_content
    req = predict_pb2.PredictRequest()
    req.model_spec.name = "default"
    req.inputs["x"].CopyFrom(tf.make_tensor_proto(x))
    resp = server.predict.Predict(req, timeout=RPC_TIMEOUT_S)
    want = tf_signature(version_dir(models["default"]), "serving_default")(x=tf.constant(x))["y"].numpy()
    np.testing.assert_array_equal(tf.make_ndarray(resp.outputs["y"]), want)
    refutil.record(SECTION, cases=1, passed=1)


def _examples_request(request_type, name, signature, examples, context=None):
    """A Classification- or RegressionRequest: both carry model_spec and Input."""
    req = request_type()
    req.model_spec.name = name
    req.model_spec.signature_name = signature
    if context is None:
        req.input.example_list.examples.extend(examples)
    else:
        req.input.example_list_with_context.examples.extend(examples)
        req.input.example_list_with_context.context.CopyFrom(context)
    return req


_classify_request = functools.partial(_examples_request, classification_pb2.ClassificationRequest)
_regress_request = functools.partial(_examples_request, regression_pb2.RegressionRequest)


def _serialized(examples, context=None):
    """What TF Serving feeds the signature: with a context, each example's
    bytes follow the context's, so the example's features win on a clash."""
    prefix = context.SerializeToString() if context is not None else b""
    return [prefix + e.SerializeToString() for e in examples]


REGRESS_CASES = [
    # (signature, examples, context)
    ("regress_x_to_y", [example(x=v) for v in X], None),
    ("regress_x_to_y2", [example(x=v) for v in X], None),
    ("regress_x_to_y2", [example(x2=1.0), example(x2=7.0)], example(x=2.0)),
    ("regress_x_to_y", [example(x=1.0), example()], example(x=4.0)),
]
# (regress_x2_to_y3 reads x2:0, a float placeholder, not tf.Examples: TF Serving
# would feed it strings, which TensorFlow refuses.)


@pytest.mark.parametrize("name", EXAMPLE_MODELS)
@pytest.mark.parametrize("case", range(len(REGRESS_CASES)))
def test_regress(served, name, case):
    server, models = served
    signature, examples, context = REGRESS_CASES[case]
    resp = server.predict.Regress(_regress_request(name, signature, examples, context), timeout=RPC_TIMEOUT_S)
    want = tf_run_examples(version_dir(models[name]), signature, _serialized(examples, context))["outputs"]
    got = [r.value for r in resp.result.regressions]
    np.testing.assert_array_equal(np.array(got, np.float32), want.ravel())
    assert resp.model_spec.name == name and resp.model_spec.version.value == 123
    assert resp.model_spec.signature_name == signature
    refutil.record(SECTION, cases=1, passed=1)


@pytest.mark.parametrize("name", EXAMPLE_MODELS)
@pytest.mark.parametrize("with_context", [False, True])
def test_classify(served, name, with_context):
    server, models = served
    if with_context:
        examples, context = [example(x=3.0), example()], example(x=9.0)
    else:
        examples, context = [example(x=v) for v in X], None
    resp = server.predict.Classify(_classify_request(name, "classify_x_to_y", examples, context),
                                   timeout=RPC_TIMEOUT_S)
    want = tf_run_examples(version_dir(models[name]), "classify_x_to_y", _serialized(examples, context))
    # classify_x_to_y has only "scores" ([N, 1]): one class per row, label empty.
    assert "classes" not in want
    got = [[(c.label, c.score) for c in row.classes] for row in resp.result.classifications]
    assert got == [[("", float(s))] for s in want["scores"].ravel()]
    assert resp.model_spec.signature_name == "classify_x_to_y"
    refutil.record(SECTION, cases=1, passed=1)


def test_multi_inference(served):
    server, models = served
    examples = [example(x=v) for v in X]
    req = inference_pb2.MultiInferenceRequest()
    for signature, method in [("regress_x_to_y", "tensorflow/serving/regress"),
                              ("classify_x_to_y", "tensorflow/serving/classify"),
                              ("regress_x_to_y2", "tensorflow/serving/regress")]:
        task = req.tasks.add()
        task.model_spec.name = "default"
        task.model_spec.signature_name = signature
        task.method_name = method
    req.input.example_list.examples.extend(examples)
    resp = server.predict.MultiInference(req, timeout=RPC_TIMEOUT_S)
    assert len(resp.results) == 3
    vdir = version_dir(models["default"])
    ser = _serialized(examples)
    want_y = tf_run_examples(vdir, "regress_x_to_y", ser)["outputs"].ravel()
    want_scores = tf_run_examples(vdir, "classify_x_to_y", ser)["scores"].ravel()
    want_y2 = tf_run_examples(vdir, "regress_x_to_y2", ser)["outputs"].ravel()
    np.testing.assert_array_equal(
        np.array([r.value for r in resp.results[0].regression_result.regressions], np.float32), want_y)
    np.testing.assert_array_equal(
        np.array([row.classes[0].score for row in resp.results[1].classification_result.classifications],
                 np.float32), want_scores)
    np.testing.assert_array_equal(
        np.array([r.value for r in resp.results[2].regression_result.regressions], np.float32), want_y2)
    for result, signature in zip(resp.results, ["regress_x_to_y", "classify_x_to_y", "regress_x_to_y2"]):
        assert result.model_spec.name == "default" and result.model_spec.signature_name == signature
    refutil.record(SECTION, cases=1, passed=1)


METADATA_CASES = [
    # (model served, TF Serving's metadata JSON)
    ("default", "half_plus_two_model_metadata.json"),
    ("saved_model_half_plus_two_2_versions", "saved_model_half_plus_two_2_versions_metadata.json"),
    # The JSON is of another TF2 export of the same model, which lacks the
    # default value for x that saved_model_half_plus_two_tf2_cpu's
    # serving_default has; defaults are compared with the saved_model.pb.
    ("saved_model_half_plus_two_tf2_cpu", "saved_model_half_plus_two_tf2_2_versions_metadata.json"),
]


@pytest.mark.parametrize("name,json_name", METADATA_CASES)
def test_get_model_metadata(served, name, json_name):
    server, models = served
    with open(os.path.join(TF_SERVING, json_name)) as f:
        want = json.load(f)
    req = get_model_metadata_pb2.GetModelMetadataRequest()
    req.model_spec.name = name
    req.model_spec.version.value = int(want["model_spec"]["version"])
    req.metadata_field.append("signature_def")
    resp = server.predict.GetModelMetadata(req, timeout=RPC_TIMEOUT_S)
    assert resp.model_spec.name == name
    assert resp.model_spec.version.value == int(want["model_spec"]["version"])
    assert list(resp.metadata) == ["signature_def"]
    any_msg = resp.metadata["signature_def"]
    assert any_msg.type_url == "type.googleapis.com/tensorflow.serving.SignatureDefMap"
    got = get_model_metadata_pb2.SignatureDefMap()
    assert any_msg.Unpack(got)
    expected = json_format.ParseDict(want["metadata"]["signature_def"], get_model_metadata_pb2.SignatureDefMap())
    if name.endswith("tf2_cpu"):
        from tensorflow.core.protobuf import saved_model_pb2
        saved = saved_model_pb2.SavedModel()
        with open(os.path.join(version_dir(models[name]), "saved_model.pb"), "rb") as f:
            saved.ParseFromString(f.read())
        assert dict(got.signature_def) == dict(saved.meta_graphs[0].signature_def)
        for sig in list(got.signature_def.values()) + list(expected.signature_def.values()):
            sig.ClearField("defaults")
    assert got == expected, "signature_def differs from %s" % json_name
    refutil.record(SECTION, cases=1, passed=1)


def test_get_model_metadata_errors(served):
    server, _ = served
    req = get_model_metadata_pb2.GetModelMetadataRequest()
    req.model_spec.name = "default"
    with pytest.raises(grpc.RpcError) as e:  # no metadata_field
        server.predict.GetModelMetadata(req, timeout=RPC_TIMEOUT_S)
    assert e.value.code() == Code.INVALID_ARGUMENT
    assert e.value.details() == "GetModelMetadataRequest must specify at least one metadata_field"
    req.metadata_field.append("signature_defs")
    with pytest.raises(grpc.RpcError) as e:
        server.predict.GetModelMetadata(req, timeout=RPC_TIMEOUT_S)
    assert e.value.code() == Code.INVALID_ARGUMENT
    assert e.value.details() == "Metadata field signature_defs is not supported"
    refutil.record(SECTION, cases=1, passed=1)


def test_get_model_status(served):
    server, _ = served
    resp = server.status("default")
    assert len(resp.model_version_status) == 1
    st = resp.model_version_status[0]
    assert st.version == 123
    assert st.state == get_model_status_pb2.ModelVersionStatus.AVAILABLE
    assert st.status.error_code == 0 and st.status.error_message == ""
    resp = server.status("saved_model_half_plus_two_2_versions", 123)
    assert [s.version for s in resp.model_version_status] == [123]
    refutil.record(SECTION, cases=1, passed=1)


# ---- errors as TF Serving returns them --------------------------------------------

def _rpc_error(call, req):
    with pytest.raises(grpc.RpcError) as e:
        call(req, timeout=RPC_TIMEOUT_S)
    return e.value.code(), e.value.details()


def test_not_found(served):
    server, _ = served
    code, msg = _rpc_error(server.predict.Predict, _predict_request("nope", X, [3, 1]))
    assert code == Code.NOT_FOUND, msg
    assert msg == "Servable not found for request: Latest(nope)"
    code, msg = _rpc_error(server.predict.Predict, _predict_request("default", X, [3, 1], version=7))
    assert code == Code.NOT_FOUND, msg
    assert msg == "Servable not found for request: Specific(default, 7)"
    req = get_model_status_pb2.GetModelStatusRequest()
    req.model_spec.name = "nope"
    code, msg = _rpc_error(server.models.GetModelStatus, req)
    assert code == Code.NOT_FOUND, msg
    req = get_model_metadata_pb2.GetModelMetadataRequest()
    req.model_spec.name = "nope"
    req.metadata_field.append("signature_def")
    code, msg = _rpc_error(server.predict.GetModelMetadata, req)
    assert code == Code.NOT_FOUND, msg
    code, msg = _rpc_error(server.predict.Regress, _regress_request("nope", "regress_x_to_y", [example(x=1.0)]))
    assert code == Code.NOT_FOUND, msg
    refutil.record(SECTION, cases=1, passed=1)


def test_unknown_signature(served):
    server, _ = served
    code, msg = _rpc_error(server.predict.Predict, _predict_request("default", X, [3, 1], signature="nope"))
    assert (code, msg) == (Code.FAILED_PRECONDITION, 'Serving signature key "nope" not found.')
    code, msg = _rpc_error(server.predict.Regress, _regress_request("default", "nope", [example(x=1.0)]))
    assert (code, msg) == (Code.INVALID_ARGUMENT, "No signature was found with the name: nope")
    code, msg = _rpc_error(server.predict.Classify, _classify_request("default", "nope", [example(x=1.0)]))
    assert (code, msg) == (Code.INVALID_ARGUMENT, "No signature was found with the name: nope")
    # A regression signature asked to classify: it has neither classes nor scores.
    code, msg = _rpc_error(server.predict.Classify, _classify_request("default", "regress_x_to_y", [example(x=1.0)]))
    assert code == Code.INVALID_ARGUMENT, msg
    refutil.record(SECTION, cases=1, passed=1)


def test_predict_input_errors(served):
    server, _ = served
    # An alias the signature lacks, besides x.
    req = _predict_request("default", X, [3, 1])
    req.inputs["extra"].CopyFrom(tf.make_tensor_proto([1.0]))
    code, msg = _rpc_error(server.predict.Predict, req)
    assert code == Code.INVALID_ARGUMENT, msg
    assert msg == ("input size does not match signature: 2!=1 len({extra,x}) != len({x}). "
                   "Sent extra: {extra}. Missing but required: {}.")
    # The right count under the wrong name.
    req = _predict_request("default", X, [3, 1], key="z")
    code, msg = _rpc_error(server.predict.Predict, req)
    assert code == Code.INVALID_ARGUMENT, msg
    req = _predict_request("default", X, [3, 1])
    req.output_filter.append("nope")
    code, msg = _rpc_error(server.predict.Predict, req)
    assert code == Code.INVALID_ARGUMENT, msg
    assert msg == "output tensor alias not found in signature: nope Outputs expected to be in the set {y}."
    # The wrong dtype: TensorFlow refuses int32 for a float placeholder too.
    req = _predict_request("default", [1, 2, 5], [3, 1], dtype=tf.int32)
    code, msg = _rpc_error(server.predict.Predict, req)
    assert code == Code.INVALID_ARGUMENT, msg
    with pytest.raises((tf.errors.InvalidArgumentError, TypeError, ValueError)):
        tf_signature(version_dir(served[1]["default"]), "serving_default")(x=tf.constant([[1], [2], [5]]))
    refutil.record(SECTION, cases=1, passed=1)


def _raw_tensor(dtype, dims, unknown_rank=False, **fields):
    t = tf.make_tensor_proto(0.0).__class__()
    t.dtype = dtype
    for d in dims:
        t.tensor_shape.dim.add().size = d
    t.tensor_shape.unknown_rank = unknown_rank
    for k, v in fields.items():
        if isinstance(v, list):
            getattr(t, k).extend(v)
        else:
            setattr(t, k, v)
    return t


F, S, I = tf.float32.as_datatype_enum, tf.string.as_datatype_enum, tf.int32.as_datatype_enum
EX = [example(x=v).SerializeToString() for v in X]
# (what, signature, input alias, TensorProto, oracle). The oracle is TensorFlow's
# own TensorProto parser (Tensor::FromProto, through tf.raw_ops.ParseTensor):
# what it refuses, the server must refuse with INVALID_ARGUMENT; what it
# accepts, the server answers as TensorFlow's run of that tensor does, or
# (where the case says so) refuses as our parser is stricter by design.
# "huge" cases are never handed to TensorFlow, whose parser would try to
# allocate them; the server must refuse them without allocating.
HOSTILE = [
    ("2^40 rows, no data", "", "x", _raw_tensor(F, [1 << 40, 1]), "huge"),
    ("2^31 x 2^31 rows of floats", "", "x", _raw_tensor(F, [1 << 31, 1 << 31], float_val=[1.0]), "huge"),
    ("dims whose product overflows int64", "", "x", _raw_tensor(F, [1 << 40, 1 << 40, 1 << 40]), "tf"),
    ("negative dim", "", "x", _raw_tensor(F, [-3, 1], float_val=[1.0, 2.0, 3.0]), "tf"),
    ("300 dims", "", "x", _raw_tensor(F, [1] * 300, float_val=[1.0]), "tf"),
    ("tensor_content one byte short", "", "x", _raw_tensor(F, [3, 1], tensor_content=b"\0" * 11), "tf"),
    ("tensor_content one float long", "", "x", _raw_tensor(F, [3, 1], tensor_content=b"\0" * 16), "tf"),
    ("tensor_content for 2^40 rows", "", "x", _raw_tensor(F, [1 << 40, 1], tensor_content=b"\0" * 8), "tf"),
    ("DT_INVALID", "", "x", _raw_tensor(0, [3, 1], float_val=[1.0] * 3), "tf"),
    ("dtype 999", "", "x", _raw_tensor(999, [3, 1]), "tf"),
    ("string for a float input", "", "x", _raw_tensor(S, [3, 1], string_val=[b"a", b"b", b"c"]), "tf"),
    ("int32 for a float input", "", "x", _raw_tensor(I, [3, 1], int_val=[1, 2, 3]), "tf"),
    ("string tensor_content with a bad length varint", "regress_x_to_y", "inputs",
     _raw_tensor(S, [2], tensor_content=b"\xff\xff\xff\xff\xff\x01a"), "tf"),
    ("string tensor_content lengths past its end", "regress_x_to_y", "inputs",
     _raw_tensor(S, [2], tensor_content=b"\x05\x05abc"), "tf"),
    # TensorFlow repeats the last value when a typed field is short ...
    ("float_val shorter than the shape", "", "x", _raw_tensor(F, [3, 1], float_val=[1.0, 2.0]), "tf"),
    ("string_val one short", "regress_x_to_y", "inputs", _raw_tensor(S, [3], string_val=EX[:2]), "tf"),
    ("no values: zeros", "", "x", _raw_tensor(F, [3, 1]), "tf"),
    # ... and ignores values beyond the shape, which we refuse.
    ("float_val longer than the shape", "", "x", _raw_tensor(F, [3, 1], float_val=[1.0] * 4), "stricter"),
    ("string_val one long", "regress_x_to_y", "inputs", _raw_tensor(S, [2], string_val=EX), "stricter"),
]


def _tf_parse(tensor):
    """TensorFlow's parse of a TensorProto, or None when it refuses it."""
    known = tensor.dtype in (F, S, I)
    try:
        return tf.raw_ops.ParseTensor(serialized=tensor.SerializeToString(), out_type=tensor.dtype if known else F)
    except tf.errors.InvalidArgumentError:
        return None


def _tf_feed(model_dir, signature, key, value):
    """The signature run on a parsed tensor by TensorFlow, or None when it fails."""
    fn = tf_signature(model_dir, signature or "serving_default")
    try:
        return {k: v.numpy() for k, v in fn(**{key: value}).items()}
    except (tf.errors.InvalidArgumentError, TypeError, ValueError):
        return None


@pytest.mark.parametrize("case", range(len(HOSTILE)), ids=[h[0] for h in HOSTILE])
def test_hostile_tensor(served, case):
    server, models = served
    what, signature, key, tensor, oracle = HOSTILE[case]
    req = predict_pb2.PredictRequest()
    req.model_spec.name = "default"
    req.model_spec.signature_name = signature
    req.inputs[key].CopyFrom(tensor)
    want = None
    if oracle != "huge":
        parsed = _tf_parse(tensor)
        if oracle == "stricter":
            assert parsed is not None, "TensorFlow now refuses %s too: make it a 'tf' case" % what
        if parsed is not None:
            want = _tf_feed(version_dir(models["default"]), signature, key, parsed)
    try:
        resp = server.predict.Predict(req, timeout=RPC_TIMEOUT_S)
        got, code, msg = {k: tf.make_ndarray(v) for k, v in resp.outputs.items()}, Code.OK, ""
    except grpc.RpcError as e:
        got, code, msg = None, e.code(), e.details()
    if want is None:
        allowed = (Code.INVALID_ARGUMENT, Code.RESOURCE_EXHAUSTED) if oracle == "huge" else (Code.INVALID_ARGUMENT,)
        assert code in allowed, "%s: TensorFlow refuses it, the server answered %s %s" % (what, code, msg)
        assert msg, what
    elif oracle == "stricter" and code == Code.INVALID_ARGUMENT:
        refutil.record(SECTION, cases=1, pending=1)  # refused on purpose where TensorFlow truncates
    else:
        assert code == Code.OK, "%s: TensorFlow answers, the server said %s %s" % (what, code, msg)
        assert sorted(got) == sorted(want), what
        for k in want:
            np.testing.assert_array_equal(got[k].ravel(), want[k].ravel(), err_msg=what)
    assert server.alive()
    resp = server.predict.Predict(_predict_request("default", X, [3, 1]), timeout=RPC_TIMEOUT_S)
    np.testing.assert_array_equal(tf.make_ndarray(resp.outputs["y"]).ravel(), [2.5, 3.0, 4.5])
    if not (oracle == "stricter" and code == Code.INVALID_ARGUMENT):
        refutil.record(SECTION, cases=1, passed=1)


def test_hostile_bytes(served):
    """Bytes that are no PredictRequest at all, sent through a raw method handle."""
    server, _ = served
    raw = server.channel.unary_unary("/tensorflow.serving.PredictionService/Predict",
                                     request_serializer=None, response_deserializer=None)
    for junk in [b"\xff" * 64, b"\x0a\xff\xff\xff\xff\x0f", b"\x12\x05\x0a\x01x\x12\x80\x80\x80\x80\x10"]:
        with pytest.raises(grpc.RpcError) as e:
            raw(junk, timeout=RPC_TIMEOUT_S)
        assert e.value.code() in (Code.INTERNAL, Code.INVALID_ARGUMENT), e.value
    assert server.alive()
    refutil.record(SECTION, cases=1, passed=1)


def _nested_variant(depth):
    """A DT_VARIANT TensorProto whose variant_val nests `depth` tensors deep."""
    t = _raw_tensor(tf.variant.as_datatype_enum, [])
    cur = t
    for _ in range(depth):
        v = cur.variant_val.add()
        v.type_name = "x"
        cur = v.tensors.add()
        cur.dtype = tf.variant.as_datatype_enum
    return t


def test_hostile_requests(served):
    server, _ = served
    # Variant tensors nested shallow (refused by the tensor parser) and deeper
    # than protobuf's recursion limit (refused by gRPC's parse: INTERNAL, as in
    # TF Serving, which shares both libraries).
    for depth, codes in [(5, (Code.INVALID_ARGUMENT, Code.UNIMPLEMENTED)), (200, (Code.INTERNAL,))]:
        req = predict_pb2.PredictRequest()
        req.model_spec.name = "default"
        req.inputs["x"].CopyFrom(_nested_variant(depth))
        code, msg = _rpc_error(server.predict.Predict, req)
        assert code in codes, (depth, code, msg)
    # 20000 inputs: the error names them all, cut at 1024 bytes as TF Serving's ToGRPCStatus does.
    req = predict_pb2.PredictRequest()
    req.model_spec.name = "default"
    for i in range(20000):
        req.inputs["k%d" % i].dtype = F
    code, msg = _rpc_error(server.predict.Predict, req)
    assert code == Code.INVALID_ARGUMENT
    assert msg.startswith("input size does not match signature: 20000!=1 len({k0,k1,k10,")
    assert len(msg) == 1024 + len("...TRUNCATED") and msg.endswith("...TRUNCATED")
    # 64 MiB of one string for a float input.
    req = _predict_request("default", X, [3, 1])
    req.inputs["x"].CopyFrom(_raw_tensor(S, [1], string_val=[b"a" * (64 << 20)]))
    code, msg = _rpc_error(server.predict.Predict, req)
    assert code == Code.INVALID_ARGUMENT, msg
    assert server.alive()
    resp = server.predict.Predict(_predict_request("default", X, [3, 1]), timeout=RPC_TIMEOUT_S)
    np.testing.assert_array_equal(tf.make_ndarray(resp.outputs["y"]).ravel(), [2.5, 3.0, 4.5])
    refutil.record(SECTION, cases=1, passed=1)


def test_hostile_examples(served):
    server, _ = served
    # A serialized Example that is not one: TF Serving refuses it before running.
    req = _regress_request("default", "regress_x_to_y", [example(x=1.0)])
    req.input.example_list.examples[0].features.feature["x"].bytes_list.value.append(b"str")
    code, msg = _rpc_error(server.predict.Regress, req)
    assert code == Code.INVALID_ARGUMENT, msg
    # No input at all.
    req = regression_pb2.RegressionRequest()
    req.model_spec.name = "default"
    req.model_spec.signature_name = "regress_x_to_y"
    code, msg = _rpc_error(server.predict.Regress, req)
    assert code == Code.INVALID_ARGUMENT, msg
    # Older TF Serving words it in the regressor, newer in InputToSerializedExampleTensor.
    assert msg in ("Input is empty.", "RegressionRequest::input is empty.")
    assert server.alive()
    refutil.record(SECTION, cases=1, passed=1)


# ---- model management -----------------------------------------------------------

def _reload(server, models):
    req = model_management_pb2.ReloadConfigRequest()
    for name, path, versions in models:
        c = req.config.model_config_list.config.add()
        c.name, c.base_path, c.model_platform = name, path, "tensorflow"
        if versions:
            c.model_version_policy.specific.versions.extend(versions)
    return server.models.HandleReloadConfigRequest(req, timeout=RPC_TIMEOUT_S)


def _wait_gone(server, name, version=None, timeout=START_TIMEOUT_S):
    """Until Predict on (name, version) is NOT_FOUND."""
    def gone():
        try:
            server.predict.Predict(_predict_request(name, X, [3, 1], version=version), timeout=RPC_TIMEOUT_S)
        except grpc.RpcError as e:
            if e.code() == Code.NOT_FOUND:
                return True, None
            raise
        return False, "served"
    server.poll(gone, timeout, 0.2, "%s version %s still served" % (name, version))


def test_reload_config(tmp_path):
    tmp = str(tmp_path)
    two = copy_model("saved_model_half_plus_two_2_versions", tmp, "two")
    three = copy_model("saved_model_half_plus_three", tmp, "three")
    cpu = copy_model("saved_model_half_plus_two_cpu", tmp, "cpu")
    server = Server(tmp, ["--model_name", "two", "--model_base_path", two])
    try:
        server.wait_available("two", 124)
        # Pin version 123 of "two" and add "three".
        resp = _reload(server, [("two", two, [123]), ("three", three, None)])
        assert resp.status.error_code == 0 and resp.status.error_message == ""
        server.wait_available("two", 123)
        server.wait_available("three")
        _wait_gone(server, "two", 124)
        resp = server.predict.Predict(_predict_request("two", X, [3, 1]), timeout=RPC_TIMEOUT_S)
        assert resp.model_spec.version.value == 123
        resp = server.predict.Predict(_predict_request("three", X, [3, 1]), timeout=RPC_TIMEOUT_S)
        # half_plus_three: y = 0.5 * x + 3 (TF 1.0's export, which TF 2.21 itself no longer loads).
        np.testing.assert_array_equal(tf.make_ndarray(resp.outputs["y"]).ravel(), [3.5, 4.0, 5.5])
        # Replace everything by "cpu": the others unload.
        resp = _reload(server, [("cpu", cpu, None)])
        assert resp.status.error_code == 0
        server.wait_available("cpu")
        _wait_gone(server, "two")
        _wait_gone(server, "three")
        # A config that is no model_config_list: refused in the call and in the response.
        req = model_management_pb2.ReloadConfigRequest()
        req.config.custom_model_config.type_url = "type.googleapis.com/x"
        with pytest.raises(grpc.RpcError) as e:
            server.models.HandleReloadConfigRequest(req, timeout=RPC_TIMEOUT_S)
        assert e.value.code() == Code.INVALID_ARGUMENT
        assert e.value.details() == ("ServerModelConfig type not supported by HandleReloadConfigRequest. "
                                     "Only ModelConfigList is currently supported")
        server.wait_available("cpu")
    finally:
        code = server.stop()
    assert code == 0, server.output()
    refutil.record(SECTION, cases=1, passed=1)


def test_sigterm_finishes_in_flight(tmp_path):
    """SIGTERM under load: every call is answered in full or refused, and the
    exit code is 0. A refused call never ran: UNAVAILABLE when it met a closed
    connection, CANCELLED when its stream reached the server after shutdown
    began but before the client read the GOAWAY (gRPC 1.51 has no two-step
    graceful GOAWAY). Calls the server had taken are all answered: the C++
    tests GrpcServiceTest.ShutdownFinishesCallsInFlight and
    ShutdownRunsQueuedCalls hold calls running and queued across Shutdown."""
    import threading
    tmp = str(tmp_path)
    path = copy_model("saved_model_half_plus_two_cpu", tmp, "m")
    server = Server(tmp, ["--model_name", "m", "--model_base_path", path])
    server.wait_available("m")
    x = np.arange(64 * 1024, dtype=np.float32).reshape(-1, 1)
    want = 0.5 * x + 2
    req = predict_pb2.PredictRequest()
    req.model_spec.name = "m"
    req.inputs["x"].CopyFrom(tf.make_tensor_proto(x))
    lock = threading.Lock()
    answered, refused, other = [0], [0], []

    def client():
        while True:
            try:
                resp = server.predict.Predict(req, timeout=RPC_TIMEOUT_S)
            except grpc.RpcError as e:
                with lock:
                    if e.code() in (Code.UNAVAILABLE, Code.CANCELLED):
                        refused[0] += 1
                    else:
                        other.append((e.code(), e.details()))
                return
            ok = np.array_equal(tf.make_ndarray(resp.outputs["y"]), want)
            with lock:
                if ok:
                    answered[0] += 1
                else:
                    other.append("wrong answer")

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    with lock:
        before_signal = answered[0]
    server.proc.send_signal(signal.SIGTERM)
    for t in threads:
        t.join(timeout=RPC_TIMEOUT_S)
    code = server.proc.wait(timeout=60)
    server.stop()
    assert code == 0, server.output()
    assert not other, other[:5]
    assert before_signal > 0 and refused[0] == 8, (before_signal, answered[0], refused[0])
    refutil.record(SECTION, cases=1, passed=1)


def test_grpc_calls_in_metrics(tmp_path):
    """Each gRPC call is counted under TF Serving's metric names, entrypoint GRPC."""
    import re
    import urllib.request
    tmp = str(tmp_path)
    path = copy_model("saved_model_half_plus_two_cpu", tmp, "m")
    rest_port = free_port()
    url = "http://127.0.0.1:%d/monitoring/prometheus/metrics" % rest_port
    server = Server(tmp, ["--model_name", "m", "--model_base_path", path], rest_api_port=rest_port)

    def sample(text, pattern):
        m = re.search("^" + pattern + r" (\S+)$", text, re.M)
        return float(m.group(1)) if m else 0.0

    patterns = {
        "ok": r':tensorflow:serving:request_count\{model_name="m",status="OK"\}',
        "not_found": r':tensorflow:serving:request_count\{model_name="m",status="NOT_FOUND"\}',
        "predict": r':tensorflow:serving:request_latency_count\{model_name="m",API="predict",entrypoint="GRPC"\}',
        "regress": r':tensorflow:serving:request_latency_count\{model_name="m",API="regress",entrypoint="GRPC"\}',
    }
    try:
        server.wait_available("m")
        before = urllib.request.urlopen(url, timeout=RPC_TIMEOUT_S).read().decode()
        for _ in range(3):
            server.predict.Predict(_predict_request("m", X, [3, 1]), timeout=RPC_TIMEOUT_S)
        _rpc_error(server.predict.Predict, _predict_request("m", X, [3, 1], version=9))
        server.predict.Regress(_regress_request("m", "regress_x_to_y", [example(x=1.0)]), timeout=RPC_TIMEOUT_S)
        after = urllib.request.urlopen(url, timeout=RPC_TIMEOUT_S).read().decode()
    finally:
        server.stop()
    delta = {k: sample(after, p) - sample(before, p) for k, p in patterns.items()}
    assert delta == {"ok": 4, "not_found": 1, "predict": 4, "regress": 1}, after[:3000]
    refutil.record(SECTION, cases=1, passed=1)


def test_version_labels(tmp_path):
    """ModelSpec.version_label, with labels from the config file."""
    tmp = str(tmp_path)
    path = copy_model("saved_model_half_plus_two_2_versions", tmp, "two")
    labels = ALL_VERSIONS + '    version_labels { key: "stable" value: 123 }\n' \
        '    version_labels { key: "canary" value: 124 }\n'
    config_path = os.path.join(tmp, "models.config")
    with open(config_path, "w") as f:
        f.write(config_text([("two", path, labels)]))
    server = Server(tmp, ["--model_config_file", config_path])
    try:
        server.wait_available("two", 123)
        server.wait_available("two", 124)
        for label, version in [("stable", 123), ("canary", 124)]:
            req = _predict_request("two", X, [3, 1])
            req.model_spec.version_label = label
            resp = server.predict.Predict(req, timeout=RPC_TIMEOUT_S)
            assert resp.model_spec.version.value == version
            np.testing.assert_array_equal(tf.make_ndarray(resp.outputs["y"]).ravel(), [2.5, 3.0, 4.5])
            req = get_model_metadata_pb2.GetModelMetadataRequest()
            req.model_spec.name = "two"
            req.model_spec.version_label = label
            req.metadata_field.append("signature_def")
            assert server.predict.GetModelMetadata(req, timeout=RPC_TIMEOUT_S).model_spec.version.value == version
        req = _predict_request("two", X, [3, 1])
        req.model_spec.version_label = "nope"
        code, msg = _rpc_error(server.predict.Predict, req)
        assert (code, msg) == (Code.INVALID_ARGUMENT, "Unrecognized servable version label: nope")
    finally:
        code = server.stop()
    assert code == 0, server.output()
    refutil.record(SECTION, cases=1, passed=1)


def test_new_version_under_grpc_load(tmp_path):
    """A version directory copied in while gRPC clients call: picked up, no call fails."""
    import threading
    tmp = str(tmp_path)
    base = os.path.join(tmp, "m")
    os.makedirs(base)
    src = os.path.join(TF_SERVING, "saved_model_half_plus_two_2_versions")
    shutil.copytree(os.path.join(src, "00000123"), os.path.join(base, "00000123"))
    server = Server(tmp, ["--model_name", "m", "--model_base_path", base])
    failures, versions, stop = [], set(), threading.Event()

    def client():
        req = _predict_request("m", X, [3, 1])
        while not stop.is_set():
            try:
                resp = server.predict.Predict(req, timeout=RPC_TIMEOUT_S)
                versions.add(resp.model_spec.version.value)
                if tf.make_ndarray(resp.outputs["y"]).ravel().tolist() != [2.5, 3.0, 4.5]:
                    failures.append("wrong answer")
            except grpc.RpcError as e:
                failures.append((e.code(), e.details()))

    try:
        server.wait_available("m", 123)
        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        # Copied under another name, then renamed: a half-copied directory
        # must not be taken for a version (TF Serving's advice for pushes).
        shutil.copytree(os.path.join(src, "00000124"), os.path.join(tmp, "incoming"))
        os.rename(os.path.join(tmp, "incoming"), os.path.join(base, "00000124"))
        deadline = time.time() + START_TIMEOUT_S
        while 124 not in versions and time.time() < deadline and not failures:
            time.sleep(0.1)
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join()
        assert not failures, failures[:5]
        assert 124 in versions, versions
        resp = server.status("m")
        states = {s.version: s.state for s in resp.model_version_status}
        assert states[124] == get_model_status_pb2.ModelVersionStatus.AVAILABLE
    finally:
        stop.set()
        server.stop()
    refutil.record(SECTION, cases=1, passed=1)
