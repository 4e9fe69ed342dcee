#include "savedmodel/serve/json_tensor.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "savedmodel/core/tensor_cast.h"
#include "savedmodel/core/types.h"
#include "savedmodel/serve/base64.h"
#include "tensorflow/core/example/example.pb.h"

namespace savedmodel {
namespace {

// Error messages quote the offending JSON; a hostile body must not turn into
// a megabyte-long message.
constexpr size_t kMaxQuotedJson = 1024;

using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;
using JsonValue = rapidjson::Value;

std::string JsonTypeString(const JsonValue& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType: return "Null";
    case rapidjson::kFalseType: return "False";
    case rapidjson::kTrueType: return "True";
    case rapidjson::kObjectType: return "Object";
    case rapidjson::kArrayType: return "Array";
    case rapidjson::kStringType: return "String";
    case rapidjson::kNumberType: return "Number";
  }
  return "Unknown";
}

// TF Serving's decimal text: six significant digits when they read back to
// the same value, else the type's full round-trip precision; whole numbers
// get ".0" so a list of floats never reads back as ints.
std::string DecimalText(double v, bool is_float) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v < 0 ? "-Infinity" : "Infinity";
  // std::to_chars with a precision formats as printf's %g does, several
  // times faster (a large answer is millions of these).
  char buf[40];
  auto general = [&](int precision) -> size_t {
    auto r = is_float ? std::to_chars(buf, buf + sizeof(buf), static_cast<float>(v), std::chars_format::general,
                                      precision)
                      : std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::general, precision);
    return static_cast<size_t>(r.ptr - buf);
  };
  size_t n = general(6);
  bool round_trips;
  if (is_float) {
    float back = 0;
    round_trips = std::from_chars(buf, buf + n, back).ec == std::errc() && back == static_cast<float>(v);
  } else {
    double back = 0;
    round_trips = std::from_chars(buf, buf + n, back).ec == std::errc() && back == v;
  }
  if (!round_trips) {
    n = general(is_float ? std::numeric_limits<float>::max_digits10 : std::numeric_limits<double>::max_digits10);
  }
  std::string s(buf, n);
  if (s.find('.') == std::string::npos && s.find('e') == std::string::npos) s += ".0";
  return s;
}

void WriteDecimal(Writer* w, double v, bool is_float) {
  const std::string s = DecimalText(v, is_float);
  w->RawValue(s.data(), s.size(), rapidjson::kNumberType);
}

// Forwards a document to the writer, writing non-finite numbers bare
// (NaN, Infinity) where RapidJSON's writer would stop.
struct QuotingHandler {
  Writer* w;
  bool Null() { return w->Null(); }
  bool Bool(bool b) { return w->Bool(b); }
  bool Int(int i) { return w->Int(i); }
  bool Uint(unsigned u) { return w->Uint(u); }
  bool Int64(int64_t i) { return w->Int64(i); }
  bool Uint64(uint64_t u) { return w->Uint64(u); }
  bool Double(double d) {
    if (std::isfinite(d)) return w->Double(d);
    WriteDecimal(w, d, false);
    return true;
  }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) { return w->RawNumber(s, n, copy); }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return w->String(s, n, copy); }
  bool StartObject() { return w->StartObject(); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return w->Key(s, n, copy); }
  bool EndObject(rapidjson::SizeType n) { return w->EndObject(n); }
  bool StartArray() { return w->StartArray(); }
  bool EndArray(rapidjson::SizeType n) { return w->EndArray(n); }
};

// The value as TF Serving quotes it in errors (pretty-printed), cut at
// kMaxQuotedJson bytes.
std::string JsonValueToString(const JsonValue& v) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  if (v.IsDouble()) {
    WriteDecimal(&w, v.GetDouble(), v.IsFloat());
  } else {
    QuotingHandler h{&w};
    v.Accept(h);
  }
  std::string s(buf.GetString(), buf.GetSize());
  if (s.size() > kMaxQuotedJson) s = s.substr(0, kMaxQuotedJson) + "...";
  return s;
}

Status TypeError(const JsonValue& v, DataType dtype) {
  return InvalidArgument("JSON Value: " + JsonValueToString(v) + " Type: " + JsonTypeString(v) +
                         " is not of expected type: " + DataTypeString(dtype));
}

Status FormatError(const JsonValue& v, const std::string& what) {
  return InvalidArgument("JSON Value: " + JsonValueToString(v) + " " + what);
}

Status LossyDecimalError(const JsonValue& v, const std::string& target) {
  return InvalidArgument("Cannot convert JSON value: " + JsonValueToString(v) + " to " + target +
                         " without loss of precision.");
}

// Whether a JSON number reads into T without losing precision: integers up
// to 2^digits, decimals within T's range (non-finite values pass).
template <typename T>
bool IsLosslessDecimal(const JsonValue& v) {
  if (!std::isfinite(v.GetDouble())) return true;
  constexpr int64_t kMaxInt = (int64_t{1} << std::numeric_limits<T>::digits) - 1;
  if (v.IsUint64()) return v.GetUint64() <= static_cast<uint64_t>(kMaxInt);
  if (v.IsInt64()) return v.GetInt64() >= -kMaxInt && v.GetInt64() <= kMaxInt;
  return v.GetDouble() <= std::numeric_limits<T>::max() && v.GetDouble() >= std::numeric_limits<T>::lowest();
}

bool IsBase64Object(const JsonValue& v) {
  if (!v.IsObject() || v.MemberCount() != 1) return false;
  auto it = v.FindMember("b64");
  return it != v.MemberEnd() && it->value.IsString();
}

Status DecodeBase64Object(const JsonValue& v, std::string* out) {
  if (!IsBase64Object(v)) {
    return InvalidArgument("JSON Value: " + JsonValueToString(v) + " not formatted correctly for base64 data");
  }
  const JsonValue& s = v.FindMember("b64")->value;
  if (!Base64Decode(std::string_view(s.GetString(), s.GetStringLength()), out)) {
    return InvalidArgument("Unable to base64 decode");
  }
  return Status::OK();
}

template <typename T>
void Store(void* base, int64_t index, T value) {
  if (base != nullptr) static_cast<T*>(base)[index] = value;
}

// Reads one leaf as `dtype`; stores it at base[index] unless base is null
// (the validating pass).
Status ReadLeaf(const JsonValue& v, DataType dtype, void* base, int64_t index) {
  if (v.IsObject()) {
    if (dtype != DT_STRING) return TypeError(v, dtype);
    std::string bytes;
    RETURN_IF_ERROR(DecodeBase64Object(v, &bytes));
    if (base != nullptr) static_cast<std::string*>(base)[index] = std::move(bytes);
    return Status::OK();
  }
  switch (dtype) {
    case DT_FLOAT:
    case DT_HALF:
    case DT_BFLOAT16:
      if (!v.IsNumber()) return TypeError(v, dtype);
      if (!IsLosslessDecimal<float>(v)) return LossyDecimalError(v, "float");
      if (dtype == DT_FLOAT) Store(base, index, v.GetFloat());
      if (dtype == DT_HALF) Store(base, index, ConvertElement<half>(v.GetFloat()));
      if (dtype == DT_BFLOAT16) Store(base, index, ConvertElement<bfloat16>(v.GetFloat()));
      return Status::OK();
    case DT_DOUBLE:
      if (!v.IsNumber()) return TypeError(v, dtype);
      if (!IsLosslessDecimal<double>(v)) return LossyDecimalError(v, "double");
      Store(base, index, v.GetDouble());
      return Status::OK();
    case DT_INT32:
      if (!v.IsInt()) return TypeError(v, dtype);
      Store(base, index, static_cast<int32_t>(v.GetInt()));
      return Status::OK();
    // Narrow integers must fit: TensorFlow would silently wrap them.
    case DT_INT16:
      if (!v.IsInt() || v.GetInt() < INT16_MIN || v.GetInt() > INT16_MAX) return TypeError(v, dtype);
      Store(base, index, static_cast<int16_t>(v.GetInt()));
      return Status::OK();
    case DT_INT8:
      if (!v.IsInt() || v.GetInt() < INT8_MIN || v.GetInt() > INT8_MAX) return TypeError(v, dtype);
      Store(base, index, static_cast<int8_t>(v.GetInt()));
      return Status::OK();
    case DT_UINT8:
      if (!v.IsInt() || v.GetInt() < 0 || v.GetInt() > UINT8_MAX) return TypeError(v, dtype);
      Store(base, index, static_cast<uint8_t>(v.GetInt()));
      return Status::OK();
    case DT_UINT16:
      if (!v.IsUint() || v.GetUint() > UINT16_MAX) return TypeError(v, dtype);
      Store(base, index, static_cast<uint16_t>(v.GetUint()));
      return Status::OK();
    case DT_INT64:
      if (!v.IsInt64()) return TypeError(v, dtype);
      Store(base, index, static_cast<int64_t>(v.GetInt64()));
      return Status::OK();
    case DT_UINT32:
      if (!v.IsUint()) return TypeError(v, dtype);
      Store(base, index, static_cast<uint32_t>(v.GetUint()));
      return Status::OK();
    case DT_UINT64:
      if (!v.IsUint64()) return TypeError(v, dtype);
      Store(base, index, static_cast<uint64_t>(v.GetUint64()));
      return Status::OK();
    case DT_BOOL:
      if (!v.IsBool()) return TypeError(v, dtype);
      Store(base, index, v.GetBool());
      return Status::OK();
    case DT_STRING:
      if (!v.IsString()) return TypeError(v, dtype);
      if (base != nullptr) static_cast<std::string*>(base)[index].assign(v.GetString(), v.GetStringLength());
      return Status::OK();
    default:
      return Unimplemented("Conversion of JSON Value: " + JsonValueToString(v) + " to type: " +
                           DataTypeString(dtype));
  }
}

// The shape a JSON value implies, following first elements (a scalar has
// none). Depth is bounded by kMaxJsonDepth, checked before parsing.
std::vector<int64_t> DenseShape(const JsonValue& v) {
  std::vector<int64_t> dims;
  const JsonValue* cur = &v;
  while (cur->IsArray()) {
    dims.push_back(cur->Size());
    if (cur->Size() == 0) break;
    cur = &(*cur)[0];
  }
  return dims;
}

std::string ShapeToString(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? "," : "") + std::to_string(dims[i]);
  return s + "]";
}

// Walks a dense value of shape `dims`, checking every list's level and size
// and every leaf's type, as TF Serving does; stores leaves from base[*count]
// on when base is set. *count ends as the number of leaves.
Status FillValues(const JsonValue& v, size_t level, const std::vector<int64_t>& dims, DataType dtype,
                  void* base, int64_t* count) {
  const size_t rank = dims.size();
  if (!v.IsArray()) {
    if (level != rank) {
      return InvalidArgument("JSON Value: " + JsonValueToString(v) + " found at incorrect level: " +
                             std::to_string(level + 1) + " in the JSON DOM. Expected at level: " +
                             std::to_string(rank));
    }
    RETURN_IF_ERROR(ReadLeaf(v, dtype, base, *count));
    ++*count;
    return Status::OK();
  }
  if (level >= rank) {
    return InvalidArgument("Encountered list at unexpected level: " + std::to_string(level) + " expected < " +
                           std::to_string(rank));
  }
  if (static_cast<int64_t>(v.Size()) != dims[level]) {
    return InvalidArgument("Encountered list at unexpected size: " + std::to_string(v.Size()) +
                           " at level: " + std::to_string(level) +
                           " expected size: " + std::to_string(dims[level]));
  }
  for (const auto& e : v.GetArray()) RETURN_IF_ERROR(FillValues(e, level + 1, dims, dtype, base, count));
  return Status::OK();
}

// One tensor assembled from `rows` (each of shape `row_dims`, already
// validated), stacked along a new dimension 0 when `batched`.
StatusOr<Tensor> BuildTensor(DataType dtype, const std::vector<int64_t>& row_dims,
                             const std::vector<const JsonValue*>& rows, bool batched) {
  std::vector<int64_t> dims;
  if (batched) dims.push_back(static_cast<int64_t>(rows.size()));
  dims.insert(dims.end(), row_dims.begin(), row_dims.end());
  ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dtype, dims));
  int64_t count = 0;
  for (const JsonValue* row : rows) RETURN_IF_ERROR(FillValues(*row, 0, row_dims, dtype, t.raw_data(), &count));
  return t;
}

// Rejects nesting deeper than kMaxJsonDepth before the parser or any
// recursion over the document sees it.
Status CheckJsonDepth(std::string_view json) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) {
        return InvalidArgument("JSON Parse error: nesting deeper than " + std::to_string(kMaxJsonDepth) +
                               " levels at offset: " + std::to_string(i));
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return Status::OK();
}

Status ParseJson(std::string_view json, rapidjson::Document* doc) {
  if (json.empty()) return InvalidArgument("JSON Parse error: The document is empty");
  RETURN_IF_ERROR(CheckJsonDepth(json));
  rapidjson::MemoryStream ms(json.data(), json.size());
  constexpr unsigned kFlags = rapidjson::kParseNanAndInfFlag | rapidjson::kParseIterativeFlag;
  if (doc->ParseStream<kFlags>(ms).HasParseError()) {
    return InvalidArgument(std::string("JSON Parse error: ") + rapidjson::GetParseError_En(doc->GetParseError()) +
                           " at offset: " + std::to_string(doc->GetErrorOffset()));
  }
  if (!doc->IsObject()) return FormatError(*doc, "Is not object");
  return Status::OK();
}

Status ReadSignatureName(const rapidjson::Document& doc, std::string* name) {
  auto it = doc.FindMember("signature_name");
  if (it == doc.MemberEnd()) return Status::OK();
  if (!it->value.IsString()) {
    return FormatError(doc, "not formatted correctly. 'signature_name' key must be a string value.");
  }
  name->assign(it->value.GetString(), it->value.GetStringLength());
  return Status::OK();
}

using InfoMap = google::protobuf::Map<std::string, tensorflow::TensorInfo>;

// Per input, while reading the rows of "instances".
struct RowTensor {
  std::vector<int64_t> dims;  // of the first row
  int64_t size = 0;           // leaves in the first row
  std::vector<const JsonValue*> rows;
};

Status AddInstanceItem(const JsonValue& item, const std::string& name, const InfoMap& infos,
                       std::map<std::string, RowTensor>* tensors) {
  auto info = infos.find(name);
  if (info == infos.end()) return InvalidArgument("JSON object: does not have named input: " + name);
  std::vector<int64_t> dims = DenseShape(item);
  int64_t size = 0;
  RETURN_IF_ERROR(FillValues(item, 0, dims, static_cast<DataType>(info->second.dtype()), nullptr, &size));
  auto [it, first] = tensors->try_emplace(name);
  RowTensor& t = it->second;
  if (first) {
    t.dims = std::move(dims);
    t.size = size;
  } else if (t.size != size) {
    return InvalidArgument("Expecting tensor size: " + std::to_string(t.size) + " but got: " + std::to_string(size));
  } else if (t.dims != dims) {
    return InvalidArgument("Expecting shape " + ShapeToString(t.dims) + " but got: " + ShapeToString(dims));
  }
  t.rows.push_back(&item);
  return Status::OK();
}

std::string JoinKeys(const std::set<std::string>& keys) {
  std::string s;
  for (const auto& k : keys) s += (s.empty() ? "" : ",") + k;
  return s;
}

StatusOr<std::map<std::string, Tensor>> DecodeInstances(const JsonValue& list, const InfoMap& infos) {
  const JsonValue& first = list[0];
  if ((!first.IsObject() || IsBase64Object(first)) && infos.size() > 1) {
    return InvalidArgument(
        "instances is a plain list, but expecting list of objects as multiple input tensors required as per "
        "tensorinfo_map");
  }
  auto is_element_object = [](const JsonValue& v) { return v.IsObject() && !IsBase64Object(v); };
  const bool objects = is_element_object(first);
  std::set<std::string> input_names;
  for (const auto& [name, info] : infos) input_names.insert(name);

  std::map<std::string, RowTensor> tensors;
  int64_t index = 0;
  for (const auto& elem : list.GetArray()) {
    const std::string item = std::to_string(index);
    if (objects) {
      if (!is_element_object(elem)) {
        return InvalidArgument("Expecting object but got list at item " + item + " of input list");
      }
      std::set<std::string> keys;
      for (const auto& kv : elem.GetObject()) {
        const std::string name(kv.name.GetString(), kv.name.GetStringLength());
        Status s = keys.insert(name).second ? AddInstanceItem(kv.value, name, infos, &tensors)
                                            : InvalidArgument("duplicate key: " + name);
        if (!s.ok()) {
          return InvalidArgument("Failed to process element: " + item + " key: " + name +
                                 " of 'instances' list. Error: " + s.ToString());
        }
      }
      if (keys != input_names) {
        return InvalidArgument("Failed to process element: " + item + " of 'instances' list. JSON object: " +
                               JsonValueToString(elem) + " keys must be equal to: " + JoinKeys(input_names));
      }
    } else {
      if (is_element_object(elem)) {
        return InvalidArgument("Expecting value/list but got object at item " + item + " of input list");
      }
      Status s = AddInstanceItem(elem, infos.begin()->first, infos, &tensors);
      if (!s.ok()) {
        return InvalidArgument("Failed to process element: " + item + " of 'instances' list. Error: " +
                               s.ToString());
      }
    }
    ++index;
  }
  std::map<std::string, Tensor> out;
  for (const auto& [name, t] : tensors) {
    const auto dtype = static_cast<DataType>(infos.at(name).dtype());
    ASSIGN_OR_RETURN(out[name], BuildTensor(dtype, t.dims, t.rows, /*batched=*/true));
  }
  return out;
}

StatusOr<Tensor> DecodeColumn(const JsonValue& v, DataType dtype) {
  const std::vector<int64_t> dims = DenseShape(v);
  int64_t count = 0;
  RETURN_IF_ERROR(FillValues(v, 0, dims, dtype, nullptr, &count));
  return BuildTensor(dtype, dims, {&v}, /*batched=*/false);
}

StatusOr<std::map<std::string, Tensor>> DecodeColumnar(const JsonValue& v, const InfoMap& infos) {
  std::map<std::string, Tensor> out;
  if (!v.IsObject() || IsBase64Object(v)) {
    if (infos.size() > 1) {
      return InvalidArgument(
          "inputs is a plain value/list, but expecting an object as multiple input tensors required as per "
          "tensorinfo_map");
    }
    const auto& [name, info] = *infos.begin();
    ASSIGN_OR_RETURN(out[name], DecodeColumn(v, static_cast<DataType>(info.dtype())));
    return out;
  }
  // Sorted, so that the first error reported does not depend on hash order.
  std::map<std::string, DataType> sorted;
  for (const auto& [name, info] : infos) sorted[name] = static_cast<DataType>(info.dtype());
  for (const auto& [name, dtype] : sorted) {
    const JsonValue key(rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size())));
    auto it = v.FindMember(key);
    if (it == v.MemberEnd()) return InvalidArgument("Missing named input: " + name + " in 'inputs' object.");
    ASSIGN_OR_RETURN(out[name], DecodeColumn(it->value, dtype));
  }
  return out;
}

// ---- output ----

bool IsBytesAlias(const std::string& name, const Tensor& t) {
  constexpr std::string_view kSuffix = "_bytes";
  return t.dtype() == DT_STRING && name.size() >= kSuffix.size() &&
         name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0;
}

Status WriteElement(const Tensor& t, bool as_bytes, int64_t i, Writer* w) {
  switch (t.dtype()) {
    case DT_FLOAT: WriteDecimal(w, t.flat<float>()[i], true); return Status::OK();
    case DT_DOUBLE: WriteDecimal(w, t.flat<double>()[i], false); return Status::OK();
    case DT_HALF: WriteDecimal(w, HalfToFloat(t.flat<half>()[i]), true); return Status::OK();
    case DT_BFLOAT16: WriteDecimal(w, BFloat16ToFloat(t.flat<bfloat16>()[i]), true); return Status::OK();
    case DT_INT32: w->Int(t.flat<int32_t>()[i]); return Status::OK();
    case DT_INT16: w->Int(t.flat<int16_t>()[i]); return Status::OK();
    case DT_INT8: w->Int(t.flat<int8_t>()[i]); return Status::OK();
    case DT_UINT8: w->Int(t.flat<uint8_t>()[i]); return Status::OK();
    case DT_UINT16: w->Uint(t.flat<uint16_t>()[i]); return Status::OK();
    case DT_INT64: w->Int64(t.flat<int64_t>()[i]); return Status::OK();
    case DT_UINT32: w->Uint(t.flat<uint32_t>()[i]); return Status::OK();
    case DT_UINT64: w->Uint64(t.flat<uint64_t>()[i]); return Status::OK();
    case DT_BOOL: w->Bool(t.flat<bool>()[i]); return Status::OK();
    case DT_STRING: {
      const std::string& s = t.flat<std::string>()[i];
      if (as_bytes) {
        const std::string b64 = Base64Encode(s);
        w->StartObject();
        w->Key("b64");
        w->String(b64.data(), static_cast<rapidjson::SizeType>(b64.size()));
        w->EndObject();
      } else {
        w->String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
      }
      return Status::OK();
    }
    default:
      return InvalidArgument("Failed to write JSON value for tensor type: " + DataTypeString(t.dtype()));
  }
}

// Nested lists from dimension `dim` on; *offset walks the flat elements.
Status WriteTensorValues(const Tensor& t, bool as_bytes, int dim, Writer* w, int64_t* offset) {
  if (dim > t.rank() - 1) {
    RETURN_IF_ERROR(WriteElement(t, as_bytes, *offset, w));
    ++*offset;
    return Status::OK();
  }
  w->StartArray();
  for (int64_t i = 0; i < t.dim(dim); ++i) RETURN_IF_ERROR(WriteTensorValues(t, as_bytes, dim + 1, w, offset));
  w->EndArray();
  return Status::OK();
}

StatusOr<std::string> RowFormatJson(const std::map<std::string, Tensor>& outputs) {
  int64_t batch = -1;
  for (const auto& [name, t] : outputs) {
    if (t.rank() == 0) return InvalidArgument("Tensor name: " + name + " has no shape information ");
    if (batch >= 0 && t.dim(0) != batch) {
      return InvalidArgument("Tensor name: " + name + " has inconsistent batch size: " + std::to_string(t.dim(0)) +
                             " expecting: " + std::to_string(batch));
    }
    batch = t.dim(0);
  }
  std::map<std::string, int64_t> offsets;
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("predictions");
  w.StartArray();
  const bool objects = outputs.size() > 1;
  for (int64_t row = 0; row < batch; ++row) {
    if (objects) w.StartObject();
    // TF Serving's layout: each row on one line.
    w.SetFormatOptions(rapidjson::kFormatSingleLineArray);
    for (const auto& [name, t] : outputs) {
      if (objects) w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
      RETURN_IF_ERROR(WriteTensorValues(t, IsBytesAlias(name, t), 1, &w, &offsets[name]));
    }
    w.SetFormatOptions(rapidjson::kFormatDefault);
    if (objects) w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

StatusOr<std::string> ColumnarFormatJson(const std::map<std::string, Tensor>& outputs) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("outputs");
  const bool objects = outputs.size() > 1;
  if (objects) w.StartObject();
  for (const auto& [name, t] : outputs) {
    if (objects) w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    int64_t offset = 0;
    RETURN_IF_ERROR(WriteTensorValues(t, IsBytesAlias(name, t), 0, &w, &offset));
  }
  if (objects) w.EndObject();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

// ---- tf.Example features ----

using tensorflow::Feature;

Status IncompatibleFeatureKindError(const std::string& name, const Feature& f) {
  const char* kind = "UNKNOWN";
  switch (f.kind_case()) {
    case Feature::kBytesList: kind = "bytes"; break;
    case Feature::kFloatList: kind = "float"; break;
    case Feature::kInt64List: kind = "int64"; break;
    default: break;
  }
  return InvalidArgument("Unexpected element type in feature: " + name + " expecting type: " + kind);
}

bool IsKind(const Feature& f, Feature::KindCase kind) {
  return f.kind_case() == Feature::KIND_NOT_SET || f.kind_case() == kind;
}

Status AddValueToFeature(const JsonValue& v, const std::string& name, Feature* f) {
  auto unexpected = [&] {
    return InvalidArgument("Feature: " + name + " has element with unexpected JSON type: " + JsonTypeString(v));
  };
  switch (v.GetType()) {
    case rapidjson::kNullType:
    case rapidjson::kArrayType:
      return unexpected();
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      if (!IsKind(*f, Feature::kInt64List)) return IncompatibleFeatureKindError(name, *f);
      f->mutable_int64_list()->add_value(v.GetBool() ? 1 : 0);
      return Status::OK();
    case rapidjson::kObjectType:
      if (!IsBase64Object(v)) return unexpected();
      if (!IsKind(*f, Feature::kBytesList)) return IncompatibleFeatureKindError(name, *f);
      return DecodeBase64Object(v, f->mutable_bytes_list()->add_value());
    case rapidjson::kStringType:
      if (!IsKind(*f, Feature::kBytesList)) return IncompatibleFeatureKindError(name, *f);
      f->mutable_bytes_list()->add_value(v.GetString(), v.GetStringLength());
      return Status::OK();
    case rapidjson::kNumberType:
      if (v.IsDouble()) {
        if (!IsKind(*f, Feature::kFloatList)) return IncompatibleFeatureKindError(name, *f);
        if (!IsLosslessDecimal<float>(v)) return LossyDecimalError(v, "float");
        f->mutable_float_list()->add_value(v.GetFloat());
        return Status::OK();
      }
      if (!IsKind(*f, Feature::kInt64List)) return IncompatibleFeatureKindError(name, *f);
      if (!v.IsInt64()) return InvalidArgument("Feature: " + name + " has uint64 element. Only int64 is supported.");
      f->mutable_int64_list()->add_value(v.GetInt64());
      return Status::OK();
  }
  return unexpected();
}

Status MakeExample(const JsonValue& v, tensorflow::Example* example) {
  if (!v.IsObject()) return InvalidArgument("Example must be JSON object but got JSON " + JsonTypeString(v));
  for (const auto& kv : v.GetObject()) {
    const std::string name(kv.name.GetString(), kv.name.GetStringLength());
    Feature feature;
    if (kv.value.IsArray()) {
      for (const auto& e : kv.value.GetArray()) RETURN_IF_ERROR(AddValueToFeature(e, name, &feature));
    } else {
      RETURN_IF_ERROR(AddValueToFeature(kv.value, name, &feature));
    }
    (*example->mutable_features()->mutable_feature())[name] = std::move(feature);
  }
  return Status::OK();
}

template <typename Request>
Status FillClassifyRegressRequest(std::string_view body, Request* request) {
  rapidjson::Document doc;
  RETURN_IF_ERROR(ParseJson(body, &doc));
  std::string signature;
  RETURN_IF_ERROR(ReadSignatureName(doc, &signature));
  if (doc.HasMember("signature_name")) request->mutable_model_spec()->set_signature_name(signature);
  tensorflow::serving::Input* input = request->mutable_input();
  bool has_context = false;
  auto it = doc.FindMember("context");
  if (it != doc.MemberEnd()) {
    RETURN_IF_ERROR(MakeExample(it->value, input->mutable_example_list_with_context()->mutable_context()));
    has_context = true;
  }
  it = doc.FindMember("examples");
  // TF Serving says "classify" for both methods.
  if (it == doc.MemberEnd()) {
    return FormatError(doc, "When method is classify, key 'examples' is expected and was not found");
  }
  if (!it->value.IsArray()) return FormatError(doc, "Expecting 'examples' value to be an list/array");
  if (it->value.Empty()) return FormatError(doc, "'examples' value is an empty array");
  for (const auto& e : it->value.GetArray()) {
    RETURN_IF_ERROR(MakeExample(e, has_context ? input->mutable_example_list_with_context()->add_examples()
                                               : input->mutable_example_list()->add_examples()));
  }
  return Status::OK();
}

// Replaces bytes that are not UTF-8 with '?', so an error quoting hostile
// input is still valid JSON for the client.
std::string ValidUtf8(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
    if (ok) {
      out.append(s, i, len);
      i += len;
    } else {
      out += '?';
      ++i;
    }
  }
  return out;
}

}  // namespace

struct JsonPredictRequest::Doc {
  rapidjson::Document doc;
};

JsonPredictRequest::JsonPredictRequest() = default;
JsonPredictRequest::~JsonPredictRequest() = default;
JsonPredictRequest::JsonPredictRequest(JsonPredictRequest&&) noexcept = default;
JsonPredictRequest& JsonPredictRequest::operator=(JsonPredictRequest&&) noexcept = default;

StatusOr<JsonPredictRequest> JsonPredictRequest::Parse(std::string_view body) {
  JsonPredictRequest r;
  r.doc_ = std::make_unique<Doc>();
  RETURN_IF_ERROR(ParseJson(body, &r.doc_->doc));
  RETURN_IF_ERROR(ReadSignatureName(r.doc_->doc, &r.signature_name_));
  return r;
}

StatusOr<std::map<std::string, Tensor>> JsonPredictRequest::DecodeInputs(const InfoMap& inputs,
                                                                         JsonPredictFormat* format) const {
  if (doc_ == nullptr) return FailedPrecondition("DecodeInputs on a request that was not parsed");
  if (inputs.empty()) {
    return InvalidArgument("Failed to get input map for signature: " +
                           (signature_name_.empty() ? std::string("DEFAULT") : signature_name_));
  }
  const rapidjson::Document& doc = doc_->doc;
  auto instances = doc.FindMember("instances");
  auto columns = doc.FindMember("inputs");
  if (instances != doc.MemberEnd()) {
    if (columns != doc.MemberEnd()) {
      return FormatError(doc, "Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist ");
    }
    if (!instances->value.IsArray()) return FormatError(doc, "Excepting 'instances' to be an list/array");
    if (instances->value.Empty()) return FormatError(doc, "No values in 'instances' array");
    *format = JsonPredictFormat::kRow;
    return DecodeInstances(instances->value, inputs);
  }
  if (columns != doc.MemberEnd()) {
    *format = JsonPredictFormat::kColumnar;
    return DecodeColumnar(columns->value, inputs);
  }
  return InvalidArgument("Missing 'inputs' or 'instances' key");
}

StatusOr<std::string> MakeJsonFromTensors(const std::map<std::string, Tensor>& outputs, JsonPredictFormat format) {
  if (outputs.empty()) return InvalidArgument("Cannot convert empty tensor map to JSON");
  return format == JsonPredictFormat::kRow ? RowFormatJson(outputs) : ColumnarFormatJson(outputs);
}

Status FillClassificationRequestFromJson(std::string_view body, tensorflow::serving::ClassificationRequest* request) {
  return FillClassifyRegressRequest(body, request);
}

Status FillRegressionRequestFromJson(std::string_view body, tensorflow::serving::RegressionRequest* request) {
  return FillClassifyRegressRequest(body, request);
}

StatusOr<std::string> MakeJsonFromClassificationResult(const tensorflow::serving::ClassificationResult& result) {
  if (result.classifications_size() == 0) {
    return InvalidArgument("Cannot convert empty ClassificationResults to JSON");
  }
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("results");
  w.StartArray();
  for (const auto& classifications : result.classifications()) {
    w.SetFormatOptions(rapidjson::kFormatSingleLineArray);
    w.StartArray();
    for (const auto& c : classifications.classes()) {
      w.StartArray();
      w.String(c.label().data(), static_cast<rapidjson::SizeType>(c.label().size()));
      WriteDecimal(&w, c.score(), true);
      w.EndArray();
    }
    w.EndArray();
    w.SetFormatOptions(rapidjson::kFormatDefault);
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

StatusOr<std::string> MakeJsonFromRegressionResult(const tensorflow::serving::RegressionResult& result) {
  if (result.regressions_size() == 0) return InvalidArgument("Cannot convert empty RegressionResults to JSON");
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("results");
  w.SetFormatOptions(rapidjson::kFormatSingleLineArray);
  w.StartArray();
  for (const auto& r : result.regressions()) WriteDecimal(&w, r.value(), true);
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string MakeJsonFromStatus(const Status& status) {
  const std::string message = ValidUtf8(status.message());
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("error");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace savedmodel
