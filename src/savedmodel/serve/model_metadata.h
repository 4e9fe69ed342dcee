// TF Serving's GetModelMetadata answer for a loaded model, as the JSON its REST
// API returns (GET /v1/models/<name>[/versions/<v>]/metadata).
#pragma once

#include <cstdint>
#include <string>

#include "savedmodel/base/status.h"
#include "tensorflow/core/protobuf/meta_graph.pb.h"

namespace savedmodel {

// {"model_spec": {"name", "signature_name": "", "version"}, "metadata":
//  {"signature_def": <SignatureDefMap as proto3 JSON>}}, with default-valued
// fields printed and proto field names kept, as TF Serving prints them.
// `message` as TF Serving's REST API prints protos: proto3 JSON with
// whitespace, default-valued fields printed and proto field names kept. On
// failure, INTERNAL with protobuf's reason for callers to prefix.
StatusOr<std::string> ServingProtoJson(const google::protobuf::Message& message);

StatusOr<std::string> ModelMetadataJson(const tensorflow::MetaGraphDef& meta_graph,
                                        const std::string& model_name, int64_t version);

}  // namespace savedmodel
