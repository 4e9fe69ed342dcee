// fingerprint.pb: the FingerprintDef TensorFlow (>= 2.12) writes beside
// saved_model.pb, with TensorFlow's hashes (FarmHash Fingerprint64, from
// Debian's libfarmhash):
//   1 saved_model_checksum   = Fingerprint64(saved_model.pb's bytes). TF 2.14's
//     fingerprint.pb of its own export holds this; TF 2.21's CreateFingerprintDef
//     hashes its deterministic re-serialization of the parsed proto instead. The
//     two agree for files serialized deterministically, as SavedModelBuilder
//     writes them; they differ for the Python TF1 builder's files.
//   2 graph_def_program_hash = Fingerprint64(graph of MetaGraphDef 0 after
//     regularization: function-call names lose their UID suffix, config_proto
//     and string-Const values are cleared, library and versions dropped)
//   3 signature_def_hash     = FingerprintCat64 chain over sorted (key, def)
//   4 saved_object_graph_hash= the same over concrete functions by name UID
//   5 checkpoint_hash        = Fingerprint64(variables/variables.index bytes)
//   6 version {producer: 1}
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "savedmodel/base/status.h"
#include "tensorflow/core/protobuf/fingerprint.pb.h"
#include "tensorflow/core/protobuf/saved_model.pb.h"

namespace savedmodel {

uint64_t Fingerprint64(std::string_view bytes);
uint64_t FingerprintCat64(uint64_t fp1, uint64_t fp2);

// `pb_file` holds saved_model.pb's bytes; `index_file` variables.index's, or
// is empty when the model has no variables (checkpoint_hash stays 0 then).
StatusOr<tensorflow::FingerprintDef> ComputeFingerprint(const tensorflow::SavedModel& saved_model,
                                                        std::string_view pb_file, std::string_view index_file);

}  // namespace savedmodel
