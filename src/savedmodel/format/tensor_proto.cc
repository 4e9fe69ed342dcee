#include "savedmodel/format/tensor_proto.h"

#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <vector>

namespace savedmodel {
namespace {

std::string Count(int64_t n) { return std::to_string(n); }

// Copies `values` into `out`, repeating the last one when there are fewer.
// `convert` maps a field value to the element type.
template <typename T, typename Field, typename Convert>
Status FillFromField(const Field& values, int64_t n_values, std::span<T> out,
                     const char* field_name, Convert convert) {
  int64_t n = static_cast<int64_t>(out.size());
  if (n_values > n) {
    return InvalidArgument("TensorProto has " + Count(n_values) + " values in " + field_name +
                           " but its shape holds only " + Count(n) + " elements");
  }
  for (int64_t i = 0; i < n_values; ++i) out[i] = convert(values, i);
  if (n_values > 0) {
    for (int64_t i = n_values; i < n; ++i) out[i] = out[n_values - 1];
  }
  // With no values, the tensor stays zero-filled / empty strings.
  return Status::OK();
}

template <typename T, typename Field>
Status FillScalars(const Field& values, std::span<T> out, const char* field_name) {
  return FillFromField(values, values.size(), out, field_name,
                       [](const Field& v, int64_t i) { return static_cast<T>(v.Get(i)); });
}

Status DecodeStringContent(const std::string& content, std::span<std::string> out) {
  // One varint32 length per element, then the bytes back to back
  // (TensorFlow's port::EncodeStringList).
  size_t pos = 0;
  std::vector<uint32_t> lengths;
  uint64_t total = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    uint32_t len = 0;
    int shift = 0;
    while (true) {
      if (pos >= content.size() || shift > 28) {
        return InvalidArgument("DT_STRING tensor_content has a truncated or bad length varint");
      }
      uint8_t b = static_cast<uint8_t>(content[pos++]);
      len |= static_cast<uint32_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
      shift += 7;
    }
    lengths.push_back(len);
    total += len;
  }
  if (total != content.size() - pos) {
    return InvalidArgument("DT_STRING tensor_content lengths add up to " + std::to_string(total) +
                           " bytes but " + std::to_string(content.size() - pos) + " follow");
  }
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = content.substr(pos, lengths[i]);
    pos += lengths[i];
  }
  return Status::OK();
}

Status FillFromContent(const tensorflow::TensorProto& proto, Tensor* t) {
  const std::string& content = proto.tensor_content();
  if (t->dtype() == DT_STRING) return DecodeStringContent(content, t->flat<std::string>());
  if (content.size() != t->byte_size()) {
    return InvalidArgument("TensorProto tensor_content has " + std::to_string(content.size()) +
                           " bytes but shape " + t->shape().DebugString() + " of " +
                           DataTypeString(t->dtype()) + " needs " +
                           std::to_string(t->byte_size()));
  }
  if (!content.empty()) std::memcpy(t->raw_data(), content.data(), content.size());
  if (t->dtype() == DT_BOOL) {
    auto* p = static_cast<uint8_t*>(t->raw_data());
    for (size_t i = 0; i < content.size(); ++i) p[i] = p[i] != 0;
  }
  return Status::OK();
}

Status FillFromFields(const tensorflow::TensorProto& p, Tensor* t) {
  switch (t->dtype()) {
    case DT_FLOAT: return FillScalars(p.float_val(), t->flat<float>(), "float_val");
    case DT_DOUBLE: return FillScalars(p.double_val(), t->flat<double>(), "double_val");
    case DT_INT32: return FillScalars(p.int_val(), t->flat<int32_t>(), "int_val");
    case DT_INT16: return FillScalars(p.int_val(), t->flat<int16_t>(), "int_val");
    case DT_INT8: return FillScalars(p.int_val(), t->flat<int8_t>(), "int_val");
    case DT_UINT8: return FillScalars(p.int_val(), t->flat<uint8_t>(), "int_val");
    case DT_UINT16: return FillScalars(p.int_val(), t->flat<uint16_t>(), "int_val");
    case DT_INT64: return FillScalars(p.int64_val(), t->flat<int64_t>(), "int64_val");
    case DT_UINT32: return FillScalars(p.uint32_val(), t->flat<uint32_t>(), "uint32_val");
    case DT_UINT64: return FillScalars(p.uint64_val(), t->flat<uint64_t>(), "uint64_val");
    case DT_BOOL: return FillScalars(p.bool_val(), t->flat<bool>(), "bool_val");
    case DT_HALF:
      return FillFromField(p.half_val(), p.half_val_size(), t->flat<half>(), "half_val",
                           [](const auto& v, int64_t i) {
                             return half{static_cast<uint16_t>(v.Get(i))};
                           });
    case DT_BFLOAT16:
      return FillFromField(p.half_val(), p.half_val_size(), t->flat<bfloat16>(), "half_val",
                           [](const auto& v, int64_t i) {
                             return bfloat16{static_cast<uint16_t>(v.Get(i))};
                           });
    case DT_COMPLEX64:
      return FillFromField(p.scomplex_val(), p.scomplex_val_size() / 2, t->flat<complex64>(),
                           "scomplex_val", [](const auto& v, int64_t i) {
                             return complex64(v.Get(2 * i), v.Get(2 * i + 1));
                           });
    case DT_COMPLEX128:
      return FillFromField(p.dcomplex_val(), p.dcomplex_val_size() / 2, t->flat<complex128>(),
                           "dcomplex_val", [](const auto& v, int64_t i) {
                             return complex128(v.Get(2 * i), v.Get(2 * i + 1));
                           });
    case DT_STRING:
      return FillFromField(p.string_val(), p.string_val_size(), t->flat<std::string>(),
                           "string_val",
                           [](const auto& v, int64_t i) { return std::string(v.Get(i)); });
    default:
      return Unimplemented("TensorProto of type " + DataTypeString(t->dtype()) +
                           " is not supported");
  }
}

// How many elements the value field for `dtype` holds (complex: pairs), and its name.
int64_t FieldValueCount(const tensorflow::TensorProto& p, DataType dtype, const char** field) {
  switch (dtype) {
    case DT_FLOAT: *field = "float_val"; return p.float_val_size();
    case DT_DOUBLE: *field = "double_val"; return p.double_val_size();
    case DT_INT32: case DT_INT16: case DT_INT8: case DT_UINT8: case DT_UINT16:
      *field = "int_val";
      return p.int_val_size();
    case DT_INT64: *field = "int64_val"; return p.int64_val_size();
    case DT_UINT32: *field = "uint32_val"; return p.uint32_val_size();
    case DT_UINT64: *field = "uint64_val"; return p.uint64_val_size();
    case DT_BOOL: *field = "bool_val"; return p.bool_val_size();
    case DT_HALF: case DT_BFLOAT16: *field = "half_val"; return p.half_val_size();
    case DT_COMPLEX64: *field = "scomplex_val"; return p.scomplex_val_size() / 2;
    case DT_COMPLEX128: *field = "dcomplex_val"; return p.dcomplex_val_size() / 2;
    case DT_STRING: *field = "string_val"; return p.string_val_size();
    default: *field = "no field"; return 0;
  }
}

Status CheckValueCount(const tensorflow::TensorProto& proto, DataType dtype,
                       const TensorShape& shape) {
  const int64_t n = shape.num_elements();
  const std::string& content = proto.tensor_content();
  if (!content.empty()) {
    if (dtype == DT_STRING) {
      // Each element's length takes at least one varint byte.
      if (static_cast<int64_t>(content.size()) < n) {
        return InvalidArgument("DT_STRING tensor_content has " + std::to_string(content.size()) +
                               " bytes, too few for the " + Count(n) + " elements of shape " +
                               shape.DebugString());
      }
      return Status::OK();
    }
    // n <= 2^40 and element sizes are small: no overflow.
    const uint64_t need = static_cast<uint64_t>(n) * DataTypeSize(dtype);
    if (content.size() != need) {
      return InvalidArgument("TensorProto tensor_content has " + std::to_string(content.size()) +
                             " bytes but shape " + shape.DebugString() + " of " +
                             DataTypeString(dtype) + " needs " + std::to_string(need));
    }
    return Status::OK();
  }
  const char* field;
  const int64_t n_values = FieldValueCount(proto, dtype, &field);
  if (n_values > n) {
    return InvalidArgument("TensorProto has " + Count(n_values) + " values in " + field +
                           " but its shape holds only " + Count(n) + " elements");
  }
  return Status::OK();
}

}  // namespace

StatusOr<TensorShape> TensorShapeFromProto(const tensorflow::TensorShapeProto& proto) {
  if (proto.unknown_rank()) {
    return InvalidArgument("expected a fully known shape, got one of unknown rank");
  }
  std::vector<int64_t> dims;
  dims.reserve(std::min(proto.dim_size(), kMaxTensorRank + 1));
  for (const auto& d : proto.dim()) {
    if (d.size() < 0) {
      std::string text = "(";
      for (int i = 0; i < proto.dim_size() && i < 16; ++i) {
        text += (i ? ", " : "") + std::to_string(proto.dim(i).size());
      }
      text += proto.dim_size() > 16 ? ", ...)" : proto.dim_size() == 1 ? ",)" : ")";
      return InvalidArgument("expected a fully known shape, got " + text);
    }
    dims.push_back(d.size());
    if (dims.size() > static_cast<size_t>(kMaxTensorRank)) break;  // FromDims reports it
  }
  return TensorShape::FromDims(dims);
}

void TensorShapeToProto(const TensorShape& shape, tensorflow::TensorShapeProto* proto) {
  proto->Clear();
  for (int64_t d : shape.dims()) proto->add_dim()->set_size(d);
}

StatusOr<PartialShape> PartialShapeFromProto(const tensorflow::TensorShapeProto& proto) {
  if (proto.unknown_rank()) {
    if (proto.dim_size() > 0) {
      return InvalidArgument("shape has unknown_rank set but also " +
                             std::to_string(proto.dim_size()) + " dims");
    }
    return PartialShape::Unknown();
  }
  if (proto.dim_size() > kMaxTensorRank) {
    return InvalidArgument("shape has rank " + std::to_string(proto.dim_size()) +
                           ", more than the maximum " + std::to_string(kMaxTensorRank));
  }
  std::vector<int64_t> dims;
  for (int i = 0; i < proto.dim_size(); ++i) {
    int64_t d = proto.dim(i).size();
    if (d < -1) {
      return InvalidArgument("shape dimension " + std::to_string(i) + " is " +
                             std::to_string(d) + "; dimensions must be >= -1");
    }
    dims.push_back(d);
  }
  return PartialShape(std::move(dims));
}

void PartialShapeToProto(const PartialShape& shape, tensorflow::TensorShapeProto* proto) {
  proto->Clear();
  if (shape.unknown_rank()) {
    proto->set_unknown_rank(true);
    return;
  }
  for (int64_t d : shape.dims()) proto->add_dim()->set_size(d);
}

StatusOr<Tensor> TensorFromProto(const tensorflow::TensorProto& proto) {
  DataType dtype = static_cast<DataType>(proto.dtype());
  if (!IsKnownDataType(proto.dtype())) {
    return InvalidArgument("TensorProto has unknown dtype " + std::to_string(proto.dtype()));
  }
  if (!IsStorableDataType(dtype)) {
    return Unimplemented("TensorProto of type " + DataTypeString(dtype) + " is not supported");
  }
  StatusOr<TensorShape> shape = TensorShapeFromProto(proto.tensor_shape());
  if (!shape.ok()) return shape.status().WithContext("TensorProto");
  // Sizes are checked against the shape before allocating, so a few bytes of
  // proto cannot claim a huge tensor; only an all-zero (no values) tensor is as
  // large as its shape says, bounded by MaxTensorBytes.
  RETURN_IF_ERROR(CheckValueCount(proto, dtype, *shape));
  ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(dtype, *shape));
  if (!proto.tensor_content().empty()) {
    RETURN_IF_ERROR(FillFromContent(proto, &t));
  } else {
    RETURN_IF_ERROR(FillFromFields(proto, &t));
  }
  return t;
}

void TensorToProto(const Tensor& tensor, tensorflow::TensorProto* proto,
                   bool use_tensor_content) {
  proto->Clear();
  proto->set_dtype(static_cast<tensorflow::DataType>(tensor.dtype()));
  TensorShapeToProto(tensor.shape(), proto->mutable_tensor_shape());
  if (tensor.dtype() == DT_STRING) {
    for (const std::string& s : tensor.flat<std::string>()) proto->add_string_val(s);
    return;
  }
  if (use_tensor_content) {
    proto->set_tensor_content(static_cast<const char*>(tensor.raw_data()), tensor.byte_size());
    return;
  }
  auto add_all = [](auto values, auto* field) {
    field->Reserve(static_cast<int>(values.size()));
    for (auto v : values) field->Add(v);
  };
  switch (tensor.dtype()) {
    case DT_FLOAT: add_all(tensor.flat<float>(), proto->mutable_float_val()); break;
    case DT_DOUBLE: add_all(tensor.flat<double>(), proto->mutable_double_val()); break;
    case DT_INT32: add_all(tensor.flat<int32_t>(), proto->mutable_int_val()); break;
    case DT_INT16: add_all(tensor.flat<int16_t>(), proto->mutable_int_val()); break;
    case DT_INT8: add_all(tensor.flat<int8_t>(), proto->mutable_int_val()); break;
    case DT_UINT8: add_all(tensor.flat<uint8_t>(), proto->mutable_int_val()); break;
    case DT_UINT16: add_all(tensor.flat<uint16_t>(), proto->mutable_int_val()); break;
    case DT_INT64: add_all(tensor.flat<int64_t>(), proto->mutable_int64_val()); break;
    case DT_UINT32: add_all(tensor.flat<uint32_t>(), proto->mutable_uint32_val()); break;
    case DT_UINT64: add_all(tensor.flat<uint64_t>(), proto->mutable_uint64_val()); break;
    case DT_BOOL: add_all(tensor.flat<bool>(), proto->mutable_bool_val()); break;
    case DT_HALF:
      for (half h : tensor.flat<half>()) proto->add_half_val(h.bits);
      break;
    case DT_BFLOAT16:
      for (bfloat16 b : tensor.flat<bfloat16>()) proto->add_half_val(b.bits);
      break;
    case DT_COMPLEX64:
      for (complex64 c : tensor.flat<complex64>()) {
        proto->add_scomplex_val(c.real());
        proto->add_scomplex_val(c.imag());
      }
      break;
    case DT_COMPLEX128:
      for (complex128 c : tensor.flat<complex128>()) {
        proto->add_dcomplex_val(c.real());
        proto->add_dcomplex_val(c.imag());
      }
      break;
    default:
      break;  // unreachable: a Tensor holds only the types above
  }
}

}  // namespace savedmodel
