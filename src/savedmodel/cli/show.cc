// `savedmodel show`: saved_model_cli show, same flags and output layout.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <string>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "savedmodel/core/types.h"
#include "savedmodel/format/saved_model/saved_model_reader.h"
#include "savedmodel/format/saved_model/version_dir.h"
#include "savedmodel/serve/model_metadata.h"

namespace savedmodel::cli {
namespace {

std::string ShapeTuple(const tensorflow::TensorShapeProto& shape) {
  if (shape.unknown_rank()) return "unknown_rank";
  std::string s = "(";
  for (int i = 0; i < shape.dim_size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape.dim(i).size());
  }
  return s + ")";
}

std::string DtypeEnumName(int dt) { return DataTypeEnumName(static_cast<DataType>(dt)); }

void PrintTensorInfo(const tensorflow::TensorInfo& info, const std::string& indent) {
  std::printf("%s    dtype: %s\n", indent.c_str(), DtypeEnumName(info.dtype()).c_str());
  std::printf("%s    shape: %s\n", indent.c_str(), ShapeTuple(info.tensor_shape()).c_str());
  if (info.has_coo_sparse()) {
    const auto& coo = info.coo_sparse();
    std::printf("%s    indices: %s\n", indent.c_str(), coo.indices_tensor_name().c_str());
    std::printf("%s    values: %s\n", indent.c_str(), coo.values_tensor_name().c_str());
    std::printf("%s    dense_shape: %s\n", indent.c_str(), coo.dense_shape_tensor_name().c_str());
  } else if (info.has_composite_tensor()) {
    std::printf("%s    composite tensor with %d components\n", indent.c_str(),
                info.composite_tensor().components_size());
  } else {
    std::printf("%s    name: %s\n", indent.c_str(), info.name().c_str());
  }
}

void PrintInputsOutputs(const tensorflow::MetaGraphDef& mg, const std::string& key, int indent) {
  const std::string pad(2 * indent, ' ');
  const auto& sig = mg.signature_def().at(key);
  std::map<std::string, const tensorflow::TensorInfo*> inputs, outputs;
  for (const auto& [k, v] : sig.inputs()) inputs[k] = &v;
  for (const auto& [k, v] : sig.outputs()) outputs[k] = &v;
  std::printf("%sThe given SavedModel SignatureDef contains the following input(s):\n", pad.c_str());
  for (const auto& [k, v] : inputs) {
    std::printf("%s  inputs['%s'] tensor_info:\n", pad.c_str(), k.c_str());
    PrintTensorInfo(*v, std::string(2 * (indent + 1), ' '));
  }
  std::printf("%sThe given SavedModel SignatureDef contains the following output(s):\n",
              pad.c_str());
  for (const auto& [k, v] : outputs) {
    std::printf("%s  outputs['%s'] tensor_info:\n", pad.c_str(), k.c_str());
    PrintTensorInfo(*v, std::string(2 * (indent + 1), ' '));
  }
  std::printf("%sMethod name is: %s\n", pad.c_str(), sig.method_name().c_str());
}

std::vector<std::string> SortedSignatureKeys(const tensorflow::MetaGraphDef& mg) {
  std::vector<std::string> keys;
  for (const auto& [k, _] : mg.signature_def()) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  return keys;
}

// ---- TF2 concrete functions, printed as saved_model_cli's _show_defined_functions ----

// Python's name for a dtype: float -> float32, double -> float64, half -> float16.
std::string PyDtypeName(int dt) {
  switch (dt) {
    case tensorflow::DT_FLOAT: return "float32";
    case tensorflow::DT_DOUBLE: return "float64";
    case tensorflow::DT_HALF: return "float16";
    default: return DataTypeString(static_cast<DataType>(dt));
  }
}

std::string PyShape(const tensorflow::TensorShapeProto& shape) {
  if (shape.unknown_rank()) return "<unknown>";
  std::string s = "(";
  for (int i = 0; i < shape.dim_size(); ++i) {
    if (i) s += ", ";
    s += shape.dim(i).size() < 0 ? "None" : std::to_string(shape.dim(i).size());
  }
  if (shape.dim_size() == 1) s += ",";
  return s + ")";
}

std::string PyRepr(const tensorflow::StructuredValue& v);

// Python's repr(float): the shortest digits that read back, positional for
// exponents in [-4, 16), with ".0" on integral values ("1.0", "0.1", "1e-05").
std::string PyFloatRepr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string sci(buf, r.ptr);
  size_t e = sci.find('e');
  int exp = std::stoi(sci.substr(e + 1));
  std::string mant = sci.substr(0, e);
  bool neg = mant[0] == '-';
  if (neg) mant.erase(0, 1);
  std::string digits;
  for (char c : mant) {
    if (c != '.') digits.push_back(c);
  }
  std::string out;
  if (exp < -4 || exp >= 16) {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char ebuf[16];
    std::snprintf(ebuf, sizeof(ebuf), "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    out += ebuf;
  } else if (exp < 0) {
    out = "0." + std::string(-exp - 1, '0') + digits;
  } else {
    if (static_cast<int>(digits.size()) <= exp + 1) {
      out = digits + std::string(exp + 1 - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, exp + 1) + "." + digits.substr(exp + 1);
    }
  }
  return (neg ? "-" : "") + out;
}

std::string PyQuoted(const std::string& s) { return "'" + s + "'"; }

std::string TensorSpecRepr(const tensorflow::TensorSpecProto& spec) {
  return "TensorSpec(shape=" + PyShape(spec.shape()) + ", dtype=tf." + PyDtypeName(spec.dtype()) +
         ", name=" + (spec.name().empty() ? std::string("None") : PyQuoted(spec.name())) + ")";
}

std::string TypeSpecClassName(const tensorflow::TypeSpecProto& spec) {
  using TS = tensorflow::TypeSpecProto;
  if (!spec.type_spec_class_name().empty()) return spec.type_spec_class_name();
  switch (spec.type_spec_class()) {
    case TS::SPARSE_TENSOR_SPEC: return "SparseTensorSpec";
    case TS::INDEXED_SLICES_SPEC: return "IndexedSlicesSpec";
    case TS::RAGGED_TENSOR_SPEC: return "RaggedTensorSpec";
    case TS::TENSOR_ARRAY_SPEC: return "TensorArraySpec";
    case TS::DATA_DATASET_SPEC: return "DatasetSpec";
    case TS::DATA_ITERATOR_SPEC: return "IteratorSpec";
    case TS::OPTIONAL_SPEC: return "OptionalSpec";
    case TS::VARIABLE_SPEC: return "VariableSpec";
    case TS::ROW_PARTITION_SPEC: return "RowPartitionSpec";
    default: return "TypeSpec";
  }
}

std::string PyRepr(const tensorflow::StructuredValue& v) {
  using SV = tensorflow::StructuredValue;
  switch (v.kind_case()) {
    case SV::kNoneValue: return "None";
    case SV::kFloat64Value: return PyFloatRepr(v.float64_value());
    case SV::kInt64Value: return std::to_string(v.int64_value());
    case SV::kStringValue: return PyQuoted(v.string_value());
    case SV::kBoolValue: return v.bool_value() ? "True" : "False";
    case SV::kTensorShapeValue: {
      // repr(tf.TensorShape): TensorShape([None, 3]), TensorShape(None) when the rank is unknown.
      const auto& shape = v.tensor_shape_value();
      if (shape.unknown_rank()) return "TensorShape(None)";
      std::string s = "TensorShape([";
      for (int i = 0; i < shape.dim_size(); ++i) {
        if (i) s += ", ";
        s += shape.dim(i).size() < 0 ? "None" : std::to_string(shape.dim(i).size());
      }
      return s + "])";
    }
    case SV::kTypeSpecValue: {
      // SparseTensorSpec, RaggedTensorSpec, ... print as Class(%r, %r, ...) of
      // their serialized state, which is what type_state holds.
      const auto& spec = v.type_spec_value();
      std::string s = TypeSpecClassName(spec) + "(";
      const auto& state = spec.type_state();
      if (state.kind_case() == SV::kTupleValue) {
        for (int i = 0; i < state.tuple_value().values_size(); ++i) {
          s += (i ? ", " : "") + PyRepr(state.tuple_value().values(i));
        }
      } else {
        s += PyRepr(state);
      }
      return s + ")";
    }
    case SV::kTensorDtypeValue: return "tf." + PyDtypeName(v.tensor_dtype_value());
    case SV::kTensorSpecValue: return TensorSpecRepr(v.tensor_spec_value());
    case SV::kListValue: {
      std::string s = "[";
      for (int i = 0; i < v.list_value().values_size(); ++i) {
        if (i) s += ", ";
        s += PyRepr(v.list_value().values(i));
      }
      return s + "]";
    }
    case SV::kTupleValue: {
      std::string s = "(";
      for (int i = 0; i < v.tuple_value().values_size(); ++i) {
        if (i) s += ", ";
        s += PyRepr(v.tuple_value().values(i));
      }
      if (v.tuple_value().values_size() == 1) s += ",";
      return s + ")";
    }
    case SV::kDictValue: {
      std::map<std::string, const SV*> fields;
      for (const auto& [k, f] : v.dict_value().fields()) fields[k] = &f;
      std::string s = "{";
      bool first = true;
      for (const auto& [k, f] : fields) {
        if (!first) s += ", ";
        first = false;
        s += PyQuoted(k) + ": " + PyRepr(*f);
      }
      return s + "}";
    }
    default: return "<" + std::string(SV::descriptor()->FindFieldByNumber(v.kind_case())
                                          ? SV::descriptor()->FindFieldByNumber(v.kind_case())->name()
                                          : "value") + ">";
  }
}

// One positional argument as saved_model_cli's _print_args prints it.
void PrintArg(const tensorflow::StructuredValue& v, int index, const char* kind) {
  using SV = tensorflow::StructuredValue;
  std::printf("        %s #%d\n", kind, index);
  switch (v.kind_case()) {
    case SV::kTensorSpecValue: {
      const auto& spec = v.tensor_spec_value();
      std::printf("          %s: %s\n", spec.name().empty() ? "None" : spec.name().c_str(),
                  TensorSpecRepr(spec).c_str());
      return;
    }
    case SV::kStringValue:
      std::printf("          %s\n", v.string_value().c_str());
      return;
    case SV::kListValue: case SV::kTupleValue: case SV::kDictValue: {
      const char* type = v.kind_case() == SV::kListValue ? "list"
                         : v.kind_case() == SV::kTupleValue ? "tuple" : "dict";
      // saved_model_cli writes each element followed by ", " and then erases
      // the last separator with two backspaces: the same bytes are printed.
      auto quoted = [](const SV& x) {
        return x.kind_case() == SV::kStringValue ? PyQuoted(x.string_value()) : PyRepr(x);
      };
      std::string text;
      if (v.kind_case() == SV::kDictValue) {
        std::map<std::string, const SV*> fields;
        for (const auto& [k, f] : v.dict_value().fields()) fields[k] = &f;
        text = "{";
        for (const auto& [k, f] : fields) text += "'" + k + "': " + quoted(*f) + ", ";
        text += "\b\b}";
      } else {
        const auto& items = v.kind_case() == SV::kListValue ? v.list_value().values()
                                                            : v.tuple_value().values();
        text = "[";
        for (const auto& x : items) text += quoted(x) + ", ";
        text += "\b\b]";
      }
      std::printf("          DType: %s\n          Value: %s\n", type, text.c_str());
      return;
    }
    default: {
      std::string type = v.kind_case() == SV::kBoolValue      ? "bool"
                         : v.kind_case() == SV::kInt64Value   ? "int"
                         : v.kind_case() == SV::kFloat64Value ? "float"
                         : v.kind_case() == SV::kNoneValue    ? "NoneType"
                         : v.kind_case() == SV::kTypeSpecValue ? TypeSpecClassName(v.type_spec_value())
                                                              : "object";
      std::printf("          DType: %s\n          Value: %s\n", type.c_str(), PyRepr(v).c_str());
    }
  }
}

void ShowDefinedFunctions(const tensorflow::SavedModel& sm) {
  const tensorflow::SavedObjectGraph* graph = nullptr;
  for (const auto& mg : sm.meta_graphs()) {
    if (mg.has_object_graph_def()) graph = &mg.object_graph_def();
  }
  if (graph == nullptr || graph->nodes_size() == 0) return;
  // As saved_model_cli: the heading has no newline of its own; each function
  // starts with one, so the output ends right after the last line printed.
  std::printf("\nConcrete Functions:");
  std::map<std::string, int> children;
  for (const auto& ref : graph->nodes(0).children()) children[ref.local_name()] = ref.node_id();
  for (const auto& [name, id] : children) {
    if (id < 0 || id >= graph->nodes_size()) continue;
    const auto& obj = graph->nodes(id);
    std::vector<std::string> fns;
    if (obj.has_function()) {
      fns.assign(obj.function().concrete_functions().begin(),
                 obj.function().concrete_functions().end());
    } else if (obj.has_bare_concrete_function()) {
      fns.push_back(obj.bare_concrete_function().concrete_function_name());
    } else {
      continue;
    }
    std::printf("\n  Function Name: '%s'\n", name.c_str());
    std::sort(fns.begin(), fns.end());
    int option = 0;
    for (const std::string& fn_name : fns) {
      ++option;
      auto it = graph->concrete_functions().find(fn_name);
      std::vector<const tensorflow::StructuredValue*> args;
      std::vector<std::string> kwarg_names;
      if (it != graph->concrete_functions().end() &&
          it->second.canonicalized_input_signature().has_tuple_value() &&
          it->second.canonicalized_input_signature().tuple_value().values_size() == 2) {
        const auto& sig = it->second.canonicalized_input_signature().tuple_value();
        for (const auto& a : sig.values(0).tuple_value().values()) args.push_back(&a);
        for (const auto& [k, _] : sig.values(1).dict_value().fields()) kwarg_names.push_back(k);
        std::sort(kwarg_names.begin(), kwarg_names.end());
      } else if (obj.has_bare_concrete_function()) {
        for (const auto& k : obj.bare_concrete_function().argument_keywords()) {
          kwarg_names.push_back(k);
        }
      }
      if (!args.empty()) {
        std::printf("    Option #%d\n      Callable with:\n", option);
        for (size_t i = 0; i < args.size(); ++i) PrintArg(*args[i], static_cast<int>(i + 1), "Argument");
      }
      if (!kwarg_names.empty()) {
        for (size_t i = 0; i < kwarg_names.size(); ++i) {
          std::printf("        Named Argument #%zu\n          %s\n", i + 1, kwarg_names[i].c_str());
        }
      }
    }
  }
}

// The ops saved_model_cli lists (meta_graph.ops_used_by_graph_def): node ops,
// following only PartitionedCall/StatefulPartitionedCall into library
// functions; function names themselves are not ops.
std::set<std::string> OpsUsed(const tensorflow::GraphDef& graph) {
  std::map<std::string, const tensorflow::FunctionDef*> functions;
  for (const auto& f : graph.library().function()) functions[f.signature().name()] = &f;
  std::set<std::string> used;
  std::vector<const tensorflow::FunctionDef*> pending;
  auto mark = [&](const std::string& op) {
    auto it = functions.find(op);
    if (!used.count(op) && it != functions.end()) pending.push_back(it->second);
    used.insert(op);
  };
  auto process = [&](const tensorflow::NodeDef& n) {
    mark(n.op());
    if (n.op() == "PartitionedCall" || n.op() == "StatefulPartitionedCall") {
      auto it = n.attr().find("f");
      mark(it == n.attr().end() ? std::string() : it->second.func().name());
    }
  };
  for (const auto& n : graph.node()) process(n);
  while (!pending.empty()) {
    const tensorflow::FunctionDef* f = pending.back();
    pending.pop_back();
    for (const auto& n : f->node_def()) process(n);
  }
  std::set<std::string> ops;
  for (const auto& op : used) {
    if (!functions.count(op)) ops.insert(op);
  }
  return ops;
}

void PrintOps(const tensorflow::MetaGraphDef& mg) {
  std::set<std::string> ops = OpsUsed(mg.graph_def());
  std::vector<std::string> tags(mg.meta_info_def().tags().begin(), mg.meta_info_def().tags().end());
  std::printf("The MetaGraph with tag set %s contains the following ops: %s\n",
              PyStrings(tags, "[", "]", "[]").c_str(),
              PyStrings({ops.begin(), ops.end()}, "{", "}", "set()").c_str());
}

void ShowAll(const tensorflow::SavedModel& sm) {
  std::vector<std::pair<std::vector<std::string>, const tensorflow::MetaGraphDef*>> sets;
  for (const auto& mg : sm.meta_graphs()) {
    sets.push_back({{mg.meta_info_def().tags().begin(), mg.meta_info_def().tags().end()}, &mg});
  }
  std::stable_sort(sets.begin(), sets.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [tags, mg] : sets) {
    std::string joined;
    for (size_t i = 0; i < tags.size(); ++i) joined += (i ? ", " : "") + tags[i];
    std::printf("\nMetaGraphDef with tag-set: '%s' contains the following SignatureDefs:\n",
                joined.c_str());
    for (const std::string& key : SortedSignatureKeys(*mg)) {
      std::printf("\nsignature_def['%s']:\n", key.c_str());
      PrintInputsOutputs(*mg, key, 1);
    }
    PrintOps(*mg);
  }
  ShowDefinedFunctions(sm);
}

int Fail(const Status& s) {
  std::fprintf(stderr, "savedmodel show: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int ShowMain(int argc, char** argv) {
  CLI::App app{"Show the tag sets, signatures and metadata of a SavedModel.", "savedmodel show"};
  std::string dir, tag_set, signature_def, model_name = "default";
  bool all = false, json = false, list_ops = false;
  bool tag_set_given = false;
  app.add_option("dir", dir, "SavedModel directory (or use --dir)");
  app.add_option("--dir", dir, "SavedModel directory");
  auto* tag_opt = app.add_option("--tag_set", tag_set,
                                 "comma-separated tags selecting a MetaGraphDef; '' for none");
  app.add_option("--signature_def", signature_def, "signature key whose inputs/outputs to print");
  app.add_flag("--all", all, "print every MetaGraphDef, signature and TF2 concrete function");
  app.add_flag("--list_ops", list_ops, "print the ops the selected MetaGraphDef uses");
  app.add_flag("--json", json,
               "print TF Serving's GetModelMetadata JSON for the MetaGraphDef (default tag 'serve')");
  app.add_option("--model_name", model_name, "model name in --json output")->capture_default_str();
  app.footer(
      "Usage examples:\n"
      "To show all tag-sets in a SavedModel:\n"
      "$savedmodel show --dir /tmp/saved_model\n\n"
      "To show all available SignatureDef keys in a MetaGraphDef specified by its tag-set:\n"
      "$savedmodel show --dir /tmp/saved_model --tag_set serve\n\n"
      "For a MetaGraphDef with multiple tags in the tag-set, all tags must be passed in, "
      "separated by ',':\n"
      "$savedmodel show --dir /tmp/saved_model --tag_set serve,gpu\n\n"
      "To show all inputs and outputs TensorInfo for a specific SignatureDef specified by the "
      "SignatureDef key in a MetaGraph:\n"
      "$savedmodel show --dir /tmp/saved_model --tag_set serve --signature_def serving_default\n\n"
      "To show all ops in a MetaGraph:\n"
      "$savedmodel show --dir /tmp/saved_model --tag_set serve --list_ops\n\n"
      "To show all available information in the SavedModel:\n"
      "$savedmodel show --dir /tmp/saved_model --all\n\n"
      "To print TF Serving's GetModelMetadata response:\n"
      "$savedmodel show --dir /tmp/saved_model/1 --json --model_name my_model");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  tag_set_given = tag_opt->count() > 0;
  if (dir.empty()) {
    std::fprintf(stderr, "savedmodel show: a SavedModel directory is required\n%s",
                 app.help().c_str());
    return 2;
  }

  // Like saved_model_cli, show prints any SavedModel that parses; a graph's
  // structural problems are for `run` to report.
  auto data = ReadSavedModelProto(Env::Default(), dir);
  if (!data.ok()) return Fail(data.status());
  const tensorflow::SavedModel& sm = *data;

  if (all) {
    ShowAll(sm);
    return 0;
  }
  if (json) {
    std::vector<std::string> tags =
        tag_set_given ? SplitTagSet(tag_set, TagSplit::kTrimmed) : std::vector<std::string>{kTagServe};
    auto mg = FindMetaGraphDef(sm, tags);
    if (!mg.ok()) return Fail(mg.status());
    std::string base(Basename(dir));
    while (base.empty() && !dir.empty()) {  // "model/123/" -> "123"
      dir.pop_back();
      base = std::string(Basename(dir));
    }
    auto text = ModelMetadataJson(**mg, model_name, ParseVersionDirName(base));
    if (!text.ok()) return Fail(text.status());
    std::fputs(text->c_str(), stdout);
    return 0;
  }
  if (!tag_set_given) {
    // saved_model_cli ignores --signature_def here and lists the tag sets,
    // sorted as lists of tags in stored order, each printed sorted.
    if (list_ops) std::printf("--list_ops must be paired with a tag-set or with --all.\n");
    std::vector<std::vector<std::string>> sets = GetTagSets(sm);
    std::sort(sets.begin(), sets.end());
    std::printf("The given SavedModel contains the following tag-sets:\n");
    for (const auto& tags : sets) std::printf("'%s'\n", TagSetToString(tags).c_str());
    return 0;
  }
  // saved_model_cli trims the tags for --list_ops and --signature_def but not
  // when it lists the signature keys (see TagSplit).
  if (list_ops) {
    auto with_ops = FindMetaGraphForTagSet(sm, tag_set, TagSplit::kTrimmed);
    if (!with_ops.ok()) return Fail(with_ops.status());
    PrintOps(**with_ops);
  }
  auto mg = FindMetaGraphForTagSet(sm, tag_set, signature_def.empty() ? TagSplit::kRaw : TagSplit::kTrimmed);
  if (!mg.ok()) return Fail(mg.status());
  if (signature_def.empty()) {
    std::printf("The given SavedModel MetaGraphDef contains SignatureDefs with the following keys:\n");
    for (const std::string& key : SortedSignatureKeys(**mg)) {
      std::printf("SignatureDef key: \"%s\"\n", key.c_str());
    }
    return 0;
  }
  if (!(*mg)->signature_def().count(signature_def)) {
    std::string keys;
    for (const std::string& key : SortedSignatureKeys(**mg)) keys += (keys.empty() ? "" : ", ") + key;
    return Fail(NotFound("Could not find signature \"" + signature_def + "\". Please choose from: " + keys));
  }
  PrintInputsOutputs(**mg, signature_def, 0);
  return 0;
}

}  // namespace savedmodel::cli
