// Status -> Python exceptions. The runtime reports errors as Status values;
// at the Python boundary each becomes the savedmodel.errors class for its code
// (TensorFlow's exception names), so Python callers catch what TF code catches.
#pragma once
#include <pybind11/pybind11.h>

#include <exception>
#include <string>
#include <utility>

#include "savedmodel/base/status.h"

namespace savedmodel::python {

// Carries a non-OK Status through pybind11 to the translator registered by
// RegisterStatusTranslator, which raises the matching savedmodel.errors class.
class StatusError : public std::exception {
 public:
  explicit StatusError(Status status) : status_(std::move(status)) {}
  const Status& status() const { return status_; }
  const char* what() const noexcept override { return status_.message().c_str(); }

 private:
  Status status_;
};

[[noreturn]] inline void ThrowStatus(const Status& status) { throw StatusError(status); }

inline void ThrowIfError(const Status& status) {
  if (!status.ok()) ThrowStatus(status);
}

template <typename T>
T ValueOrThrow(StatusOr<T>&& v) {
  if (!v.ok()) ThrowStatus(v.status());
  return std::move(v).value();
}

// Sets the Python error for `status` (GIL held).
void SetPythonError(const Status& status);

// Installs the translator for StatusError and std::bad_alloc (the runtime's
// TensorAllocationError included: ResourceExhaustedError, not MemoryError,
// since it is a refused size, not a dying process).
void RegisterStatusTranslator();

// The type name of `v` ("dict"), for TypeErrors that say what was passed.
inline std::string TypeName(pybind11::handle v) {
  return pybind11::str(pybind11::type::handle_of(v).attr("__name__"));
}

// A Python str from bytes that may not be UTF-8 (paths, messages quoting
// file contents): undecodable bytes become U+FFFD instead of raising.
pybind11::str LenientStr(const std::string& s);

}  // namespace savedmodel::python
