// TF_Tensor: creation, accessors, and conversion to and from the runtime's
// Tensor (shared bytes for numeric dtypes, TF_TString <-> std::string copies
// for strings).
#include <cstring>
#include <string>

#include "c_api/internal.h"
#include "savedmodel/core/checked_math.h"

namespace savedmodel::capi {
namespace {

bool IsSupported(TF_DataType dt) {
  return dt == TF_STRING || IsStorableDataType(static_cast<DataType>(dt));
}

// The shape dims[0, num_dims) describes, or an error for negative or
// overflowing dims.
StatusOr<TensorShape> ShapeOf(const int64_t* dims, int num_dims) {
  if (num_dims < 0 || (num_dims > 0 && dims == nullptr)) {
    return InvalidArgument("num_dims " + std::to_string(num_dims) + " without dims");
  }
  return TensorShape::FromDims({dims, static_cast<size_t>(num_dims)});
}

// Its element count.
StatusOr<int64_t> CountElements(const int64_t* dims, int num_dims) {
  ASSIGN_OR_RETURN(TensorShape shape, ShapeOf(dims, num_dims));
  return shape.num_elements();
}

}  // namespace

StatusOr<Tensor> ToTensor(const TF_Tensor& t) {
  if (t.dtype != TF_STRING) return t.tensor;
  ASSIGN_OR_RETURN(Tensor out, Tensor::Create(DT_STRING, t.dims));
  auto flat = out.flat<std::string>();
  const TF_TString* in = t.string_data();
  for (int64_t i = 0; i < t.num_strings; ++i) {
    flat[i].assign(TF_TString_GetDataPointer(&in[i]), TF_TString_GetSize(&in[i]));
  }
  return out;
}

StatusOr<TF_Tensor*> FromTensor(const Tensor& t) {
  auto out = std::make_unique<TF_Tensor>();
  out->dtype = static_cast<TF_DataType>(t.dtype());
  out->dims = t.shape().dims();
  if (t.dtype() != DT_STRING) {
    if (!IsStorableDataType(t.dtype())) {
      return Unimplemented("a tensor of type " + DataTypeString(t.dtype()) +
                           " cannot be returned through the C API");
    }
    out->tensor = t;
    return out.release();
  }
  const int64_t n = t.num_elements();
  out->strings.reset(new TF_TString[static_cast<size_t>(n)]);
  out->num_strings = n;
  auto flat = t.flat<std::string>();
  for (int64_t i = 0; i < n; ++i) {
    TF_TString_Init(&out->strings[i]);
    TF_TString_Copy(&out->strings[i], flat[i].data(), flat[i].size());
  }
  return out.release();
}

}  // namespace savedmodel::capi

TF_Tensor::~TF_Tensor() {
  if (caller_data != nullptr) {
    if (deallocator != nullptr) deallocator(caller_data, caller_len, deallocator_arg);
  } else if (strings) {
    for (int64_t i = 0; i < num_strings; ++i) TF_TString_Dealloc(&strings[i]);
  }
}

using savedmodel::capi::CountElements;
using savedmodel::capi::ShapeOf;
using savedmodel::capi::IsSupported;

extern "C" {

size_t TF_TensorDefaultAlignment(void) { return savedmodel::kTensorAlignment; }

TF_Tensor* TF_AllocateTensor(TF_DataType dtype, const int64_t* dims, int num_dims, size_t len) {
  try {
    if (!IsSupported(dtype)) return nullptr;
    auto n = CountElements(dims, num_dims);
    if (!n.ok()) return nullptr;
    auto t = std::make_unique<TF_Tensor>();
    t->dtype = dtype;
    t->dims.assign(dims, dims + num_dims);
    if (dtype == TF_STRING) {
      if (len != static_cast<size_t>(*n) * sizeof(TF_TString)) return nullptr;
      t->strings.reset(new TF_TString[static_cast<size_t>(*n)]);
      t->num_strings = *n;
      for (int64_t i = 0; i < *n; ++i) TF_TString_Init(&t->strings[i]);
      return t.release();
    }
    auto tensor = savedmodel::Tensor::Create(static_cast<savedmodel::DataType>(dtype), t->dims);
    if (!tensor.ok() || tensor->byte_size() != len) return nullptr;
    t->tensor = std::move(tensor).value();
    return t.release();
  } catch (const std::exception&) {
    return nullptr;
  }
}

TF_Tensor* TF_NewTensor(TF_DataType dtype, const int64_t* dims, int num_dims, void* data,
                        size_t len, void (*deallocator)(void*, size_t, void*),
                        void* deallocator_arg) {
  try {
    if (!IsSupported(dtype)) return nullptr;
    auto shape = ShapeOf(dims, num_dims);
    if (!shape.ok()) return nullptr;
    const int64_t n = shape->num_elements();
    if (dtype == TF_STRING) {
      if (len < static_cast<size_t>(n) * sizeof(TF_TString) || (n > 0 && data == nullptr)) {
        return nullptr;
      }
      auto t = std::make_unique<TF_Tensor>();
      t->dtype = dtype;
      t->dims.assign(dims, dims + num_dims);
      t->num_strings = n;
      t->caller_data = data;
      t->caller_len = len;
      t->deallocator = deallocator;
      t->deallocator_arg = deallocator_arg;
      return t.release();
    }
    const size_t needed = static_cast<size_t>(n) * TF_DataTypeSize(dtype);
    if (len < needed || (needed > 0 && data == nullptr)) return nullptr;
    if (reinterpret_cast<uintptr_t>(data) % savedmodel::kTensorAlignment == 0) {
      // Zero-copy: the runtime reads the caller's bytes, and the deallocator runs
      // when the last tensor on them (this one, a fetched alias, a variable
      // assigned from it) is gone, as in TensorFlow.
      auto release = [data, len, deallocator, deallocator_arg] {
        if (deallocator != nullptr) deallocator(data, len, deallocator_arg);
      };
      auto wrapped = savedmodel::Tensor::WrapExternal(
          static_cast<savedmodel::DataType>(dtype), *shape, data, len, release);
      if (!wrapped.ok()) return nullptr;
      auto t = std::make_unique<TF_Tensor>();
      t->dtype = dtype;
      t->dims.assign(dims, dims + num_dims);
      t->tensor = std::move(wrapped).value();
      return t.release();
    }
    // Kernels may rely on kTensorAlignment, so a misaligned buffer is copied
    // and released at once, which is what TensorFlow does with it too.
    TF_Tensor* t = TF_AllocateTensor(dtype, dims, num_dims, needed);
    if (t == nullptr) return nullptr;
    if (needed > 0) std::memcpy(TF_TensorData(t), data, needed);
    if (deallocator != nullptr) deallocator(data, len, deallocator_arg);
    return t;
  } catch (const std::exception&) {
    return nullptr;
  }
}

void TF_DeleteTensor(TF_Tensor* t) { delete t; }
TF_DataType TF_TensorType(const TF_Tensor* t) { return t->dtype; }
int TF_NumDims(const TF_Tensor* t) { return static_cast<int>(t->dims.size()); }

int64_t TF_Dim(const TF_Tensor* t, int dim_index) {
  if (dim_index < 0 || static_cast<size_t>(dim_index) >= t->dims.size()) return -1;
  return t->dims[static_cast<size_t>(dim_index)];
}

size_t TF_TensorByteSize(const TF_Tensor* t) {
  if (t->dtype == TF_STRING) return static_cast<size_t>(t->num_strings) * sizeof(TF_TString);
  return t->tensor.byte_size();
}

void* TF_TensorData(const TF_Tensor* t) {
  if (t->dtype == TF_STRING) return t->string_data();
  return const_cast<void*>(t->tensor.raw_data());
}

int64_t TF_TensorElementCount(const TF_Tensor* t) {
  if (t->dtype == TF_STRING) return t->num_strings;
  return t->tensor.num_elements();
}

bool TF_TensorIsAligned(const TF_Tensor* t) {
  return reinterpret_cast<uintptr_t>(TF_TensorData(t)) % savedmodel::kTensorAlignment == 0;
}

}  // extern "C"
