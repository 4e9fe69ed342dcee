"""savedmodel._core: the C++ runtime as a Python extension (pybind11).

This stub is the contract between the extension (src/python/*.cc) and the pure
Python package (savedmodel/__init__.py, savedmodel/compat/v1, savedmodel/spark).
Everything above it is written in Python against exactly these names.

Conventions
- Tensors cross as NumPy arrays. In: any array-like; a C-contiguous array of a
  supported dtype whose buffer is 16-byte aligned is used in place (the runtime
  keeps a reference to the array while any tensor uses it), anything else is
  converted with numpy.ascontiguousarray first. Strings: numpy object arrays of
  bytes or str, or numpy 'S'/'U' arrays; they come out as object arrays of bytes
  (TensorFlow's convention). Out: when the runtime holds the only reference to a
  result's buffer the array is a view of it (no copy; the array owns a reference
  to the tensor); when the buffer is shared (a fetched variable, a Const of the
  graph) it is copied, so later writes by the runtime never show through.
  Returned arrays are writeable.
- dtypes cross as TensorFlow's DataType enum values (int: 1 float, 2 double,
  3 int32, 4 uint8, 5 int16, 6 int8, 7 string, 8 complex64, 9 int64, 10 bool,
  14 bfloat16, 17 uint16, 18 complex128, 19 half, 22 uint32, 23 uint64; +100 for
  the ref types a VariableV2 outputs). bfloat16 arrays come out as uint16 views
  of the bits only if numpy has no bfloat16; half is numpy.float16.
- Tensor names are "node:index" strings; op/target names are node names.
- Every failure of the runtime raises the savedmodel.errors class for its
  status code (NotFoundError, InvalidArgumentError, ...; the extension imports
  savedmodel.errors and calls cls(None, None, message)); C++ bad_alloc raises
  ResourceExhaustedError. TypeError/ValueError only for Python-level misuse
  (a feed that is not array-like, a wrong argument type).
- Calls that run graphs (Model.run, Model.predict, Session.run) release the GIL;
  Model and Session are safe to call from several threads at once. GraphBuilder
  is not thread-safe (the GIL is held while it works).
"""
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

__version__: str  # the library's version, e.g. "0.1.0"

# ---- inference ---------------------------------------------------------------

class Model:
    """A loaded SavedModel (SavedModelBundle)."""

    @staticmethod
    def load(export_dir: str, tags: Sequence[str] = ("serve",), intra_op_threads: int = 0,
             inter_op_threads: int = 0) -> "Model":
        """LoadSavedModel. NotFoundError for a missing dir or tag set (the message
        lists the tag sets that exist), DataLossError/InvalidArgumentError for
        corrupt files, as the C++ loader says."""
    @property
    def export_dir(self) -> str: ...
    @property
    def tags(self) -> List[str]: ...
    def meta_graph_def(self) -> bytes:
        """The chosen MetaGraphDef, serialized."""
    def signature_keys(self) -> List[str]:
        """Sorted; the "__saved_model_init_op" pseudo-signature excluded."""
    def signature(self, key: str) -> Dict[str, Any]:
        """{"method_name": str,
            "inputs":  {arg: {"name": "x:0", "dtype": int, "shape": None | [int, ...]}},
            "outputs": {same}}
        shape None = unknown rank, -1 = unknown dim. NotFoundError naming the
        signatures that exist when the key is unknown."""
    def run(self, feeds: Dict[str, Any], fetches: Sequence[str],
            targets: Sequence[str] = ()) -> List[np.ndarray]:
        """Session::Run by tensor name."""
    def predict(self, signature_key: str, inputs: Dict[str, Any],
                output_filter: Sequence[str] = ()) -> Dict[str, np.ndarray]:
        """SavedModelBundle::Predict: inputs by signature arg name. Extra or
        missing args raise InvalidArgumentError naming them."""
    def variables(self) -> List[Tuple[str, int, List[int]]]:
        """(name, dtype, shape) of every tensor in variables/variables, sorted by
        name, as the checkpoint stores them; [] when the model has none."""
    def read_variable(self, name: str) -> np.ndarray:
        """One checkpoint tensor's value (NotFoundError when absent)."""

# ---- building graphs (TF1's graph construction) --------------------------------

class GraphBuilder:
    """train::GraphBuilder. Each failing call raises and leaves the graph as it
    was (no sticky error)."""

    def __init__(self) -> None: ...
    def add_op(self, op: str, inputs: Sequence[Union[str, Sequence[str]]] = (),
               attrs: Optional[Dict[str, Any]] = None, name: str = "",
               control_inputs: Sequence[str] = ()) -> List[Tuple[str, int]]:
        """Adds one node; returns its outputs as (tensor name, dtype). `inputs`
        has one entry per OpDef input arg: a tensor name, or a list of tensor
        names for a list arg (AddN, Pack, ConcatV2's values). `name` as in
        GraphBuilder::AddOp: made unique under the current name scope ("" = the
        op's name); a trailing "/" means exactly that name. Attr values are
        converted by the OpDef's attr type:
          type -> int dtype;  list(type) -> [int]
          int, float, bool, string (str or bytes) -> the Python scalar; list(...) -> list
          shape -> None (unknown rank) or [int] (-1 unknown dim); list(shape) -> list
          tensor -> np.ndarray (its dtype is the tensor's dtype)
          func -> str (function name)
        Type attrs tied to inputs are inferred as GraphBuilder does.
        control_inputs are node names."""
    def has_node(self, name: str) -> bool: ...
    def node_op(self, name: str) -> str:
        """The op type of node `name` (NotFoundError when absent)."""
    def node_inputs(self, name: str) -> List[str]: ...
    def find_output(self, tensor_name: str) -> Tuple[str, int]:
        """("node:i", dtype) for "node" or "node:i"; NotFoundError /
        InvalidArgumentError naming it."""
    def num_nodes(self) -> int: ...
    def unique_name(self, base: str) -> str: ...
    def push_name_scope(self, name: str) -> str:
        """Enters a name scope (a used name becomes "name_1"); returns its full
        prefix, e.g. "outer/inner/"."""
    def pop_name_scope(self) -> None: ...
    def variable(self, initial_value: str, name: str = "Variable", trainable: bool = True,
                 shape: Optional[Sequence[int]] = None) -> Dict[str, Any]:
        """train::Variable: VariableV2 "name", "name/Assign", "name/read".
        Returns {"variable": "W:0", "initializer": "W/Assign", "snapshot":
        "W/read:0", "initial_value": "...:0", "trainable": bool, "dtype": int}.
        The shape comes from a Const initial value, else pass `shape`."""
    def variables(self) -> List[Dict[str, Any]]:
        """Every variable made through variable(), in creation order, as above."""
    def global_variables_initializer(self, name: str = "init") -> str:
        """NoOp over every variable's initializer; returns its node name."""
    def gradients(self, y: str, xs: Sequence[str]) -> List[Optional[str]]:
        """tf.gradients(y, xs): tensor names, None where y does not depend on x."""
    def minimize(self, optimizer: str, loss: str, hyper: Dict[str, float],
                 name: str = "") -> str:
        """optimizer: "GradientDescent" (learning_rate), "Momentum"
        (learning_rate, momentum, use_nesterov), "Adam" (learning_rate, beta1,
        beta2, epsilon). Minimizes over every trainable variable; returns the
        train op's node name. InvalidArgumentError for an unknown optimizer."""
    def add_saver(self) -> bytes:
        """tf.train.Saver() over every variable: adds save/restore nodes and
        returns the SaverDef, serialized."""
    def add_graph(self, graph_def: bytes) -> None:
        """tf.import_graph_def with no prefix."""
    def graph_def(self) -> bytes: ...

# ---- running what was built (TF1 Session) --------------------------------------

class Session:
    """A session over a GraphBuilder's graph that may keep growing: before each
    run, nodes added since the last run are taken in (the runtime session is
    rebuilt over the new graph, variables and tables kept)."""

    def __init__(self, builder: GraphBuilder, intra_op_threads: int = 0,
                 inter_op_threads: int = 0) -> None: ...
    def run(self, feeds: Dict[str, Any], fetches: Sequence[str],
            targets: Sequence[str] = ()) -> List[np.ndarray]:
        """Feeds are cast to the fed tensor's dtype when the array's dtype
        differs and the values convert (numpy's rules), as TF1's session does."""
    def load_saved_model(self, export_dir: str, tags: Sequence[str]) -> bytes:
        """tf.compat.v1.saved_model.loader.load: imports the MetaGraphDef for
        `tags` into this session's builder (which must not already hold nodes
        with the same names), restores the variables, runs the init op; returns
        the MetaGraphDef, serialized."""
    def close(self) -> None:
        """Frees the runtime state; later runs raise RuntimeError ("Attempted
        to use a closed Session.", TF's words)."""

# ---- writing SavedModels ---------------------------------------------------------

# A signature as Python gives it: {"method_name": "tensorflow/serving/predict",
# "inputs": {key: tensor name}, "outputs": {key: tensor name}}. Dtypes come from
# the graph; shapes are inferred when the model is written.
SignatureSpec = Dict[str, Any]

class SavedModelBuilder:
    """tf.compat.v1.saved_model.Builder: refuses an existing directory
    (AlreadyExistsError from the constructor, as TF's Builder refuses in its
    own); nothing appears at export_dir until save() succeeds."""

    def __init__(self, export_dir: str) -> None: ...
    def add_meta_graph_and_variables(self, session: Session, builder: GraphBuilder,
                                     tags: Sequence[str],
                                     signature_def_map: Dict[str, SignatureSpec],
                                     main_op: str = "", saver_def: Optional[bytes] = None,
                                     assets: Sequence[Tuple[str, str]] = ()) -> None:
        """saver_def None: adds a saver to `builder` first (TF's builder makes
        one; with no variables none is added and no checkpoint written, as
        TF's allow_empty saver). assets: (tensor name, source file path) pairs."""
    def add_meta_graph(self, builder: GraphBuilder, tags: Sequence[str],
                       signature_def_map: Dict[str, SignatureSpec], main_op: str = "",
                       saver_def: Optional[bytes] = None,
                       assets: Sequence[Tuple[str, str]] = ()) -> None: ...
    def save(self, as_text: bool = False) -> str:
        """Returns the path of saved_model.pb (or .pbtxt)."""

def simple_save(session: Session, builder: GraphBuilder, export_dir: str,
                inputs: Dict[str, str], outputs: Dict[str, str]) -> None:
    """tf.compat.v1.saved_model.simple_save (adds a saver to `builder`)."""

# ---- checkpoints -----------------------------------------------------------------

def read_checkpoint(prefix: str) -> Dict[str, np.ndarray]:
    """Every tensor of a TensorBundle checkpoint ("dir/variables/variables")."""
