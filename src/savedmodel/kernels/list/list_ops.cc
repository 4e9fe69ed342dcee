// TensorList ops: the DT_VARIANT lists TF2 uses to accumulate per-step
// tensors inside While loops (Keras RNN layers, tf.TensorArray). A list is an
// immutable value carried like a resource handle; every op that "changes" a
// list returns a new one sharing the unchanged element buffers, so a list
// captured by one Run step is never altered by another.
#include <memory>
#include <string>
#include <vector>

#include "savedmodel/kernels/array/array_util.h"
#include "savedmodel/kernels/kernel.h"

namespace savedmodel {
namespace {

// Element shapes follow TensorFlow's encoding: a scalar -1 for unknown rank,
// otherwise a vector whose -1 entries are unknown dims.
class TensorList : public ResourceBase {
 public:
  DataType dtype = DT_INVALID;
  PartialShape element_shape;
  std::vector<Tensor> items;  // an uninitialized Tensor is an unset element

  std::string DebugString() const override {
    return "TensorList<" + DataTypeString(dtype) + ">[" + std::to_string(items.size()) + "]";
  }
};

StatusOr<PartialShape> ShapeFromTensor(const Tensor& t) {
  if (t.dtype() != DT_INT32 && t.dtype() != DT_INT64) {
    return InvalidArgument("element_shape must be int32 or int64, got " + DataTypeString(t.dtype()));
  }
  auto at = [&](int64_t i) -> int64_t {
    return t.dtype() == DT_INT32 ? t.flat<int32_t>()[i] : t.flat<int64_t>()[i];
  };
  if (t.rank() == 0) {
    if (at(0) != -1) return InvalidArgument("a scalar element_shape must be -1 (unknown rank)");
    return PartialShape::Unknown();
  }
  if (t.rank() != 1) return InvalidArgument("element_shape must be a scalar or a vector");
  if (t.num_elements() > kMaxTensorRank) return InvalidArgument("element_shape has too many dims");
  std::vector<int64_t> dims(t.num_elements());
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    dims[i] = at(i);
    if (dims[i] < -1) return InvalidArgument("element_shape has a dim below -1");
  }
  return PartialShape(std::move(dims));
}

// The most specific shape compatible with both; an error when they conflict.
StatusOr<PartialShape> Merge(const PartialShape& a, const PartialShape& b) {
  if (a.unknown_rank()) return b;
  if (b.unknown_rank()) return a;
  if (a.rank() != b.rank()) {
    return InvalidArgument("incompatible element shapes " + a.DebugString() + " and " + b.DebugString());
  }
  std::vector<int64_t> dims(a.dims());
  for (int i = 0; i < a.rank(); ++i) {
    const int64_t y = b.dims()[i];
    if (dims[i] == -1) {
      dims[i] = y;
    } else if (y != -1 && y != dims[i]) {
      return InvalidArgument("incompatible element shapes " + a.DebugString() + " and " + b.DebugString());
    }
  }
  return PartialShape(std::move(dims));
}

PartialShape Known(const TensorShape& s) { return PartialShape(s.dims()); }

StatusOr<std::shared_ptr<const TensorList>> InputList(OpKernelContext* ctx, int i) {
  auto list = std::dynamic_pointer_cast<const TensorList>(ctx->input_resource(i));
  if (!list) return ctx->InvalidArg("input " + std::to_string(i) + " is not a TensorList");
  return list;
}

Status CheckDtype(OpKernelContext* ctx, const TensorList& list, DataType want) {
  if (list.dtype != want) {
    return ctx->InvalidArg("Invalid data types; op elements " + DataTypeString(want) +
                           " but list elements " + DataTypeString(list.dtype));
  }
  return Status::OK();
}

StatusOr<int32_t> ScalarInt32(OpKernelContext* ctx, int i, const char* what) {
  const Tensor t = ctx->input(i);
  if (t.dtype() != DT_INT32 || t.rank() != 0) {
    return ctx->InvalidArg(std::string(what) + " must be a scalar int32");
  }
  return t.scalar<int32_t>();
}

// A zero tensor standing for an unset element, whose shape must be known.
StatusOr<Tensor> ZerosFor(OpKernelContext* ctx, const TensorList& list, const PartialShape& shape) {
  if (!shape.IsFullyDefined()) {
    return ctx->InvalidArg("Trying to read an uninitialized tensor but element_shape " +
                           shape.DebugString() + " is not fully defined");
  }
  auto dims = TensorShape::FromDims(shape.dims());
  if (!dims.ok()) return ctx->InvalidArg(dims.status().message());
  auto t = Tensor::Allocate(list.dtype, *dims);
  if (!t.ok()) return Status(t.status().code(), ctx->node().name() + ": " + t.status().message());
  return std::move(t).value();
}

// The zeros an unset element reads as: the list's element shape merged with
// the op's element_shape input `shape_input`.
StatusOr<Tensor> ZerosForUnset(OpKernelContext* ctx, const TensorList& list, int shape_input) {
  auto requested = ShapeFromTensor(ctx->input(shape_input));
  if (!requested.ok()) return ctx->InvalidArg(requested.status().message());
  auto shape = Merge(list.element_shape, *requested);
  if (!shape.ok()) return ctx->InvalidArg(shape.status().message());
  return ZerosFor(ctx, list, *shape);
}

// An element about to be stored must have the list's dtype and fit its shape.
Status CheckElement(OpKernelContext* ctx, const TensorList& list, const Tensor& item, const char* action) {
  if (item.dtype() != list.dtype) {
    return ctx->InvalidArg("Invalid data types; list elements " + DataTypeString(list.dtype) +
                           " but tried to append " + DataTypeString(item.dtype()));
  }
  if (!list.element_shape.IsCompatibleWith(item.shape())) {
    return ctx->InvalidArg(std::string("Tried to ") + action + " a tensor with incompatible shape. Item element shape: " +
                           item.shape().DebugString() + " list shape: " + list.element_shape.DebugString());
  }
  return Status::OK();
}

class ListKernel : public OpKernel {
 public:
  ListKernel(const OpKernelConstruction& c, Status* s) {
    if (c.HasAttr("element_dtype")) *s = c.GetAttr("element_dtype", &dtype_);
  }

 protected:
  DataType dtype_ = DT_INVALID;
};

// EmptyTensorList(element_shape, max_num_elements) and
// TensorListReserve(element_shape, num_elements).
class NewListKernel : public ListKernel {
 public:
  NewListKernel(const OpKernelConstruction& c, Status* s) : ListKernel(c, s) {
    reserve_ = c.def().op() == "TensorListReserve";
  }
  Status Compute(OpKernelContext* ctx) const override {
    auto shape = ShapeFromTensor(ctx->input(0));
    if (!shape.ok()) return ctx->InvalidArg(shape.status().message());
    ASSIGN_OR_RETURN(int32_t n, ScalarInt32(ctx, 1, reserve_ ? "num_elements" : "max_num_elements"));
    auto list = std::make_shared<TensorList>();
    list->dtype = dtype_;
    list->element_shape = std::move(shape).value();
    if (reserve_) {
      if (n < 0) return ctx->InvalidArg("The num_elements to reserve must be a non negative number, but got " + std::to_string(n));
      list->items.resize(n);
    }
    ctx->set_output_resource(0, std::move(list));
    return Status::OK();
  }

 private:
  bool reserve_ = false;
};
REGISTER_KERNEL("EmptyTensorList", NewListKernel);
REGISTER_KERNEL("TensorListReserve", NewListKernel);

// TensorListFromTensor(tensor, element_shape): one element per row.
class FromTensorKernel : public ListKernel {
 public:
  using ListKernel::ListKernel;
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor t = ctx->input(0);
    if (t.rank() < 1) return ctx->InvalidArg("Tensor must be at least a vector, but saw shape: " + t.shape().DebugString());
    auto declared = ShapeFromTensor(ctx->input(1));
    if (!declared.ok()) return ctx->InvalidArg(declared.status().message());
    std::vector<int64_t> row_dims(t.shape().dims().begin() + 1, t.shape().dims().end());
    auto row_shape = TensorShape::FromDims(row_dims);
    if (!row_shape.ok()) return ctx->InvalidArg(row_shape.status().message());
    if (!declared->IsCompatibleWith(*row_shape)) {
      return ctx->InvalidArg("Specified a list with shape " + declared->DebugString() +
                             " from a tensor with shape " + t.shape().DebugString());
    }
    auto list = std::make_shared<TensorList>();
    list->dtype = t.dtype();
    list->element_shape = std::move(declared).value();
    const int64_t n = t.dim(0), row = row_shape->num_elements();
    list->items.reserve(n);
    for (int64_t i = 0; i < n; ++i) {
      auto item = Tensor::Allocate(t.dtype(), *row_shape);
      if (!item.ok()) return Status(item.status().code(), ctx->node().name() + ": " + item.status().message());
      RETURN_IF_ERROR(kernels::VisitBySize(t.dtype(), [&](auto e) {
        using E = decltype(e);
        kernels::CopyN(static_cast<const E*>(t.raw_data()) + i * row, static_cast<E*>(item->raw_data()), row);
        return Status::OK();
      }));
      list->items.push_back(std::move(item).value());
    }
    ctx->set_output_resource(0, std::move(list));
    return Status::OK();
  }
};
REGISTER_KERNEL("TensorListFromTensor", FromTensorKernel);

class LengthKernel : public ListKernel {
 public:
  using ListKernel::ListKernel;
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(auto list, InputList(ctx, 0));
    ctx->set_output(0, Tensor::Scalar<int32_t>(static_cast<int32_t>(list->items.size())));
    return Status::OK();
  }
};
REGISTER_KERNEL("TensorListLength", LengthKernel);

// TensorListElementShape: the list's element shape as a shape_type tensor.
class ElementShapeKernel : public ListKernel {
 public:
  ElementShapeKernel(const OpKernelConstruction& c, Status* s) : ListKernel(c, s) {
    if (s->ok()) *s = c.GetAttr("shape_type", &shape_type_);
    if (s->ok() && shape_type_ != DT_INT32 && shape_type_ != DT_INT64) *s = c.UnsupportedType(shape_type_);
  }
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(auto list, InputList(ctx, 0));
    const PartialShape& shape = list->element_shape;
    std::vector<int64_t> dims = shape.unknown_rank() ? std::vector<int64_t>{-1} : shape.dims();
    TensorShape out_shape = shape.unknown_rank() ? TensorShape{} : TensorShape{static_cast<int64_t>(dims.size())};
    Tensor* out = ctx->allocate_output(0, shape_type_, out_shape);
    for (size_t i = 0; i < dims.size(); ++i) {
      if (shape_type_ == DT_INT32) {
        out->flat<int32_t>()[i] = static_cast<int32_t>(dims[i]);
      } else {
        out->flat<int64_t>()[i] = dims[i];
      }
    }
    return Status::OK();
  }

 private:
  DataType shape_type_ = DT_INT32;
};
REGISTER_KERNEL("TensorListElementShape", ElementShapeKernel);

// TensorListGetItem(list, index, element_shape).
class GetItemKernel : public ListKernel {
 public:
  using ListKernel::ListKernel;
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(auto list, InputList(ctx, 0));
    RETURN_IF_ERROR(CheckDtype(ctx, *list, dtype_));
    ASSIGN_OR_RETURN(int32_t index, ScalarInt32(ctx, 1, "index"));
    if (index < 0 || static_cast<size_t>(index) >= list->items.size()) {
      return ctx->InvalidArg("Trying to access element " + std::to_string(index) + " in a list with " +
                             std::to_string(list->items.size()) + " elements.");
    }
    const Tensor& item = list->items[index];
    if (item.IsInitialized()) {
      ctx->set_output(0, item);
      return Status::OK();
    }
    ASSIGN_OR_RETURN(Tensor zeros, ZerosForUnset(ctx, *list, 2));
    ctx->set_output(0, std::move(zeros));
    return Status::OK();
  }
};
REGISTER_KERNEL("TensorListGetItem", GetItemKernel);

// TensorListSetItem(list, index, item): a new list with element `index` set.
class SetItemKernel : public ListKernel {
 public:
  SetItemKernel(const OpKernelConstruction& c, Status* s) : ListKernel(c, s) {
    if (s->ok() && c.HasAttr("resize_if_index_out_of_bounds")) {
      *s = c.GetAttr("resize_if_index_out_of_bounds", &resize_);
    }
  }
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(auto list, InputList(ctx, 0));
    RETURN_IF_ERROR(CheckDtype(ctx, *list, dtype_));
    ASSIGN_OR_RETURN(int32_t index, ScalarInt32(ctx, 1, "index"));
    const Tensor item = ctx->input(2);
    RETURN_IF_ERROR(CheckElement(ctx, *list, item, "set"));
    size_t size = list->items.size();
    if (resize_ && index >= 0 && static_cast<size_t>(index) >= size) size = static_cast<size_t>(index) + 1;
    if (index < 0 || static_cast<size_t>(index) >= size) {
      return ctx->InvalidArg("Trying to modify element " + std::to_string(index) + " in a list with " +
                             std::to_string(list->items.size()) + " elements.");
    }
    auto out = std::make_shared<TensorList>(*list);
    out->items.resize(size);
    out->items[index] = item;
    ctx->set_output_resource(0, std::move(out));
    return Status::OK();
  }

 private:
  bool resize_ = false;
};
REGISTER_KERNEL("TensorListSetItem", SetItemKernel);

class PushBackKernel : public ListKernel {
 public:
  using ListKernel::ListKernel;
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(auto list, InputList(ctx, 0));
    const Tensor item = ctx->input(1);
    RETURN_IF_ERROR(CheckDtype(ctx, *list, dtype_));
    RETURN_IF_ERROR(CheckElement(ctx, *list, item, "append"));
    auto out = std::make_shared<TensorList>(*list);
    out->items.push_back(item);
    ctx->set_output_resource(0, std::move(out));
    return Status::OK();
  }
};
REGISTER_KERNEL("TensorListPushBack", PushBackKernel);

// TensorListPopBack(list, element_shape) -> (list, item).
class PopBackKernel : public ListKernel {
 public:
  using ListKernel::ListKernel;
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(auto list, InputList(ctx, 0));
    RETURN_IF_ERROR(CheckDtype(ctx, *list, dtype_));
    if (list->items.empty()) return ctx->InvalidArg("Trying to pop from an empty list.");
    auto out = std::make_shared<TensorList>(*list);
    Tensor item = std::move(out->items.back());
    out->items.pop_back();
    if (!item.IsInitialized()) {
      ASSIGN_OR_RETURN(item, ZerosForUnset(ctx, *list, 1));
    }
    ctx->set_output_resource(0, std::move(out));
    ctx->set_output(1, std::move(item));
    return Status::OK();
  }
};
REGISTER_KERNEL("TensorListPopBack", PopBackKernel);

// TensorListStack(list, element_shape): the elements stacked along a new
// first dim; unset elements are zeros of the (then fully known) shape.
class StackKernel : public ListKernel {
 public:
  StackKernel(const OpKernelConstruction& c, Status* s) : ListKernel(c, s) {
    int64_t n = -1;
    if (s->ok() && c.HasAttr("num_elements")) *s = c.GetAttr("num_elements", &n);
    num_elements_ = n;
  }
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(auto list, InputList(ctx, 0));
    RETURN_IF_ERROR(CheckDtype(ctx, *list, dtype_));
    if (num_elements_ != -1 && static_cast<size_t>(num_elements_) != list->items.size()) {
      return ctx->InvalidArg("Operation expected a list with " + std::to_string(num_elements_) +
                             " elements but got a list with " + std::to_string(list->items.size()) +
                             " elements.");
    }
    auto requested = ShapeFromTensor(ctx->input(1));
    if (!requested.ok()) return ctx->InvalidArg(requested.status().message());
    auto shape = Merge(list->element_shape, *requested);
    if (!shape.ok()) return ctx->InvalidArg(shape.status().message());
    // Set elements pin down any dims left unknown; they must agree.
    for (const Tensor& item : list->items) {
      if (!item.IsInitialized()) continue;
      auto merged = Merge(*shape, Known(item.shape()));
      if (!merged.ok()) {
        return ctx->InvalidArg("Incompatible shapes during merge: " + shape->DebugString() + " vs. " +
                               item.shape().DebugString());
      }
      shape = std::move(merged);
    }
    if (!shape->IsFullyDefined()) {
      return ctx->InvalidArg("Tried to stack elements of an empty list with non-fully-defined element_shape: " +
                             shape->DebugString());
    }
    auto item_shape = TensorShape::FromDims(shape->dims());
    if (!item_shape.ok()) return ctx->InvalidArg(item_shape.status().message());
    std::vector<int64_t> dims = {static_cast<int64_t>(list->items.size())};
    dims.insert(dims.end(), shape->dims().begin(), shape->dims().end());
    auto out_shape = TensorShape::FromDims(dims);
    if (!out_shape.ok()) return ctx->InvalidArg(out_shape.status().message());
    auto out = Tensor::Allocate(list->dtype, *out_shape);
    if (!out.ok()) return Status(out.status().code(), ctx->node().name() + ": " + out.status().message());
    const int64_t row = item_shape->num_elements();
    for (size_t i = 0; i < list->items.size(); ++i) {
      const Tensor& item = list->items[i];
      if (!item.IsInitialized()) continue;  // stays zero
      RETURN_IF_ERROR(kernels::VisitBySize(list->dtype, [&](auto e) {
        using E = decltype(e);
        kernels::CopyN(static_cast<const E*>(item.raw_data()), static_cast<E*>(out->raw_data()) + i * row, row);
        return Status::OK();
      }));
    }
    ctx->set_output(0, std::move(out).value());
    return Status::OK();
  }

 private:
  int64_t num_elements_ = -1;
};
REGISTER_KERNEL("TensorListStack", StackKernel);

}  // namespace
}  // namespace savedmodel
