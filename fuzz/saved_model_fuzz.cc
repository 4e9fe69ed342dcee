// Fuzzes the SavedModel reader: the input is saved_model.pb (first byte even)
// or saved_model.pbtxt (odd), read from an in-memory export directory and
// validated as a load would.
#include <cstddef>
#include <cstdint>
#include <string>

#include "savedmodel/format/saved_model/saved_model_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static savedmodel::Env* env = [] {
    auto* e = savedmodel::NewMemEnv().release();
    (void)e->CreateDirs("/m");
    return e;
  }();
  const bool text = data[0] & 1;
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  (void)env->DeleteFile("/m/saved_model.pb");
  (void)env->DeleteFile("/m/saved_model.pbtxt");
  (void)env->WriteStringToFile(text ? "/m/saved_model.pbtxt" : "/m/saved_model.pb", bytes);
  auto model = savedmodel::ReadSavedModel(env, "/m");
  if (model.ok()) {
    for (const auto& mg : model->saved_model.meta_graphs()) {
      (void)savedmodel::GetAssetFiles(mg);
      for (const auto& [key, sig] : mg.signature_def()) (void)savedmodel::FindSignatureDef(mg, key);
    }
  }
  return 0;
}
