// TypedKernel: the base of kernels written as one `Run<T>` template per
// element type. The type is chosen once when the model loads (an unsupported
// dtype fails the load there); Compute then calls the chosen Run directly.
//
//   class FooKernel : public TypedKernel<FooKernel> {
//     friend class TypedKernel<FooKernel>;   // lets the base take &FooKernel::Run<T>
//    public:
//     FooKernel(const OpKernelConstruction& c, Status* s) {
//       *s = this->SelectRun(c, c.input_types()[0], [](auto t) {
//         using T = typename decltype(t)::type;
//         return std::is_floating_point_v<T>;
//       });
//     }
//    private:
//     template <typename T> Status Run(OpKernelContext* ctx) const;
//   };
#pragma once

#include <type_traits>

#include "savedmodel/kernels/kernel.h"

namespace savedmodel {

template <typename Kernel>
class TypedKernel : public OpKernel {
 public:
  Status Compute(OpKernelContext* ctx) const final { return (static_cast<const Kernel*>(this)->*run_)(ctx); }

 protected:
  // Chooses Kernel::Run<T> for dt's C++ type T when `supported` (a captureless
  // lambda taking std::type_identity<T>) holds; else UnsupportedType.
  template <typename Supported>
  Status SelectRun(const OpKernelConstruction& c, DataType dt, Supported) {
    return VisitDataType(dt, [&](auto tag) -> Status {
      using T = decltype(tag);
      if constexpr (Supported{}(std::type_identity<T>{})) {
        run_ = &Kernel::template Run<T>;
        return Status::OK();
      } else {
        return c.UnsupportedType(dt);
      }
    });
  }

 private:
  Status (Kernel::*run_)(OpKernelContext*) const = nullptr;
};

}  // namespace savedmodel
