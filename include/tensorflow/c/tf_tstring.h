/* TF_TString: TensorFlow 2.x's 24-byte string element, the layout of every
   TF_STRING tensor's data. The two low bits of the first byte tell the kind:
     SMALL  (0): byte 0 = size << 2, bytes 1..23 the characters (22 + NUL)
     LARGE  (1): size_t size << 2 | 1, size_t capacity, char* heap (malloc'd)
     OFFSET (2): uint32 size << 2 | 2, uint32 offset from this element, uint32 count
     VIEW   (3): size_t size << 2 | 3, const char* (not owned), owner (may be NULL)
   The inline functions below read and write that layout (little-endian hosts),
   so programs built against TensorFlow's headers and ours agree byte for byte. */
#ifndef TENSORFLOW_C_TF_TSTRING_H_
#define TENSORFLOW_C_TF_TSTRING_H_

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tensorflow/c/c_api_macros.h"
#include "tensorflow/c/tf_tensor.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "TF_TString here supports little-endian hosts only"
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum TF_TString_Type {
  TF_TSTR_SMALL = 0x00,
  TF_TSTR_LARGE = 0x01,
  TF_TSTR_OFFSET = 0x02,
  TF_TSTR_VIEW = 0x03,
  TF_TSTR_TYPE_MASK = 0x03
} TF_TString_Type;

struct TStringOwnerCApi;
typedef void (*tstring_owner_ref_t)(struct TStringOwnerCApi* self);
typedef bool (*tstring_owner_unref_t)(struct TStringOwnerCApi* self);
typedef struct TStringOwnerCApi {
  tstring_owner_ref_t ref;
  tstring_owner_unref_t unref;
  void* obj;
} TStringOwnerCApi;

typedef struct TF_TString_Large {
  size_t size;
  size_t cap;
  char* ptr;
} TF_TString_Large;

typedef struct TF_TString_Offset {
  uint32_t size;
  uint32_t offset;
  uint32_t count;
} TF_TString_Offset;

typedef struct TF_TString_View {
  size_t size;
  const char* ptr;
  TStringOwnerCApi* owner_ref;
} TF_TString_View;

typedef struct TF_TString_Raw {
  uint8_t raw[24];
} TF_TString_Raw;

enum { TF_TString_SmallCapacity = 22 };

typedef struct TF_TString_Small {
  uint8_t size;
  char str[TF_TString_SmallCapacity + 1];
} TF_TString_Small;

typedef struct TF_TString {
  union {
    TF_TString_Small smll;
    TF_TString_Large large;
    TF_TString_Offset offset;
    TF_TString_View view;
    TF_TString_Raw raw;
  } u;
} TF_TString;

static inline TF_TString_Type TF_TString_GetType(const TF_TString* str) {
  return (TF_TString_Type)(str->u.raw.raw[0] & TF_TSTR_TYPE_MASK);
}

/* An empty SMALL string. */
static inline void TF_TString_Init(TF_TString* str) { memset(str, 0, sizeof(*str)); }

static inline size_t TF_TString_GetSize(const TF_TString* str) {
  switch (TF_TString_GetType(str)) {
    case TF_TSTR_SMALL: return (size_t)(str->u.smll.size >> 2);
    case TF_TSTR_LARGE: return str->u.large.size >> 2;
    case TF_TSTR_OFFSET: return (size_t)(str->u.offset.size >> 2);
    default: return str->u.view.size >> 2;
  }
}

static inline size_t TF_TString_GetCapacity(const TF_TString* str) {
  switch (TF_TString_GetType(str)) {
    case TF_TSTR_SMALL: return TF_TString_SmallCapacity;
    case TF_TSTR_LARGE: return str->u.large.cap;
    default: return 0;
  }
}

static inline const char* TF_TString_GetDataPointer(const TF_TString* str) {
  switch (TF_TString_GetType(str)) {
    case TF_TSTR_SMALL: return str->u.smll.str;
    case TF_TSTR_LARGE: return str->u.large.ptr;
    case TF_TSTR_OFFSET: return (const char*)str + str->u.offset.offset;
    default: return str->u.view.ptr;
  }
}

/* Frees a LARGE string's heap bytes or drops a VIEW's owner; leaves it empty. */
static inline void TF_TString_Dealloc(TF_TString* str) {
  TF_TString_Type type = TF_TString_GetType(str);
  if (type == TF_TSTR_LARGE && str->u.large.ptr != NULL) {
    free(str->u.large.ptr);
    TF_TString_Init(str);
  } else if (type == TF_TSTR_VIEW && str->u.view.owner_ref != NULL) {
    str->u.view.owner_ref->unref(str->u.view.owner_ref);
    TF_TString_Init(str);
  }
}

/* Replaces the contents with a private copy of src[0, size). */
static inline void TF_TString_Copy(TF_TString* dst, const char* src, size_t size) {
  if (TF_TString_GetType(dst) == TF_TSTR_LARGE && dst->u.large.cap >= size &&
      size > TF_TString_SmallCapacity) {
    memmove(dst->u.large.ptr, src, size);
    dst->u.large.ptr[size] = '\0';
    dst->u.large.size = (size << 2) | TF_TSTR_LARGE;
    return;
  }
  if (size <= TF_TString_SmallCapacity) {
    char tmp[TF_TString_SmallCapacity];
    if (size) memcpy(tmp, src, size); /* src may alias dst's current bytes */
    TF_TString_Dealloc(dst);
    TF_TString_Init(dst);
    dst->u.smll.size = (uint8_t)(size << 2);
    if (size) memcpy(dst->u.smll.str, tmp, size);
    return;
  }
  /* Capacity rounded up so that capacity + 1 (the NUL) is a multiple of 16. */
  size_t cap = ((size + 1 + 15) & ~(size_t)15) - 1;
  char* heap = (char*)malloc(cap + 1);
  if (heap == NULL) return;
  memcpy(heap, src, size);
  heap[size] = '\0';
  TF_TString_Dealloc(dst);
  dst->u.large.size = (size << 2) | TF_TSTR_LARGE;
  dst->u.large.cap = cap;
  dst->u.large.ptr = heap;
}

/* Points at src[0, size) without copying; src must outlive the string. */
static inline void TF_TString_AssignView(TF_TString* dst, const char* src, size_t size) {
  TF_TString_Dealloc(dst);
  dst->u.view.size = (size << 2) | TF_TSTR_VIEW;
  dst->u.view.ptr = src;
  dst->u.view.owner_ref = NULL;
}

/* The same operations, exported from the library. */
TF_CAPI_EXPORT extern void TF_StringInit(TF_TString* t);
TF_CAPI_EXPORT extern void TF_StringCopy(TF_TString* dst, const char* src, size_t size);
TF_CAPI_EXPORT extern void TF_StringAssignView(TF_TString* dst, const char* src, size_t size);
TF_CAPI_EXPORT extern const char* TF_StringGetDataPointer(const TF_TString* tstr);
TF_CAPI_EXPORT extern TF_TString_Type TF_StringGetType(const TF_TString* str);
TF_CAPI_EXPORT extern size_t TF_StringGetSize(const TF_TString* tstr);
TF_CAPI_EXPORT extern size_t TF_StringGetCapacity(const TF_TString* str);
TF_CAPI_EXPORT extern void TF_StringDealloc(TF_TString* tstr);

#ifdef __cplusplus
}
#endif

#endif /* TENSORFLOW_C_TF_TSTRING_H_ */
