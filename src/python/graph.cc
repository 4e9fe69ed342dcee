// GraphBuilder: TF1-style graph construction from Python. Each call that fails
// raises at once and clears the builder's kept error, so Python code sees the
// failing op (as TensorFlow raises per op) and the graph stays usable.
#include <pybind11/stl.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bindings.h"
#include "graph.h"
#include "numpy_tensor.h"
#include "run.h"
#include "savedmodel/train/gradients.h"
#include "savedmodel/train/graph_builder.h"
#include "savedmodel/train/ops.h"
#include "savedmodel/train/optimizer.h"
#include "savedmodel/train/saver.h"
#include "status.h"

namespace py = pybind11;
using savedmodel::train::GraphBuilder;
using savedmodel::train::Output;
using tensorflow::AttrValue;

namespace savedmodel::python {
namespace {

// Raises the builder's kept error, if any, and forgets it.
void CheckBuilder(GraphBuilder& b) {
  Status s = b.status();
  if (s.ok()) return;
  b.ClearStatus();
  ThrowStatus(s);
}

DataType DtypeFromPython(py::handle v) {
  if (PyLong_Check(v.ptr()) && !PyBool_Check(v.ptr())) return static_cast<DataType>(v.cast<int>());
  // DType objects, names ("float32") and NumPy types, through tf.as_dtype's rules.
  py::object dt = py::module_::import("savedmodel.dtypes").attr("as_dtype")(v);
  return static_cast<DataType>(dt.attr("as_datatype_enum").cast<int>());
}

void SetShape(tensorflow::TensorShapeProto* shape, py::handle v) {
  if (v.is_none()) {
    shape->set_unknown_rank(true);
    return;
  }
  if (PyUnicode_Check(v.ptr()) || PyBytes_Check(v.ptr()) || !py::isinstance<py::iterable>(v)) {
    throw py::type_error("a shape is None or a list of ints (-1 or None: unknown), not " + TypeName(v));
  }
  for (py::handle d : v) {
    if (!d.is_none() && (PyBool_Check(d.ptr()) || !PyIndex_Check(d.ptr()))) {
      throw py::type_error("shape dims are ints or None, not " + TypeName(d));
    }
    shape->add_dim()->set_size(d.is_none() ? -1 : py::int_(py::reinterpret_borrow<py::object>(d)).cast<int64_t>());
  }
}

std::string StringFromPython(py::handle v) {
  if (PyBytes_Check(v.ptr())) return std::string(PyBytes_AS_STRING(v.ptr()), PyBytes_GET_SIZE(v.ptr()));
  if (PyUnicode_Check(v.ptr())) return v.cast<std::string>();
  throw py::type_error("expected str or bytes, not " + TypeName(v));
}

// One attr value converted by its OpDef type (see _core.pyi).
AttrValue AttrFromPython(const std::string& op, const std::string& name, const std::string& type, py::handle v) {
  AttrValue a;
  const bool is_list = type.rfind("list(", 0) == 0;
  const std::string elem = is_list ? type.substr(5, type.size() - 6) : type;
  if (is_list && (PyUnicode_Check(v.ptr()) || PyBytes_Check(v.ptr()) || !py::isinstance<py::iterable>(v))) {
    throw py::type_error("attr '" + name + "' of " + op + " is a " + type + ": pass a list, not " + TypeName(v));
  }
  auto* list = a.mutable_list();
  auto one = [&](py::handle x) {
    if (elem == "type") {
      DataType dt = DtypeFromPython(x);
      is_list ? list->add_type(static_cast<tensorflow::DataType>(dt))
              : a.set_type(static_cast<tensorflow::DataType>(dt));
    } else if (elem == "int") {
      if (PyBool_Check(x.ptr()) || !PyIndex_Check(x.ptr())) throw py::type_error("attr '" + name + "' takes int");
      int64_t i = py::int_(py::reinterpret_borrow<py::object>(x)).cast<int64_t>();
      is_list ? list->add_i(i) : a.set_i(i);
    } else if (elem == "float") {
      float f = py::float_(py::reinterpret_borrow<py::object>(x)).cast<float>();
      is_list ? list->add_f(f) : a.set_f(f);
    } else if (elem == "bool") {
      if (!PyBool_Check(x.ptr()) && !py::isinstance(x, py::module_::import("numpy").attr("bool_"))) {
        throw py::type_error("attr '" + name + "' of " + op + " takes bool, not " + TypeName(x));
      }
      bool b = py::bool_(py::reinterpret_borrow<py::object>(x));
      is_list ? list->add_b(b) : a.set_b(b);
    } else if (elem == "string") {
      std::string s = StringFromPython(x);
      is_list ? list->add_s(s) : a.set_s(s);
    } else if (elem == "shape") {
      SetShape(is_list ? list->add_shape() : a.mutable_shape(), x);
    } else if (elem == "tensor") {
      AttrValue t = train::AttrTensor(TensorFromPython(x));
      *(is_list ? list->add_tensor() : a.mutable_tensor()) = t.tensor();
    } else if (elem == "func") {
      std::string f = StringFromPython(x);
      (is_list ? list->add_func() : a.mutable_func())->set_name(f);
    } else {
      ThrowStatus(Unimplemented("attr '" + name + "' of " + op + " has type " + type +
                                ", which cannot be set from Python"));
    }
  };
  if (is_list) {
    for (py::handle x : v) one(x);
  } else {
    one(v);
  }
  return a;
}

Output FindOutput(GraphBuilder& b, const std::string& name) { return ValueOrThrow(b.FindOutput(name)); }

py::list OutputsToPython(const std::vector<Output>& outs) {
  py::list l;
  for (const Output& o : outs) l.append(py::make_tuple(o.name(), static_cast<int>(o.dtype)));
  return l;
}

py::dict VariableDict(const train::VariableInfo& v) {
  py::dict d;
  d["variable"] = v.variable.name();
  d["initializer"] = v.initializer;
  d["snapshot"] = v.snapshot.name();
  d["initial_value"] = v.initial_value.name();
  d["trainable"] = v.trainable;
  d["dtype"] = static_cast<int>(BaseType(v.variable.dtype));
  return d;
}

py::list AddOp(PyGraphBuilder& b, const std::string& op, const py::sequence& inputs, const py::object& attrs,
               const std::string& name, const std::vector<std::string>& control_inputs) {
  const tensorflow::OpDef* def = ValueOrThrow(b.registry().LookUp(op));
  std::vector<train::Input> in;
  for (py::handle x : inputs) {
    if (PyUnicode_Check(x.ptr())) {
      in.emplace_back(FindOutput(b, x.cast<std::string>()));
    } else if (py::isinstance<py::sequence>(x)) {
      std::vector<Output> list;
      for (py::handle y : x) list.push_back(FindOutput(b, KeyString(y, "tensor names")));
      in.emplace_back(std::move(list));
    } else {
      throw py::type_error("inputs of " + op + " are tensor names or lists of them, not " + TypeName(x));
    }
  }
  std::map<std::string, AttrValue> attr_map;
  if (!attrs.is_none()) {
    for (auto [k, v] : py::dict(attrs)) {
      std::string key = KeyString(k, "attr names");
      const tensorflow::OpDef::AttrDef* attr_def = nullptr;
      for (const auto& ad : def->attr()) {
        if (ad.name() == key) attr_def = &ad;
      }
      if (!attr_def) ThrowStatus(InvalidArgument("op " + op + " has no attr named '" + key + "'"));
      attr_map[key] = AttrFromPython(op, key, attr_def->type(), v);
    }
  }
  for (const auto& c : control_inputs) {
    if (!b.FindNode(c)) ThrowStatus(NotFound("control input '" + c + "' is not a node of the graph"));
  }
  std::vector<Output> outs = b.AddOp(op, in, attr_map, name, control_inputs);
  CheckBuilder(b);
  return OutputsToPython(outs);
}

}  // namespace

void BindGraph(py::module_& m) {
  py::class_<PyGraphBuilder>(m, "GraphBuilder", "Builds a GraphDef op by op (not thread-safe).")
      .def(py::init([] { return std::make_unique<PyGraphBuilder>(); }))
      .def("add_op", &AddOp, py::arg("op"), py::arg("inputs") = py::tuple(), py::arg("attrs") = py::none(),
           py::arg("name") = "", py::arg("control_inputs") = std::vector<std::string>{})
      .def("has_node", [](PyGraphBuilder& b, const std::string& n) { return b.FindNode(n) != nullptr; })
      .def("node_op",
           [](PyGraphBuilder& b, const std::string& n) {
             const auto* node = b.FindNode(n);
             if (!node) ThrowStatus(NotFound("no node named '" + n + "' in the graph"));
             return node->op();
           })
      .def("node_inputs",
           [](PyGraphBuilder& b, const std::string& n) {
             const auto* node = b.FindNode(n);
             if (!node) ThrowStatus(NotFound("no node named '" + n + "' in the graph"));
             return std::vector<std::string>(node->input().begin(), node->input().end());
           })
      .def("find_output",
           [](PyGraphBuilder& b, const std::string& t) {
             Output o = FindOutput(b, t);
             return py::make_tuple(o.name(), static_cast<int>(o.dtype));
           })
      .def("num_nodes", [](PyGraphBuilder& b) { return b.graph_def().node_size(); })
      .def("unique_name", &GraphBuilder::UniqueName, py::arg("base"))
      .def("push_name_scope",
           [](PyGraphBuilder& b, const std::string& name) {
             // NameScope is RAII over the builder's current scope; Python's
             // `with` pairs push and pop, so the scope objects live in a stack.
             auto& stack = b.scopes;
             stack.push_back(std::make_unique<GraphBuilder::NameScope>(&b, name));
             return stack.back()->prefix() + "/";
           })
      .def("pop_name_scope",
           [](PyGraphBuilder& b) {
             auto& stack = b.scopes;
             if (stack.empty()) throw py::value_error("pop_name_scope without a matching push_name_scope");
             stack.pop_back();
           })
      .def(
          "variable",
          [](PyGraphBuilder& b, const std::string& initial_value, const std::string& name, bool trainable,
             std::optional<std::vector<int64_t>> shape) {
            Output init = FindOutput(b, initial_value);
            auto v = train::Variable(b, init, name, trainable, shape.value_or(std::vector<int64_t>{}));
            CheckBuilder(b);
            return VariableDict(v);
          },
          py::arg("initial_value"), py::arg("name") = "Variable", py::arg("trainable") = true,
          py::arg("shape") = py::none())
      .def("variables",
           [](PyGraphBuilder& b) {
             py::list l;
             for (const auto& v : b.variables()) l.append(VariableDict(v));
             return l;
           })
      .def(
          "global_variables_initializer",
          [](PyGraphBuilder& b, const std::string& name) {
            std::string n = train::GlobalVariablesInitializer(b, name);
            CheckBuilder(b);
            return n;
          },
          py::arg("name") = "init")
      .def("gradients",
           [](PyGraphBuilder& b, const std::string& y, const std::vector<std::string>& xs) {
             Output yo = FindOutput(b, y);
             std::vector<Output> xo;
             for (const auto& x : xs) xo.push_back(FindOutput(b, x));
             std::vector<Output> g = train::AddGradients(b, yo, xo);
             CheckBuilder(b);
             py::list l;
             for (const Output& o : g) l.append(o.valid() ? py::object(py::str(o.name())) : py::object(py::none()));
             return l;
           })
      .def(
          "minimize",
          [](PyGraphBuilder& b, const std::string& optimizer, const std::string& loss,
             const std::map<std::string, double>& hyper, const std::string& name) {
            Output lo = FindOutput(b, loss);
            auto get = [&](const char* k, double dflt) {
              auto it = hyper.find(k);
              return static_cast<float>(it == hyper.end() ? dflt : it->second);
            };
            std::unique_ptr<train::Optimizer> opt;
            if (optimizer == "GradientDescent") {
              if (!hyper.count("learning_rate")) throw py::value_error("GradientDescent needs a learning_rate");
              opt = std::make_unique<train::GradientDescentOptimizer>(get("learning_rate", 0));
            } else if (optimizer == "Momentum") {
              if (!hyper.count("learning_rate") || !hyper.count("momentum")) {
                throw py::value_error("Momentum needs learning_rate and momentum");
              }
              opt = std::make_unique<train::MomentumOptimizer>(get("learning_rate", 0), get("momentum", 0),
                                                               get("use_nesterov", 0) != 0);
            } else if (optimizer == "Adam") {
              opt = std::make_unique<train::AdamOptimizer>(get("learning_rate", 0.001), get("beta1", 0.9),
                                                           get("beta2", 0.999), get("epsilon", 1e-8));
            } else {
              ThrowStatus(InvalidArgument("unknown optimizer '" + optimizer +
                                          "' (GradientDescent, Momentum and Adam are available)"));
            }
            std::string op = opt->Minimize(b, lo, name);
            CheckBuilder(b);
            return op;
          },
          py::arg("optimizer"), py::arg("loss"), py::arg("hyper"), py::arg("name") = "")
      .def("add_saver",
           [](PyGraphBuilder& b) {
             tensorflow::SaverDef saver = train::AddSaver(b);
             CheckBuilder(b);
             return py::bytes(saver.SerializeAsString());
           })
      .def("add_graph",
           [](PyGraphBuilder& b, const py::bytes& graph_def) {
             tensorflow::GraphDef g;
             if (!g.ParseFromString(std::string(graph_def))) {
               ThrowStatus(InvalidArgument("add_graph: the bytes are not a serialized GraphDef"));
             }
             ThrowIfError(b.AddGraph(g));
           })
      .def("graph_def", [](PyGraphBuilder& b) { return py::bytes(b.graph_def().SerializeAsString()); });
}

}  // namespace savedmodel::python
