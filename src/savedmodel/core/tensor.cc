#include "savedmodel/core/tensor.h"

#include <cassert>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <sstream>

namespace savedmodel {

TensorBuffer::TensorBuffer(DataType dtype, int64_t num_elements)
    : dtype_(dtype), num_elements_(num_elements) {
  size_t elem = dtype == DT_STRING ? sizeof(std::string) : DataTypeSize(dtype);
  bytes_ = static_cast<size_t>(num_elements) * elem;
  // aligned_alloc needs a size that is a multiple of the alignment.
  size_t alloc = (bytes_ + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
  if (alloc == 0) alloc = kTensorAlignment;
  data_ = std::aligned_alloc(kTensorAlignment, alloc);
  if (data_ == nullptr) throw std::bad_alloc();
  if (dtype == DT_STRING) {
    auto* s = static_cast<std::string*>(data_);
    for (int64_t i = 0; i < num_elements; ++i) new (s + i) std::string();
  } else {
    std::memset(data_, 0, alloc);
  }
}

TensorBuffer::~TensorBuffer() {
  if (dtype_ == DT_STRING) {
    auto* s = static_cast<std::string*>(data_);
    for (int64_t i = 0; i < num_elements_; ++i) s[i].~basic_string();
  }
  std::free(data_);
}

Tensor::Tensor(DataType dtype, const TensorShape& shape)
    : dtype_(dtype), shape_(shape),
      buf_(std::make_shared<TensorBuffer>(dtype, shape.num_elements())) {
  assert(IsStorableDataType(dtype));
}

StatusOr<Tensor> Tensor::Create(DataType dtype, std::span<const int64_t> dims) {
  if (!IsStorableDataType(dtype)) {
    return Unimplemented("tensors of type " + DataTypeString(dtype) + " are not supported");
  }
  ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(dims));
  return Tensor(dtype, shape);
}

StatusOr<Tensor> Tensor::Reshaped(const TensorShape& shape) const {
  if (shape.num_elements() != num_elements()) {
    return InvalidArgument("cannot reshape a tensor with " + std::to_string(num_elements()) +
                           " elements to shape " + shape.DebugString());
  }
  Tensor t = *this;
  t.shape_ = shape;
  return t;
}

Tensor Tensor::DeepCopy() const {
  if (!IsInitialized()) return *this;
  Tensor t(dtype_, shape_);
  if (dtype_ == DT_STRING) {
    auto src = flat<std::string>();
    auto dst = t.flat<std::string>();
    for (size_t i = 0; i < src.size(); ++i) dst[i] = src[i];
  } else if (byte_size() > 0) {
    std::memcpy(t.raw_data(), raw_data(), byte_size());
  }
  return t;
}

bool Tensor::Equals(const Tensor& other) const {
  if (dtype_ != other.dtype_ || !(shape_ == other.shape_)) return false;
  if (!IsInitialized() || !other.IsInitialized()) {
    return IsInitialized() == other.IsInitialized();
  }
  if (dtype_ == DT_STRING) {
    auto a = flat<std::string>();
    auto b = other.flat<std::string>();
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }
  return byte_size() == 0 || std::memcmp(raw_data(), other.raw_data(), byte_size()) == 0;
}

namespace {

std::string FormatFloat(double v, bool is_float32) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  // Shortest representation that round-trips at the element's precision.
  std::snprintf(buf, sizeof(buf), "%.*g", is_float32 ? 9 : 17, v);
  for (int prec = 1; prec <= 17; ++prec) {
    char tryb[64];
    std::snprintf(tryb, sizeof(tryb), "%.*g", prec, v);
    double back = std::strtod(tryb, nullptr);
    if (is_float32 ? static_cast<float>(back) == static_cast<float>(v) : back == v) {
      std::snprintf(buf, sizeof(buf), "%s", tryb);
      break;
    }
  }
  std::string s = buf;
  if (s.find_first_of(".eni") == std::string::npos) s += ".";
  return s;
}

std::string EscapeBytes(const std::string& s) {
  std::string out = "b'";
  for (unsigned char c : s) {
    if (c == '\\' || c == '\'') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "'";
}

std::string ElementString(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DT_FLOAT: return FormatFloat(t.flat<float>()[i], true);
    case DT_DOUBLE: return FormatFloat(t.flat<double>()[i], false);
    case DT_HALF: return FormatFloat(HalfToFloat(t.flat<half>()[i]), true);
    case DT_BFLOAT16: return FormatFloat(BFloat16ToFloat(t.flat<bfloat16>()[i]), true);
    case DT_INT32: return std::to_string(t.flat<int32_t>()[i]);
    case DT_INT64: return std::to_string(t.flat<int64_t>()[i]);
    case DT_INT16: return std::to_string(t.flat<int16_t>()[i]);
    case DT_INT8: return std::to_string(t.flat<int8_t>()[i]);
    case DT_UINT8: return std::to_string(t.flat<uint8_t>()[i]);
    case DT_UINT16: return std::to_string(t.flat<uint16_t>()[i]);
    case DT_UINT32: return std::to_string(t.flat<uint32_t>()[i]);
    case DT_UINT64: return std::to_string(t.flat<uint64_t>()[i]);
    case DT_BOOL: return t.flat<bool>()[i] ? "True" : "False";
    case DT_STRING: return EscapeBytes(t.flat<std::string>()[i]);
    case DT_COMPLEX64: {
      auto c = t.flat<complex64>()[i];
      return "(" + FormatFloat(c.real(), true) + (c.imag() < 0 ? "" : "+") +
             FormatFloat(c.imag(), true) + "j)";
    }
    case DT_COMPLEX128: {
      auto c = t.flat<complex128>()[i];
      return "(" + FormatFloat(c.real(), false) + (c.imag() < 0 ? "" : "+") +
             FormatFloat(c.imag(), false) + "j)";
    }
    default: return "?";
  }
}

}  // namespace

std::string Tensor::DebugString(int max_entries) const {
  std::ostringstream os;
  os << "Tensor<type: " << DataTypeString(dtype_) << " shape: " << shape_.DebugString()
     << " values:";
  if (IsInitialized()) {
    int64_t n = std::min<int64_t>(num_elements(), max_entries);
    for (int64_t i = 0; i < n; ++i) os << " " << ElementString(*this, i);
    if (n < num_elements()) os << "...";
  }
  os << ">";
  return os.str();
}

std::string Tensor::ValuesString(int64_t max_entries) const {
  if (!IsInitialized()) return "<uninitialized>";
  if (rank() == 0) return ElementString(*this, 0);
  std::string out;
  int64_t printed = 0;
  bool truncated = false;
  // Walks the index space, opening a bracket per dimension as numpy does.
  std::vector<int64_t> idx(rank(), 0);
  int64_t n = num_elements();
  if (n == 0) return std::string(rank(), '[') + std::string(rank(), ']');
  for (int64_t flat_i = 0; flat_i < n; ++flat_i) {
    int opening = 0;
    for (int d = rank() - 1; d >= 0 && idx[d] == 0; --d) ++opening;
    if (flat_i > 0) {
      out += opening > 0 ? std::string(opening, '\n') : std::string(" ");
      if (opening > 0) out += std::string(rank() - opening, ' ');
    }
    out += std::string(opening, '[');
    if (printed < max_entries) {
      out += ElementString(*this, flat_i);
      ++printed;
    } else if (!truncated) {
      out += "...";
      truncated = true;
    }
    int closing = 0;
    for (int d = rank() - 1; d >= 0; --d) {
      if (++idx[d] < shape_.dim(d)) break;
      idx[d] = 0;
      ++closing;
    }
    out += std::string(closing, ']');
    if (truncated) {
      out += std::string(rank() - closing, ']');
      break;
    }
  }
  return out;
}

}  // namespace savedmodel
