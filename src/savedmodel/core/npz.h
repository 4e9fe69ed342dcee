// numpy .npz files (numpy.savez / numpy.load) <-> named Tensors: a zip archive,
// stored or deflated, of "<key>.npy" members in the format of npy.h. The zip
// byte layout is described above the reader in npz.cc.
//
// All functions are thread-safe. Malformed input gives InvalidArgument or
// DataLoss naming the file; nothing is allocated beyond what the input bytes
// can fill.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "savedmodel/base/env.h"
#include "savedmodel/base/status.h"
#include "savedmodel/core/tensor.h"

namespace savedmodel {

// Parses a .npz image: keys are member names without ".npy"; other members are
// ignored. Stored (0) and deflated (8) members are supported; CRCs are checked.
StatusOr<std::map<std::string, Tensor>> ReadNpz(std::string_view bytes,
                                                std::string_view name_for_errors);

// A .npz image with every tensor as an uncompressed member "<key>.npy"
// (numpy.savez's layout, readable by numpy.load).
StatusOr<std::string> WriteNpz(const std::map<std::string, Tensor>& tensors);

StatusOr<std::map<std::string, Tensor>> ReadNpzFile(Env* env, const std::string& path);
Status WriteNpzFile(Env* env, const std::string& path,
                    const std::map<std::string, Tensor>& tensors);

}  // namespace savedmodel
