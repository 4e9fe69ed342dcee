"""Writes the benchmark's Keras MLP (784-512-512-10, ReLU, softmax) as a
SavedModel with Keras 3's model.export(): signature serving_default, input
"pixels". Run by bench/python/bench.py with TensorFlow's venv; weights come
from a fixed seed, so every run writes the same model.

    make_keras_mlp.py EXPORT_DIR
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402


def main(export_dir):
    keras.utils.set_random_seed(1234)
    model = keras.Sequential([
        keras.Input(shape=(784,), name="pixels"),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.export(export_dir, verbose=False)


if __name__ == "__main__":
    main(sys.argv[1])
