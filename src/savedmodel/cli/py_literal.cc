#include "py_literal.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "tensorflow/core/example/example.pb.h"

namespace savedmodel::cli {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  StatusOr<PyValue> ParseAll() {
    ASSIGN_OR_RETURN(PyValue v, Parse(0));
    SkipSpace();
    if (pos_ != text_.size()) return Error("unexpected trailing text");
    return v;
  }

 private:
  Status Error(const std::string& what) const {
    return InvalidArgument("cannot parse '" + std::string(text_) + "' at position " +
                           std::to_string(pos_) + ": " + what);
  }
  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool Eat(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool EatWord(std::string_view w) {
    SkipSpace();
    if (text_.substr(pos_, w.size()) == w) {
      pos_ += w.size();
      return true;
    }
    return false;
  }

  StatusOr<PyValue> Parse(int depth) {
    if (depth > 64) return Error("nesting too deep");
    SkipSpace();
    if (pos_ >= text_.size()) return Error("unexpected end");
    char c = text_[pos_];
    PyValue v;
    if (c == '[' || c == '(') {
      char close = c == '[' ? ']' : ')';
      ++pos_;
      v.kind = PyValue::kList;
      v.tuple = c == '(';
      if (Eat(close)) return v;
      for (;;) {
        ASSIGN_OR_RETURN(PyValue item, Parse(depth + 1));
        v.items.push_back(std::move(item));
        // "(x)" without a comma is x in parentheses, not a tuple.
        if (Eat(close)) return v.tuple && v.items.size() == 1 ? std::move(v.items[0]) : v;
        if (!Eat(',')) return Error(std::string("expected ',' or '") + close + "'");
        if (Eat(close)) return v;  // trailing comma
      }
    }
    if (c == '{') {
      ++pos_;
      v.kind = PyValue::kDict;
      if (Eat('}')) return v;
      for (bool first = true;; first = false) {
        ASSIGN_OR_RETURN(PyValue key, Parse(depth + 1));
        if (first && !Eat(':')) return ParseSetRest(std::move(key), depth);
        if (key.kind != PyValue::kString) return Error("dict keys must be strings");
        if (!first && !Eat(':')) return Error("expected ':'");
        ASSIGN_OR_RETURN(PyValue item, Parse(depth + 1));
        v.fields.push_back({key.s, std::move(item)});
        if (Eat('}')) return v;
        if (!Eat(',')) return Error("expected ',' or '}'");
        if (Eat('}')) return v;
      }
    }
    if (c == '"' || c == '\'' || ((c == 'b' || c == 'u') && pos_ + 1 < text_.size() &&
                                  (text_[pos_ + 1] == '"' || text_[pos_ + 1] == '\''))) {
      v.kind = c == 'b' ? PyValue::kBytes : PyValue::kString;
      if (c == 'b' || c == 'u') ++pos_;
      char quote = text_[pos_++];
      while (pos_ < text_.size() && text_[pos_] != quote) {
        char ch = text_[pos_++];
        if (ch == '\\' && pos_ < text_.size()) {
          char e = text_[pos_++];
          switch (e) {
            case 'n': ch = '\n'; break;
            case 't': ch = '\t'; break;
            case 'r': ch = '\r'; break;
            case '0': ch = '\0'; break;
            default: ch = e;
          }
        }
        v.s.push_back(ch);
      }
      if (pos_ >= text_.size()) return Error("unterminated string");
      ++pos_;
      return v;
    }
    if (EatWord("True")) { v.kind = PyValue::kBool; v.b = true; return v; }
    if (EatWord("False")) { v.kind = PyValue::kBool; v.b = false; return v; }
    if (EatWord("None")) return v;
    ASSIGN_OR_RETURN(v, ParseNumber());
    if (v.kind == PyValue::kComplex) return v;
    // ast.literal_eval's one binary operation: a real literal plus or minus an
    // unsigned imaginary one ("1-2j"), computed as Python does (so "1-0j" has
    // imaginary part +0.0 and "-2j" real part -0.0).
    size_t before = pos_;
    SkipSpace();
    if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) {
      const bool minus = text_[pos_++] == '-';
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] == '+' || text_[pos_] == '-') {
        return Error("only an unsigned imaginary literal may follow '+' or '-'");
      }
      ASSIGN_OR_RETURN(PyValue right, ParseNumber());
      if (right.kind != PyValue::kComplex) return Error("only an imaginary literal may follow '+' or '-'");
      const double left = v.kind == PyValue::kInt && !v.big ? static_cast<double>(v.i) : v.f;
      PyValue c;
      c.kind = PyValue::kComplex;
      c.f = minus ? left - right.f : left + right.f;
      c.imag = minus ? 0.0 - right.imag : 0.0 + right.imag;
      return c;
    }
    pos_ = before;
    return v;
  }

  // One number literal, with its sign: ints stay ints (like Python), anything
  // with '.', 'e', inf or nan is float, and a 'j' suffix makes it imaginary.
  StatusOr<PyValue> ParseNumber() {
    PyValue v;
    size_t start = pos_;
    if (pos_ < text_.size() && (text_[pos_] == '-' || text_[pos_] == '+')) ++pos_;
    if (EatWord("inf")) { v.kind = PyValue::kFloat; v.f = text_[start] == '-' ? -INFINITY : INFINITY; return v; }
    if (EatWord("nan")) { v.kind = PyValue::kFloat; v.f = NAN; return v; }
    bool is_float = false;
    auto digit_at = [&](size_t i) {
      return i < text_.size() && std::isdigit(static_cast<unsigned char>(text_[i]));
    };
    while (pos_ < text_.size() && (std::isdigit(static_cast<unsigned char>(text_[pos_])) ||
                                   // Python allows "1_000": one underscore between digits.
                                   (text_[pos_] == '_' && pos_ > start && digit_at(pos_ - 1) &&
                                    digit_at(pos_ + 1)) ||
                                   text_[pos_] == '.' || text_[pos_] == 'e' || text_[pos_] == 'E' ||
                                   ((text_[pos_] == '-' || text_[pos_] == '+') &&
                                    (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E')))) {
      if (!std::isdigit(static_cast<unsigned char>(text_[pos_])) && text_[pos_] != '_') is_float = true;
      ++pos_;
    }
    std::string num;
    for (char ch : text_.substr(start, pos_ - start)) {
      if (ch != '_') num.push_back(ch);
    }
    if (num.empty() || num == "-" || num == "+") return Error("expected a value");
    char* end = nullptr;
    if (is_float) {
      v.kind = PyValue::kFloat;
      v.f = std::strtod(num.c_str(), &end);
    } else {
      v.kind = PyValue::kInt;
      errno = 0;
      v.i = std::strtoll(num.c_str(), &end, 10);
      if (errno == ERANGE) {
        v.big = true;
        v.s = num;
        v.f = std::strtod(num.c_str(), nullptr);
      }
    }
    if (end != num.c_str() + num.size()) return Error("malformed number '" + num + "'");
    if (pos_ < text_.size() && (text_[pos_] == 'j' || text_[pos_] == 'J')) {
      ++pos_;
      // -2j is -(0+2j): both parts negated.
      const bool negative = num[0] == '-';
      double magnitude = std::strtod(num.c_str() + (negative || num[0] == '+' ? 1 : 0), nullptr);
      v = PyValue();
      v.kind = PyValue::kComplex;
      v.f = negative ? -0.0 : 0.0;
      v.imag = negative ? -magnitude : magnitude;
    }
    return v;
  }

  // `{a, b}`: only its elements matter, as no conversion accepts a set.
  StatusOr<PyValue> ParseSetRest(PyValue first, int depth) {
    PyValue v;
    v.kind = PyValue::kSet;
    v.items.push_back(std::move(first));
    for (;;) {
      if (Eat('}')) return v;
      if (!Eat(',')) return Error("expected ',' or '}'");
      if (Eat('}')) return v;
      ASSIGN_OR_RETURN(PyValue item, Parse(depth + 1));
      v.items.push_back(std::move(item));
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// Python's repr of a complex value, for messages: 2j, (1-2.5j), (-0-2j).
std::string PyComplexRepr(const PyValue& v) {
  auto num = [](double d) {
    if (std::isnan(d)) return std::string("nan");
    if (std::isinf(d)) return std::string(d < 0 ? "-inf" : "inf");
    char buf[32];
    for (int precision = 1; precision <= 17; ++precision) {
      std::snprintf(buf, sizeof(buf), "%.*g", precision, d);
      if (std::strtod(buf, nullptr) == d) break;
    }
    return std::string(buf);
  };
  std::string im = num(v.imag);
  if (v.f == 0 && !std::signbit(v.f)) return im + "j";
  if (im[0] != '-') im = "+" + im;
  return "(" + num(v.f) + im + "j)";
}

// Walks a rectangular nested list, collecting its shape and leaves; tuples
// count as lists and everything else (sets and dicts too) as a leaf, as numpy.
Status Flatten(const PyValue& v, size_t depth, std::vector<int64_t>* shape,
               std::vector<const PyValue*>* leaves) {
  auto ragged = [&] {
    return InvalidArgument(
        "setting an array element with a sequence: the nested lists are not rectangular "
        "(inhomogeneous shape after " + std::to_string(depth) + " dimensions)");
  };
  if (v.kind != PyValue::kList) {
    if (depth != shape->size()) return ragged();
    leaves->push_back(&v);
    return Status::OK();
  }
  if (depth == shape->size()) {
    if (!leaves->empty()) return ragged();
    shape->push_back(static_cast<int64_t>(v.items.size()));
  } else if (depth > shape->size() || (*shape)[depth] != static_cast<int64_t>(v.items.size())) {
    return ragged();
  }
  for (const auto& item : v.items) RETURN_IF_ERROR(Flatten(item, depth + 1, shape, leaves));
  return Status::OK();
}

// The dtype np.asarray infers for the leaves, which decides how each converts.
enum class ArrayKind { kNumber, kText, kObject };

ArrayKind InferKind(const std::vector<const PyValue*>& leaves) {
  bool text = false;
  for (const PyValue* v : leaves) {
    switch (v->kind) {
      case PyValue::kNone: case PyValue::kDict: case PyValue::kSet: return ArrayKind::kObject;
      case PyValue::kInt:
        if (v->big) return ArrayKind::kObject;
        break;
      case PyValue::kString: case PyValue::kBytes: text = true; break;
      default: break;
    }
  }
  return text ? ArrayKind::kText : ArrayKind::kNumber;
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// Python allows single underscores between digits ("1_000").
StatusOr<std::string> DropUnderscores(const std::string& s, const std::string& err) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '_') {
      out.push_back(s[i]);
      continue;
    }
    if (i == 0 || i + 1 == s.size() || !std::isdigit(static_cast<unsigned char>(s[i - 1])) ||
        !std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
      return InvalidArgument(err);
    }
  }
  return out;
}

// Python's float(str).
StatusOr<double> ParsePyFloat(const std::string& text) {
  const std::string err = "could not convert string to float: '" + text + "'";
  std::string t = Trim(text);
  std::string lower;
  for (char c : t) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  std::string body = lower.empty() || (lower[0] != '-' && lower[0] != '+') ? lower : lower.substr(1);
  double sign = !lower.empty() && lower[0] == '-' ? -1 : 1;
  if (body == "inf" || body == "infinity") return sign * INFINITY;
  if (body == "nan") return NAN;
  if (t.empty() || t.find_first_of("xXpP") != std::string::npos ||
      !(std::isdigit(static_cast<unsigned char>(body.empty() ? 'x' : body[0])) || body[0] == '.')) {
    return InvalidArgument(err);
  }
  ASSIGN_OR_RETURN(std::string clean, DropUnderscores(t, err));
  char* end = nullptr;
  double v = std::strtod(clean.c_str(), &end);
  if (end != clean.c_str() + clean.size()) return InvalidArgument(err);
  return v;
}

// Python's int(str), as the value of T; out-of-range is an error.
template <typename T>
StatusOr<T> ParsePyInt(const std::string& text) {
  const std::string err = "invalid literal for int() with base 10: '" + text + "'";
  ASSIGN_OR_RETURN(std::string clean, DropUnderscores(Trim(text), err));
  size_t digits = clean.find_first_not_of("+-") == 1 ? 1 : 0;
  if (clean.empty() || clean.size() == digits ||
      clean.find_first_not_of("0123456789", digits) != std::string::npos) {
    return InvalidArgument(err);
  }
  errno = 0;
  char* end = nullptr;
  if (clean[0] != '-') {
    unsigned long long u = std::strtoull(clean.c_str(), &end, 10);
    if (errno != ERANGE && u <= static_cast<unsigned long long>(std::numeric_limits<T>::max())) {
      return static_cast<T>(u);
    }
  } else {
    long long s = std::strtoll(clean.c_str(), &end, 10);
    if (errno != ERANGE && s >= static_cast<long long>(std::numeric_limits<T>::min())) {
      return static_cast<T>(s);
    }
  }
  return InvalidArgument("integer " + Trim(text) + " is out of range for " +
                         DataTypeString(DataTypeOf<T>::value));
}

template <typename T>
StatusOr<T> IntInRange(int64_t v) {
  bool ok = std::is_signed_v<T>
                ? v >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
                      v <= static_cast<int64_t>(std::numeric_limits<T>::max())
                : v >= 0 && static_cast<uint64_t>(v) <= static_cast<uint64_t>(std::numeric_limits<T>::max());
  if (!ok) {
    return InvalidArgument("integer " + std::to_string(v) + " is out of range for " +
                           DataTypeString(DataTypeOf<T>::value));
  }
  return static_cast<T>(v);
}

Status NotANumber(const PyValue& v, const char* conv) {
  return InvalidArgument(std::string(conv) + "() argument must be a string or a real number, not '" +
                         PyTypeName(v) + "'");
}

// One leaf as a floating value, following numpy's cast from the inferred kind.
StatusOr<double> LeafToDouble(const PyValue& v, ArrayKind kind) {
  switch (v.kind) {
    case PyValue::kBool:
      // In a text array numpy has already turned True into 'True'.
      if (kind == ArrayKind::kText) return ParsePyFloat(v.b ? "True" : "False");
      return v.b ? 1.0 : 0.0;
    case PyValue::kInt: return v.big ? v.f : static_cast<double>(v.i);
    case PyValue::kFloat: return v.f;
    case PyValue::kComplex:
      // numpy's complex -> real cast keeps the real part; an object or text
      // array converts the Python value, which float() refuses.
      if (kind == ArrayKind::kObject) return NotANumber(v, "float");
      if (kind == ArrayKind::kText) {
        return InvalidArgument("could not convert string to float: '" + PyComplexRepr(v) + "'");
      }
      return v.f;
    case PyValue::kString: case PyValue::kBytes: return ParsePyFloat(v.s);
    case PyValue::kNone: return static_cast<double>(NAN);  // numpy's float(None) in object arrays
    default: return NotANumber(v, "float");
  }
}

template <typename T>
StatusOr<T> LeafToInt(const PyValue& v, ArrayKind kind) {
  switch (v.kind) {
    case PyValue::kBool:
      if (kind == ArrayKind::kText) return ParsePyInt<T>(v.b ? "True" : "False");
      return static_cast<T>(v.b);
    case PyValue::kInt:
      if (v.big) return ParsePyInt<T>(v.s);
      return IntInRange<T>(v.i);
    case PyValue::kComplex:
      if (kind == ArrayKind::kObject) {
        return InvalidArgument("int() argument must be a string, a bytes-like object or a real number, not 'complex'");
      }
      if (kind == ArrayKind::kText) {
        return InvalidArgument("invalid literal for int() with base 10: '" + PyComplexRepr(v) + "'");
      }
      [[fallthrough]];  // numpy casts the real part
    case PyValue::kFloat: {
      if (kind == ArrayKind::kText) {
        return InvalidArgument("invalid literal for int() with base 10: a float in a list with strings");
      }
      double t = std::trunc(v.f);
      // numpy gives an arbitrary value here; refuse rather than feed it.
      if (!std::isfinite(t) || t < static_cast<double>(std::numeric_limits<T>::min()) ||
          t >= static_cast<double>(std::numeric_limits<T>::max()) + 1.0) {
        return InvalidArgument("float " + std::to_string(v.f) + " is out of range for " +
                               DataTypeString(DataTypeOf<T>::value));
      }
      return static_cast<T>(t);
    }
    case PyValue::kString: case PyValue::kBytes: return ParsePyInt<T>(v.s);
    default: return NotANumber(v, "int");
  }
}

StatusOr<bool> LeafToBool(const PyValue& v) {
  switch (v.kind) {
    case PyValue::kNone: return false;
    case PyValue::kBool: return v.b;
    case PyValue::kInt: return v.big || v.i != 0;
    case PyValue::kFloat: return v.f != 0;
    case PyValue::kComplex: return v.f != 0 || v.imag != 0;
    case PyValue::kString: case PyValue::kBytes: return !v.s.empty();
    default: return InvalidArgument("cannot convert a " + PyTypeName(v) + " to bool");
  }
}

// Python's complex(str): "1+2j", "(3-4j)", "2j", "j", "1.5".
StatusOr<std::pair<double, double>> ParsePyComplex(const std::string& text) {
  const Status malformed = InvalidArgument("complex() arg is a malformed string: '" + text + "'");
  std::string t = Trim(text);
  if (t.size() >= 2 && t.front() == '(' && t.back() == ')') t = Trim(t.substr(1, t.size() - 2));
  if (t.empty()) return malformed;
  auto part = [&](const std::string& p) -> StatusOr<double> {
    if (p == "+" || p.empty()) return 1.0;
    if (p == "-") return -1.0;
    auto d = ParsePyFloat(p);
    if (!d.ok() || p != Trim(p)) return malformed;
    return *d;
  };
  if (t.back() != 'j' && t.back() != 'J') {
    auto re = ParsePyFloat(t);
    if (!re.ok()) return malformed;
    return std::pair<double, double>(*re, 0.0);
  }
  std::string body = t.substr(0, t.size() - 1);
  size_t split = std::string::npos;
  for (size_t i = body.size(); i-- > 1;) {
    if ((body[i] == '+' || body[i] == '-') && body[i - 1] != 'e' && body[i - 1] != 'E') {
      split = i;
      break;
    }
  }
  if (split == std::string::npos) {
    ASSIGN_OR_RETURN(double im, part(body));
    return std::pair<double, double>(0.0, im);
  }
  auto re = ParsePyFloat(body.substr(0, split));
  if (!re.ok() || body.substr(0, split) != Trim(body.substr(0, split))) return malformed;
  ASSIGN_OR_RETURN(double im, part(body.substr(split)));
  return std::pair<double, double>(*re, im);
}

// One leaf as a complex value (real, imaginary), as numpy casts it.
StatusOr<std::pair<double, double>> LeafToComplex(const PyValue& v, ArrayKind kind) {
  switch (v.kind) {
    case PyValue::kComplex: return std::pair<double, double>(v.f, v.imag);
    case PyValue::kString: case PyValue::kBytes: return ParsePyComplex(v.s);
    case PyValue::kNone: return std::pair<double, double>(NAN, NAN);  // numpy's complex(None) in object arrays
    case PyValue::kBool:
      if (kind == ArrayKind::kText) return ParsePyComplex(v.b ? "True" : "False");
      return std::pair<double, double>(v.b ? 1.0 : 0.0, 0.0);
    case PyValue::kInt: case PyValue::kFloat: {
      ASSIGN_OR_RETURN(double re, LeafToDouble(v, kind));
      return std::pair<double, double>(re, 0.0);
    }
    default:
      return InvalidArgument("complex() first argument must be a string or a number, not '" + PyTypeName(v) + "'");
  }
}

template <typename T>
Status FillNumeric(const std::vector<const PyValue*>& leaves, ArrayKind kind, Tensor* t) {
  auto out = t->flat<T>();
  for (size_t i = 0; i < leaves.size(); ++i) {
    const PyValue& v = *leaves[i];
    if constexpr (std::is_same_v<T, bool>) {
      ASSIGN_OR_RETURN(out[i], LeafToBool(v));
    } else if constexpr (std::is_integral_v<T>) {
      ASSIGN_OR_RETURN(out[i], LeafToInt<T>(v, kind));
    } else if constexpr (std::is_same_v<T, complex64> || std::is_same_v<T, complex128>) {
      ASSIGN_OR_RETURN(auto c, LeafToComplex(v, kind));
      out[i] = T(static_cast<typename T::value_type>(c.first), static_cast<typename T::value_type>(c.second));
    } else {
      ASSIGN_OR_RETURN(double d, LeafToDouble(v, kind));
      if constexpr (std::is_same_v<T, half>) {
        out[i] = FloatToHalf(static_cast<float>(d));
      } else if constexpr (std::is_same_v<T, bfloat16>) {
        out[i] = FloatToBFloat16(static_cast<float>(d));
      } else {
        out[i] = static_cast<T>(d);
      }
    }
  }
  return Status::OK();
}

}  // namespace

std::string PyTypeName(const PyValue& v) {
  switch (v.kind) {
    case PyValue::kNone: return "NoneType";
    case PyValue::kBool: return "bool";
    case PyValue::kInt: return "int";
    case PyValue::kFloat: return "float";
    case PyValue::kComplex: return "complex";
    case PyValue::kString: return "str";
    case PyValue::kBytes: return "bytes";
    case PyValue::kList: return v.tuple ? "tuple" : "list";
    case PyValue::kDict: return "dict";
    case PyValue::kSet: return "set";
  }
  return "object";
}

PyValue::PyValue() = default;
PyValue::PyValue(const PyValue&) = default;
PyValue::PyValue(PyValue&&) noexcept = default;
PyValue& PyValue::operator=(const PyValue&) = default;
PyValue& PyValue::operator=(PyValue&&) noexcept = default;
PyValue::~PyValue() = default;

StatusOr<PyValue> ParsePyLiteral(std::string_view text) { return Parser(text).ParseAll(); }

StatusOr<Tensor> PyValueToTensor(const PyValue& v, DataType dtype) {
  std::vector<int64_t> shape;
  std::vector<const PyValue*> leaves;
  RETURN_IF_ERROR(Flatten(v, 0, &shape, &leaves));
  ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dtype, shape));
  if (dtype == DT_STRING) {
    auto out = t.flat<std::string>();
    for (size_t i = 0; i < leaves.size(); ++i) {
      if (leaves[i]->kind != PyValue::kString && leaves[i]->kind != PyValue::kBytes) {
        return InvalidArgument("a string input needs strings, got a " + PyTypeName(*leaves[i]));
      }
      out[i] = leaves[i]->s;
    }
    return t;
  }
  const ArrayKind kind = InferKind(leaves);
  RETURN_IF_ERROR(VisitDataType(dtype, [&](auto zero) -> Status {
    using T = decltype(zero);
    if constexpr (std::is_same_v<T, std::string>) {
      return Status::OK();
    } else {
      return FillNumeric<T>(leaves, kind, &t);
    }
  }));
  return t;
}

StatusOr<Tensor> PyValueToExamples(const PyValue& v) {
  if (v.kind != PyValue::kList || v.tuple) {
    return InvalidArgument("tf.Example input must be a list of dictionaries, but it is a " +
                           PyTypeName(v));
  }
  Tensor out(DT_STRING, TensorShape{static_cast<int64_t>(v.items.size())});
  for (size_t e = 0; e < v.items.size(); ++e) {
    const PyValue& dict = v.items[e];
    if (dict.kind != PyValue::kDict) {
      return InvalidArgument("each tf.Example must be a dict of feature lists, got a " + PyTypeName(dict));
    }
    tensorflow::Example example;
    auto& features = *example.mutable_features()->mutable_feature();
    for (const auto& field : dict.fields) {
      // Not a structured binding: lambdas below capture it (clang < 16 cannot).
      const std::string& name = field.first;
      const PyValue& value = field.second;
      if (value.kind != PyValue::kList || value.tuple) {
        return InvalidArgument("feature value must be a list, but " + name + " is a " +
                               PyTypeName(value));
      }
      if (value.items.empty()) return InvalidArgument("feature '" + name + "' has an empty value list");
      tensorflow::Feature& f = features[name];
      f.Clear();  // a repeated key replaces the earlier one, as in a Python dict
      const PyValue& first = value.items[0];
      auto bad = [&](const PyValue& x, const char* list) {
        return InvalidArgument("feature '" + name + "': a " + PyTypeName(x) + " cannot go in the " +
                               list + " that its first value (a " + PyTypeName(first) + ") selects");
      };
      for (const PyValue& x : value.items) {
        switch (first.kind) {
          case PyValue::kFloat: {
            auto* list = f.mutable_float_list();
            if (x.kind == PyValue::kFloat || x.kind == PyValue::kBool || x.kind == PyValue::kInt) {
              list->add_value(static_cast<float>(x.kind == PyValue::kFloat ? x.f
                                                 : x.kind == PyValue::kBool ? (x.b ? 1.0 : 0.0)
                                                 : x.big ? x.f : static_cast<double>(x.i)));
            } else {
              return bad(x, "float_list");
            }
            break;
          }
          case PyValue::kString:
            if (x.kind != PyValue::kString) return bad(x, "bytes_list");
            f.mutable_bytes_list()->add_value(x.s);
            break;
          case PyValue::kBytes:
            if (x.kind != PyValue::kBytes && x.kind != PyValue::kString) return bad(x, "bytes_list");
            f.mutable_bytes_list()->add_value(x.s);
            break;
          case PyValue::kInt:
            if (x.kind != PyValue::kInt) return bad(x, "int64_list");
            if (x.big) return InvalidArgument("feature '" + name + "': value out of range: " + x.s);
            f.mutable_int64_list()->add_value(x.i);
            break;
          case PyValue::kBool:
            return InvalidArgument("feature '" + name +
                                   "': tf.train.Int64List expects an int, got a boolean");
          default:
            return InvalidArgument("feature '" + name + "': type " + PyTypeName(first) +
                                   " is not supported for tf.train.Feature");
        }
      }
    }
    example.SerializeToString(&out.flat<std::string>()[e]);
  }
  return out;
}

}  // namespace savedmodel::cli
