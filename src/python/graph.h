// The Python GraphBuilder: train::GraphBuilder plus the name scopes Python
// has entered (push_name_scope / pop_name_scope pair up like `with` blocks,
// while the C++ NameScope is RAII).
#pragma once
#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <vector>

#include "savedmodel/train/graph_builder.h"

namespace savedmodel::python {

struct PyGraphBuilder : train::GraphBuilder {
  std::vector<std::unique_ptr<train::GraphBuilder::NameScope>> scopes;
};

}  // namespace savedmodel::python
