// TF_Status, TF_Buffer, TF_Version, TF_DataTypeSize and the exported TF_String*
// functions (the inline TF_TString_* ones in tf_tstring.h do the work).
#include <cstdlib>
#include <cstring>

#include "c_api/internal.h"
#include "savedmodel/core/types.h"

namespace savedmodel::capi {

void Set(TF_Status* out, const Status& s) {
  if (out != nullptr) out->status = s;
}

}  // namespace savedmodel::capi

extern "C" {

TF_Status* TF_NewStatus(void) { return new TF_Status; }
void TF_DeleteStatus(TF_Status* s) { delete s; }

void TF_SetStatus(TF_Status* s, TF_Code code, const char* msg) {
  if (s == nullptr) return;
  if (code == TF_OK) {
    s->status = savedmodel::Status::OK();
    return;
  }
  s->status = savedmodel::Status(static_cast<savedmodel::StatusCode>(code), msg ? msg : "");
}

TF_Code TF_GetCode(const TF_Status* s) { return static_cast<TF_Code>(s->status.code()); }
const char* TF_Message(const TF_Status* s) { return s->status.message().c_str(); }

const char* TF_Version(void) { return "2.21.0"; }

size_t TF_DataTypeSize(TF_DataType dt) {
  return savedmodel::DataTypeSize(static_cast<savedmodel::DataType>(dt));
}

TF_Buffer* TF_NewBuffer(void) { return new TF_Buffer{nullptr, 0, nullptr}; }

static void FreeBytes(void* data, size_t) { std::free(data); }

TF_Buffer* TF_NewBufferFromString(const void* proto, size_t proto_len) {
  void* copy = std::malloc(proto_len == 0 ? 1 : proto_len);
  if (copy == nullptr) return nullptr;
  if (proto_len) std::memcpy(copy, proto, proto_len);
  return new TF_Buffer{copy, proto_len, FreeBytes};
}

void TF_DeleteBuffer(TF_Buffer* buffer) {
  if (buffer == nullptr) return;
  if (buffer->data_deallocator != nullptr) {
    buffer->data_deallocator(const_cast<void*>(buffer->data), buffer->length);
  }
  delete buffer;
}

TF_Buffer TF_GetBuffer(TF_Buffer* buffer) { return *buffer; }

void TF_StringInit(TF_TString* t) { TF_TString_Init(t); }
void TF_StringCopy(TF_TString* dst, const char* src, size_t size) { TF_TString_Copy(dst, src, size); }
void TF_StringAssignView(TF_TString* dst, const char* src, size_t size) {
  TF_TString_AssignView(dst, src, size);
}
const char* TF_StringGetDataPointer(const TF_TString* tstr) { return TF_TString_GetDataPointer(tstr); }
TF_TString_Type TF_StringGetType(const TF_TString* str) { return TF_TString_GetType(str); }
size_t TF_StringGetSize(const TF_TString* tstr) { return TF_TString_GetSize(tstr); }
size_t TF_StringGetCapacity(const TF_TString* str) { return TF_TString_GetCapacity(str); }
void TF_StringDealloc(TF_TString* tstr) { TF_TString_Dealloc(tstr); }

}  // extern "C"
