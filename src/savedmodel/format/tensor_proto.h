// TensorProto <-> Tensor and TensorShapeProto <-> TensorShape / PartialShape,
// with TensorFlow's encoding rules (tensorflow/core/framework/tensor.cc).
//
// A TensorProto carries its values in one of two ways:
//   tensor_content  the elements' raw little-endian bytes, exactly
//                   num_elements * DataTypeSize bytes (for DT_STRING: one
//                   varint32 length per element, then the bytes back to back)
//   a typed field   float_val, double_val, int_val (int32, int16, int8, uint8,
//                   uint16), int64_val, bool_val, string_val, scomplex_val /
//                   dcomplex_val (real, imag pairs), half_val (the 16-bit
//                   pattern of DT_HALF or DT_BFLOAT16 in an int32),
//                   uint32_val, uint64_val
// With a typed field, fewer values than elements repeat the last value (how
// TensorFlow stores tf.fill / tf.zeros constants), no values means all zeros
// (or empty strings), and more values than elements is an error here.
//
// All functions are thread-safe.
#pragma once

#include "savedmodel/base/status.h"
#include "savedmodel/core/tensor.h"
#include "savedmodel/core/tensor_shape.h"
#include "tensorflow/core/framework/tensor.pb.h"
#include "tensorflow/core/framework/tensor_shape.pb.h"

namespace savedmodel {

// Errors: InvalidArgument for a bad dtype, shape or value count; Unimplemented
// for dtypes a Tensor cannot hold (resource, variant, quantized, float8);
// ResourceExhausted when the shape is too large to allocate.
StatusOr<Tensor> TensorFromProto(const tensorflow::TensorProto& proto);

// As TensorFlow's Tensor::AsProtoTensorContent (use_tensor_content) or
// AsProtoField (otherwise, one typed value per element). DT_STRING always goes
// to string_val. Clears `proto` first. REQUIRES: tensor.IsInitialized().
void TensorToProto(const Tensor& tensor, tensorflow::TensorProto* proto,
                   bool use_tensor_content);

// A fully known shape: rejects unknown_rank and dims < 0, and sizes past the
// limits of TensorShape::FromDims.
StatusOr<TensorShape> TensorShapeFromProto(const tensorflow::TensorShapeProto& proto);
void TensorShapeToProto(const TensorShape& shape, tensorflow::TensorShapeProto* proto);

// Dims of -1 are unknown; unknown_rank gives PartialShape::Unknown(). Rejects
// dims < -1 and unknown_rank together with dims.
StatusOr<PartialShape> PartialShapeFromProto(const tensorflow::TensorShapeProto& proto);
void PartialShapeToProto(const PartialShape& shape, tensorflow::TensorShapeProto* proto);

}  // namespace savedmodel
