#include "savedmodel/core/npy.h"

#include "savedmodel/core/pickle_strings.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <map>
#include <vector>

namespace savedmodel {
namespace {

static_assert(std::endian::native == std::endian::little,
              "npy.cc copies little-endian numpy data straight into tensors");

constexpr std::string_view kNpyMagic = "\x93NUMPY";
constexpr size_t kArrayAlign = 64;          // numpy's ARRAY_ALIGN
constexpr size_t kGrowthAxisMaxDigits = 21;  // numpy's GROWTH_AXIS_MAX_DIGITS

uint16_t Load16(const char* p) {
  return static_cast<uint16_t>(static_cast<uint8_t>(p[0]) | static_cast<uint8_t>(p[1]) << 8);
}
uint32_t Load32(const char* p) {
  return static_cast<uint32_t>(Load16(p)) | static_cast<uint32_t>(Load16(p + 2)) << 16;
}
void Put16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v & 0xff));
  out->push_back(static_cast<char>(v >> 8));
}
void Put32(std::string* out, uint32_t v) {
  Put16(out, static_cast<uint16_t>(v & 0xffff));
  Put16(out, static_cast<uint16_t>(v >> 16));
}

// ---- the header dict ------------------------------------------------------------

// The few Python literals a header holds.
struct PyValue {
  enum Kind { kString, kBool, kTuple } kind = kString;
  std::string str;
  bool b = false;
  std::vector<int64_t> ints;
};

class HeaderParser {
 public:
  explicit HeaderParser(std::string_view s) : s_(s) {}

  Status ParseDict(std::map<std::string, PyValue>* out) {
    SkipSpace();
    if (!Consume('{')) return Error("expected '{'");
    while (true) {
      SkipSpace();
      if (Consume('}')) break;
      std::string key;
      RETURN_IF_ERROR(ParseString(&key));
      SkipSpace();
      if (!Consume(':')) return Error("expected ':' after '" + key + "'");
      SkipSpace();
      PyValue v;
      RETURN_IF_ERROR(ParseValue(&v));
      if (!out->emplace(key, std::move(v)).second) return Error("duplicate key '" + key + "'");
      SkipSpace();
      if (Consume(',')) continue;
      SkipSpace();
      if (Consume('}')) break;
      return Error("expected ',' or '}'");
    }
    SkipSpace();
    if (pos_ != s_.size()) return Error("unexpected text after the dict");
    return Status::OK();
  }

 private:
  Status Error(const std::string& what) const {
    return InvalidArgument("bad .npy header at offset " + std::to_string(pos_) + ": " + what);
  }
  void SkipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' ||
                                s_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Consume(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool ConsumeWord(std::string_view w) {
    if (s_.substr(pos_).starts_with(w)) {
      pos_ += w.size();
      return true;
    }
    return false;
  }

  Status ParseString(std::string* out) {
    if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"')) {
      return Error("expected a quoted string");
    }
    char quote = s_[pos_++];
    while (pos_ < s_.size() && s_[pos_] != quote) {
      if (s_[pos_] == '\\') return Error("escapes are not supported in header strings");
      out->push_back(s_[pos_++]);
    }
    if (!Consume(quote)) return Error("unterminated string");
    return Status::OK();
  }

  Status ParseInt(int64_t* out) {
    bool neg = Consume('-');
    size_t start = pos_;
    uint64_t v = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      if (v > (std::numeric_limits<uint64_t>::max() - 9) / 10) return Error("integer too large");
      v = v * 10 + static_cast<uint64_t>(s_[pos_++] - '0');
    }
    if (pos_ == start) return Error("expected an integer");
    Consume('L');  // Python 2 longs
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Error("integer too large");
    }
    *out = neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
    return Status::OK();
  }

  Status ParseValue(PyValue* v) {
    if (pos_ < s_.size() && (s_[pos_] == '\'' || s_[pos_] == '"')) {
      v->kind = PyValue::kString;
      return ParseString(&v->str);
    }
    if (ConsumeWord("True")) {
      v->kind = PyValue::kBool;
      v->b = true;
      return Status::OK();
    }
    if (ConsumeWord("False")) {
      v->kind = PyValue::kBool;
      v->b = false;
      return Status::OK();
    }
    if (Consume('(')) {
      v->kind = PyValue::kTuple;
      while (true) {
        SkipSpace();
        if (Consume(')')) break;
        if (v->ints.size() > static_cast<size_t>(kMaxTensorRank)) {
          return Error("shape has more than " + std::to_string(kMaxTensorRank) + " dimensions");
        }
        int64_t d = 0;
        RETURN_IF_ERROR(ParseInt(&d));
        v->ints.push_back(d);
        SkipSpace();
        if (Consume(',')) continue;
        SkipSpace();
        if (Consume(')')) break;
        return Error("expected ',' or ')' in a tuple");
      }
      return Status::OK();
    }
    if (pos_ < s_.size() && s_[pos_] == '[') {
      return Unimplemented("structured (record) dtypes are not supported");
    }
    return Error("unsupported value");
  }

  std::string_view s_;
  size_t pos_ = 0;
};

// ---- dtypes ---------------------------------------------------------------------

enum class Layout { kNumeric, kBytes, kUnicode };

struct NpyType {
  DataType dtype = DT_INVALID;
  Layout layout = Layout::kNumeric;
  size_t itemsize = 0;   // bytes per element in the file
  size_t swap_unit = 0;  // bytes to reverse when big-endian; 0 = none
};

Status ParseDescr(const std::string& descr, NpyType* t) {
  std::string_view d = descr;
  bool big = false;
  if (!d.empty() && (d[0] == '<' || d[0] == '>' || d[0] == '|' || d[0] == '=')) {
    big = d[0] == '>';
    d.remove_prefix(1);
  }
  if (d.empty()) return InvalidArgument("empty dtype descr");
  char kind = d[0];
  std::string_view size_text = d.substr(1);
  uint64_t size = 0;
  for (char c : size_text) {
    if (c < '0' || c > '9' || size > (uint64_t{1} << 40)) {
      return Unimplemented("unsupported numpy dtype '" + descr + "'");
    }
    size = size * 10 + static_cast<uint64_t>(c - '0');
  }
  auto numeric = [&](DataType dt, size_t want, size_t swap) -> Status {
    if (size != want) return Unimplemented("unsupported numpy dtype '" + descr + "'");
    t->dtype = dt;
    t->itemsize = want;
    t->swap_unit = big && swap > 1 ? swap : 0;
    return Status::OK();
  };
  switch (kind) {
    case 'b':
      return numeric(DT_BOOL, 1, 1);
    case 'i':
      switch (size) {
        case 1: return numeric(DT_INT8, 1, 1);
        case 2: return numeric(DT_INT16, 2, 2);
        case 4: return numeric(DT_INT32, 4, 4);
        case 8: return numeric(DT_INT64, 8, 8);
      }
      break;
    case 'u':
      switch (size) {
        case 1: return numeric(DT_UINT8, 1, 1);
        case 2: return numeric(DT_UINT16, 2, 2);
        case 4: return numeric(DT_UINT32, 4, 4);
        case 8: return numeric(DT_UINT64, 8, 8);
      }
      break;
    case 'f':
      switch (size) {
        case 2: return numeric(DT_HALF, 2, 2);
        case 4: return numeric(DT_FLOAT, 4, 4);
        case 8: return numeric(DT_DOUBLE, 8, 8);
      }
      break;
    case 'c':
      switch (size) {
        case 8: return numeric(DT_COMPLEX64, 8, 4);
        case 16: return numeric(DT_COMPLEX128, 16, 8);
      }
      break;
    case 'S':
    case 'a':
      if (size == 0) return InvalidArgument("zero-width string dtype '" + descr + "'");
      t->dtype = DT_STRING;
      t->layout = Layout::kBytes;
      t->itemsize = size;
      return Status::OK();
    case 'U':
      if (size == 0) return InvalidArgument("zero-width string dtype '" + descr + "'");
      t->dtype = DT_STRING;
      t->layout = Layout::kUnicode;
      t->itemsize = size * 4;
      t->swap_unit = big ? 4 : 0;
      return Status::OK();
    case 'O':
      return Unimplemented(
          "object arrays ('" + descr +
          "') hold pickled Python objects and are not supported; save the array with a "
          "numeric, 'S' or 'U' dtype instead");
  }
  return Unimplemented("unsupported numpy dtype '" + descr + "'");
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Fortran-ordered element bytes -> C order. dims are the array's (C) shape.
std::string FortranToC(std::string_view data, const TensorShape& shape, size_t width) {
  int rank = shape.rank();
  std::vector<int64_t> f_stride(rank, 1);  // in elements, first axis fastest
  for (int d = 1; d < rank; ++d) f_stride[d] = f_stride[d - 1] * shape.dim(d - 1);
  std::string out(data.size(), '\0');
  std::vector<int64_t> idx(rank, 0);
  int64_t n = shape.num_elements();
  for (int64_t c = 0; c < n; ++c) {
    int64_t f = 0;
    for (int d = 0; d < rank; ++d) f += idx[d] * f_stride[d];
    std::memcpy(&out[c * width], data.data() + f * width, width);
    for (int d = rank - 1; d >= 0; --d) {
      if (++idx[d] < shape.dim(d)) break;
      idx[d] = 0;
    }
  }
  return out;
}

StatusOr<Tensor> ReadNpyImpl(std::string_view bytes) {
  if (bytes.size() < 10 || bytes.substr(0, 6) != kNpyMagic) {
    return InvalidArgument("not a .npy file (bad magic)");
  }
  int major = static_cast<uint8_t>(bytes[6]);
  size_t header_start;
  uint64_t header_len;
  if (major == 1) {
    header_start = 10;
    header_len = Load16(bytes.data() + 8);
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return DataLoss("truncated .npy preamble");
    header_start = 12;
    header_len = Load32(bytes.data() + 8);
  } else {
    return Unimplemented("unsupported .npy format version " + std::to_string(major) + "." +
                         std::to_string(static_cast<uint8_t>(bytes[7])));
  }
  if (header_len > bytes.size() - header_start) {
    return DataLoss("header of " + std::to_string(header_len) + " bytes runs past the end of the " +
                    std::to_string(bytes.size()) + "-byte file");
  }
  std::string_view header = bytes.substr(header_start, header_len);
  std::map<std::string, PyValue> dict;
  RETURN_IF_ERROR(HeaderParser(header).ParseDict(&dict));
  for (const char* key : {"descr", "fortran_order", "shape"}) {
    if (!dict.count(key)) return InvalidArgument(std::string("header has no '") + key + "' key");
  }
  if (dict.size() != 3) return InvalidArgument("header has keys other than descr, fortran_order, shape");
  const PyValue& descr = dict["descr"];
  if (descr.kind != PyValue::kString) return InvalidArgument("'descr' is not a string");
  if (dict["fortran_order"].kind != PyValue::kBool) {
    return InvalidArgument("'fortran_order' is not True or False");
  }
  if (dict["shape"].kind != PyValue::kTuple) return InvalidArgument("'shape' is not a tuple");
  bool fortran = dict["fortran_order"].b;
  if (descr.str == "|O" || descr.str == "O") {
    // np.save pickles object arrays; arrays of bytes/str (serialized tf.Examples) are common feeds.
    ASSIGN_OR_RETURN(TensorShape oshape, TensorShape::FromDims(dict["shape"].ints));
    if (fortran && oshape.rank() > 1) return Unimplemented("Fortran-ordered object arrays");
    ASSIGN_OR_RETURN(auto strings, UnpickleObjectArrayStrings(bytes.substr(header_start + header_len),
                                                              oshape.num_elements()));
    ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(DT_STRING, oshape));
    auto out = t.flat<std::string>();
    for (size_t i = 0; i < strings.size(); ++i) out[i] = std::move(strings[i]);
    return t;
  }
  NpyType type;
  RETURN_IF_ERROR(ParseDescr(descr.str, &type));
  ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(dict["shape"].ints));

  std::string_view data = bytes.substr(header_start + header_len);
  uint64_t n = static_cast<uint64_t>(shape.num_elements());
  if (n > 0 && type.itemsize > data.size() / n) {
    return DataLoss("shape " + shape.DebugString() + " of '" + descr.str + "' needs " +
                    (type.itemsize > std::numeric_limits<uint64_t>::max() / n
                         ? std::string("more")
                         : std::to_string(n * type.itemsize)) +
                    " bytes of data but only " + std::to_string(data.size()) + " remain");
  }
  data = data.substr(0, n * type.itemsize);
  std::string reordered;
  if (fortran && shape.rank() > 1) {
    reordered = FortranToC(data, shape, type.itemsize);
    data = reordered;
  }

  // The size check above bounds numeric tensors by the file; a DT_STRING
  // tensor holds a std::string per element, up to 32x the bytes of 'S1' items,
  // which Allocate's per-tensor limit bounds.
  ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(type.dtype, shape));
  if (type.layout == Layout::kNumeric) {
    if (n > 0) std::memcpy(t.raw_data(), data.data(), data.size());
    if (type.swap_unit > 1) {
      auto* p = static_cast<char*>(t.raw_data());
      for (size_t i = 0; i < data.size(); i += type.swap_unit) std::reverse(p + i, p + i + type.swap_unit);
    }
    if (type.dtype == DT_BOOL) {
      // numpy keeps any byte; a C++ bool must be 0 or 1.
      auto* p = static_cast<uint8_t*>(t.raw_data());
      for (uint64_t i = 0; i < n; ++i) p[i] = p[i] != 0;
    }
    return t;
  }
  auto out = t.flat<std::string>();
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view item = data.substr(i * type.itemsize, type.itemsize);
    if (type.layout == Layout::kBytes) {
      // numpy drops trailing NULs of 'S' items.
      size_t end = item.find_last_not_of('\0');
      out[i] = std::string(item.substr(0, end == std::string_view::npos ? 0 : end + 1));
      continue;
    }
    size_t chars = item.size() / 4;
    while (chars > 0 && Load32(item.data() + (chars - 1) * 4) == 0) --chars;
    std::string s;
    for (size_t c = 0; c < chars; ++c) {
      uint32_t cp = Load32(item.data() + c * 4);
      if (type.swap_unit) {
        cp = (cp >> 24) | ((cp >> 8) & 0xff00) | ((cp << 8) & 0xff0000) | (cp << 24);
      }
      if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return InvalidArgument("element " + std::to_string(i) + " holds invalid code point " +
                               std::to_string(cp));
      }
      AppendUtf8(cp, &s);
    }
    out[i] = std::move(s);
  }
  return t;
}

StatusOr<std::string> Descr(const Tensor& t) {
  switch (t.dtype()) {
    case DT_FLOAT: return std::string("<f4");
    case DT_DOUBLE: return std::string("<f8");
    case DT_HALF: return std::string("<f2");
    case DT_INT8: return std::string("|i1");
    case DT_UINT8: return std::string("|u1");
    case DT_INT16: return std::string("<i2");
    case DT_UINT16: return std::string("<u2");
    case DT_INT32: return std::string("<i4");
    case DT_UINT32: return std::string("<u4");
    case DT_INT64: return std::string("<i8");
    case DT_UINT64: return std::string("<u8");
    case DT_BOOL: return std::string("|b1");
    case DT_COMPLEX64: return std::string("<c8");
    case DT_COMPLEX128: return std::string("<c16");
    case DT_STRING: {
      size_t longest = 1;  // numpy has no 'S0' for arrays
      for (const std::string& s : t.flat<std::string>()) longest = std::max(longest, s.size());
      return "|S" + std::to_string(longest);
    }
    default:
      return Unimplemented("cannot write a " + DataTypeString(t.dtype()) +
                           " tensor as .npy: numpy has no such dtype");
  }
}

}  // namespace

StatusOr<Tensor> ReadNpy(std::string_view bytes, std::string_view name_for_errors) {
  StatusOr<Tensor> t = ReadNpyImpl(bytes);
  if (!t.ok()) return t.status().WithContext(name_for_errors);
  return t;
}

StatusOr<std::string> WriteNpy(const Tensor& tensor) {
  if (!tensor.IsInitialized()) return InvalidArgument("cannot write an uninitialized tensor");
  ASSIGN_OR_RETURN(std::string descr, Descr(tensor));
  // Python's repr of the shape tuple: "()", "(3,)", "(2, 3)".
  std::string shape = "(";
  for (int i = 0; i < tensor.rank(); ++i) {
    if (i) shape += ", ";
    shape += std::to_string(tensor.dim(i));
  }
  if (tensor.rank() == 1) shape += ",";
  shape += ")";
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // numpy >= 1.23 leaves room to grow the first axis in place.
  if (tensor.rank() > 0) {
    size_t digits = std::to_string(tensor.dim(0)).size();
    header.append(kGrowthAxisMaxDigits - std::min(digits, kGrowthAxisMaxDigits), ' ');
  }
  // Pad with spaces, end with '\n', so magic + length + header is a multiple of 64.
  // numpy always pads by at least one space (1..64).
  size_t hlen = header.size() + 1;
  size_t len_field = 2;
  size_t pad = kArrayAlign - (8 + len_field + hlen) % kArrayAlign;
  if (hlen + pad > 0xffff) {
    len_field = 4;
    pad = kArrayAlign - (8 + len_field + hlen) % kArrayAlign;
  }
  std::string out(kNpyMagic);
  out.push_back(len_field == 2 ? 1 : 2);
  out.push_back(0);
  if (len_field == 2) {
    Put16(&out, static_cast<uint16_t>(hlen + pad));
  } else {
    Put32(&out, static_cast<uint32_t>(hlen + pad));
  }
  out += header;
  out.append(pad, ' ');
  out.push_back('\n');
  if (tensor.dtype() == DT_STRING) {
    size_t width = std::stoul(descr.substr(2));
    for (const std::string& s : tensor.flat<std::string>()) {
      out += s;
      out.append(width - s.size(), '\0');
    }
  } else {
    out.append(static_cast<const char*>(tensor.raw_data()), tensor.byte_size());
  }
  return out;
}

StatusOr<Tensor> ReadNpyFile(Env* env, const std::string& path) {
  ASSIGN_OR_RETURN(auto region, env->MapFile(path));
  return ReadNpy(region->data(), path);
}

Status WriteNpyFile(Env* env, const std::string& path, const Tensor& tensor) {
  StatusOr<std::string> bytes = WriteNpy(tensor);
  if (!bytes.ok()) return bytes.status().WithContext(path);
  return env->WriteStringToFile(path, *bytes);
}

}  // namespace savedmodel
