"""tensorflow.examples.tutorials: the tutorial's data reader (mnist.input_data)."""
