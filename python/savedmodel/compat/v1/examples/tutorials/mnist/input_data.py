"""The TF 1.x tutorial's MNIST reader (tensorflow.examples.tutorials.mnist.input_data).

Reads MNIST-format IDX files (MNIST digits, Fashion-MNIST, ...) from a
directory and serves batches with TF 1.x's DataSet semantics, so the tutorial
trains on the same batches here as it did with TensorFlow.

This file imports only the standard library and NumPy: the comparison with real
TensorFlow (tests/python/test_seed_tutorial.py) loads it by path into the
TensorFlow process as `tensorflow.examples.tutorials.mnist.input_data`, which
TensorFlow 2 no longer ships, so both runs read identical batches.

Differences from TF 1.x, on purpose:
- Nothing is downloaded. Missing files raise FileNotFoundError naming them and
  Debian's dataset-fashion-mnist package.
- Files may be gzipped ("name.gz") or not ("name").
- With seed=None, NumPy's global RNG is left as it is. TF 1.x reseeded it from
  the operating system here (numpy.random.seed(None)), discarding any
  np.random.seed the program made before, so no run could be repeated.
"""
import collections
import gzip
import os

import numpy

__all__ = ["DataSet", "Datasets", "read_data_sets", "extract_images", "extract_labels",
           "dense_to_one_hot"]

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
_FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)

# The IDX magic numbers: 0x08 (unsigned byte data) and the number of dimensions.
_IMAGES_MAGIC = 2051
_LABELS_MAGIC = 2049

DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"

Datasets = collections.namedtuple("Datasets", ["train", "validation", "test"])


def _read_idx(path, magic, rank):
    """The uint8 array an IDX file holds, its header checked against its size."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:  # gzip.BadGzipFile is an OSError
        raise ValueError("%s: cannot read it as %s: %s" % (
            path, "a gzip file" if path.endswith(".gz") else "a file", e)) from None
    if len(raw) < 4:
        raise ValueError("%s: %d bytes, too short for an IDX header" % (path, len(raw)))
    got = int.from_bytes(raw[:4], "big")
    if got != magic:
        raise ValueError("Invalid magic number %d in MNIST %s file: %s (expected %d)" % (
            got, "image" if magic == _IMAGES_MAGIC else "label", path, magic))
    header = 4 + 4 * rank
    if len(raw) < header:
        raise ValueError("%s: %d bytes, too short for the %d dimensions its header announces" % (
            path, len(raw), rank))
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    size = 1
    for d in dims:
        size *= d
    if len(raw) - header != size:
        raise ValueError("%s: header says %s (%d bytes of data) but the file holds %d" % (
            path, "x".join(map(str, dims)), size, len(raw) - header))
    return numpy.frombuffer(raw, numpy.uint8, offset=header).reshape(dims)


def extract_images(path):
    """uint8 images [index, y, x, depth=1] from an IDX3 file."""
    data = _read_idx(path, _IMAGES_MAGIC, 3)
    return data.reshape(data.shape + (1,))


def dense_to_one_hot(labels_dense, num_classes):
    """Class labels to one-hot rows (float64, as TF 1.x made them)."""
    labels_dense = numpy.asarray(labels_dense)
    if labels_dense.size and (labels_dense.min() < 0 or labels_dense.max() >= num_classes):
        raise ValueError("labels outside [0, %d): min %d, max %d" % (
            num_classes, labels_dense.min(), labels_dense.max()))
    one_hot = numpy.zeros((labels_dense.shape[0], num_classes))
    one_hot[numpy.arange(labels_dense.shape[0]), labels_dense.ravel()] = 1
    return one_hot


def extract_labels(path, one_hot=False, num_classes=10):
    """uint8 labels [index] from an IDX1 file, or one-hot rows."""
    labels = _read_idx(path, _LABELS_MAGIC, 1)
    if one_hot:
        try:
            return dense_to_one_hot(labels, num_classes)
        except ValueError as e:
            raise ValueError("%s: %s" % (path, e)) from None
    return labels


def _numpy_dtype(dtype):
    # A TensorFlow DType (ours or TensorFlow's), a NumPy type or a name.
    np_type = getattr(dtype, "as_numpy_dtype", dtype)
    try:
        return numpy.dtype(np_type)
    except TypeError:
        raise TypeError("Invalid image dtype %r, expected uint8 or float32" % (dtype,)) from None


class DataSet:
    """Images and labels served in batches, reshuffled at each epoch."""

    def __init__(self, images, labels, fake_data=False, one_hot=False, dtype=numpy.float32,
                 reshape=True, seed=None):
        if seed is not None:
            numpy.random.seed(seed)
        dtype = _numpy_dtype(dtype)
        if dtype not in (numpy.dtype(numpy.uint8), numpy.dtype(numpy.float32)):
            raise TypeError("Invalid image dtype %r, expected uint8 or float32" % (dtype,))
        if fake_data:
            self._num_examples = 10000
            self.one_hot = one_hot
        else:
            images = numpy.asarray(images)
            labels = numpy.asarray(labels)
            if images.shape[:1] != labels.shape[:1]:
                raise ValueError("images.shape: %s labels.shape: %s" % (images.shape, labels.shape))
            self._num_examples = images.shape[0]
            if reshape:
                if images.ndim != 4 or images.shape[3] != 1:
                    raise ValueError("reshape=True needs images of shape [N, rows, cols, 1], got %s" %
                                     (images.shape,))
                images = images.reshape(images.shape[0], images.shape[1] * images.shape[2])
            if dtype == numpy.float32:
                # [0, 255] -> [0.0, 1.0], multiplying by 1/255 in float32 as TF 1.x did
                # (dividing by 255 rounds differently in the last bit).
                images = numpy.multiply(images.astype(numpy.float32), 1.0 / 255.0)
        self._images = images
        self._labels = labels
        self._epochs_completed = 0
        self._index_in_epoch = 0

    @property
    def images(self):
        return self._images

    @property
    def labels(self):
        return self._labels

    @property
    def num_examples(self):
        return self._num_examples

    @property
    def epochs_completed(self):
        return self._epochs_completed

    def _shuffle(self):
        perm = numpy.arange(self._num_examples)
        numpy.random.shuffle(perm)
        self._images = self._images[perm]
        self._labels = self._labels[perm]

    def next_batch(self, batch_size, fake_data=False, shuffle=True):
        """The next `batch_size` examples. An epoch's last batch is completed with
        the start of the next (reshuffled) epoch, so every batch is full."""
        if fake_data:
            fake_image = [1] * 784
            fake_label = [1] + [0] * 9 if self.one_hot else 0
            return [fake_image] * batch_size, [fake_label] * batch_size
        batch_size = int(batch_size)
        if batch_size < 0:
            raise ValueError("batch_size must be >= 0, got %d" % batch_size)
        if batch_size > self._num_examples:
            # TF 1.x would return a short batch made of two epochs' pieces here
            # and lose track of its position; refuse instead.
            raise ValueError("batch_size %d is larger than the %d examples" % (batch_size, self._num_examples))
        start = self._index_in_epoch
        if self._epochs_completed == 0 and start == 0 and shuffle:
            self._shuffle()
        if start + batch_size > self._num_examples:
            self._epochs_completed += 1
            images_rest = self._images[start:self._num_examples]
            labels_rest = self._labels[start:self._num_examples]
            if shuffle:
                self._shuffle()
            self._index_in_epoch = batch_size - (self._num_examples - start)
            end = self._index_in_epoch
            return (numpy.concatenate((images_rest, self._images[:end]), axis=0),
                    numpy.concatenate((labels_rest, self._labels[:end]), axis=0))
        self._index_in_epoch += batch_size
        return self._images[start:self._index_in_epoch], self._labels[start:self._index_in_epoch]


def _find(train_dir, name):
    for candidate in (name + ".gz", name):
        path = os.path.join(train_dir, candidate)
        if os.path.isfile(path):
            return path
    return None


def read_data_sets(train_dir, fake_data=False, one_hot=False, dtype=numpy.float32, reshape=True,
                   validation_size=5000, seed=None, source_url=None):
    """Datasets(train, validation, test) from the IDX files in `train_dir`; the
    first `validation_size` training examples become the validation set.
    `source_url` is accepted for TF 1.x's signature; nothing is downloaded."""
    if fake_data:
        def fake():
            return DataSet([], [], fake_data=True, one_hot=one_hot, dtype=dtype, seed=seed)
        return Datasets(train=fake(), validation=fake(), test=fake())

    train_dir = os.fspath(train_dir)
    paths = {name: _find(train_dir, name) for name in _FILES}
    missing = [name for name in _FILES if paths[name] is None]
    if missing:
        raise FileNotFoundError(
            "MNIST data not found in %r: missing %s (each may be gzipped, NAME.gz). "
            "Nothing is downloaded; Fashion-MNIST in this format comes with Debian's "
            "dataset-fashion-mnist package (apt-get install dataset-fashion-mnist), "
            "in %s." % (train_dir, ", ".join(missing), DEBIAN_DIR))

    train_images = extract_images(paths[TRAIN_IMAGES])
    train_labels = extract_labels(paths[TRAIN_LABELS], one_hot=one_hot)
    test_images = extract_images(paths[TEST_IMAGES])
    test_labels = extract_labels(paths[TEST_LABELS], one_hot=one_hot)
    for images, labels, i, l in ((train_images, train_labels, TRAIN_IMAGES, TRAIN_LABELS),
                                 (test_images, test_labels, TEST_IMAGES, TEST_LABELS)):
        if images.shape[0] != labels.shape[0]:
            raise ValueError("%s holds %d images but %s holds %d labels" % (
                paths[i], images.shape[0], paths[l], labels.shape[0]))

    if not 0 <= validation_size <= len(train_images):
        raise ValueError("Validation size should be between 0 and %d. Received: %s." % (
            len(train_images), validation_size))
    validation_images = train_images[:validation_size]
    validation_labels = train_labels[:validation_size]
    train_images = train_images[validation_size:]
    train_labels = train_labels[validation_size:]

    options = dict(dtype=dtype, reshape=reshape, seed=seed)
    train = DataSet(train_images, train_labels, **options)
    validation = DataSet(validation_images, validation_labels, **options)
    test = DataSet(test_images, test_labels, **options)
    return Datasets(train=train, validation=validation, test=test)
