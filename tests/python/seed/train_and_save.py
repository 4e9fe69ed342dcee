# The seed's tutorial: TensorFlow 1.x "MNIST for ML beginners" (softmax
# regression), then the seed's saving code (simple_save and SavedModelBuilder).
# Transcribed unchanged except for the import lines and the parameters read
# from the environment; launch.py runs this same text with TensorFlow.
import json
import os

import savedmodel.compat.v1 as tf
from savedmodel.compat.v1.examples.tutorials.mnist import input_data
from savedmodel.compat.v1.saved_model import tag_constants
from savedmodel.compat.v1.saved_model.signature_def_utils import predict_signature_def

DATA_DIR = os.environ["DATA_DIR"]
EXPORT = os.environ["EXPORT"]
OUT = os.environ["OUT"]
LEARNING_RATE = float(os.environ.get("LEARNING_RATE", "0.5"))
STEPS = int(os.environ.get("STEPS", "1000"))

mnist = input_data.read_data_sets(DATA_DIR, one_hot=True)

# The model
x = tf.placeholder(tf.float32, [None, 784], name="myInput")
W = tf.Variable(tf.zeros([784, 10]))
b = tf.Variable(tf.zeros([10]))
y = tf.nn.softmax(tf.matmul(x, W) + b)

# Training
y_ = tf.placeholder(tf.float32, [None, 10])
cross_entropy = tf.reduce_mean(-tf.reduce_sum(y_ * tf.log(y), reduction_indices=[1]))
train_step = tf.train.GradientDescentOptimizer(LEARNING_RATE).minimize(cross_entropy)

sess = tf.InteractiveSession()
tf.global_variables_initializer().run()

losses = []
for _ in range(STEPS):
    batch_xs, batch_ys = mnist.train.next_batch(100)
    _, loss = sess.run([train_step, cross_entropy], feed_dict={x: batch_xs, y_: batch_ys})
    losses.append(float(loss))

# Evaluation
correct_prediction = tf.equal(tf.argmax(y, 1), tf.argmax(y_, 1))
accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))
test_accuracy = accuracy.eval(feed_dict={x: mnist.test.images, y_: mnist.test.labels})
print("test accuracy: %.4f" % test_accuracy)

# Saving, the seed's way: name the output, then simple_save ...
y = tf.identity(y, name="myOutput")
tf.saved_model.simple_save(sess, os.path.join(EXPORT, "simple"),
                           inputs={"myInput": x}, outputs={"myOutput": y})

# ... and the builder with an explicit signature.
builder = tf.saved_model.builder.SavedModelBuilder(os.path.join(EXPORT, "builder"))
tensor_info_x = tf.saved_model.utils.build_tensor_info(x)
tensor_info_y = tf.saved_model.utils.build_tensor_info(y)
prediction_signature = tf.saved_model.signature_def_utils.build_signature_def(
    inputs={"myInput": tensor_info_x},
    outputs={"myOutput": tensor_info_y},
    method_name=tf.saved_model.signature_constants.PREDICT_METHOD_NAME)
builder.add_meta_graph_and_variables(
    sess, [tag_constants.SERVING],
    signature_def_map={
        "predict": prediction_signature,
        tf.saved_model.signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY:
            predict_signature_def(inputs={"myInput": x}, outputs={"myOutput": y}),
    })
builder.save()

with open(OUT, "w") as f:
    json.dump({"losses": losses, "accuracy": float(test_accuracy)}, f)
