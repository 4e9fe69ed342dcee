// The object behind a resource variable handle (VarHandleOp's output), shared
// by the ops that read and write through handles: ReadVariableOp,
// AssignVariableOp and the ResourceApply* optimizer updates.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "savedmodel/kernels/kernel.h"

namespace savedmodel {

// A named variable whose dtype is fixed when the handle is first made. The
// value lives in a Variable so writers get its lock and copy-on-write rule:
// write a fresh tensor and assign it, since readers may still hold the old one.
// Thread-safe.
class ResourceVariable : public ResourceBase {
 public:
  ResourceVariable(std::string name, DataType dtype, std::shared_ptr<Variable> var)
      : name_(std::move(name)), dtype_(dtype), var_(std::move(var)) {}
  std::string DebugString() const override {
    return "ResourceVariable '" + name_ + "' (" + DataTypeString(dtype_) + ")";
  }
  const std::string& name() const { return name_; }
  DataType dtype() const { return dtype_; }
  Variable& var() const { return *var_; }

 private:
  std::string name_;
  DataType dtype_;
  std::shared_ptr<Variable> var_;
};

}  // namespace savedmodel
