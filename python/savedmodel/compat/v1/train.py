"""tf.train: TF 1.x's optimizers and Saver over the extension's training ops."""
import os as _os

import numpy as _np

from . import _framework as _fw
from . import _proto
from ._missing import module_getattr as _module_getattr

__getattr__ = _module_getattr("train")


def _hyper(value, what):
    if isinstance(value, (_fw.Tensor, _fw.Variable)):
        raise TypeError("%s: a tensor hyper-parameter is not provided; pass a Python number" % what)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError("%s must be a number, got %r" % (what, value)) from None


class Optimizer:
    """Base of the optimizers: minimize() adds the gradients of `loss` and
    TensorFlow's own update ops (ApplyGradientDescent, ApplyMomentum,
    ApplyAdam) for every trainable variable, and returns the train op."""

    _kind = None

    def __init__(self, use_locking, name):
        if use_locking:
            raise NotImplementedError("use_locking=True is not provided")
        self._name = name
        self._hypers = {}

    def get_name(self):
        return self._name

    def minimize(self, loss, global_step=None, var_list=None, gate_gradients=1, aggregation_method=None,
                 colocate_gradients_with_ops=False, name=None, grad_loss=None):
        if not isinstance(loss, _fw.Tensor):
            raise TypeError("minimize: loss must be a Tensor, got %r" % (loss,))
        if grad_loss is not None or aggregation_method is not None:
            raise NotImplementedError("minimize: grad_loss and aggregation_method are not provided")
        graph = loss.graph
        trainable = [v for v in _fw._global_variables(graph) if v.trainable]
        if var_list is not None:
            var_list = list(var_list)
            if {id(v) for v in var_list} != {id(v) for v in trainable}:
                raise NotImplementedError("minimize(var_list=...): only every trainable variable of the graph "
                                          "can be trained (var_list is the list of all of them or None)")
        if not trainable:
            raise ValueError("No variables to optimize.")
        if not loss.dtype.base_dtype.is_floating:
            raise ValueError("Invalid type %s for %s, expected: float32, float64, float16." % (
                loss.dtype.name, loss.name))
        with graph._lock:
            train_op = graph._builder.minimize(self._kind, loss.name, dict(self._hypers), name or self._name)
        op = graph._op(train_op)
        if global_step is None:
            return op
        if not isinstance(global_step, _fw.Variable):
            raise TypeError("global_step must be a tf.Variable, got %r" % (global_step,))
        # TF increments global_step after the updates, as part of the train op.
        one = _fw.convert_to_tensor(1, dtype=global_step.dtype.base_dtype, graph=graph)
        out = graph._add_op("AssignAdd", [global_step._ref, one], {"use_locking": False}, "",
                            control_inputs=[op])[0]
        return out.op


class GradientDescentOptimizer(Optimizer):
    _kind = "GradientDescent"

    def __init__(self, learning_rate, use_locking=False, name="GradientDescent"):
        super().__init__(use_locking, name)
        self._hypers = {"learning_rate": _hyper(learning_rate, "learning_rate")}


class MomentumOptimizer(Optimizer):
    _kind = "Momentum"

    def __init__(self, learning_rate, momentum, use_locking=False, name="Momentum", use_nesterov=False):
        super().__init__(use_locking, name)
        self._hypers = {"learning_rate": _hyper(learning_rate, "learning_rate"),
                        "momentum": _hyper(momentum, "momentum"), "use_nesterov": float(bool(use_nesterov))}


class AdamOptimizer(Optimizer):
    _kind = "Adam"

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-08, use_locking=False,
                 name="Adam"):
        super().__init__(use_locking, name)
        self._hypers = {"learning_rate": _hyper(learning_rate, "learning_rate"), "beta1": _hyper(beta1, "beta1"),
                        "beta2": _hyper(beta2, "beta2"), "epsilon": _hyper(epsilon, "epsilon")}


class Saver:
    """tf.train.Saver over every variable: save() writes a TensorBundle
    checkpoint and the "checkpoint" state file, restore() reads one back."""

    def __init__(self, var_list=None, reshape=False, sharded=False, max_to_keep=5,
                 keep_checkpoint_every_n_hours=10000.0, name=None, restore_sequentially=False, saver_def=None,
                 builder=None, defer_build=False, allow_empty=False, write_version=2, pad_step_number=False,
                 save_relative_paths=False, filename=None):
        graph = _fw.get_default_graph()
        if var_list is not None:
            all_vars = _fw._global_variables(graph)
            if {id(v) for v in (var_list.values() if isinstance(var_list, dict) else var_list)} != \
                    {id(v) for v in all_vars}:
                raise NotImplementedError("tf.train.Saver(var_list=...): the Saver covers every variable of "
                                          "the graph (var_list is the list of all of them or None)")
        if saver_def is not None or builder is not None or sharded or reshape or defer_build:
            raise NotImplementedError("tf.train.Saver: saver_def, builder, sharded, reshape and defer_build "
                                      "are not provided")
        if not _fw._global_variables(graph) and not allow_empty:
            raise ValueError("No variables to save")
        self._graph = graph
        with graph._lock:
            self._saver_def_bytes = graph._builder.add_saver()
        self._def = _proto.saver_def(self._saver_def_bytes)
        self._max_to_keep = max_to_keep
        self._last = []

    @property
    def saver_def(self):
        return self._saver_def_bytes

    def save(self, sess, save_path, global_step=None, latest_filename=None, meta_graph_suffix="meta",
             write_meta_graph=True, write_state=True, strip_default_attrs=False, save_debug_info=False):
        """Writes the variables' values to `save_path` (+ "-<global_step>");
        returns the checkpoint prefix written."""
        if sess.graph is not self._graph:
            raise ValueError("The session's graph is not the graph this Saver was made for")
        if global_step is not None:
            step = global_step if isinstance(global_step, (int, _np.integer)) else sess.run(global_step)
            save_path = "%s-%d" % (save_path, int(step))
        save_path = _os.fspath(save_path)
        directory = _os.path.dirname(save_path) or "."
        if not _os.path.isdir(directory):
            raise ValueError("Parent directory of %s doesn't exist, can't save." % save_path)
        sess.run(self._def["save_tensor_name"], {self._def["filename_tensor_name"]: save_path})
        if write_state:
            self._last = [p for p in self._last if p != save_path] + [save_path]
            if self._max_to_keep and len(self._last) > self._max_to_keep:
                for old in self._last[:-self._max_to_keep]:
                    for suffix in (".index", ".data-00000-of-00001"):
                        if _os.path.exists(old + suffix):
                            _os.remove(old + suffix)
                self._last = self._last[-self._max_to_keep:]
            _write_state(directory, save_path, self._last, latest_filename or "checkpoint")
        return save_path

    def restore(self, sess, save_path):
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        save_path = _os.fspath(save_path)
        if not _os.path.exists(save_path + ".index"):
            raise ValueError("The passed save_path is not a valid checkpoint: %s" % save_path)
        sess.run(self._def["restore_op_name"], {self._def["filename_tensor_name"]: save_path})


def _relative(directory, path):
    return _os.path.relpath(path, directory) if _os.path.dirname(path) == directory else path


def _write_state(directory, latest, all_paths, filename):
    # CheckpointState as text, the format tf.train.latest_checkpoint reads.
    def quoted(p):
        return '"%s"' % p.replace("\\", "\\\\").replace('"', '\\"')
    lines = ["model_checkpoint_path: " + quoted(_relative(directory, latest))]
    lines += ["all_model_checkpoint_paths: " + quoted(_relative(directory, p)) for p in all_paths]
    tmp = _os.path.join(directory, filename + ".tmp")
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    _os.replace(tmp, _os.path.join(directory, filename))


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The prefix the "checkpoint" state file names, or None."""
    path = _os.path.join(checkpoint_dir, latest_filename or "checkpoint")
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model_checkpoint_path":
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            prefix = value if _os.path.isabs(value) else _os.path.join(checkpoint_dir, value)
            return prefix if _os.path.exists(prefix + ".index") else None
    return None
