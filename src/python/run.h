// One Session::Run from Python: feeds converted with the GIL held, the run
// itself without it (other Python threads, and other runs, go on meanwhile),
// results converted after the feeds are dropped so an output that is a feed
// passed through (Identity) can still be handed to NumPy without a copy.
#pragma once
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "savedmodel/exec/session.h"

namespace savedmodel::python {

// `cast`: feeds whose dtype differs from the fed tensor's are converted as
// TF1's session does (np.asarray(value, dtype)); otherwise only non-array
// values (lists, scalars) are converted, and a mismatched array is the
// runtime's InvalidArgument.
pybind11::list RunSession(Session& session, const pybind11::dict& feeds,
                          const std::vector<std::string>& fetches,
                          const std::vector<std::string>& targets, bool cast);

// The dtype of graph tensor `name` ("x:0"), DT_INVALID when it is not in the
// graph (the run then reports it, naming it).
DataType TensorDtype(const Graph& graph, const std::string& name);

// A str key of a feed or input dict; TypeError otherwise.
std::string KeyString(pybind11::handle key, const char* what);

}  // namespace savedmodel::python
