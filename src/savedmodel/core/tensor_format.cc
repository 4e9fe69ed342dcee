// Tensors as text, for the CLI and for messages; see tensor_format.h.
#include "savedmodel/core/tensor_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <complex>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <sstream>

namespace savedmodel {

// ---- printing ------------------------------------------------------------------
//
// ValuesString follows numpy's str(ndarray) (numpy/core/arrayprint.py, default
// options: precision 8, floatmode 'maxprec', linewidth 75, threshold 1000,
// edgeitems 3) so that our CLI prints what saved_model_cli prints. Floats print
// with the fewest digits that read back to the same value at the element's own
// precision, capped at 8 fractional digits; all elements of an array share one
// width so columns line up.

namespace {

enum class FloatKind { kHalf, kBFloat16, kFloat, kDouble };

// True when `back` and `v` are the same number once stored as `kind`.
bool SameAsKind(double back, double v, FloatKind kind) {
  switch (kind) {
    case FloatKind::kHalf:
      return FloatToHalf(static_cast<float>(back)).bits == FloatToHalf(static_cast<float>(v)).bits;
    case FloatKind::kBFloat16:
      return FloatToBFloat16(static_cast<float>(back)).bits ==
             FloatToBFloat16(static_cast<float>(v)).bits;
    case FloatKind::kFloat: return static_cast<float>(back) == static_cast<float>(v);
    case FloatKind::kDouble: return back == v;
  }
  return false;
}

// Shortest "d.ddde-05" form of a finite value that reads back exactly.
std::string ShortestScientific(double v, FloatKind kind) {
  char buf[64];
  if (kind == FloatKind::kFloat) {
    auto r = std::to_chars(buf, buf + sizeof(buf), static_cast<float>(v),
                           std::chars_format::scientific);
    return std::string(buf, r.ptr);
  }
  if (kind == FloatKind::kDouble) {
    auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
    return std::string(buf, r.ptr);
  }
  // 16-bit floats: to_chars has no overload, so search the precision.
  for (int p = 0; p < 17; ++p) {
    auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific, p);
    double back = std::strtod(std::string(buf, r.ptr).c_str(), nullptr);
    if (SameAsKind(back, v, kind)) return std::string(buf, r.ptr);
  }
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific, 17);
  return std::string(buf, r.ptr);
}

// A finite number split the way numpy pads it: "-12" "." "5" "e" "-05".
struct FloatParts {
  std::string int_part;  // with its sign
  std::string frac;      // no trailing zeros unless asked for
  std::string exp;       // "-05"; empty in positional form
};

FloatParts SplitScientific(const std::string& s) {
  FloatParts p;
  size_t e = s.find('e');
  std::string mant = s.substr(0, e);
  p.exp = s.substr(e + 1);
  size_t dot = mant.find('.');
  p.int_part = mant.substr(0, dot);
  if (dot != std::string::npos) p.frac = mant.substr(dot + 1);
  return p;
}

void TrimZeros(std::string* frac) {
  while (!frac->empty() && frac->back() == '0') frac->pop_back();
}

// precision: the most fractional digits; min_digits: the fewest (real digits of
// the exact value, not padding zeros, as numpy's dragon4 prints them).
FloatParts FormatFinite(double v, FloatKind kind, bool scientific, int precision,
                        int min_digits) {
  FloatParts p = SplitScientific(ShortestScientific(v, kind));
  char buf[512];
  if (scientific) {
    if (static_cast<int>(p.frac.size()) > precision ||
        static_cast<int>(p.frac.size()) < min_digits) {
      int digits = std::min(precision, std::max<int>(min_digits, p.frac.size()));
      auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific, digits);
      p = SplitScientific(std::string(buf, r.ptr));
      if (static_cast<int>(p.frac.size()) > min_digits) {
        TrimZeros(&p.frac);
        while (static_cast<int>(p.frac.size()) < min_digits) p.frac += '0';
      }
    }
    return p;
  }
  // Positional: move the decimal point of the shortest digits.
  bool neg = !p.int_part.empty() && p.int_part[0] == '-';
  std::string digits = p.int_part.substr(neg ? 1 : 0) + p.frac;
  int exp10 = std::stoi(p.exp);
  std::string int_part, frac;
  if (exp10 >= 0) {
    if (static_cast<int>(digits.size()) <= exp10 + 1) {
      int_part = digits + std::string(exp10 + 1 - digits.size(), '0');
    } else {
      int_part = digits.substr(0, exp10 + 1);
      frac = digits.substr(exp10 + 1);
    }
  } else {
    int_part = "0";
    frac = std::string(-exp10 - 1, '0') + digits;
  }
  TrimZeros(&frac);
  if (static_cast<int>(frac.size()) > precision || static_cast<int>(frac.size()) < min_digits) {
    int digits_wanted = std::min(precision, std::max<int>(min_digits, frac.size()));
    auto r = std::to_chars(buf, buf + sizeof(buf), std::fabs(v), std::chars_format::fixed,
                           digits_wanted);
    std::string s(buf, r.ptr);
    size_t dot = s.find('.');
    int_part = s.substr(0, dot);
    frac = dot == std::string::npos ? "" : s.substr(dot + 1);
    TrimZeros(&frac);
    while (static_cast<int>(frac.size()) < min_digits) frac += '0';
  }
  p.int_part = (neg ? "-" : "") + int_part;
  p.frac = frac;
  p.exp.clear();
  return p;
}

// numpy's FloatingFormat for one array: picks positional or scientific form
// from the shown values, then pads every element to a common width.
class FloatFormat {
 public:
  FloatFormat(const std::vector<double>& values, FloatKind kind, bool plus_sign)
      : kind_(kind), plus_(plus_sign) {
    std::vector<double> finite;
    bool has_nonfinite = false, neg_inf = false;
    double max_val = 0, min_val = 0;
    bool any_nonzero = false;
    for (double v : values) {
      if (!std::isfinite(v)) {
        has_nonfinite = true;
        if (std::isinf(v) && v < 0) neg_inf = true;
        continue;
      }
      finite.push_back(v);
      double a = std::fabs(v);
      if (a == 0) continue;
      if (!any_nonzero || a > max_val) max_val = a;
      if (!any_nonzero || a < min_val) min_val = a;
      any_nonzero = true;
    }
    if (any_nonzero) {
      // numpy compares in the array's own dtype.
      scientific_ = max_val >= 1e8 || min_val < 0.0001 || max_val / min_val > 1000.0;
    }
    if (!finite.empty()) {
      if (scientific_) {
        for (double v : finite) {
          FloatParts p = WithSign(FormatFinite(v, kind_, true, 8, 0), v);
          exp_size_ = std::max<int>(exp_size_, p.exp.size() - 1);
          precision_ = std::max<int>(precision_, p.frac.size());
          pad_left_ = std::max<int>(pad_left_, p.int_part.size());
        }
        pad_right_ = exp_size_ + 2 + precision_;
      } else {
        for (double v : finite) {
          FloatParts p = WithSign(FormatFinite(v, kind_, false, 8, 0), v);
          pad_left_ = std::max<int>(pad_left_, p.int_part.size());
          pad_right_ = std::max<int>(pad_right_, p.frac.size());
        }
      }
    }
    if (has_nonfinite) {
      int offset = pad_right_ + 1;
      int inf_len = 3 + ((plus_ || neg_inf) ? 1 : 0);
      int nan_len = 3 + (plus_ ? 1 : 0);
      pad_left_ = std::max({pad_left_, nan_len - offset, inf_len - offset});
    }
  }

  std::string operator()(double v) const {
    if (!std::isfinite(v)) {
      std::string r;
      if (std::isnan(v)) {
        r = plus_ ? "+nan" : "nan";
      } else {
        r = v < 0 ? "-inf" : (plus_ ? "+inf" : "inf");
      }
      int width = pad_left_ + pad_right_ + 1;
      return std::string(std::max<int>(0, width - static_cast<int>(r.size())), ' ') + r;
    }
    FloatParts p;
    if (scientific_) {
      p = WithSign(FormatFinite(v, kind_, true, precision_, precision_), v);
    } else {
      p = WithSign(FormatFinite(v, kind_, false, 8, 0), v);
    }
    std::string out(std::max<int>(0, pad_left_ - static_cast<int>(p.int_part.size())), ' ');
    out += p.int_part + "." + p.frac;
    if (scientific_) {
      std::string sign = p.exp.substr(0, 1), digits = p.exp.substr(1);
      if (static_cast<int>(digits.size()) < exp_size_) {
        digits = std::string(exp_size_ - digits.size(), '0') + digits;
      }
      out += "e" + sign + digits;
    } else {
      out += std::string(std::max<int>(0, pad_right_ - static_cast<int>(p.frac.size())), ' ');
    }
    return out;
  }

 private:
  FloatParts WithSign(FloatParts p, double v) const {
    if (plus_ && !std::signbit(v)) p.int_part = "+" + p.int_part;
    return p;
  }

  FloatKind kind_;
  bool plus_;
  bool scientific_ = false;
  int pad_left_ = 0, pad_right_ = 0, precision_ = 0, exp_size_ = -1;
};

// numpy scalar str(): "1.0", "0.1", "1e-05", "1.5e+20".
std::string ScalarFloatString(double v, FloatKind kind, bool keep_zero_frac = true) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  double a = std::fabs(v);
  if (a == 0 || (a >= 1e-4 && a < 1e16)) {
    FloatParts p = FormatFinite(v, kind, false, 1000, 0);
    if (p.frac.empty()) return keep_zero_frac ? p.int_part + ".0" : p.int_part;
    return p.int_part + "." + p.frac;
  }
  FloatParts p = FormatFinite(v, kind, true, 1000, 0);
  return p.int_part + (p.frac.empty() ? "" : "." + p.frac) + "e" + p.exp;
}

// Python's repr of bytes: b'...' with \x escapes.
std::string EscapeBytes(const std::string& s) {
  bool has_single = s.find('\'') != std::string::npos;
  bool has_double = s.find('"') != std::string::npos;
  char quote = has_single && !has_double ? '"' : '\'';
  std::string out = "b";
  out += quote;
  for (unsigned char c : s) {
    if (c == '\\' || c == static_cast<unsigned char>(quote)) {
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
  return out + quote;
}

bool IsFloatKind(DataType dt, FloatKind* kind) {
  switch (dt) {
    case DT_HALF: *kind = FloatKind::kHalf; return true;
    case DT_BFLOAT16: *kind = FloatKind::kBFloat16; return true;
    case DT_FLOAT: *kind = FloatKind::kFloat; return true;
    case DT_DOUBLE: *kind = FloatKind::kDouble; return true;
    default: return false;
  }
}

double FloatAt(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DT_HALF: return HalfToFloat(t.flat<half>()[i]);
    case DT_BFLOAT16: return BFloat16ToFloat(t.flat<bfloat16>()[i]);
    case DT_FLOAT: return t.flat<float>()[i];
    default: return t.flat<double>()[i];
  }
}

std::complex<double> ComplexAt(const Tensor& t, int64_t i) {
  if (t.dtype() == DT_COMPLEX64) {
    complex64 c = t.flat<complex64>()[i];
    return {c.real(), c.imag()};
  }
  return t.flat<complex128>()[i];
}

// Integers (as int64 or uint64 text) for the integer dtypes.
std::string IntegerAt(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DT_INT32: return std::to_string(t.flat<int32_t>()[i]);
    case DT_INT64: return std::to_string(t.flat<int64_t>()[i]);
    case DT_INT16: return std::to_string(t.flat<int16_t>()[i]);
    case DT_INT8: return std::to_string(t.flat<int8_t>()[i]);
    case DT_UINT8: return std::to_string(t.flat<uint8_t>()[i]);
    case DT_UINT16: return std::to_string(t.flat<uint16_t>()[i]);
    case DT_UINT32: return std::to_string(t.flat<uint32_t>()[i]);
    case DT_UINT64: return std::to_string(t.flat<uint64_t>()[i]);
    default: return "?";
  }
}

// One element as numpy prints a 0-d value.
std::string ScalarString(const Tensor& t, int64_t i) {
  FloatKind kind;
  if (IsFloatKind(t.dtype(), &kind)) return ScalarFloatString(FloatAt(t, i), kind);
  switch (t.dtype()) {
    case DT_BOOL: return t.flat<bool>()[i] ? "True" : "False";
    case DT_STRING: return EscapeBytes(t.flat<std::string>()[i]);
    case DT_COMPLEX64:
    case DT_COMPLEX128: {
      FloatKind k = t.dtype() == DT_COMPLEX64 ? FloatKind::kFloat : FloatKind::kDouble;
      std::complex<double> c = ComplexAt(t, i);
      std::string im = ScalarFloatString(c.imag(), k, false);
      if (c.real() == 0 && !std::signbit(c.real())) return im + "j";
      std::string re = ScalarFloatString(c.real(), k, false);
      bool needs_plus = !std::signbit(c.imag()) || std::isnan(c.imag());
      return "(" + re + (needs_plus ? "+" : "") + im + "j)";
    }
    default: return IntegerAt(t, i);
  }
}

constexpr int kLineWidth = 75;
constexpr int64_t kEdgeItems = 3;

class ArrayPrinter {
 public:
  ArrayPrinter(const Tensor& t, bool summarize) : t_(t), summarize_(summarize) {
    strides_.assign(t.rank(), 1);
    for (int d = t.rank() - 2; d >= 0; --d) strides_[d] = strides_[d + 1] * t.dim(d + 1);
    std::vector<int64_t> shown;
    CollectShown(0, 0, &shown);
    BuildFormatter(shown);
  }

  std::string Print() { return Recurse(0, 0, " ", kLineWidth); }

 private:
  bool Summarized(int axis) const { return summarize_ && 2 * kEdgeItems < t_.dim(axis); }

  void CollectShown(int axis, int64_t offset, std::vector<int64_t>* out) const {
    if (axis == t_.rank()) {
      out->push_back(offset);
      return;
    }
    int64_t n = t_.dim(axis);
    for (int64_t i = 0; i < n; ++i) {
      if (Summarized(axis) && i == kEdgeItems) i = n - kEdgeItems;
      CollectShown(axis + 1, offset + i * strides_[axis], out);
    }
  }

  void BuildFormatter(const std::vector<int64_t>& shown) {
    FloatKind kind;
    if (IsFloatKind(t_.dtype(), &kind)) {
      std::vector<double> v;
      for (int64_t i : shown) v.push_back(FloatAt(t_, i));
      auto f = std::make_shared<FloatFormat>(v, kind, false);
      format_ = [this, f](int64_t i) { return (*f)(FloatAt(t_, i)); };
      return;
    }
    switch (t_.dtype()) {
      case DT_BOOL:
        format_ = [this](int64_t i) {
          return std::string(t_.flat<bool>()[i] ? " True" : "False");
        };
        return;
      case DT_STRING:
        format_ = [this](int64_t i) { return EscapeBytes(t_.flat<std::string>()[i]); };
        return;
      case DT_COMPLEX64:
      case DT_COMPLEX128: {
        FloatKind k = t_.dtype() == DT_COMPLEX64 ? FloatKind::kFloat : FloatKind::kDouble;
        std::vector<double> re, im;
        for (int64_t i : shown) {
          re.push_back(ComplexAt(t_, i).real());
          im.push_back(ComplexAt(t_, i).imag());
        }
        auto rf = std::make_shared<FloatFormat>(re, k, false);
        auto imf = std::make_shared<FloatFormat>(im, k, true);
        format_ = [this, rf, imf](int64_t i) {
          std::complex<double> c = ComplexAt(t_, i);
          std::string r = (*rf)(c.real()), m = (*imf)(c.imag());
          // The 'j' goes before the imaginary part's trailing padding.
          size_t end = m.find_last_not_of(' ') + 1;
          return r + m.substr(0, end) + "j" + m.substr(end);
        };
        return;
      }
      default: {
        size_t width = 0;
        for (int64_t i : shown) width = std::max(width, IntegerAt(t_, i).size());
        format_ = [this, width](int64_t i) {
          std::string s = IntegerAt(t_, i);
          return std::string(width - std::min(width, s.size()), ' ') + s;
        };
        return;
      }
    }
  }

  // Appends `word` to `line`, first wrapping when the line would pass `width`
  // (unless wrapping would not help because the line holds only the indent).
  static void Extend(std::string* s, std::string* line, const std::string& word, int width,
                     const std::string& indent) {
    bool wrap = static_cast<int>(line->size() + word.size()) > width &&
                line->size() > indent.size();
    if (wrap) {
      size_t end = line->find_last_not_of(' ');
      *s += line->substr(0, end == std::string::npos ? 0 : end + 1) + "\n";
      *line = indent;
    }
    *line += word;
  }

  std::string Recurse(int axis, int64_t offset, const std::string& indent, int width) {
    int axes_left = t_.rank() - axis;
    if (axes_left == 0) return format_(offset);
    std::string next_indent = indent + " ";
    int next_width = width - 1;  // room for this axis' closing ']'
    int64_t n = t_.dim(axis);
    bool summary = Summarized(axis);
    int64_t leading = summary ? kEdgeItems : 0;
    int64_t trailing = summary ? kEdgeItems : n;
    int64_t stride = strides_[axis];
    std::string s;
    if (axes_left == 1) {
      int elem_width = width - 1;
      std::string line = indent;
      for (int64_t i = 0; i < leading; ++i) {
        Extend(&s, &line, Recurse(axis + 1, offset + i * stride, next_indent, next_width),
               elem_width, indent);
        line += " ";
      }
      if (summary) {
        Extend(&s, &line, "...", elem_width, indent);
        line += " ";
      }
      for (int64_t i = trailing; i > 1; --i) {
        Extend(&s, &line,
               Recurse(axis + 1, offset + (n - i) * stride, next_indent, next_width),
               elem_width, indent);
        line += " ";
      }
      Extend(&s, &line, Recurse(axis + 1, offset + (n - 1) * stride, next_indent, next_width),
             elem_width, indent);
      s += line;
    } else {
      std::string line_sep(axes_left - 1, '\n');
      for (int64_t i = 0; i < leading; ++i) {
        s += indent + Recurse(axis + 1, offset + i * stride, next_indent, next_width) + line_sep;
      }
      if (summary) s += indent + "..." + line_sep;
      for (int64_t i = trailing; i > 1; --i) {
        s += indent + Recurse(axis + 1, offset + (n - i) * stride, next_indent, next_width) +
             line_sep;
      }
      s += indent + Recurse(axis + 1, offset + (n - 1) * stride, next_indent, next_width);
    }
    return "[" + s.substr(indent.size()) + "]";
  }

  const Tensor& t_;
  bool summarize_;
  std::vector<int64_t> strides_;
  std::function<std::string(int64_t)> format_;
};

// TensorFlow's DebugString element form: "%g" with enough digits to read back.
std::string DebugElement(const Tensor& t, int64_t i) {
  char buf[64];
  switch (t.dtype()) {
    case DT_FLOAT: case DT_HALF: case DT_BFLOAT16: {
      float v = static_cast<float>(FloatAt(t, i));
      std::snprintf(buf, sizeof(buf), "%.6g", v);
      if (std::isfinite(v) && std::strtof(buf, nullptr) != v) {
        std::snprintf(buf, sizeof(buf), "%.9g", v);
      }
      return buf;
    }
    case DT_DOUBLE: {
      double v = t.flat<double>()[i];
      std::snprintf(buf, sizeof(buf), "%.15g", v);
      if (std::isfinite(v) && std::strtod(buf, nullptr) != v) {
        std::snprintf(buf, sizeof(buf), "%.17g", v);
      }
      return buf;
    }
    case DT_BOOL: return t.flat<bool>()[i] ? "1" : "0";
    case DT_STRING: return t.flat<std::string>()[i];
    case DT_COMPLEX64: case DT_COMPLEX128: {
      std::complex<double> c = ComplexAt(t, i);
      std::snprintf(buf, sizeof(buf), "(%g,%g)", c.real(), c.imag());
      return buf;
    }
    default: return IntegerAt(t, i);
  }
}

}  // namespace

std::string TensorDebugString(const Tensor& t, int max_entries) {
  std::ostringstream os;
  os << "Tensor<type: " << DataTypeString(t.dtype()) << " shape: " << t.shape().DebugString()
     << " values:";
  if (t.IsInitialized()) {
    int64_t n = std::min<int64_t>(t.num_elements(), max_entries);
    for (int64_t i = 0; i < n; ++i) os << " " << DebugElement(t, i);
    if (n < t.num_elements()) os << "...";
  }
  os << ">";
  return os.str();
}

std::string TensorValuesString(const Tensor& t, int64_t max_entries) {
  if (!t.IsInitialized()) return "<uninitialized>";
  if (t.rank() == 0) return ScalarString(t, 0);
  if (t.num_elements() == 0) return "[]";
  ArrayPrinter printer(t, t.num_elements() > max_entries);
  return printer.Print();
}

namespace {

// absl::CEscape: \n \r \t \" \' \\ and octal for other unprintable bytes.
std::string CEscape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '"': out += "\\\""; break;
      case '\'': out += "\\'"; break;
      case '\\': out += "\\\\"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\%03o", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::string SummaryElement(const Tensor& t, int64_t i) {
  if (t.dtype() == DT_STRING) return "\"" + CEscape(t.flat<std::string>()[i]) + "\"";
  return DebugElement(t, i);
}

// Between two entries of axis `dim`: a space on the last axis, else one
// newline per axis below it and an indent of dim + 1 spaces.
void AppendSpacing(int dim, int rank, std::string* out) {
  if (dim == rank - 1) {
    *out += ' ';
    return;
  }
  out->append(static_cast<size_t>(rank - dim - 1), '\n');
  out->append(static_cast<size_t>(dim + 1), ' ');
}

void AppendAxis(const Tensor& t, int dim, int64_t ends, int64_t offset, std::string* out) {
  const int rank = t.rank();
  if (dim == rank) {
    *out += SummaryElement(t, offset);
    return;
  }
  int64_t stride = 1;
  for (int d = dim + 1; d < rank; ++d) stride *= t.dim(d);
  const int64_t n = t.dim(dim);
  *out += '[';
  for (int64_t i = 0; i < ends && i < n; ++i) {
    if (i > 0) AppendSpacing(dim, rank, out);
    AppendAxis(t, dim + 1, ends, offset + i * stride, out);
  }
  if (n > 2 * ends) {
    AppendSpacing(dim, rank, out);
    *out += "...";
  }
  for (int64_t i = std::max(ends, n - ends); i < n; ++i) {
    AppendSpacing(dim, rank, out);
    AppendAxis(t, dim + 1, ends, offset + i * stride, out);
  }
  *out += ']';
}

}  // namespace

std::string TensorSummarizeV2(const Tensor& t, int64_t max_entries) {
  const int64_t n = t.num_elements();
  const int64_t limit = max_entries < 0 ? n : std::min(max_entries, n);
  std::string out;
  if (t.rank() == 0) {
    for (int64_t i = 0; i < limit; ++i) {
      if (i > 0) out += ' ';
      out += SummaryElement(t, i);
    }
    if (n > limit) out += "...";
    return out;
  }
  AppendAxis(t, 0, limit, 0, &out);
  return out;
}

}  // namespace savedmodel
