"""`savedmodel serve`'s HTTP/REST API, end to end, with real clients.

The server runs as a real process on free loopback ports, serving copies of TF
Serving's test models (../shared/testdata/tf_serving); it is queried with
`requests` and `curl` exactly as TF Serving's documentation queries
tensorflow_model_server. Every number is compared with TensorFlow running the
same signature of the same SavedModel; metadata with the JSON TF Serving itself
returned; response shapes with TF Serving's REST API documentation.

Also: a new version copied in under load is picked up with no failed request;
SIGTERM under load loses no accepted request; liveness/readiness probes; the
Prometheus endpoint's counts; and the server answering from its own network
namespace over a veth pair (root only).
"""
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import numpy as np
import pytest

import refutil

requests = pytest.importorskip("requests")

from serverutil import (ALL_VERSIONS, EXAMPLE_MODELS, HALF_PLUS_TWO, START_TIMEOUT_S, TF_SERVING, X,  # noqa: E402
                        ServerProcess, config_text, copy_model, example, free_port, tf_run_examples, version_dir)
import tensorflow as tf  # noqa: E402

SECTION = "server_rest"
PREDICT_BODY = json.dumps({"instances": X})
EXPECTED = {"predictions": [2.5, 3.0, 4.5]}  # TF Serving's documented answer
HTTP_TIMEOUT_S = 60
MAX_BODY = 65536


class Server(ServerProcess):
    """One `savedmodel serve` process on free ports, queried over HTTP."""

    def __init__(self, tmp, args, host="127.0.0.1", netns=None):
        self.port, self.grpc_port = free_port(), free_port()
        self.url = "http://%s:%d" % (host, self.port)
        super().__init__(tmp, ["--port=%d" % self.grpc_port, "--rest_api_port", str(self.port)] + args,
                         log_port=self.port, netns=netns)

    def get(self, path, **kw):
        return requests.get(self.url + path, timeout=HTTP_TIMEOUT_S, **kw)

    def post(self, path, body, **kw):
        return requests.post(self.url + path, data=body, timeout=HTTP_TIMEOUT_S, **kw)

    def wait_ready(self, timeout=START_TIMEOUT_S):
        """Polls /readyz until 200 (every model has an AVAILABLE version)."""
        def ready():
            r = self.get("/readyz")
            return r.status_code == 200, (r.status_code, r.text)
        self.poll(ready, timeout, 0.1, "not ready", retry_on=requests.ConnectionError)

    def wait_versions(self, name, want, timeout=60):
        """Polls the status API until {version: state} for `name` equals `want`."""
        def versions():
            r = self.get("/v1/models/" + name)
            if r.status_code != 200:
                return False, None
            got = {int(v["version"]): v["state"] for v in r.json()["model_version_status"]}
            return all(got.get(v) == s for v, s in want.items()), got
        return self.poll(versions, timeout, 0.1, "%s: versions %s not reached" % (name, want))


def _tf_predict(model_dir, x):
    """TensorFlow's y for `x` through the serving_default signature. TF1
    graphs run in a tf.compat.v1 Session (tf.saved_model.load cannot import
    half_plus_three, written by TF 1.0-rc2), with device pins cleared as TF
    Serving's CPU build ignores them. x is fed in the placeholder's rank; a
    placeholder of fixed shape [1] (the TF2 export) gets one value per run.
    TF Serving checks no shapes, so it answers [n] either way."""
    path = version_dir(model_dir)
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        sig = tf.compat.v1.saved_model.loader.load(sess, ["serve"], path, clear_devices=True)
        sig = sig.signature_def["serving_default"]
        x_name, y_name = sig.inputs["x"].name, sig.outputs["y"].name
        shape = sess.graph.get_tensor_by_name(x_name).shape
        arr = np.array(x, np.float32)
        if shape.rank == 2:
            return sess.run(y_name, {x_name: arr.reshape(-1, 1)}).ravel()
        if shape.rank == 1 and shape[0] == 1:
            return np.concatenate([sess.run(y_name, {x_name: arr[i:i + 1]}) for i in range(len(arr))])
        return sess.run(y_name, {x_name: arr}).ravel()


def _tf_examples(model_dir, signature, examples, context=None):
    """The signature run on serialized tf.Examples (feature dicts), as TF
    Serving feeds it: with a context, the context's bytes come first in every
    example."""
    prefix = example(**context).SerializeToString() if context else b""
    return tf_run_examples(version_dir(model_dir), signature,
                           [prefix + example(**e).SerializeToString() for e in examples])


# ---- one server for the read-only tests --------------------------------------------

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("rest_models"))
    models = {name: copy_model(name, tmp) for name in HALF_PLUS_TWO}
    models["default"] = copy_model("saved_model_half_plus_two_cpu", tmp, "default")
    models["half_plus_three"] = copy_model("saved_model_half_plus_three", tmp, "half_plus_three")
    models["two"] = copy_model("saved_model_half_plus_two_2_versions", tmp, "two")
    labels = (ALL_VERSIONS +
              '    version_labels { key: "stable" value: 123 }\n'
              '    version_labels { key: "canary" value: 124 }\n')
    config = os.path.join(tmp, "models.config")
    with open(config, "w") as f:
        f.write(config_text([(n, p, labels if n == "two" else "") for n, p in sorted(models.items())]))
    server = Server(tmp, ["--model_config_file", config, "--rest_api_max_body_bytes", str(MAX_BODY)])
    try:
        server.wait_ready()
        yield server, models
    finally:
        code = server.stop()
        assert code == 0, "server exit code %s after SIGTERM:\n%s" % (code, server.output())


def test_startup_lines(served):
    server, _ = served
    out = server.output()
    assert "Running gRPC ModelServer at 0.0.0.0:%d ..." % server.grpc_port in out, out
    assert "Exporting HTTP/REST API at:localhost:%d ..." % server.port in out, out
    refutil.record(SECTION, cases=1, passed=1)


@pytest.mark.parametrize("name", HALF_PLUS_TWO + ["default"])
def test_predict_half_plus_two(served, name):
    server, models = served
    r = server.post("/v1/models/%s:predict" % name, PREDICT_BODY)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    got = r.json()
    assert got == EXPECTED
    np.testing.assert_array_equal(np.array(got["predictions"], np.float32), _tf_predict(models[name], X).ravel())
    refutil.record(SECTION, cases=1, passed=1)


def test_predict_with_curl(served):
    server, _ = served
    if shutil.which("curl") is None:
        pytest.skip("curl not installed")
    out = subprocess.run(["curl", "-sS", "-d", PREDICT_BODY, "-X", "POST", server.url + "/v1/models/default:predict"],
                         capture_output=True, text=True, timeout=HTTP_TIMEOUT_S, check=True).stdout
    assert json.loads(out) == EXPECTED
    refutil.record(SECTION, cases=1, passed=1)


def test_predict_columnar_and_half_plus_three(served):
    server, models = served
    r = server.post("/v1/models/half_plus_three:predict", json.dumps({"inputs": {"x": X}}))
    assert r.status_code == 200, r.text
    want = _tf_predict(models["half_plus_three"], X).ravel()
    assert set(r.json()) == {"outputs"}
    np.testing.assert_array_equal(np.array(r.json()["outputs"], np.float32).ravel(), want)
    np.testing.assert_array_equal(want, [3.5, 4.0, 5.5])
    refutil.record(SECTION, cases=1, passed=1)


REGRESS_CASES = [
    ("regress_x_to_y", [{"x": v} for v in X], None),
    ("regress_x_to_y2", [{"x": v} for v in X], None),
    # A context feature the signature ignores; the examples carry x.
    ("regress_x_to_y2", [{"x": 1.0}, {"x": 7.0}], {"x2": 2.0}),
]


@pytest.mark.parametrize("name", EXAMPLE_MODELS)
@pytest.mark.parametrize("case", range(len(REGRESS_CASES)))
def test_regress(served, name, case):
    server, models = served
    signature, examples, context = REGRESS_CASES[case]
    body = {"signature_name": signature, "examples": examples}
    if context:
        body["context"] = context
    r = server.post("/v1/models/%s:regress" % name, json.dumps(body))
    assert r.status_code == 200, r.text
    want = _tf_examples(models[name], signature, examples, context)["outputs"].ravel()
    # "results", as TF Serving's code writes it (its api_rest.md says "result").
    assert set(r.json()) == {"results"}
    np.testing.assert_array_equal(np.array(r.json()["results"], np.float32), want)
    refutil.record(SECTION, cases=1, passed=1)


@pytest.mark.parametrize("name", EXAMPLE_MODELS)
def test_classify(served, name):
    server, models = served
    examples = [{"x": v} for v in X]
    r = server.post("/v1/models/%s:classify" % name,
                    json.dumps({"signature_name": "classify_x_to_y", "examples": examples}))
    assert r.status_code == 200, r.text
    want = _tf_examples(models[name], "classify_x_to_y", examples)
    # Only "scores" ([N, 1]): one unlabelled class per example, [label, score].
    assert "classes" not in want
    got = r.json()["results"]
    assert [[c[0] for c in row] for row in got] == [[""]] * len(X)
    assert set(r.json()) == {"results"}
    np.testing.assert_array_equal(np.array([[c[1] for c in row] for row in got], np.float32), want["scores"])
    refutil.record(SECTION, cases=1, passed=1)


@pytest.mark.parametrize("name,path,json_name", [
    ("default", "/v1/models/default/metadata", "half_plus_two_model_metadata.json"),
    ("two", "/v1/models/two/versions/123/metadata", "saved_model_half_plus_two_2_versions_metadata.json"),
    ("saved_model_half_plus_two_tf2_cpu", "/v1/models/saved_model_half_plus_two_tf2_cpu/metadata",
     "saved_model_half_plus_two_tf2_2_versions_metadata.json"),
])
def test_metadata_matches_tf_serving(served, name, path, json_name):
    server, _ = served
    with open(os.path.join(TF_SERVING, json_name)) as f:
        want = json.load(f)
    want["model_spec"]["name"] = name  # the JSON was taken from a server naming the model otherwise
    r = server.get(path)
    assert r.status_code == 200, r.text
    got = r.json()
    # The TF2 JSON came from a TF Serving whose SignatureDef predates the
    # `defaults` field (TF 2.16); ours, like today's TF Serving, writes it.
    for name, sig in want["metadata"]["signature_def"]["signature_def"].items():
        if "defaults" not in sig and got["metadata"]["signature_def"]["signature_def"][name].get("defaults") == {}:
            del got["metadata"]["signature_def"]["signature_def"][name]["defaults"]
    assert got == want
    refutil.record(SECTION, cases=1, passed=1)


def _status(version, state="AVAILABLE"):
    return {"version": str(version), "state": state, "status": {"error_code": "OK", "error_message": ""}}


def test_status(served):
    server, _ = served
    r = server.get("/v1/models/default")
    assert r.status_code == 200, r.text
    assert r.json() == {"model_version_status": [_status(123)]}
    refutil.record(SECTION, cases=1, passed=1)


def test_two_versions_and_labels(served):
    server, models = served
    r = server.get("/v1/models/two")
    assert r.status_code == 200, r.text
    assert sorted(r.json()["model_version_status"], key=lambda s: s["version"]) == [_status(123), _status(124)]
    for version, label in ((123, "stable"), (124, "canary")):
        for path in ("/versions/%d" % version, "/labels/" + label):
            r = server.post("/v1/models/two%s:predict" % path, PREDICT_BODY)
            assert r.status_code == 200, (path, r.text)
            assert r.json() == EXPECTED
            np.testing.assert_array_equal(np.array(r.json()["predictions"], np.float32),
                                          _tf_predict(models["two"], X).ravel())
            r = server.get("/v1/models/two" + path)
            assert r.json() == {"model_version_status": [_status(version)]}, (path, r.text)
        r = server.get("/v1/models/two/labels/%s/metadata" % label)
        assert r.status_code == 200 and r.json()["model_spec"]["version"] == str(version), r.text
    r = server.post("/v1/models/two/labels/nosuch:predict", PREDICT_BODY)
    assert r.status_code == 400 and "error" in r.json(), r.text
    refutil.record(SECTION, cases=1, passed=1)


def test_errors_are_json_with_tf_serving_codes(served):
    server, _ = served
    r = server.post("/v1/models/nope:predict", PREDICT_BODY)
    assert r.status_code == 404 and "nope" in r.json()["error"], r.text
    r = server.post("/v1/models/default/versions/999:predict", PREDICT_BODY)
    assert r.status_code == 404 and "error" in r.json(), r.text
    r = server.post("/v1/models/default:predict", "{not json")
    assert r.status_code == 400 and "error" in r.json(), r.text
    r = server.post("/v1/models/default:predict", json.dumps({"signature_name": "nosuch", "instances": X}))
    assert r.status_code == 400 and "nosuch" in r.json()["error"], r.text
    r = server.post("/v1/models/default:predict", json.dumps({"instances": ["a", "b"]}))
    assert r.status_code == 400 and "error" in r.json(), r.text
    r = server.post("/v1/models/default:predict", "[" * (MAX_BODY + 1))
    assert r.status_code == 413, r.text
    assert server.post("/v1/models/default:predict", PREDICT_BODY).json() == EXPECTED  # still serving
    refutil.record(SECTION, cases=1, passed=1)


def test_probes_and_metrics(served):
    server, _ = served
    assert server.get("/healthz").status_code == 200
    assert server.get("/readyz").status_code == 200
    n = 7
    for _ in range(n):
        assert server.post("/v1/models/half_plus_three:predict", PREDICT_BODY).status_code == 200
    r = server.post("/v1/models/half_plus_three:predict", "{bad")
    assert r.status_code == 400
    r = server.get("/monitoring/prometheus/metrics")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain"), r.text[:500]
    counts = {}
    for line in r.text.splitlines():
        m = re.match(r':tensorflow:serving:request_count\{(.*)\} (\S+)$', line)
        if m and 'model_name="half_plus_three"' in m.group(1):
            status = re.search(r'status="([^"]*)"', m.group(1)).group(1)
            counts[status] = float(m.group(2))
    # Only this test sends to half_plus_three (the columnar test's one predict may run first).
    assert counts.get("OK", 0) in (n, n + 1) and counts.get("INVALID_ARGUMENT") == 1, (counts, r.text[:3000])
    assert re.search(r':tensorflow:serving:request_latency_count\{[^}]*model_name="half_plus_three"', r.text), \
        r.text[:3000]
    refutil.record(SECTION, cases=1, passed=1)


# ---- load: hot reload, readiness, SIGTERM ------------------------------------------

class Hammer:
    """Threads sending half_plus_two predicts until stopped. Each outcome is
    'ok' (200 with the right answer), 'refused' (connect refused: the server
    was not listening) or a failure description."""

    def __init__(self, url, threads=6, keep_alive=True):
        self.url = url + "/v1/models/m:predict"
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.ok = 0
        self.refused = 0
        self.failures = []
        self.threads = [threading.Thread(target=self._run, args=(keep_alive,)) for _ in range(threads)]
        for t in self.threads:
            t.start()

    def _run(self, keep_alive):
        session = requests.Session() if keep_alive else requests
        while not self.stop_event.is_set():
            try:
                r = session.post(self.url, data=PREDICT_BODY, timeout=HTTP_TIMEOUT_S)
                outcome = "ok" if r.status_code == 200 and r.json() == EXPECTED else "%d %s" % (r.status_code, r.text)
            except requests.ConnectionError as e:
                outcome = "refused" if "Connection refused" in str(e) else "connection error: %s" % e
            with self.lock:
                if outcome == "ok":
                    self.ok += 1
                elif outcome == "refused":
                    self.refused += 1
                    return  # the server is gone for good
                else:
                    self.failures.append(outcome)

    def wait_for(self, n, timeout=60):
        deadline = time.time() + timeout
        while self.ok < n and time.time() < deadline and not self.failures:
            time.sleep(0.02)

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=HTTP_TIMEOUT_S)


def test_new_version_under_load_no_failed_request(tmp_path):
    base = str(tmp_path / "m")
    os.makedirs(base)
    shutil.copytree(version_dir(os.path.join(TF_SERVING, "saved_model_half_plus_two_2_versions")),
                    version_dir(base, 123))
    server = Server(str(tmp_path), ["--model_name", "m", "--model_base_path", base,
                                    "--file_system_poll_wait_seconds", "1", "--rest_api_num_threads", "4"])
    hammer = None
    try:
        server.wait_ready()
        hammer = Hammer(server.url)
        hammer.wait_for(50)
        probes = []
        # A plain copy, not an atomic rename: the manager must cope with a
        # directory that is still being written.
        shutil.copytree(version_dir(os.path.join(TF_SERVING, "saved_model_half_plus_two_2_versions"), 124),
                        version_dir(base, 124))
        before = hammer.ok
        deadline = time.time() + 60
        while time.time() < deadline:
            probes.append((server.get("/healthz").status_code, server.get("/readyz").status_code))
            st = {int(v["version"]): v["state"] for v in server.get("/v1/models/m").json()["model_version_status"]}
            if st.get(124) == "AVAILABLE" and st.get(123) == "END":
                break
            time.sleep(0.1)
        assert st.get(124) == "AVAILABLE" and st.get(123) == "END", (st, server.output())
        hammer.wait_for(hammer.ok + 50)
        hammer.stop()
        assert hammer.failures == [], hammer.failures[:5]
        assert hammer.refused == 0
        assert hammer.ok > before + 50, (before, hammer.ok)
        assert set(probes) == {(200, 200)}, probes
        # The answer now comes from 124 (the only version left).
        r = server.get("/v1/models/m/versions/124")
        assert r.json() == {"model_version_status": [_status(124)]}
    finally:
        if hammer:
            hammer.stop()
        code = server.stop()
    assert code == 0, server.output()
    refutil.record(SECTION, cases=1, passed=1)


def test_readiness_follows_model_availability(tmp_path):
    base = str(tmp_path / "m")
    os.makedirs(base)  # no version yet
    server = Server(str(tmp_path), ["--model_name", "m", "--model_base_path", base,
                                    "--file_system_poll_wait_seconds", "1"])
    try:
        live = server.poll(lambda: (True, server.get("/healthz").status_code), START_TIMEOUT_S, 0.1,
                           "no /healthz answer", retry_on=requests.ConnectionError)
        assert live == 200
        assert server.get("/readyz").status_code == 503
        assert server.post("/v1/models/m:predict", PREDICT_BODY).status_code == 404
        shutil.copytree(version_dir(os.path.join(TF_SERVING, "saved_model_half_plus_two_cpu")),
                        version_dir(base, 7))
        server.wait_ready(timeout=60)
        assert server.post("/v1/models/m:predict", PREDICT_BODY).json() == EXPECTED
    finally:
        code = server.stop()
    assert code == 0, server.output()
    refutil.record(SECTION, cases=1, passed=1)


def test_model_config_file_is_polled(tmp_path):
    """--model_config_file_poll_wait_seconds: a model added to the file is
    served, one removed is unloaded, without a restart; a broken file keeps
    the last good config."""
    one = copy_model("saved_model_half_plus_two_cpu", str(tmp_path), "one")
    two = copy_model("saved_model_half_plus_three", str(tmp_path), "two")
    config = str(tmp_path / "models.config")

    def write(text):  # atomically, as a config management tool would
        with open(config + ".tmp", "w") as f:
            f.write(text)
        os.replace(config + ".tmp", config)

    write(config_text([("one", one, "")]))
    server = Server(str(tmp_path), ["--model_config_file", config, "--model_config_file_poll_wait_seconds", "1"])
    try:
        server.wait_ready()
        assert server.post("/v1/models/two:predict", PREDICT_BODY).status_code == 404
        write(config_text([("one", one, ""), ("two", two, "")]))
        server.wait_versions("two", {123: "AVAILABLE"})
        r = server.post("/v1/models/two:predict", PREDICT_BODY)
        np.testing.assert_array_equal(np.array(r.json()["predictions"], np.float32), _tf_predict(two, X))
        write("model_config_list { this is not a config")
        time.sleep(2.5)  # two polls
        assert server.post("/v1/models/two:predict", PREDICT_BODY).status_code == 200
        write(config_text([("two", two, "")]))
        server.wait_versions("one", {123: "END"})
        assert server.post("/v1/models/one:predict", PREDICT_BODY).status_code == 404
        assert server.get("/readyz").status_code == 200
    finally:
        code = server.stop()
    assert code == 0, server.output()
    refutil.record(SECTION, cases=1, passed=1)


@pytest.mark.parametrize("batching", [False, True])
def test_sigterm_under_load_loses_no_accepted_request(tmp_path, batching):
    base = str(tmp_path / "m")
    os.makedirs(base)
    shutil.copytree(version_dir(os.path.join(TF_SERVING, "saved_model_half_plus_two_cpu")), version_dir(base))
    server = Server(str(tmp_path), ["--model_name", "m", "--model_base_path", base]
                    + (["--enable_batching"] if batching else []))
    hammer = None
    try:
        server.wait_ready()
        # A fresh connection per request: every request either connects (and
        # must then be answered) or is refused.
        hammer = Hammer(server.url, threads=8, keep_alive=False)
        hammer.wait_for(100)
        server.proc.send_signal(signal.SIGTERM)
        code = server.proc.wait(timeout=60)
        for t in hammer.threads:
            t.join(timeout=HTTP_TIMEOUT_S)
    finally:
        if hammer:
            hammer.stop()
        server.stop()
    assert code == 0, server.output()
    assert "Received SIGTERM" in server.output()
    assert hammer.failures == [], (hammer.failures[:5], server.output())
    assert hammer.ok >= 100 and hammer.refused == len(hammer.threads), (hammer.ok, hammer.refused)
    refutil.record(SECTION, cases=1, passed=1)


# ---- network namespaces ------------------------------------------------------------

def _ip(*args, check=True):
    return subprocess.run(["ip"] + list(args), capture_output=True, text=True, check=check)


def test_server_in_its_own_network_namespace(tmp_path):
    """Server in one namespace, client in another, joined by a veth pair: the
    server answers on an interface that is not loopback."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("network namespaces need root and iproute2's ip")
    tag = "%d" % (os.getpid() % 100000)
    srv_ns, cli_ns = "smsrv" + tag, "smcli" + tag
    veth_s, veth_c = "vsms" + tag, "vsmc" + tag
    if _ip("netns", "add", srv_ns, check=False).returncode != 0:
        pytest.skip("cannot create network namespaces here (no CAP_SYS_ADMIN?)")
    server = None
    try:
        _ip("netns", "add", cli_ns)
        _ip("link", "add", veth_s, "type", "veth", "peer", "name", veth_c)
        _ip("link", "set", veth_s, "netns", srv_ns)
        _ip("link", "set", veth_c, "netns", cli_ns)
        for ns, dev, addr in ((srv_ns, veth_s, "10.231.0.1/24"), (cli_ns, veth_c, "10.231.0.2/24")):
            _ip("-n", ns, "addr", "add", addr, "dev", dev)
            _ip("-n", ns, "link", "set", dev, "up")
            _ip("-n", ns, "link", "set", "lo", "up")
        base = str(tmp_path / "m")
        os.makedirs(base)
        shutil.copytree(version_dir(os.path.join(TF_SERVING, "saved_model_half_plus_two_cpu")), version_dir(base))
        server = Server(str(tmp_path), ["--model_name", "half_plus_two", "--model_base_path", base],
                        host="10.231.0.1", netns=srv_ns)
        url = server.url + "/v1/models/half_plus_two:predict"
        deadline = time.time() + START_TIMEOUT_S
        out = None
        while time.time() < deadline and server.alive():
            p = subprocess.run(["ip", "netns", "exec", cli_ns, "curl", "-sS", "-m", "10", "-d", PREDICT_BODY, url],
                               capture_output=True, text=True)
            if p.returncode == 0 and p.stdout.strip().startswith("{"):
                out = json.loads(p.stdout)
                if "predictions" in out:
                    break
            time.sleep(0.2)
        assert out == EXPECTED, (out, server.output())
        # The client's own namespace has no server: its loopback refuses.
        p = subprocess.run(["ip", "netns", "exec", cli_ns, "curl", "-sS", "-m", "5",
                            "http://127.0.0.1:%d/healthz" % server.port], capture_output=True, text=True)
        assert p.returncode != 0
    finally:
        if server:
            code = server.stop()
        _ip("netns", "del", cli_ns, check=False)
        _ip("netns", "del", srv_ns, check=False)  # takes the veth pair with it
    assert code == 0, server.output()
    refutil.record(SECTION, cases=1, passed=1)
