// Running C++ work with the GIL released.
#pragma once
#include <pybind11/pybind11.h>

#include <optional>
#include <type_traits>
#include <utility>

namespace savedmodel::python {

// Runs f() without the GIL and returns its result. Deliberately not RAII
// (pybind11's gil_scoped_release): a daemon thread that takes the GIL back
// while the interpreter shuts down is ended by pthread_exit, whose forced
// unwinding aborts the process if it starts inside a destructor (implicitly
// noexcept). Here it starts in an ordinary function and unwinds cleanly.
template <typename F>
auto WithoutGil(F&& f) -> std::invoke_result_t<F&> {
  using R = std::invoke_result_t<F&>;
  PyThreadState* state = PyEval_SaveThread();
  if constexpr (std::is_void_v<R>) {
    try {
      f();
    } catch (...) {
      PyEval_RestoreThread(state);
      throw;
    }
    PyEval_RestoreThread(state);
  } else {
    std::optional<R> result;
    try {
      result.emplace(f());
    } catch (...) {
      PyEval_RestoreThread(state);
      throw;
    }
    PyEval_RestoreThread(state);
    return std::move(*result);
  }
}

}  // namespace savedmodel::python
