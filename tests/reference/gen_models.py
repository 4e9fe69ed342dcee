"""Writes, with real TensorFlow, the kinds of SavedModels people have, each
with TensorFlow's own outputs for fixed inputs (issue 7, section 4).

Layout of the cache folder (build/reference/models):
  <model>/saved_model/            the SavedModel as TensorFlow wrote it
  <model>/case.json               {"name", "family", "notes", "runs": [...]}
  <model>/*.npy                   inputs and TensorFlow's outputs per run
Each run is {"tags": [...], "signature": KEY, "inputs": {key: file},
"input_examples": JSON or null, "outputs": {key: file}}.

TensorFlow's outputs come from the TF1 loader in a graph session, the way
saved_model_cli runs a signature, so every MetaGraphDef (TF1 or TF2) is
judged through the same door our CLI uses: tag set plus signature key.
Run inside the pytest process: TensorFlow is imported once.
"""
import json
import os
import shutil

import numpy as np

import refutil

SEED = 1234
BATCH = 2  # what an unknown (-1) dimension becomes in generated inputs


def ensure():
    """The cache folder, generated now if the generator changed."""
    path, stamp = refutil.cache_dir("models", [os.path.abspath(__file__)])
    if stamp:
        generate(path)
        refutil.seal(path, stamp)
    return path


# ---------------------------------------------------------------- helpers

def _tf():
    import tensorflow as tf
    return tf


def _save_npy(path, array):
    array = np.asarray(array)
    if array.dtype.kind in "SUO":
        # Object arrays of bytes keep trailing NULs (serialized tf.Examples
        # may end in one) which an 'S' array would drop.
        obj = np.empty(array.shape, dtype=object)
        for i, v in np.ndenumerate(array):
            obj[i] = v.encode() if isinstance(v, str) else bytes(v)
        np.save(path, obj, allow_pickle=True)
    else:
        np.save(path, array)


def _default_input(info, rng):
    """A fixed input for a signature TensorInfo: unknown dims become BATCH."""
    tf = _tf()
    dtype = tf.dtypes.as_dtype(info.dtype)
    if info.tensor_shape.unknown_rank:
        shape = [BATCH]
    else:
        shape = [d.size if d.size >= 0 else BATCH for d in info.tensor_shape.dim]
    if dtype.is_floating:
        return rng.standard_normal(shape).astype(dtype.as_numpy_dtype)
    if dtype.is_integer:
        # Small non-negative values: valid indices for embeddings and one-hots.
        return rng.integers(0, 4, size=shape).astype(dtype.as_numpy_dtype)
    if dtype == tf.bool:
        return rng.integers(0, 2, size=shape).astype(bool)
    if dtype == tf.string:
        words = np.array([b"a", b"b", b"c", b"hello", b"world"], dtype=object)
        return words[rng.integers(0, len(words), size=shape)]
    raise ValueError("no default input for dtype %s" % dtype.name)


def _read_saved_model(sm_dir):
    from tensorflow.core.protobuf import saved_model_pb2
    sm = saved_model_pb2.SavedModel()
    with open(os.path.join(sm_dir, "saved_model.pb"), "rb") as f:
        sm.ParseFromString(f.read())
    return sm


def _reference_run(sm_dir, tags, sig_key, feeds):
    """TensorFlow's outputs of one signature and which loader gave them.

    The TF1 loader first (saved_model_cli's path, the one ours mirrors);
    where TF's own TF1 loader cannot run a TF2 export, tf.saved_model.load."""
    try:
        return _tf1_loader_run(sm_dir, tags, sig_key, feeds), "tf1_loader", None
    except Exception as e:  # noqa: BLE001 - any failure falls back, and is noted
        lines = [l.strip() for l in str(e).splitlines()
                 if l.strip() and "Graph execution error" not in l]
        first = (lines or [type(e).__name__])[0]
        tf = _tf()
        loaded = tf.saved_model.load(sm_dir, tags=tags)
        fn = loaded.signatures[sig_key]
        outs = fn(**{k: tf.constant(v) for k, v in feeds.items()})
        return {k: v.numpy() for k, v in outs.items()}, "tf2_loader", first[:300]


def _tf1_loader_run(sm_dir, tags, sig_key, feeds):
    tf = _tf()
    # Two CPUs: a sharded model pins variables to /cpu:1.
    config = tf.compat.v1.ConfigProto(device_count={"CPU": 2}, allow_soft_placement=True)
    with tf.Graph().as_default() as g, tf.compat.v1.Session(graph=g, config=config) as sess:
        meta = tf.compat.v1.saved_model.loader.load(sess, tags, sm_dir)
        sig = meta.signature_def[sig_key]
        feed = {sig.inputs[k].name: v for k, v in feeds.items()}
        keys = sorted(sig.outputs)
        vals = sess.run([sig.outputs[k].name for k in keys], feed_dict=feed)
        return dict(zip(keys, vals))


def _record(root, name, family, sm_dir, custom_inputs=None, notes="", extra_runs=()):
    """Runs every signature of every MetaGraphDef in TF and writes case.json.

    custom_inputs: {signature_key: {input_key: array}} for inputs a default
    would make meaningless (vocabulary words, serialized tf.Examples).
    extra_runs: (tags, key, input_examples_json, {input_key: array}) for runs
    fed through --input_examples instead of .npy files.
    """
    custom_inputs = custom_inputs or {}
    model_dir = os.path.join(root, name)
    os.makedirs(model_dir, exist_ok=True)
    target = os.path.join(model_dir, "saved_model")
    if os.path.abspath(sm_dir) != target:
        shutil.move(sm_dir, target)
    sm = _read_saved_model(target)
    rng = np.random.default_rng(SEED)
    runs = []

    def add_run(tags, key, feeds, examples):
        n = len(runs)
        outs, oracle, tf1_error = _reference_run(target, tags, key, feeds)
        run = {"tags": list(tags), "signature": key, "inputs": {}, "outputs": {},
               "input_examples": examples, "oracle": oracle}
        if tf1_error:
            run["tf1_loader_error"] = tf1_error
        if examples is None:
            for k, v in sorted(feeds.items()):
                fname = "run%d_in_%s.npy" % (n, _safe(k))
                _save_npy(os.path.join(model_dir, fname), v)
                run["inputs"][k] = fname
        for k, v in sorted(outs.items()):
            fname = "run%d_out_%s.npy" % (n, _safe(k))
            _save_npy(os.path.join(model_dir, fname), v)
            run["outputs"][k] = fname
        runs.append(run)

    for meta in sm.meta_graphs:
        tags = list(meta.meta_info_def.tags)
        for key in sorted(meta.signature_def):
            if key.startswith("__"):  # __saved_model_init_op and friends
                continue
            sig = meta.signature_def[key]
            feeds = {}
            for k in sorted(sig.inputs):
                given = custom_inputs.get(key, {})
                feeds[k] = given[k] if k in given else _default_input(sig.inputs[k], rng)
            add_run(tags, key, feeds, None)
    for tags, key, examples, feeds in extra_runs:
        add_run(tags, key, feeds, examples)
    with open(os.path.join(model_dir, "case.json"), "w") as f:
        json.dump({"name": name, "family": family, "notes": notes, "runs": runs}, f, indent=1)


def _safe(key):
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in key)


def _tmp(root, name):
    path = os.path.join(root, ".tmp", name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def _v1_graph():
    """A fresh graph and session in TF1 (graph) mode, seeded."""
    tf = _tf()
    g = tf.Graph()
    g.seed = SEED
    return g, tf.compat.v1.Session(graph=g)


# ---------------------------------------------------------------- TF1 style

def tf1_simple_save(root):
    tf = _tf()
    v1 = tf.compat.v1
    g, sess = _v1_graph()
    with g.as_default(), sess:
        x = v1.placeholder(tf.float32, [None, 3], name="x")
        w = v1.get_variable("w", [3, 4], initializer=v1.random_normal_initializer(seed=1))
        b = v1.get_variable("b", [4], initializer=v1.constant_initializer(0.25))
        logits = tf.matmul(x, w) + b
        probs = tf.nn.softmax(logits, name="probs")
        sess.run(v1.global_variables_initializer())
        path = _tmp(root, "tf1_simple_save")
        v1.saved_model.simple_save(sess, path, inputs={"x": x},
                                   outputs={"probs": probs, "logits": logits})
    _record(root, "tf1_simple_save", "tf1", path)


def tf1_builder_multi_meta(root):
    """One variables checkpoint, three MetaGraphDefs with different tag sets."""
    tf = _tf()
    v1 = tf.compat.v1
    sd = v1.saved_model.signature_def_utils
    build_info = v1.saved_model.utils.build_tensor_info
    g, sess = _v1_graph()
    with g.as_default(), sess:
        x = v1.placeholder(tf.float32, [None, 2], name="x")
        w = v1.get_variable("w", [2, 2], initializer=v1.random_uniform_initializer(seed=2))
        y = tf.nn.relu(tf.matmul(x, w), name="y")
        z = tf.reduce_sum(y, axis=1, name="z")
        sess.run(v1.global_variables_initializer())
        predict = sd.predict_signature_def({"x": x}, {"y": y})
        summed = sd.build_signature_def({"x": build_info(x)}, {"z": build_info(z)},
                                        v1.saved_model.signature_constants.PREDICT_METHOD_NAME)
        path = _tmp(root, "tf1_builder_multi_meta")
        builder = v1.saved_model.Builder(path)
        builder.add_meta_graph_and_variables(
            sess, ["serve"], signature_def_map={"serving_default": predict, "summed": summed})
        builder.add_meta_graph(["train"], signature_def_map={"train_predict": predict})
        builder.add_meta_graph(["serve", "gpu"], signature_def_map={"gpu_summed": summed})
        builder.save()
    _record(root, "tf1_builder_multi_meta", "tf1", path)


def tf1_main_op(root):
    """A main op that runs after restore and changes a variable's value."""
    tf = _tf()
    v1 = tf.compat.v1
    g, sess = _v1_graph()
    with g.as_default(), sess:
        x = v1.placeholder(tf.float32, [None], name="x")
        scale = v1.get_variable("scale", [], initializer=v1.constant_initializer(2.0))
        y = tf.multiply(x, scale, name="y")
        sess.run(v1.global_variables_initializer())
        # After loading, TF runs the main op: scale becomes 7, so y = 7x, not 2x.
        main_op = tf.group(v1.assign(scale, 7.0), v1.tables_initializer(), name="main_op")
        path = _tmp(root, "tf1_main_op")
        builder = v1.saved_model.Builder(path)
        builder.add_meta_graph_and_variables(
            sess, ["serve"], main_op=main_op,
            signature_def_map={"serving_default": v1.saved_model.predict_signature_def(
                {"x": x}, {"y": y})})
        builder.save()
    _record(root, "tf1_main_op", "tf1", path, notes="main op sets scale=7 after restore")


def tf1_assets_vocab(root):
    """Hash tables from vocabulary files shipped as assets."""
    tf = _tf()
    v1 = tf.compat.v1
    vocab_dir = _tmp(root, "tf1_assets_vocab_src")
    os.makedirs(vocab_dir)
    vocab = os.path.join(vocab_dir, "vocab.txt")
    with open(vocab, "w") as f:
        f.write("\n".join(["apple", "banana", "cherry", "date", "elder"]) + "\n")
    notes = os.path.join(vocab_dir, "notes.txt")
    with open(notes, "w") as f:
        f.write("an asset read at run time\n")
    g, sess = _v1_graph()
    with g.as_default(), sess:
        words = v1.placeholder(tf.string, [None], name="words")
        ids_in = v1.placeholder(tf.int64, [None], name="ids")
        lines = tf.lookup.TextFileIndex
        to_id = v1.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
            vocab, tf.string, lines.WHOLE_LINE, tf.int64, lines.LINE_NUMBER), -1)
        to_word = v1.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
            vocab, tf.int64, lines.LINE_NUMBER, tf.string, lines.WHOLE_LINE), "UNK")
        if not v1.get_collection(v1.GraphKeys.ASSET_FILEPATHS):
            # Older TF put the vocabulary there itself; the builder copies
            # whatever the collection names into assets/.
            v1.add_to_collection(v1.GraphKeys.ASSET_FILEPATHS, tf.constant(vocab))
        ids = to_id.lookup(words)
        back = to_word.lookup(ids_in)
        notes_t = tf.constant(notes, name="notes_path")
        v1.add_to_collection(v1.GraphKeys.ASSET_FILEPATHS, notes_t)
        notes_len = tf.strings.length(tf.io.read_file(notes_t), name="notes_len")
        sess.run(v1.tables_initializer())
        path = _tmp(root, "tf1_assets_vocab")
        builder = v1.saved_model.Builder(path)
        p = v1.saved_model.predict_signature_def
        builder.add_meta_graph_and_variables(
            sess, ["serve"], main_op=v1.tables_initializer(),
            assets_collection=v1.get_collection(v1.GraphKeys.ASSET_FILEPATHS),
            signature_def_map={"word_to_id": p({"words": words}, {"ids": ids}),
                               "id_to_word": p({"ids": ids_in}, {"words": back}),
                               "asset_length": p({"words": words},
                                                 {"length": notes_len + 0 * tf.size(words)})})
        builder.save()
    _record(root, "tf1_assets_vocab", "tf1", path, custom_inputs={
        "word_to_id": {"words": np.array([b"cherry", b"apple", b"kiwi", b"elder"], dtype=object)},
        "id_to_word": {"ids": np.array([0, 4, 2, 9, -1], dtype=np.int64)},
        "asset_length": {"words": np.array([b"x"], dtype=object)}})


def tf1_sharded_partitioned(root):
    """Variables split by a partitioner, saved in two shards (two devices)."""
    tf = _tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    g.seed = SEED
    sess = v1.Session(graph=g, config=v1.ConfigProto(device_count={"CPU": 2}))
    with g.as_default(), sess:
        ids = v1.placeholder(tf.int64, [None], name="ids")
        x = v1.placeholder(tf.float32, [None, 4], name="x")
        with tf.device("/cpu:0"):
            emb = v1.get_variable("emb", [10, 4], partitioner=v1.fixed_size_partitioner(3),
                                  initializer=v1.random_normal_initializer(seed=3))
        with tf.device("/cpu:1"):
            w = v1.get_variable("w", [4, 6], partitioner=v1.fixed_size_partitioner(2, axis=1),
                                initializer=v1.random_normal_initializer(seed=4))
            b = v1.get_variable("b", [6], initializer=v1.constant_initializer(0.5))
        looked = v1.nn.embedding_lookup(emb, ids, partition_strategy="div")
        dense = tf.matmul(x, tf.concat(list(w), axis=1)) + b
        whole = tf.identity(emb.as_tensor(), name="emb_whole")
        sess.run(v1.global_variables_initializer())
        path = _tmp(root, "tf1_sharded_partitioned")
        p = v1.saved_model.predict_signature_def
        builder = v1.saved_model.Builder(path)
        builder.add_meta_graph_and_variables(
            sess, ["serve"], saver=v1.train.Saver(sharded=True),
            signature_def_map={"embed": p({"ids": ids}, {"vectors": looked}),
                               "dense": p({"x": x}, {"y": dense}),
                               "table": p({"ids": ids}, {"emb": whole + 0 * tf.cast(tf.size(ids), tf.float32)})})
        builder.save()
    shards = [f for f in os.listdir(os.path.join(path, "variables")) if ".data-" in f]
    _record(root, "tf1_sharded_partitioned", "tf1", path,
            custom_inputs={"embed": {"ids": np.array([0, 3, 9, 4, 4], dtype=np.int64)},
                           "table": {"ids": np.array([1], dtype=np.int64)}},
            notes="shards: %s" % sorted(shards))


def tf1_sharded(root):
    """Two shards without partitioning: the shard files alone."""
    tf = _tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    g.seed = SEED
    sess = v1.Session(graph=g, config=v1.ConfigProto(device_count={"CPU": 2}))
    with g.as_default(), sess:
        x = v1.placeholder(tf.float32, [None, 3], name="x")
        with tf.device("/cpu:0"):
            w = v1.get_variable("w", [3, 2], initializer=v1.random_normal_initializer(seed=7))
        with tf.device("/cpu:1"):
            b = v1.get_variable("b", [2], initializer=v1.random_normal_initializer(seed=8))
        y = tf.matmul(x, w) + b
        sess.run(v1.global_variables_initializer())
        path = _tmp(root, "tf1_sharded")
        builder = v1.saved_model.Builder(path)
        builder.add_meta_graph_and_variables(
            sess, ["serve"], saver=v1.train.Saver(sharded=True),
            signature_def_map={"serving_default": v1.saved_model.predict_signature_def(
                {"x": x}, {"y": y})})
        builder.save()
    shards = [f for f in os.listdir(os.path.join(path, "variables")) if ".data-" in f]
    _record(root, "tf1_sharded", "tf1", path, notes="shards: %s" % sorted(shards))


def tf1_control_flow(root):
    """tf.cond and tf.while_loop as TF1 builds them (Switch/Merge/Enter/Exit)."""
    tf = _tf()
    v1 = tf.compat.v1
    v1.disable_control_flow_v2()
    try:
        g, sess = _v1_graph()
        with g.as_default(), sess:
            x = v1.placeholder(tf.float32, [None], name="x")
            n = v1.placeholder(tf.int32, [], name="n")
            cond = tf.cond(tf.reduce_sum(x) > 0, lambda: x * 2.0, lambda: x - 1.0)
            _, grown = tf.while_loop(lambda i, v: i < n, lambda i, v: (i + 1, v * 1.5 + 1.0),
                                     [tf.constant(0), x])
            path = _tmp(root, "tf1_control_flow")
            p = v1.saved_model.predict_signature_def
            builder = v1.saved_model.Builder(path)
            builder.add_meta_graph_and_variables(
                sess, ["serve"],
                signature_def_map={"cond_pos": p({"x": x}, {"y": cond}),
                                   "cond_neg": p({"x": x}, {"y": cond}),
                                   "while": p({"x": x, "n": n}, {"y": grown})})
            builder.save()
    finally:
        v1.enable_control_flow_v2()
    _record(root, "tf1_control_flow", "tf1", path, custom_inputs={
        "cond_pos": {"x": np.array([1.0, 2.0, -0.5], np.float32)},
        "cond_neg": {"x": np.array([-1.0, 2.0, -3.5], np.float32)},
        "while": {"x": np.array([1.0, -2.0], np.float32), "n": np.array(4, np.int32)}})


def _examples(rows):
    tf = _tf()
    out = []
    for row in rows:
        feats = {}
        for k, v in row.items():
            if isinstance(v[0], float):
                feats[k] = tf.train.Feature(float_list=tf.train.FloatList(value=v))
            elif isinstance(v[0], int):
                feats[k] = tf.train.Feature(int64_list=tf.train.Int64List(value=v))
            else:
                feats[k] = tf.train.Feature(bytes_list=tf.train.BytesList(value=v))
        out.append(tf.train.Example(features=tf.train.Features(feature=feats))
                   .SerializeToString())
    return np.array(out, dtype=object)


EXAMPLE_ROWS = [{"x": [1.0, 2.0], "k": [3]}, {"x": [-0.5, 0.25], "k": [1]},
                {"x": [0.0, 4.0]}]  # the last one leans on k's default


def tf1_examples(root):
    """classify / regress / predict signatures over serialized tf.Examples."""
    tf = _tf()
    v1 = tf.compat.v1
    sd = v1.saved_model
    g, sess = _v1_graph()
    with g.as_default(), sess:
        serialized = v1.placeholder(tf.string, [None], name="input_example_tensor")
        feats = v1.io.parse_example(serialized, {
            "x": v1.io.FixedLenFeature([2], tf.float32),
            "k": v1.io.FixedLenFeature([1], tf.int64, default_value=[0])})
        w = v1.get_variable("w", [3, 3], initializer=v1.random_normal_initializer(seed=5))
        inp = tf.concat([feats["x"], tf.cast(feats["k"], tf.float32)], axis=1)
        logits = tf.matmul(inp, w)
        scores = tf.nn.softmax(logits)
        classes = tf.tile(tf.constant([[b"red", b"green", b"blue"]]), [tf.shape(inp)[0], 1])
        value = tf.reduce_sum(logits, axis=1, keepdims=True)
        sess.run(v1.global_variables_initializer())
        path = _tmp(root, "tf1_examples")
        builder = v1.saved_model.Builder(path)
        builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={
            "serving_default": sd.classification_signature_def(serialized, classes, scores),
            "classify": sd.classification_signature_def(serialized, classes, scores),
            "regress": sd.regression_signature_def(serialized, value),
            "predict": sd.predict_signature_def({"examples": serialized},
                                                {"scores": scores, "x": feats["x"]})})
        builder.save()
    ex = _examples(EXAMPLE_ROWS)
    examples_json = "inputs=" + json.dumps(EXAMPLE_ROWS)
    _record(root, "tf1_examples", "tf1", path,
            custom_inputs={"serving_default": {"inputs": ex}, "classify": {"inputs": ex},
                           "regress": {"inputs": ex}, "predict": {"examples": ex}},
            extra_runs=[(["serve"], "regress", examples_json, {"inputs": ex}),
                        (["serve"], "classify", examples_json, {"inputs": ex})])


def tf1_estimator_like(root):
    """tf.estimator is gone from TF 2.21 (no tf.estimator, no
    tensorflow_estimator package), so this rebuilds by hand what an
    Estimator's export_saved_model wrote: a global_step, an example-parsing
    receiver, a linear head, 'serving_default' + 'classification' +
    'regression' + 'predict' signatures, and a legacy init op."""
    tf = _tf()
    v1 = tf.compat.v1
    sd = v1.saved_model
    g, sess = _v1_graph()
    with g.as_default(), sess:
        step = v1.train.get_or_create_global_step()
        serialized = v1.placeholder(tf.string, [None], name="input_example_tensor")
        feats = v1.io.parse_example(serialized, {"x": v1.io.FixedLenFeature([2], tf.float32)})
        with v1.variable_scope("linear"):
            w = v1.get_variable("weights", [2, 1], initializer=v1.random_normal_initializer(seed=6))
            b = v1.get_variable("bias", [1], initializer=v1.constant_initializer(0.1))
        logit = tf.matmul(feats["x"], w) + b
        prob = tf.sigmoid(logit)
        probs = tf.concat([1.0 - prob, prob], axis=1, name="probabilities")
        classes = tf.tile(tf.constant([[b"0", b"1"]]), [tf.shape(prob)[0], 1])
        class_ids = tf.argmax(probs, axis=1, name="class_ids")
        sess.run(v1.global_variables_initializer())
        sess.run(v1.assign(step, 1000))
        path = _tmp(root, "tf1_estimator_like")
        builder = v1.saved_model.Builder(path)
        cls = sd.classification_signature_def(serialized, classes, probs)
        builder.add_meta_graph_and_variables(
            sess, ["serve"], legacy_init_op=tf.group(v1.local_variables_initializer(),
                                                     v1.tables_initializer()),
            signature_def_map={
                "serving_default": cls, "classification": cls,
                "regression": sd.regression_signature_def(serialized, prob),
                "predict": sd.predict_signature_def(
                    {"examples": serialized},
                    {"logits": logit, "probabilities": probs, "class_ids": class_ids})})
        builder.save()
    ex = _examples([{"x": [1.0, 2.0]}, {"x": [-3.0, 0.5]}])
    _record(root, "tf1_estimator_like", "tf1", path,
            custom_inputs={k: {"inputs": ex} for k in ("serving_default", "classification",
                                                       "regression")} |
            {"predict": {"examples": ex}},
            notes="tf.estimator is not available in TF 2.21; hand-built equivalent")


# ---------------------------------------------------------------- TF2 style

def tf2_module(root):
    tf = _tf()
    tf.random.set_seed(SEED)

    class Inner(tf.Module):
        @tf.function
        def square_plus(self, x):
            return x * x + 1.0

    class M(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(tf.random.stateless_normal([3, 2], seed=[1, 2]), name="w")
            self.b = tf.Variable([0.5, -0.5], name="b")
            self.inner = Inner()
            self.table = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(
                    tf.constant(["cat", "dog", "bird"]), tf.constant([1, 2, 3], tf.int64)), -1)

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def affine(self, x):
            return {"y": tf.matmul(x, self.w) + self.b}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def cond(self, x):
            return {"y": tf.cond(tf.reduce_sum(x) > 0, lambda: x * 2.0, lambda: -x)}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32),
                                      tf.TensorSpec([], tf.int32)])
        def loop(self, x, n):
            i = tf.constant(0)
            while i < n:  # autograph: a While op
                x = x * 1.5 + 1.0
                i += 1
            return {"y": x}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def strings(self, s):
            return {"upper": tf.strings.upper(s),
                    "joined": tf.strings.join([s, tf.constant("!")], separator="-"),
                    "length": tf.strings.length(s),
                    "prefix": tf.strings.substr(s, 0, 2)}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def lookup(self, s):
            return {"ids": self.table.lookup(s)}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def nested(self, x):
            return {"y": self.inner.square_plus(self.inner.square_plus(x))}

    m = M()
    path = _tmp(root, "tf2_module")
    sigs = {k: getattr(m, k) for k in ("affine", "cond", "loop", "strings", "lookup", "nested")}
    sigs["serving_default"] = m.affine
    tf.saved_model.save(m, path, signatures=sigs)
    _record(root, "tf2_module", "tf2", path, custom_inputs={
        "cond": {"x": np.array([1.0, -2.0, 3.0], np.float32)},
        "loop": {"x": np.array([1.0, -2.0], np.float32), "n": np.array(3, np.int32)},
        "strings": {"s": np.array([b"hello", b"tf", b"x"], dtype=object)},
        "lookup": {"s": np.array([b"dog", b"fish", b"cat"], dtype=object)}})


def _keras3_mlp():
    import keras
    keras.utils.set_random_seed(SEED)
    inputs = keras.Input((4,), name="features")
    h = keras.layers.Dense(8, activation="relu")(inputs)
    out = keras.layers.Dense(3, activation="softmax")(h)
    return keras.Model(inputs, out)


def keras3_export(root):
    path = _tmp(root, "keras3_export")
    _keras3_mlp().export(path, format="tf_saved_model", verbose=False)
    _record(root, "keras3_export", "keras3", path)


def keras3_tf_saved_model_save(root):
    tf = _tf()
    path = _tmp(root, "keras3_tf_saved_model_save")
    tf.saved_model.save(_keras3_mlp(), path)
    _record(root, "keras3_tf_saved_model_save", "keras3", path)


def tf_keras_save_tf(root):
    import tf_keras
    tf_keras.utils.set_random_seed(SEED)
    model = tf_keras.Sequential([
        tf_keras.layers.Input((4,), name="features"),
        tf_keras.layers.Dense(8, activation="tanh"),
        tf_keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    path = _tmp(root, "tf_keras_save_tf")
    model.save(path, save_format="tf")
    _record(root, "tf_keras_save_tf", "tf_keras", path)


def _keras_layer_cases():
    """(name, input shape without batch, input dtype, layer factory, custom input)."""
    import keras
    L = keras.layers
    rng = np.random.default_rng(SEED)
    words = np.array([[b"the cat sat"], [b"a dog ran far"]], dtype=object)
    cases = [
        ("dense", (5,), "float32", lambda: L.Dense(3), None),
        ("conv1d", (8, 2), "float32", lambda: L.Conv1D(3, 3, padding="same"), None),
        ("conv2d", (6, 6, 2), "float32", lambda: L.Conv2D(3, 3, strides=2), None),
        ("conv3d", (4, 4, 4, 1), "float32", lambda: L.Conv3D(2, 2), None),
        ("conv2d_transpose", (4, 4, 2), "float32", lambda: L.Conv2DTranspose(3, 3, strides=2), None),
        ("depthwise_conv2d", (5, 5, 3), "float32", lambda: L.DepthwiseConv2D(3, padding="same"), None),
        ("separable_conv2d", (5, 5, 3), "float32", lambda: L.SeparableConv2D(4, 3), None),
        ("max_pooling2d", (6, 6, 2), "float32", lambda: L.MaxPooling2D(2), None),
        ("average_pooling2d", (6, 6, 2), "float32", lambda: L.AveragePooling2D(2), None),
        ("max_pooling1d", (8, 2), "float32", lambda: L.MaxPooling1D(2), None),
        ("global_average_pooling2d", (4, 4, 3), "float32", lambda: L.GlobalAveragePooling2D(), None),
        ("batch_normalization", (4,), "float32", lambda: L.BatchNormalization(), None),
        ("layer_normalization", (6,), "float32", lambda: L.LayerNormalization(), None),
        ("dropout", (5,), "float32", lambda: L.Dropout(0.5), None),
        ("embedding", (3,), "int32", lambda: L.Embedding(10, 4),
         rng.integers(0, 10, size=(BATCH, 3)).astype(np.int32)),
        ("lstm", (5, 3), "float32", lambda: L.LSTM(4), None),
        ("gru", (5, 3), "float32", lambda: L.GRU(4), None),
        ("simple_rnn", (5, 3), "float32", lambda: L.SimpleRNN(4), None),
        ("bidirectional_lstm", (5, 3), "float32", lambda: L.Bidirectional(L.LSTM(3)), None),
        ("rescaling", (4, 4, 3), "float32", lambda: L.Rescaling(1 / 255.0, offset=-0.5), None),
        ("resizing", (4, 4, 3), "float32", lambda: L.Resizing(6, 8), None),
        ("string_lookup", (3,), "string",
         lambda: L.StringLookup(vocabulary=["cat", "dog", "bird"]),
         np.array([[b"dog", b"cat", b"fish"], [b"bird", b"x", b"dog"]], dtype=object)),
        ("text_vectorization", (1,), "string",
         lambda: L.TextVectorization(max_tokens=10, output_sequence_length=4,
                                     vocabulary=["the", "cat", "dog", "sat"]),
         words),
    ]
    for act in ("relu", "relu6", "elu", "selu", "leaky_relu", "softplus", "softsign",
                "gelu", "swish"):
        cases.append(("activation_" + act, (6,), "float32",
                      (lambda a: lambda: L.Activation(a))(act), None))
    return cases


def keras_layers(root):
    import keras
    for name, shape, dtype, make, custom in _keras_layer_cases():
        keras.utils.set_random_seed(SEED)
        inputs = keras.Input(shape, dtype=dtype, name="x")
        out = make()(inputs)
        if name == "batch_normalization":
            # Fresh moving stats are 0/1: make them non-trivial so inference
            # actually normalizes.
            layer = keras.Model(inputs, out).layers[-1]
            layer.moving_mean.assign(np.linspace(-1, 1, 4).astype(np.float32))
            layer.moving_variance.assign(np.linspace(0.5, 2, 4).astype(np.float32))
        model = keras.Model(inputs, out)
        path = _tmp(root, "keras_" + name)
        model.export(path, format="tf_saved_model", verbose=False)
        ci = None
        if custom is not None:
            ci = {"serve": {"x": custom}, "serving_default": {"x": custom}}
        _record(root, "keras_" + name, "keras_layer", path, custom_inputs=ci)
    # MultiHeadAttention needs two inputs (query, value).
    keras.utils.set_random_seed(SEED)
    q = keras.Input((3, 4), name="query")
    v = keras.Input((5, 4), name="value")
    out = keras.layers.MultiHeadAttention(num_heads=2, key_dim=2)(q, v)
    path = _tmp(root, "keras_multi_head_attention")
    keras.Model([q, v], out).export(path, format="tf_saved_model", verbose=False)
    _record(root, "keras_multi_head_attention", "keras_layer", path)


GENERATORS = [tf1_simple_save, tf1_builder_multi_meta, tf1_main_op, tf1_assets_vocab,
              tf1_sharded, tf1_sharded_partitioned, tf1_control_flow,
              tf1_examples, tf1_estimator_like,
              tf2_module, keras3_export, keras3_tf_saved_model_save, tf_keras_save_tf,
              keras_layers]


def generate(root):
    import time
    np.random.seed(SEED)
    timings = {}
    for gen in GENERATORS:
        t = time.time()
        gen(root)
        timings[gen.__name__] = round(time.time() - t, 2)
    shutil.rmtree(os.path.join(root, ".tmp"), ignore_errors=True)
    with open(os.path.join(root, "timings.json"), "w") as f:
        json.dump(timings, f, indent=1)


if __name__ == "__main__":
    import sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    out = sys.argv[1] if len(sys.argv) > 1 else ensure()
    if len(sys.argv) > 1:
        os.makedirs(out, exist_ok=True)
        names = sys.argv[2:]
        for gen in GENERATORS:
            if not names or gen.__name__ in names:
                gen(out)
    print(out)
