# The seed's loading code: a fresh session over a new graph, the model loaded
# by tag, its input and output found by tensor name, predictions for test
# images. Transcribed unchanged except for the import lines and the
# parameters read from the environment; launch.py runs this same text with
# TensorFlow.
import json
import os

import savedmodel.compat.v1 as tf
from savedmodel.compat.v1.examples.tutorials.mnist import input_data
from savedmodel.compat.v1.saved_model import tag_constants

DATA_DIR = os.environ["DATA_DIR"]
LOAD_DIR = os.environ["LOAD_DIR"]
OUT = os.environ["OUT"]
NUM_IMAGES = int(os.environ.get("NUM_IMAGES", "1000"))

mnist = input_data.read_data_sets(DATA_DIR, one_hot=True)

with tf.Session(graph=tf.Graph()) as sess:
    tf.saved_model.loader.load(sess, [tag_constants.SERVING], LOAD_DIR)
    graph = tf.get_default_graph()
    x = graph.get_tensor_by_name("myInput:0")
    model = graph.get_tensor_by_name("myOutput:0")

    batch_xs, batch_ys = mnist.test.next_batch(1)
    predict = sess.run(model, {x: batch_xs})
    print("predict: %d, actual: %d" % (predict.argmax(), batch_ys.argmax()))

    images = sess.graph.get_tensor_by_name("myInput:0")
    predictions = sess.run(model, feed_dict={images: mnist.test.images[:NUM_IMAGES]})

with open(OUT, "w") as f:
    json.dump({"one": predict.tolist(), "one_label": int(batch_ys.argmax()),
               "batch": predictions.tolist()}, f)
