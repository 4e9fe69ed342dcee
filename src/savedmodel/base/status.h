// Status and StatusOr: errors are values at every library boundary.
//
// Codes and their numbers follow the canonical set shared by absl::Status and
// TensorFlow's error::Code, so the server can map them to HTTP in one switch and
// TF Serving clients see the codes they expect.
#pragma once

#include <cassert>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace savedmodel {

enum class StatusCode : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// "INVALID_ARGUMENT", ... as TensorFlow and gRPC spell them.
std::string_view StatusCodeName(StatusCode code);

// Thread-compatible value type. An OK status holds no allocation.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message);

  static Status OK() { return Status(); }

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  const std::string& message() const;

  // "NOT_FOUND: message" (or "OK").
  std::string ToString() const;

  // Returns a copy whose message is `prefix + ": " + message()`; OK stays OK.
  Status WithContext(std::string_view prefix) const;

  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) {
    return a.code() == b.code() && a.message() == b.message();
  }

 private:
  struct Rep {
    StatusCode code;
    std::string message;
  };
  std::shared_ptr<const Rep> rep_;
};

std::ostream& operator<<(std::ostream& os, const Status& s);

Status InvalidArgument(std::string message);
Status NotFound(std::string message);
Status AlreadyExists(std::string message);
Status FailedPrecondition(std::string message);
Status OutOfRange(std::string message);
Status Unimplemented(std::string message);
Status Internal(std::string message);
Status DataLoss(std::string message);
Status ResourceExhausted(std::string message);
Status Unavailable(std::string message);
Status Cancelled(std::string message);
Status Unknown(std::string message);
Status PermissionDenied(std::string message);

namespace internal {
// Prints "StatusOr::value() on an error: CODE: message" to stderr and aborts.
[[noreturn]] void DieOnValueOfError(const Status* status);
}  // namespace internal

// Either a T or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const Status& status) : v_(status) { assert(!status.ok()); }  // NOLINT
  StatusOr(Status&& status) : v_(std::move(status)) {                    // NOLINT
    assert(!std::get<Status>(v_).ok());
  }
  StatusOr(const T& value) : v_(value) {}       // NOLINT
  StatusOr(T&& value) : v_(std::move(value)) {}  // NOLINT
  template <typename U,
            typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                        !std::is_same_v<std::decay_t<U>, Status> &&
                                        !std::is_same_v<std::decay_t<U>, StatusOr>>>
  StatusOr(U&& value) : v_(T(std::forward<U>(value))) {}  // NOLINT

  bool ok() const { return v_.index() == 1; }
  Status status() const { return ok() ? Status() : std::get<0>(v_); }

  // REQUIRES: ok(). On an error this is a bug in the caller, not bad input:
  // it prints the status and aborts, as TensorFlow's StatusOr does, rather
  // than throw (the library does not use exceptions for errors).
  const T& value() const& { return *std::get_if<1>(&CheckOk()); }
  T& value() & { return *std::get_if<1>(&CheckOk()); }
  T&& value() && { return std::move(*std::get_if<1>(&CheckOk())); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  const std::variant<Status, T>& CheckOk() const {
    if (!ok()) internal::DieOnValueOfError(std::get_if<0>(&v_));
    return v_;
  }
  std::variant<Status, T>& CheckOk() {
    if (!ok()) internal::DieOnValueOfError(std::get_if<0>(&v_));
    return v_;
  }

  std::variant<Status, T> v_;
};

namespace internal {
inline Status AsStatus(const Status& s) { return s; }
template <typename T>
Status AsStatus(const StatusOr<T>& s) { return s.status(); }
}  // namespace internal

}  // namespace savedmodel

#define SM_CONCAT_INNER_(a, b) a##b
#define SM_CONCAT_(a, b) SM_CONCAT_INNER_(a, b)

// Returns from the enclosing function when `expr` (a Status or StatusOr) fails.
#define RETURN_IF_ERROR(expr)                                              \
  do {                                                                     \
    ::savedmodel::Status sm_status_ = ::savedmodel::internal::AsStatus(expr); \
    if (!sm_status_.ok()) return sm_status_;                               \
  } while (0)

// ASSIGN_OR_RETURN(auto x, MakeX()); declares or assigns `lhs` from a StatusOr.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(SM_CONCAT_(sm_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()
