#include "py_literal.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

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
      if (Eat(close)) return v;
      for (;;) {
        ASSIGN_OR_RETURN(PyValue item, Parse(depth + 1));
        v.items.push_back(std::move(item));
        if (Eat(close)) return v;
        if (!Eat(',')) return Error(std::string("expected ',' or '") + close + "'");
        if (Eat(close)) return v;  // trailing comma
      }
    }
    if (c == '{') {
      ++pos_;
      v.kind = PyValue::kDict;
      if (Eat('}')) return v;
      for (;;) {
        ASSIGN_OR_RETURN(PyValue key, Parse(depth + 1));
        if (key.kind != PyValue::kString) return Error("dict keys must be strings");
        if (!Eat(':')) return Error("expected ':'");
        ASSIGN_OR_RETURN(PyValue item, Parse(depth + 1));
        v.fields.push_back({key.s, std::move(item)});
        if (Eat('}')) return v;
        if (!Eat(',')) return Error("expected ',' or '}'");
        if (Eat('}')) return v;
      }
    }
    if (c == '"' || c == '\'' || ((c == 'b' || c == 'u') && pos_ + 1 < text_.size() &&
                                  (text_[pos_ + 1] == '"' || text_[pos_ + 1] == '\''))) {
      if (c == 'b' || c == 'u') ++pos_;
      char quote = text_[pos_++];
      v.kind = PyValue::kString;
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
    // Numbers: ints stay ints (like Python), anything with '.', 'e', inf or nan is float.
    size_t start = pos_;
    if (pos_ < text_.size() && (text_[pos_] == '-' || text_[pos_] == '+')) ++pos_;
    if (EatWord("inf")) { v.kind = PyValue::kFloat; v.f = text_[start] == '-' ? -INFINITY : INFINITY; return v; }
    if (EatWord("nan")) { v.kind = PyValue::kFloat; v.f = NAN; return v; }
    bool is_float = false;
    while (pos_ < text_.size() && (std::isdigit(static_cast<unsigned char>(text_[pos_])) ||
                                   text_[pos_] == '.' || text_[pos_] == 'e' || text_[pos_] == 'E' ||
                                   ((text_[pos_] == '-' || text_[pos_] == '+') &&
                                    (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E')))) {
      if (!std::isdigit(static_cast<unsigned char>(text_[pos_]))) is_float = true;
      ++pos_;
    }
    std::string num(text_.substr(start, pos_ - start));
    if (num.empty() || num == "-" || num == "+") return Error("expected a value");
    char* end = nullptr;
    if (is_float) {
      v.kind = PyValue::kFloat;
      v.f = std::strtod(num.c_str(), &end);
    } else {
      v.kind = PyValue::kInt;
      errno = 0;
      v.i = std::strtoll(num.c_str(), &end, 10);
      if (errno == ERANGE) return Error("integer out of range");
    }
    if (end != num.c_str() + num.size()) return Error("malformed number '" + num + "'");
    return v;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// Walks a rectangular nested list, collecting its shape and leaves.
Status Flatten(const PyValue& v, size_t depth, std::vector<int64_t>* shape,
               std::vector<const PyValue*>* leaves) {
  if (v.kind != PyValue::kList) {
    if (depth != shape->size()) return InvalidArgument("ragged nested list (not rectangular)");
    leaves->push_back(&v);
    return Status::OK();
  }
  if (depth == shape->size()) {
    if (!leaves->empty()) return InvalidArgument("ragged nested list (not rectangular)");
    shape->push_back(static_cast<int64_t>(v.items.size()));
  } else if (depth > shape->size() || (*shape)[depth] != static_cast<int64_t>(v.items.size())) {
    return InvalidArgument("ragged nested list (not rectangular)");
  }
  for (const auto& item : v.items) RETURN_IF_ERROR(Flatten(item, depth + 1, shape, leaves));
  return Status::OK();
}

double AsDouble(const PyValue& v) {
  switch (v.kind) {
    case PyValue::kBool: return v.b ? 1 : 0;
    case PyValue::kInt: return static_cast<double>(v.i);
    default: return v.f;
  }
}

template <typename T>
Status FillNumeric(const std::vector<const PyValue*>& leaves, Tensor* t) {
  auto out = t->flat<T>();
  for (size_t i = 0; i < leaves.size(); ++i) {
    const PyValue& v = *leaves[i];
    if (v.kind == PyValue::kString || v.kind == PyValue::kNone) {
      return InvalidArgument("expected a number, got a " +
                             std::string(v.kind == PyValue::kNone ? "None" : "string"));
    }
    if constexpr (std::is_same_v<T, half>) {
      out[i] = FloatToHalf(static_cast<float>(AsDouble(v)));
    } else if constexpr (std::is_same_v<T, bfloat16>) {
      out[i] = FloatToBFloat16(static_cast<float>(AsDouble(v)));
    } else if constexpr (std::is_same_v<T, complex64> || std::is_same_v<T, complex128>) {
      out[i] = T(AsDouble(v), 0);
    } else if constexpr (std::is_integral_v<T>) {
      out[i] = v.kind == PyValue::kInt ? static_cast<T>(v.i) : static_cast<T>(AsDouble(v));
    } else {
      out[i] = static_cast<T>(AsDouble(v));
    }
  }
  return Status::OK();
}

}  // namespace

StatusOr<PyValue> ParsePyLiteral(std::string_view text) { return Parser(text).ParseAll(); }

StatusOr<Tensor> PyValueToTensor(const PyValue& v, DataType dtype) {
  std::vector<int64_t> shape;
  std::vector<const PyValue*> leaves;
  RETURN_IF_ERROR(Flatten(v, 0, &shape, &leaves));
  ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dtype, shape));
  if (dtype == DT_STRING) {
    auto out = t.flat<std::string>();
    for (size_t i = 0; i < leaves.size(); ++i) {
      if (leaves[i]->kind != PyValue::kString) return InvalidArgument("expected a string");
      out[i] = leaves[i]->s;
    }
    return t;
  }
  RETURN_IF_ERROR(VisitDataType(dtype, [&](auto zero) -> Status {
    using T = decltype(zero);
    if constexpr (std::is_same_v<T, std::string>) {
      return Status::OK();
    } else {
      return FillNumeric<T>(leaves, &t);
    }
  }));
  return t;
}

StatusOr<Tensor> PyValueToExamples(const PyValue& v) {
  if (v.kind != PyValue::kList) return InvalidArgument("examples must be a list of dicts");
  Tensor out(DT_STRING, TensorShape{static_cast<int64_t>(v.items.size())});
  for (size_t e = 0; e < v.items.size(); ++e) {
    const PyValue& dict = v.items[e];
    if (dict.kind != PyValue::kDict) return InvalidArgument("each example must be a dict");
    tensorflow::Example example;
    auto& features = *example.mutable_features()->mutable_feature();
    for (const auto& [name, value] : dict.fields) {
      if (value.kind != PyValue::kList || value.items.empty()) {
        return InvalidArgument("feature '" + name + "' must be a non-empty list");
      }
      tensorflow::Feature& f = features[name];
      for (const PyValue& x : value.items) {
        switch (x.kind) {
          case PyValue::kFloat: f.mutable_float_list()->add_value(static_cast<float>(x.f)); break;
          case PyValue::kInt: case PyValue::kBool:
            // saved_model_cli makes an int64 list when the first value is an int.
            if (f.has_float_list()) {
              f.mutable_float_list()->add_value(static_cast<float>(AsDouble(x)));
            } else {
              f.mutable_int64_list()->add_value(x.kind == PyValue::kInt ? x.i : x.b);
            }
            break;
          case PyValue::kString: f.mutable_bytes_list()->add_value(x.s); break;
          default: return InvalidArgument("feature '" + name + "' has an unsupported value");
        }
      }
      int kinds = f.has_float_list() + f.has_int64_list() + f.has_bytes_list();
      if (kinds != 1) return InvalidArgument("feature '" + name + "' mixes value types");
    }
    example.SerializeToString(&out.flat<std::string>()[e]);
  }
  return out;
}

}  // namespace savedmodel::cli
