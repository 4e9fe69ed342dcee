"""Compatibility modules: TensorFlow's Python API names over savedmodel (v1: TF 1.x graph mode)."""
