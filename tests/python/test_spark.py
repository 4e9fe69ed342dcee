"""savedmodel.spark.predict_udf on PySpark local[2]: the Fashion-MNIST test set,
written to Parquet, scored by the tutorial's export inside Spark and compared
row by row with savedmodel scoring the same images in this process; the
accuracy also matches the one the CLI's trainer printed for that export."""
import gzip
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (scripts/test-python installs it)")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

import savedmodel  # noqa: E402
from savedmodel import errors  # noqa: E402

# PySpark 4.3 warns that it has not been validated against pandas 3; the
# conversions used here (numeric and array<float> columns) are checked below.
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.environ.get("SAVEDMODEL_FASHION_MNIST", "/usr/share/datasets/fashion-mnist")
HALF_PLUS_TWO = os.path.join(ROOT, "..", "shared", "testdata", "tf_serving",
                             "saved_model_half_plus_two_cpu", "00000123")


def _build_dir():
    build = os.environ.get("BUILD_DIR", "build")
    return build if os.path.isabs(build) else os.path.join(ROOT, build)


def _read_idx(path):
    """An IDX file (MNIST's format): magic 0x0000 <type 0x08 = uint8> <rank>,
    then big-endian uint32 dims, then the bytes."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if raw[:2] != b"\0\0" or raw[2] != 8:
        raise ValueError("%s: not a uint8 IDX file" % path)
    rank = raw[3]
    dims = np.frombuffer(raw, dtype=">u4", count=rank, offset=4).astype(np.int64)
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def _find(name):
    for candidate in (name + ".gz", name):
        path = os.path.join(DATA, candidate)
        if os.path.exists(path):
            return path
    return None


def _java_home():
    if os.environ.get("JAVA_HOME"):
        return os.environ["JAVA_HOME"]
    java = shutil.which("java")
    if not java:
        return None
    # /usr/lib/jvm/java-17-openjdk-amd64/bin/java -> /usr/lib/jvm/java-17-openjdk-amd64
    return os.path.dirname(os.path.dirname(os.path.realpath(java)))


@pytest.fixture(scope="module")
def fashion_test_set():
    images, labels = _find("t10k-images-idx3-ubyte"), _find("t10k-labels-idx1-ubyte")
    if not images or not labels:
        pytest.skip("no Fashion-MNIST test set in %s (Debian's dataset-fashion-mnist)" % DATA)
    x = _read_idx(images).reshape(-1, 784).astype(np.float32) / np.float32(255)
    y = _read_idx(labels).astype(np.int64)
    assert x.shape == (10000, 784) and y.shape == (10000,)
    return x, y


@pytest.fixture(scope="module")
def tutorial_export(tmp_path_factory, fashion_test_set):
    cli = os.path.join(_build_dir(), "savedmodel")
    if not os.path.exists(cli):
        pytest.skip("no %s to export the tutorial model (run scripts/setup)" % cli)
    export = str(tmp_path_factory.mktemp("tutorial") / "model")
    out = subprocess.run([cli, "train", "mnist-softmax", "--data", DATA, "--steps", "200",
                          "--seed", "1", "--export", export],
                         capture_output=True, text=True, check=True).stdout
    accuracy = float(re.search(r"test accuracy: ([0-9.]+)", out).group(1))
    return export, accuracy


@pytest.fixture(scope="module")
def spark():
    java_home = _java_home()
    if not java_home:
        pytest.skip("no java on PATH (scripts/test-python installs openjdk-17-jre-headless)")
    os.environ["JAVA_HOME"] = java_home
    # Executors' Python workers must import the same savedmodel as this process.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("savedmodel-test")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               # Several Arrow batches per task, to score through the cached model repeatedly.
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", "1000")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def images_parquet(tmp_path_factory, fashion_test_set):
    """The 10000 test images as Parquet: id (bigint), image (array<float>, 784
    values), in four files so that Spark runs several tasks."""
    x, _ = fashion_test_set
    directory = tmp_path_factory.mktemp("parquet") / "images"
    directory.mkdir()
    for part, rows in enumerate(np.array_split(np.arange(len(x)), 4)):
        offsets = pa.array(np.arange(len(rows) + 1, dtype=np.int32) * 784)
        image = pa.ListArray.from_arrays(offsets, pa.array(x[rows].reshape(-1)))
        table = pa.table({"id": pa.array(rows.astype(np.int64)), "image": image})
        pq.write_table(table, str(directory / ("part-%d.parquet" % part)))
    return str(directory)


def test_scores_every_image_as_the_single_process_model_does(spark, tutorial_export,
                                                             images_parquet, fashion_test_set):
    from savedmodel.spark import predict_udf

    export, cli_accuracy = tutorial_export
    x, labels = fashion_test_set
    expected = savedmodel.load(export).signatures["predict"](myInput=x)["myOutput"]
    assert expected.shape == (10000, 10)

    predict = predict_udf(export, signature="predict", batch_size=256)
    df = spark.read.parquet(images_parquet)
    assert df.rdd.getNumPartitions() >= 2
    rows = df.select("id", predict("image").alias("scores")).collect()

    assert len(rows) == 10000
    ids = np.array([r["id"] for r in rows])
    scores = np.array([r["scores"] for r in rows], dtype=np.float32)
    order = np.argsort(ids)
    assert np.array_equal(ids[order], np.arange(10000))
    scores = scores[order]
    assert scores.shape == (10000, 10)
    np.testing.assert_allclose(scores, expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(scores.sum(axis=1), 1.0, atol=1e-5)  # softmax rows
    predicted = scores.argmax(axis=1)
    assert np.array_equal(predicted, expected.argmax(axis=1))
    # The trainer printed its own test accuracy (its graph's ArgMax/Equal/Mean
    # over the same 10000 images); Spark's predictions give the same number.
    assert abs(float(np.mean(predicted == labels)) - cli_accuracy) < 1e-4
    assert 0.6 < cli_accuracy < 0.9


def test_each_worker_process_loads_the_model_once(spark, tutorial_export, images_parquet):
    from savedmodel.spark import predict_udf

    export, _ = tutorial_export
    predict = predict_udf(export, signature="predict")
    # Eight tasks on two cores: the two Python workers run several tasks each.
    df = spark.read.parquet(images_parquet).repartition(8)
    assert df.select(predict("image").alias("s")).count() == 10000
    df.select(predict("image").alias("s")).write.format("noop").mode("overwrite").save()

    def report(batches):
        import pandas as pd
        import savedmodel.spark as s
        for _ in batches:
            pass
        yield pd.DataFrame({"pid": [os.getpid()], "loads": [s._loads],
                            "cached": [len(s._MODELS)]})

    reports = (spark.range(0, 8, numPartitions=8)
               .mapInPandas(report, "pid long, loads long, cached long").collect())
    by_pid = {r["pid"]: (r["loads"], r["cached"]) for r in reports}
    used = {pid: v for pid, v in by_pid.items() if v[0] > 0}
    # Workers are reused across jobs, so the ones that scored are still there
    # with their model, which they loaded exactly once for all their tasks.
    assert used, "no worker still holds the model: %r" % by_pid
    assert all(v == (1, 1) for v in used.values()), by_pid


def test_scalar_column_feeds_a_batch_by_one_input(spark):
    if not os.path.isdir(HALF_PLUS_TWO):
        pytest.skip("no %s (../shared/testdata is absent)" % HALF_PLUS_TWO)
    from savedmodel.spark import predict_udf

    predict = predict_udf(HALF_PLUS_TWO)  # serving_default: x [-1, 1] -> y [-1, 1]
    df = spark.createDataFrame([(i, float(v)) for i, v in enumerate([1.0, 2.0, 5.0, -4.0, 0.25])],
                               "id long, x double")
    out = df.select("id", predict("x").alias("y")).orderBy("id").collect()
    # one value per row comes back as a scalar float column: 0.5 * x + 2
    assert df.select(predict("x").alias("y")).schema["y"].dataType.simpleString() == "float"
    assert [r["y"] for r in out] == [2.5, 3.0, 4.5, 0.0, 2.125]


def test_nested_arrays_and_one_value_per_row(spark, tmp_path):
    """array<array<double>> rows feed a [-1, 2, 2] input; a [batch] output
    becomes a scalar double column."""
    from savedmodel import dtypes
    from savedmodel.spark import predict_udf

    b = savedmodel.GraphBuilder()
    x = b.add_op("Placeholder", attrs={"dtype": dtypes.float64, "shape": [-1, 2, 2]}, name="x")[0][0]
    axes = b.add_op("Const", attrs={"dtype": dtypes.int32, "value": np.array([1, 2], np.int32)},
                    name="axes")[0][0]
    weights = b.add_op("Const", attrs={"dtype": dtypes.float64,
                                       "value": np.array([[1, 10], [100, 1000]], np.float64)},
                       name="weights")[0][0]
    total = b.add_op("Sum", [b.add_op("Mul", [x, weights])[0][0], axes], name="total")[0][0]
    export = str(tmp_path / "weighted_sum")
    savedmodel.simple_save(savedmodel.Session(b), b, export, {"x": x}, {"total": total})

    rows = [(i, [[float(i), 1.0], [2.0, float(-i)]]) for i in range(7)]
    df = spark.createDataFrame(rows, "id long, m array<array<double>>")
    predict = predict_udf(export)
    out = df.select("id", predict("m").alias("total"))
    assert out.schema["total"].dataType.simpleString() == "double"
    got = {r["id"]: r["total"] for r in out.collect()}
    # i*1 + 1*10 + 2*100 + (-i)*1000, exactly
    assert got == {i: i + 10 + 200 - 1000 * i for i in range(7)}


def test_arguments_are_checked_on_the_driver(tutorial_export):
    from savedmodel.spark import predict_udf

    export, _ = tutorial_export
    with pytest.raises(errors.NotFoundError, match="no signature 'serving_default'.*predict"):
        predict_udf(export)
    with pytest.raises(ValueError, match="no input 'image'.*myInput"):
        predict_udf(export, signature="predict", input_columns=["image"])
    with pytest.raises(ValueError, match="no output 'scores'.*myOutput"):
        predict_udf(export, signature="predict", output="scores")
    with pytest.raises(ValueError, match="batch_size"):
        predict_udf(export, signature="predict", batch_size=0)
    with pytest.raises(errors.NotFoundError):
        predict_udf(os.path.join(export, "missing"), signature="predict")


def test_bad_rows_fail_the_job_with_the_reason(spark, tutorial_export):
    from pyspark.errors import PythonException
    from savedmodel.spark import predict_udf

    export, _ = tutorial_export
    predict = predict_udf(export, signature="predict")
    df = spark.createDataFrame([(0, [0.5] * 784), (1, [0.5] * 10)],
                               "id long, image array<float>").coalesce(1)  # one batch
    with pytest.raises(PythonException, match="rows of different lengths"):
        df.select(predict("image")).collect()
    short = spark.createDataFrame([(0, [0.5] * 10)], "id long, image array<float>")
    with pytest.raises(PythonException, match=r"10 values per row.*\[-1, 784\]"):
        short.select(predict("image")).collect()
    two = spark.createDataFrame([(0, [0.5] * 784, 1.0)], "id long, image array<float>, z double")
    with pytest.raises(PythonException, match="takes 1 input column"):
        two.select(predict("image", "z")).collect()
