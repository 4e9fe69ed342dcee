// DataType: TensorFlow's element types, numbered exactly as in types.proto so a
// value converts to and from the wire enum by a cast.
#pragma once

#include <complex>
#include <cstdint>
#include <string>
#include <string_view>

#include "savedmodel/base/status.h"

namespace savedmodel {

enum DataType : int {
  DT_INVALID = 0,
  DT_FLOAT = 1,
  DT_DOUBLE = 2,
  DT_INT32 = 3,
  DT_UINT8 = 4,
  DT_INT16 = 5,
  DT_INT8 = 6,
  DT_STRING = 7,
  DT_COMPLEX64 = 8,
  DT_INT64 = 9,
  DT_BOOL = 10,
  DT_QINT8 = 11,
  DT_QUINT8 = 12,
  DT_QINT32 = 13,
  DT_BFLOAT16 = 14,
  DT_QINT16 = 15,
  DT_QUINT16 = 16,
  DT_UINT16 = 17,
  DT_COMPLEX128 = 18,
  DT_HALF = 19,
  DT_RESOURCE = 20,
  DT_VARIANT = 21,
  DT_UINT32 = 22,
  DT_UINT64 = 23,
  DT_FLOAT8_E5M2 = 24,
  DT_FLOAT8_E4M3FN = 25,
  DT_INT4 = 29,
  DT_UINT4 = 30,
  // Reference types (old-style variables) are the base type + 100.
  kDataTypeRefOffset = 100,
};

// 16-bit floats are kept as their bit patterns; arithmetic converts through float.
struct half {
  uint16_t bits = 0;
  friend bool operator==(half a, half b) { return a.bits == b.bits; }
};
struct bfloat16 {
  uint16_t bits = 0;
  friend bool operator==(bfloat16 a, bfloat16 b) { return a.bits == b.bits; }
};
using complex64 = std::complex<float>;
using complex128 = std::complex<double>;

float HalfToFloat(half h);
half FloatToHalf(float f);  // round to nearest even, like Eigen::half
float BFloat16ToFloat(bfloat16 b);
bfloat16 FloatToBFloat16(float f);  // round to nearest even, like TensorFlow

// Bytes per element for fixed-size types; 0 for string, resource, variant and
// anything unknown.
size_t DataTypeSize(DataType dt);
bool IsRefType(DataType dt);
DataType BaseType(DataType dt);
bool IsKnownDataType(int dt);
// True for the dtypes a Tensor can hold (fixed-size numeric, bool, string).
bool IsStorableDataType(DataType dt);

// "float", "int32", "string", "float_ref"... as TensorFlow's DataTypeString.
std::string DataTypeString(DataType dt);
// "DT_FLOAT", as the proto enum spells it.
std::string DataTypeEnumName(DataType dt);
// Parses either spelling ("float" or "DT_FLOAT").
StatusOr<DataType> ParseDataType(std::string_view name);

// Maps a C++ element type to its DataType.
template <typename T> struct DataTypeOf;
#define SAVEDMODEL_DATATYPE_OF(T, DT) \
  template <> struct DataTypeOf<T> { static constexpr DataType value = DT; }
SAVEDMODEL_DATATYPE_OF(float, DT_FLOAT);
SAVEDMODEL_DATATYPE_OF(double, DT_DOUBLE);
SAVEDMODEL_DATATYPE_OF(int32_t, DT_INT32);
SAVEDMODEL_DATATYPE_OF(uint8_t, DT_UINT8);
SAVEDMODEL_DATATYPE_OF(int16_t, DT_INT16);
SAVEDMODEL_DATATYPE_OF(int8_t, DT_INT8);
SAVEDMODEL_DATATYPE_OF(std::string, DT_STRING);
SAVEDMODEL_DATATYPE_OF(complex64, DT_COMPLEX64);
SAVEDMODEL_DATATYPE_OF(int64_t, DT_INT64);
SAVEDMODEL_DATATYPE_OF(bool, DT_BOOL);
SAVEDMODEL_DATATYPE_OF(bfloat16, DT_BFLOAT16);
SAVEDMODEL_DATATYPE_OF(uint16_t, DT_UINT16);
SAVEDMODEL_DATATYPE_OF(complex128, DT_COMPLEX128);
SAVEDMODEL_DATATYPE_OF(half, DT_HALF);
SAVEDMODEL_DATATYPE_OF(uint32_t, DT_UINT32);
SAVEDMODEL_DATATYPE_OF(uint64_t, DT_UINT64);
#undef SAVEDMODEL_DATATYPE_OF

// Calls fn(T{}) with the C++ type of `dt`; returns Unimplemented for types a
// Tensor cannot hold. fn returns Status.
template <typename Fn>
Status VisitDataType(DataType dt, Fn&& fn) {
  switch (dt) {
    case DT_FLOAT: return fn(float{});
    case DT_DOUBLE: return fn(double{});
    case DT_INT32: return fn(int32_t{});
    case DT_UINT8: return fn(uint8_t{});
    case DT_INT16: return fn(int16_t{});
    case DT_INT8: return fn(int8_t{});
    case DT_STRING: return fn(std::string{});
    case DT_COMPLEX64: return fn(complex64{});
    case DT_INT64: return fn(int64_t{});
    case DT_BOOL: return fn(bool{});
    case DT_BFLOAT16: return fn(bfloat16{});
    case DT_UINT16: return fn(uint16_t{});
    case DT_COMPLEX128: return fn(complex128{});
    case DT_HALF: return fn(half{});
    case DT_UINT32: return fn(uint32_t{});
    case DT_UINT64: return fn(uint64_t{});
    default:
      return Unimplemented("data type " + DataTypeString(dt) + " is not supported here");
  }
}

}  // namespace savedmodel
