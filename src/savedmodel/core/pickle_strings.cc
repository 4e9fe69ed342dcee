#include "savedmodel/core/pickle_strings.h"

#include <cstring>
#include <memory>
#include <unordered_map>

namespace savedmodel {
namespace {

struct PObj;
using PRef = std::shared_ptr<PObj>;

struct PObj {
  enum Kind { kNone, kInt, kBool, kFloat, kBytes, kStr, kTuple, kList, kDict, kOpaque } kind = kNone;
  int64_t i = 0;
  std::string s;
  std::vector<PRef> items;  // tuple/list elements; for kOpaque: [callable, args, state...]
};

class Machine {
 public:
  explicit Machine(std::string_view in) : in_(in) {}
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  // The input decides how deep lists nest (200,000 levels in a few hundred KB)
  // and may tie cycles through the memo, so objects must not free each other
  // recursively: every object made is held here, and emptied here, which frees
  // them all one by one. Values returned by Run() are valid until then.
  ~Machine() {
    for (const PRef& p : made_) p->items.clear();
  }

  StatusOr<PRef> Run() {
    for (int steps = 0;; ++steps) {
      if (pos_ >= in_.size()) return Err("pickle ends without STOP");
      uint8_t op = static_cast<uint8_t>(in_[pos_++]);
      switch (op) {
        case 0x80: RETURN_IF_ERROR(Skip(1)); break;             // PROTO
        case 0x95: RETURN_IF_ERROR(Skip(8)); break;             // FRAME
        case '.': return Pop();                                 // STOP
        case '(': marks_.push_back(stack_.size()); break;       // MARK
        case 'N': stack_.push_back(Make(PObj::kNone)); break;
        case 0x88: case 0x89: {                                 // NEWTRUE / NEWFALSE
          auto b = Make(PObj::kBool);
          b->i = op == 0x88;
          stack_.push_back(b);
          break;
        }
        case 'K': RETURN_IF_ERROR(PushInt(1, false)); break;   // BININT1
        case 'M': RETURN_IF_ERROR(PushInt(2, false)); break;   // BININT2
        case 'J': RETURN_IF_ERROR(PushInt(4, true)); break;    // BININT
        case 0x8a: {                                            // LONG1
          uint64_t n = 0;  // set by ReadLen; zero keeps -Wmaybe-uninitialized quiet
          RETURN_IF_ERROR(ReadLen(1, &n));
          if (n > 8) return Err("LONG1 wider than 8 bytes");
          RETURN_IF_ERROR(PushInt(static_cast<int>(n), true));
          break;
        }
        case 'G': {                                             // BINFLOAT
          RETURN_IF_ERROR(Skip(8));
          stack_.push_back(Make(PObj::kFloat));
          break;
        }
        case 'C': RETURN_IF_ERROR(PushString(1, PObj::kBytes)); break;  // SHORT_BINBYTES
        case 'B': RETURN_IF_ERROR(PushString(4, PObj::kBytes)); break;  // BINBYTES
        case 0x8e: RETURN_IF_ERROR(PushString(8, PObj::kBytes)); break; // BINBYTES8
        case 0x8c: RETURN_IF_ERROR(PushString(1, PObj::kStr)); break;   // SHORT_BINUNICODE
        case 'X': RETURN_IF_ERROR(PushString(4, PObj::kStr)); break;    // BINUNICODE
        case 0x8d: RETURN_IF_ERROR(PushString(8, PObj::kStr)); break;   // BINUNICODE8
        case 'T': RETURN_IF_ERROR(PushString(4, PObj::kBytes)); break;  // BINSTRING (py2 str)
        case 'U': RETURN_IF_ERROR(PushString(1, PObj::kBytes)); break;  // SHORT_BINSTRING
        case 'c': {                                             // GLOBAL "module\nname\n"
          for (int line = 0; line < 2; ++line) {
            size_t nl = in_.find('\n', pos_);
            if (nl == std::string_view::npos) return Err("unterminated GLOBAL");
            pos_ = nl + 1;
          }
          stack_.push_back(Make(PObj::kOpaque));
          break;
        }
        case 0x93: {                                            // STACK_GLOBAL
          RETURN_IF_ERROR(PopN(2).status());
          stack_.push_back(Make(PObj::kOpaque));
          break;
        }
        case ')': stack_.push_back(Make(PObj::kTuple)); break;  // EMPTY_TUPLE
        case 0x85: case 0x86: case 0x87: {                      // TUPLE1..3
          ASSIGN_OR_RETURN(auto items, PopN(op - 0x84));
          auto t = Make(PObj::kTuple);
          t->items = std::move(items);
          stack_.push_back(t);
          break;
        }
        case 't': {                                             // TUPLE
          ASSIGN_OR_RETURN(auto items, PopMark());
          auto t = Make(PObj::kTuple);
          t->items = std::move(items);
          stack_.push_back(t);
          break;
        }
        case ']': stack_.push_back(Make(PObj::kList)); break;   // EMPTY_LIST
        case 'l': {                                             // LIST
          ASSIGN_OR_RETURN(auto items, PopMark());
          auto l = Make(PObj::kList);
          l->items = std::move(items);
          stack_.push_back(l);
          break;
        }
        case '}': stack_.push_back(Make(PObj::kDict)); break;   // EMPTY_DICT
        case 'a': {                                             // APPEND
          ASSIGN_OR_RETURN(PRef v, Pop());
          ASSIGN_OR_RETURN(PRef list, Top());
          if (list->kind != PObj::kList) return Err("APPEND to a non-list");
          list->items.push_back(v);
          break;
        }
        case 'e': {                                             // APPENDS
          ASSIGN_OR_RETURN(auto items, PopMark());
          ASSIGN_OR_RETURN(PRef list, Top());
          if (list->kind != PObj::kList) return Err("APPENDS to a non-list");
          for (auto& v : items) list->items.push_back(v);
          break;
        }
        case 's': RETURN_IF_ERROR(PopN(2).status()); break;     // SETITEM (dict contents unused)
        case 'u': RETURN_IF_ERROR(PopMark().status()); break;   // SETITEMS
        case 'R': {                                             // REDUCE: callable(args) -> opaque
          ASSIGN_OR_RETURN(auto ca, PopN(2));
          auto o = Make(PObj::kOpaque);
          o->items = std::move(ca);
          stack_.push_back(o);
          break;
        }
        case 'b': {                                             // BUILD: obj.__setstate__(state)
          ASSIGN_OR_RETURN(PRef state, Pop());
          ASSIGN_OR_RETURN(PRef obj, Top());
          obj->items.push_back(state);
          break;
        }
        case 'q': { uint64_t k = 0; RETURN_IF_ERROR(ReadLen(1, &k)); RETURN_IF_ERROR(Memo(k)); break; }
        case 'r': { uint64_t k = 0; RETURN_IF_ERROR(ReadLen(4, &k)); RETURN_IF_ERROR(Memo(k)); break; }
        case 0x94: RETURN_IF_ERROR(Memo(memo_.size())); break;  // MEMOIZE
        case 'h': case 'j': {                                   // BINGET / LONG_BINGET
          uint64_t k = 0;  // set by ReadLen; zero keeps -Wmaybe-uninitialized quiet
          RETURN_IF_ERROR(ReadLen(op == 'h' ? 1 : 4, &k));
          auto it = memo_.find(k);
          if (it == memo_.end()) return Err("memo key " + std::to_string(k) + " not set");
          stack_.push_back(it->second);
          break;
        }
        case '0': RETURN_IF_ERROR(Pop().status()); break;       // POP
        default: {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "0x%02x", op);
          return Err(std::string("unsupported pickle opcode ") + buf);
        }
      }
      if (stack_.size() > 1'000'000) return Err("pickle stack too deep");
    }
  }

 private:
  Status Err(const std::string& what) const {
    return InvalidArgument("object array pickle: " + what + " at byte " + std::to_string(pos_));
  }
  Status Skip(size_t n) {
    if (n > in_.size() - pos_) return Err("truncated");
    pos_ += n;
    return Status::OK();
  }
  Status ReadLen(int width, uint64_t* out) {
    if (static_cast<size_t>(width) > in_.size() - pos_) return Err("truncated");
    uint64_t v = 0;
    for (int b = width - 1; b >= 0; --b) v = (v << 8) | static_cast<uint8_t>(in_[pos_ + b]);
    pos_ += width;
    *out = v;
    return Status::OK();
  }
  Status PushInt(int width, bool is_signed) {
    uint64_t v = 0;  // set by ReadLen; zero keeps -Wmaybe-uninitialized quiet
    RETURN_IF_ERROR(ReadLen(width, &v));
    auto p = Make(PObj::kInt);
    if (is_signed && width < 8 && width > 0 && (v >> (8 * width - 1)) & 1) {
      v |= ~uint64_t{0} << (8 * width);
    }
    p->i = static_cast<int64_t>(v);
    stack_.push_back(p);
    return Status::OK();
  }
  Status PushString(int width, PObj::Kind kind) {
    uint64_t n = 0;  // set by ReadLen; zero keeps -Wmaybe-uninitialized quiet
    RETURN_IF_ERROR(ReadLen(width, &n));
    if (n > in_.size() - pos_) return Err("string of " + std::to_string(n) + " bytes runs past the end");
    auto p = Make(kind);
    p->s.assign(in_.data() + pos_, n);
    pos_ += n;
    stack_.push_back(p);
    return Status::OK();
  }
  Status Memo(uint64_t key) {
    if (stack_.empty()) return Err("memo of an empty stack");
    memo_[key] = stack_.back();
    return Status::OK();
  }
  StatusOr<PRef> Top() {
    if (stack_.empty() || (!marks_.empty() && marks_.back() == stack_.size())) return Err("stack underflow");
    return stack_.back();
  }
  StatusOr<PRef> Pop() {
    ASSIGN_OR_RETURN(PRef p, Top());
    stack_.pop_back();
    return p;
  }
  StatusOr<std::vector<PRef>> PopN(size_t n) {
    size_t floor = marks_.empty() ? 0 : marks_.back();
    if (stack_.size() < floor + n) return Err("stack underflow");
    std::vector<PRef> out(stack_.end() - n, stack_.end());
    stack_.resize(stack_.size() - n);
    return out;
  }
  StatusOr<std::vector<PRef>> PopMark() {
    if (marks_.empty()) return Err("no MARK");
    size_t m = marks_.back();
    marks_.pop_back();
    std::vector<PRef> out(stack_.begin() + m, stack_.end());
    stack_.resize(m);
    return out;
  }

  PRef Make(PObj::Kind k) {
    auto p = std::make_shared<PObj>();
    p->kind = k;
    made_.push_back(p);
    return p;
  }

  std::string_view in_;
  size_t pos_ = 0;
  std::vector<PRef> made_;
  std::vector<PRef> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PRef> memo_;
};

}  // namespace

StatusOr<std::vector<std::string>> UnpickleObjectArrayStrings(std::string_view pickle,
                                                              int64_t expected_count) {
  Machine machine(pickle);
  ASSIGN_OR_RETURN(PRef root, machine.Run());
  // np.save pickles the ndarray: _reconstruct(...) then BUILD with the state
  // (version, shape, dtype, is_fortran, [elements]).
  if (root->kind != PObj::kOpaque || root->items.size() < 3 ||
      root->items.back()->kind != PObj::kTuple || root->items.back()->items.empty()) {
    return InvalidArgument("object array pickle is not a numpy ndarray");
  }
  const PRef& elements = root->items.back()->items.back();
  if (elements->kind != PObj::kList) {
    return InvalidArgument("object array pickle holds no element list");
  }
  if (static_cast<int64_t>(elements->items.size()) != expected_count) {
    return InvalidArgument("object array pickle holds " + std::to_string(elements->items.size()) +
                           " elements but the header's shape has " + std::to_string(expected_count));
  }
  std::vector<std::string> out;
  out.reserve(elements->items.size());
  for (const PRef& e : elements->items) {
    if (e->kind != PObj::kBytes && e->kind != PObj::kStr) {
      return Unimplemented("object arrays are read only when every element is bytes or str");
    }
    out.push_back(e->s);
  }
  return out;
}

}  // namespace savedmodel
