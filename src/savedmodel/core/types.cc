#include "savedmodel/core/types.h"

#include <cstring>

namespace savedmodel {

float HalfToFloat(half h) {
  uint32_t sign = (h.bits & 0x8000u) << 16;
  uint32_t exp = (h.bits >> 10) & 0x1f;
  uint32_t mant = h.bits & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: renormalize
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400) == 0);
      bits = sign | ((127 - 15 - e) << 23) | ((mant & 0x3ff) << 13);
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

half FloatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  uint32_t abs = x & 0x7fffffffu;
  half h;
  if (abs >= 0x7f800000u) {  // inf or nan
    h.bits = sign | 0x7c00 | (abs > 0x7f800000u ? 0x200 | ((abs >> 13) & 0x3ff) : 0);
    return h;
  }
  if (abs >= 0x477ff000u) {  // rounds to >= 65520: overflow to inf
    h.bits = sign | 0x7c00;
    return h;
  }
  if (abs < 0x38800000u) {  // below the smallest normal half: subnormal or zero
    float af;
    std::memcpy(&af, &abs, 4);
    // Adding 0.5 aligns the half subnormal grid with float's mantissa LSBs, so the
    // FPU's round-to-nearest-even does the rounding.
    af += 0.5f;
    uint32_t ab;
    std::memcpy(&ab, &af, 4);
    h.bits = sign | static_cast<uint16_t>(ab - 0x3f000000u);
    return h;
  }
  uint32_t mant_odd = (abs >> 13) & 1;
  abs += 0xc8000fffu + mant_odd;  // rebias exponent (-112 << 23) and round to nearest even
  h.bits = sign | static_cast<uint16_t>(abs >> 13);
  return h;
}

float BFloat16ToFloat(bfloat16 b) {
  uint32_t bits = static_cast<uint32_t>(b.bits) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

bfloat16 FloatToBFloat16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  bfloat16 b;
  if ((x & 0x7fffffffu) > 0x7f800000u) {
    b.bits = static_cast<uint16_t>((x >> 16) | 0x40);  // quiet NaN keeps sign
    return b;
  }
  uint32_t lsb = (x >> 16) & 1;
  x += 0x7fffu + lsb;
  b.bits = static_cast<uint16_t>(x >> 16);
  return b;
}

size_t DataTypeSize(DataType dt) {
  switch (BaseType(dt)) {
    case DT_FLOAT: case DT_INT32: case DT_QINT32: case DT_UINT32: return 4;
    case DT_DOUBLE: case DT_INT64: case DT_UINT64: case DT_COMPLEX64: return 8;
    case DT_UINT8: case DT_INT8: case DT_BOOL: case DT_QINT8: case DT_QUINT8:
    case DT_FLOAT8_E5M2: case DT_FLOAT8_E4M3FN: return 1;
    case DT_INT16: case DT_UINT16: case DT_QINT16: case DT_QUINT16: case DT_HALF:
    case DT_BFLOAT16: return 2;
    case DT_COMPLEX128: return 16;
    default: return 0;
  }
}

bool IsRefType(DataType dt) { return dt > kDataTypeRefOffset; }
DataType BaseType(DataType dt) {
  return IsRefType(dt) ? static_cast<DataType>(dt - kDataTypeRefOffset) : dt;
}

namespace {
struct TypeName {
  DataType dt;
  const char* name;  // DataTypeString spelling
  const char* enum_name;
};
constexpr TypeName kTypeNames[] = {
    {DT_FLOAT, "float", "DT_FLOAT"},         {DT_DOUBLE, "double", "DT_DOUBLE"},
    {DT_INT32, "int32", "DT_INT32"},         {DT_UINT8, "uint8", "DT_UINT8"},
    {DT_INT16, "int16", "DT_INT16"},         {DT_INT8, "int8", "DT_INT8"},
    {DT_STRING, "string", "DT_STRING"},      {DT_COMPLEX64, "complex64", "DT_COMPLEX64"},
    {DT_INT64, "int64", "DT_INT64"},         {DT_BOOL, "bool", "DT_BOOL"},
    {DT_QINT8, "qint8", "DT_QINT8"},         {DT_QUINT8, "quint8", "DT_QUINT8"},
    {DT_QINT32, "qint32", "DT_QINT32"},      {DT_BFLOAT16, "bfloat16", "DT_BFLOAT16"},
    {DT_QINT16, "qint16", "DT_QINT16"},      {DT_QUINT16, "quint16", "DT_QUINT16"},
    {DT_UINT16, "uint16", "DT_UINT16"},      {DT_COMPLEX128, "complex128", "DT_COMPLEX128"},
    {DT_HALF, "half", "DT_HALF"},            {DT_RESOURCE, "resource", "DT_RESOURCE"},
    {DT_VARIANT, "variant", "DT_VARIANT"},   {DT_UINT32, "uint32", "DT_UINT32"},
    {DT_UINT64, "uint64", "DT_UINT64"},      {DT_FLOAT8_E5M2, "float8_e5m2", "DT_FLOAT8_E5M2"},
    {DT_FLOAT8_E4M3FN, "float8_e4m3fn", "DT_FLOAT8_E4M3FN"},
    {DT_INT4, "int4", "DT_INT4"},            {DT_UINT4, "uint4", "DT_UINT4"},
};
const TypeName* FindType(DataType dt) {
  for (const auto& t : kTypeNames) {
    if (t.dt == dt) return &t;
  }
  return nullptr;
}
}  // namespace

bool IsKnownDataType(int dt) {
  if (dt > kDataTypeRefOffset) dt -= kDataTypeRefOffset;
  return dt != DT_INVALID && FindType(static_cast<DataType>(dt)) != nullptr;
}

bool IsStorableDataType(DataType dt) {
  return dt == DT_STRING || (DataTypeSize(dt) > 0 && !IsRefType(dt) &&
                             dt != DT_FLOAT8_E5M2 && dt != DT_FLOAT8_E4M3FN &&
                             dt != DT_QINT8 && dt != DT_QUINT8 && dt != DT_QINT16 &&
                             dt != DT_QUINT16 && dt != DT_QINT32);
}

std::string DataTypeString(DataType dt) {
  if (IsRefType(dt)) return DataTypeString(BaseType(dt)) + "_ref";
  if (const TypeName* t = FindType(dt)) return t->name;
  if (dt == DT_INVALID) return "INVALID";  // TensorFlow's spelling
  return "unknown dtype enum (" + std::to_string(static_cast<int>(dt)) + ")";
}

std::string DataTypeEnumName(DataType dt) {
  if (IsRefType(dt)) return DataTypeEnumName(BaseType(dt)) + "_REF";
  if (const TypeName* t = FindType(dt)) return t->enum_name;
  if (dt == DT_INVALID) return "DT_INVALID";
  return std::to_string(static_cast<int>(dt));
}

StatusOr<DataType> ParseDataType(std::string_view name) {
  bool ref = false;
  std::string n(name);
  // Only one suffix: "float_ref_ref" is not a type.
  for (std::string_view suffix : {"_ref", "_REF"}) {
    if (n.size() > suffix.size() && n.ends_with(suffix)) {
      ref = true;
      n.resize(n.size() - suffix.size());
      break;
    }
  }
  for (const auto& t : kTypeNames) {
    if (n == t.name || n == t.enum_name) {
      return ref ? static_cast<DataType>(t.dt + kDataTypeRefOffset) : t.dt;
    }
  }
  return InvalidArgument("unknown data type '" + std::string(name) + "'");
}

}  // namespace savedmodel
