// The parts of savedmodel._core, one registration function per file.
#pragma once
#include <pybind11/pybind11.h>

namespace savedmodel::python {

void BindModel(pybind11::module_& m);       // model.cc: Model
void BindGraph(pybind11::module_& m);       // graph.cc: GraphBuilder
void BindSession(pybind11::module_& m);     // session.cc: Session
void BindWriter(pybind11::module_& m);      // writer.cc: SavedModelBuilder, simple_save
void BindCheckpoint(pybind11::module_& m);  // checkpoint.cc: read_checkpoint

}  // namespace savedmodel::python
