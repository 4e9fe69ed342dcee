#include "savedmodel/core/npy.h"

#include "savedmodel/core/pickle_strings.h"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
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
uint64_t Load64(const char* p) {
  return static_cast<uint64_t>(Load32(p)) | static_cast<uint64_t>(Load32(p + 4)) << 32;
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
    Tensor t(DT_STRING, oshape);
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

  Tensor t(type.dtype, shape);
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

// ---- .npz (zip) -------------------------------------------------------------------
//
// Zip layout (PKWARE APPNOTE 6.3), all integers little-endian:
//   per member: local header  "PK\3\4" ver flags method time date crc csize usize
//                             name_len extra_len (30 bytes) name extra, then data
//   central directory: per member "PK\1\2" (46 bytes) name extra comment, holding
//                      the authoritative sizes and the local header's offset
//   end of central directory "PK\5\6" (22 bytes + comment): entry count, size and
//                      offset of the central directory
// Zip64 (numpy.savez forces it for its members) moves sizes and offsets that do
// not fit 32 bits into an extra field with id 1, and the directory's position
// into a zip64 end record found through a locator just before "PK\5\6".

namespace {

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
// Deflate cannot expand data by more than about 1032:1.
constexpr uint64_t kMaxDeflateRatio = 1032;

struct ZipMember {
  std::string name;
  uint16_t flags = 0;
  uint16_t method = 0;
  uint32_t crc = 0;
  uint64_t csize = 0;
  uint64_t usize = 0;
  uint64_t offset = 0;
};

Status ReadZip64Extra(std::string_view extra, ZipMember* m, bool need_u, bool need_c,
                      bool need_off) {
  while (extra.size() >= 4) {
    uint16_t id = Load16(extra.data());
    uint16_t len = Load16(extra.data() + 2);
    if (len > extra.size() - 4) return DataLoss("zip extra field runs past its entry");
    std::string_view body = extra.substr(4, len);
    if (id == 1) {
      size_t pos = 0;
      auto next = [&](uint64_t* v) -> Status {
        if (pos + 8 > body.size()) return DataLoss("zip64 extra field too short");
        *v = Load64(body.data() + pos);
        pos += 8;
        return Status::OK();
      };
      if (need_u) RETURN_IF_ERROR(next(&m->usize));
      if (need_c) RETURN_IF_ERROR(next(&m->csize));
      if (need_off) RETURN_IF_ERROR(next(&m->offset));
      return Status::OK();
    }
    extra.remove_prefix(4 + len);
  }
  if (need_u || need_c || need_off) return DataLoss("zip64 sizes missing their extra field");
  return Status::OK();
}

StatusOr<std::vector<ZipMember>> ReadCentralDirectory(std::string_view zip) {
  if (zip.size() < 22) return DataLoss("too short to be a zip archive");
  size_t end = std::string_view::npos;
  size_t lowest = zip.size() >= 22 + 0xffff ? zip.size() - 22 - 0xffff : 0;
  for (size_t p = zip.size() - 22 + 1; p-- > lowest;) {
    if (Load32(zip.data() + p) == kEndSig) {
      end = p;
      break;
    }
  }
  if (end == std::string_view::npos) return DataLoss("no zip end-of-central-directory record");
  uint64_t entries = Load16(zip.data() + end + 10);
  uint64_t cd_size = Load32(zip.data() + end + 12);
  uint64_t cd_offset = Load32(zip.data() + end + 16);
  if (entries == 0xffff || cd_size == 0xffffffff || cd_offset == 0xffffffff) {
    if (end < 20 || Load32(zip.data() + end - 20) != kZip64LocatorSig) {
      return DataLoss("zip64 end record locator missing");
    }
    uint64_t z64 = Load64(zip.data() + end - 20 + 8);
    if (z64 > zip.size() || zip.size() - z64 < 56 || Load32(zip.data() + z64) != kZip64EndSig) {
      return DataLoss("bad zip64 end record offset " + std::to_string(z64));
    }
    entries = Load64(zip.data() + z64 + 32);
    cd_size = Load64(zip.data() + z64 + 40);
    cd_offset = Load64(zip.data() + z64 + 48);
  }
  if (cd_offset > zip.size() || cd_size > zip.size() - cd_offset) {
    return DataLoss("zip central directory (offset " + std::to_string(cd_offset) + ", " +
                    std::to_string(cd_size) + " bytes) lies outside the " +
                    std::to_string(zip.size()) + "-byte archive");
  }
  std::string_view cd = zip.substr(cd_offset, cd_size);
  std::vector<ZipMember> members;
  size_t pos = 0;
  for (uint64_t i = 0; i < entries; ++i) {
    if (cd.size() - pos < 46 || Load32(cd.data() + pos) != kCentralSig) {
      return DataLoss("zip central directory entry " + std::to_string(i) + " is truncated or corrupt");
    }
    const char* e = cd.data() + pos;
    ZipMember m;
    m.flags = Load16(e + 8);
    m.method = Load16(e + 10);
    m.crc = Load32(e + 16);
    m.csize = Load32(e + 20);
    m.usize = Load32(e + 24);
    size_t name_len = Load16(e + 28), extra_len = Load16(e + 30), comment_len = Load16(e + 32);
    m.offset = Load32(e + 42);
    if (cd.size() - pos - 46 < name_len + extra_len + comment_len) {
      return DataLoss("zip central directory entry " + std::to_string(i) + " is truncated");
    }
    m.name = std::string(cd.substr(pos + 46, name_len));
    RETURN_IF_ERROR(ReadZip64Extra(cd.substr(pos + 46 + name_len, extra_len), &m,
                                   m.usize == 0xffffffff, m.csize == 0xffffffff,
                                   m.offset == 0xffffffff));
    pos += 46 + name_len + extra_len + comment_len;
    members.push_back(std::move(m));
  }
  return members;
}

StatusOr<std::string> ExtractMember(std::string_view zip, const ZipMember& m) {
  if (m.flags & 1) return Unimplemented("member '" + m.name + "' is encrypted");
  if (m.offset > zip.size() || zip.size() - m.offset < 30 ||
      Load32(zip.data() + m.offset) != kLocalSig) {
    return DataLoss("member '" + m.name + "' has a bad local header offset " +
                    std::to_string(m.offset));
  }
  uint64_t data_start = m.offset + 30 + Load16(zip.data() + m.offset + 26) +
                        Load16(zip.data() + m.offset + 28);
  if (data_start > zip.size() || m.csize > zip.size() - data_start) {
    return DataLoss("member '" + m.name + "' (" + std::to_string(m.csize) +
                    " bytes) runs past the end of the archive");
  }
  if (m.usize > 0xffffffffu || m.csize > 0xffffffffu) {
    return Unimplemented("member '" + m.name + "' is 4 GiB or larger");
  }
  std::string_view packed = zip.substr(data_start, m.csize);
  std::string out;
  if (m.method == 0) {
    if (m.csize != m.usize) return DataLoss("stored member '" + m.name + "' has mismatched sizes");
    out = std::string(packed);
  } else if (m.method == 8) {
    if (m.usize > m.csize * kMaxDeflateRatio + 1024) {
      return DataLoss("member '" + m.name + "' claims " + std::to_string(m.usize) +
                      " bytes, more than " + std::to_string(m.csize) +
                      " deflated bytes can hold");
    }
    out.resize(m.usize);
    z_stream zs{};
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) return Internal("inflateInit2 failed");
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
    zs.avail_in = static_cast<uInt>(packed.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    int rc = inflate(&zs, Z_FINISH);
    uint64_t produced = zs.total_out;
    inflateEnd(&zs);
    if (rc != Z_STREAM_END || produced != m.usize) {
      return DataLoss("member '" + m.name + "' does not inflate to its " +
                      std::to_string(m.usize) + " bytes (zlib code " + std::to_string(rc) + ")");
    }
  } else {
    return Unimplemented("member '" + m.name + "' uses zip compression method " +
                         std::to_string(m.method) + "; only stored and deflated are supported");
  }
  uint32_t crc = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(out.data()), static_cast<uInt>(out.size())));
  if (crc != m.crc) return DataLoss("member '" + m.name + "' fails its CRC-32 check");
  return out;
}

StatusOr<std::map<std::string, Tensor>> ReadNpzImpl(std::string_view bytes) {
  ASSIGN_OR_RETURN(std::vector<ZipMember> members, ReadCentralDirectory(bytes));
  std::map<std::string, Tensor> out;
  for (const ZipMember& m : members) {
    if (!m.name.ends_with(".npy")) continue;
    std::string key = m.name.substr(0, m.name.size() - 4);
    ASSIGN_OR_RETURN(std::string npy, ExtractMember(bytes, m));
    StatusOr<Tensor> t = ReadNpyImpl(npy);
    if (!t.ok()) return t.status().WithContext("member '" + m.name + "'");
    if (!out.emplace(key, std::move(t).value()).second) {
      return InvalidArgument("member '" + m.name + "' appears twice");
    }
  }
  return out;
}

}  // namespace

StatusOr<std::map<std::string, Tensor>> ReadNpz(std::string_view bytes,
                                                std::string_view name_for_errors) {
  auto r = ReadNpzImpl(bytes);
  if (!r.ok()) return r.status().WithContext(name_for_errors);
  return r;
}

StatusOr<std::string> WriteNpz(const std::map<std::string, Tensor>& tensors) {
  std::string zip, central;
  uint16_t count = 0;
  for (const auto& [key, tensor] : tensors) {
    if (count == 0xffff) return Unimplemented("more than 65534 members needs zip64");
    std::string name = key + ".npy";
    if (name.size() > 0xffff) return InvalidArgument("key too long for a zip name");
    StatusOr<std::string> npy = WriteNpy(tensor);
    if (!npy.ok()) return npy.status().WithContext("key '" + key + "'");
    if (npy->size() >= 0xffffffffu || zip.size() >= 0xffffffffu - npy->size()) {
      return Unimplemented(".npz archives of 4 GiB or more need zip64");
    }
    uint32_t crc = static_cast<uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(npy->data()), static_cast<uInt>(npy->size())));
    uint32_t offset = static_cast<uint32_t>(zip.size());
    auto common = [&](std::string* out) {
      Put16(out, 20);      // version needed: 2.0
      Put16(out, 0);       // flags
      Put16(out, 0);       // stored
      Put16(out, 0);       // time 00:00:00
      Put16(out, 0x21);    // date 1980-01-01: fixed, so output is reproducible
      Put32(out, crc);
      Put32(out, static_cast<uint32_t>(npy->size()));
      Put32(out, static_cast<uint32_t>(npy->size()));
      Put16(out, static_cast<uint16_t>(name.size()));
      Put16(out, 0);       // extra length
    };
    Put32(&zip, kLocalSig);
    common(&zip);
    zip += name;
    zip += *npy;
    Put32(&central, kCentralSig);
    Put16(&central, 20);  // version made by
    common(&central);
    Put16(&central, 0);   // comment length
    Put16(&central, 0);   // disk
    Put16(&central, 0);   // internal attributes
    Put32(&central, 0);   // external attributes
    Put32(&central, offset);
    central += name;
    ++count;
  }
  if (zip.size() + central.size() >= 0xffffffffu) {
    return Unimplemented(".npz archives of 4 GiB or more need zip64");
  }
  uint32_t cd_offset = static_cast<uint32_t>(zip.size());
  zip += central;
  Put32(&zip, kEndSig);
  Put16(&zip, 0);
  Put16(&zip, 0);
  Put16(&zip, count);
  Put16(&zip, count);
  Put32(&zip, static_cast<uint32_t>(central.size()));
  Put32(&zip, cd_offset);
  Put16(&zip, 0);
  return zip;
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

StatusOr<std::map<std::string, Tensor>> ReadNpzFile(Env* env, const std::string& path) {
  ASSIGN_OR_RETURN(auto region, env->MapFile(path));
  return ReadNpz(region->data(), path);
}

Status WriteNpzFile(Env* env, const std::string& path,
                    const std::map<std::string, Tensor>& tensors) {
  StatusOr<std::string> bytes = WriteNpz(tensors);
  if (!bytes.ok()) return bytes.status().WithContext(path);
  return env->WriteStringToFile(path, *bytes);
}

}  // namespace savedmodel
