"""Writes the tutorial's export with TensorFlow (TF1 builder, tag serve,
myInput -> softmax(x W + b) -> myOutput), with fixed non-zero weights so the
outputs say something; used by the C program test. Usage: DIR."""
import sys

import numpy as np
import tensorflow as tf

tf1 = tf.compat.v1
out = sys.argv[1]
rng = np.random.default_rng(7)
w = rng.normal(0, 0.05, (784, 10)).astype(np.float32)
b = rng.normal(0, 0.1, (10,)).astype(np.float32)
with tf.Graph().as_default() as g, tf1.Session(graph=g) as sess:
    x = tf1.placeholder(tf.float32, [None, 784], name="myInput")
    W = tf1.Variable(w, name="W")
    B = tf1.Variable(b, name="b")
    y = tf.identity(tf.nn.softmax(tf.matmul(x, W) + B), name="myOutput")
    sess.run(tf1.global_variables_initializer())
    builder = tf1.saved_model.Builder(out)
    sig = tf1.saved_model.predict_signature_def({"myInput": x}, {"myOutput": y})
    builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={"predict": sig})
    builder.save()
