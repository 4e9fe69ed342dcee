// TF Serving's REST API as a pure function (method, path, body) -> (HTTP
// status, JSON body), with no sockets: the HTTP server hands it requests, the
// tests call it directly. Grammar (paths matched case-insensitively, as TF
// Serving's regexes are; the name and label are percent-decoded):
//
//   GET  /v1/models/NAME[/versions/N | /labels/L]            model status
//   GET  /v1/models/NAME[/versions/N | /labels/L]/metadata   GetModelMetadata
//   POST /v1/models/NAME[/versions/N | /labels/L]:predict    Predict
//   POST /v1/models/NAME[/versions/N | /labels/L]:classify   Classify
//   POST /v1/models/NAME[/versions/N | /labels/L]:regress    Regress
//
// Anything else is INVALID_ARGUMENT "Malformed request: METHOD PATH" (400).
// Errors come back as {"error": "<message>"} with the HTTP status of
// HttpStatusFromCode (TF Serving's ToHTTPStatusCode).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "savedmodel/base/status.h"
#include "savedmodel/serve/prediction_api.h"
#include "savedmodel/serve/servable.h"

namespace savedmodel {

struct RestResponse {
  int http_status = 200;
  std::string body;
  std::string content_type = "application/json";
};

// Called once per request that named a model, after it finished: the model
// name, TF Serving's API label ("predict", "classify", "regress",
// "get_model_metadata", "get_model_status"), the outcome and the wall time in
// seconds. ServingMetrics::RequestRecorder("REST") fits. Must be thread-safe.
using RestRequestHook =
    std::function<void(std::string_view model, std::string_view api, const Status& status, double seconds)>;

// TF Serving's canonical-code -> HTTP mapping: OK 200, CANCELLED 499,
// INVALID_ARGUMENT / FAILED_PRECONDITION / OUT_OF_RANGE 400, UNAUTHENTICATED
// 401, PERMISSION_DENIED 403, NOT_FOUND 404, ALREADY_EXISTS / ABORTED 409,
// RESOURCE_EXHAUSTED 429, UNIMPLEMENTED 501, UNAVAILABLE 503,
// DEADLINE_EXCEEDED 504, UNKNOWN / INTERNAL / DATA_LOSS 500.
int HttpStatusFromCode(StatusCode code);

struct RestHandlerOptions {
  // Request bodies larger than this are refused with 413 before parsing
  // (RESOURCE_EXHAUSTED would map to 429, which tells clients to retry).
  size_t max_body_bytes = size_t{256} << 20;
};

class RestHandler {
 public:
  // `source` and `api` must outlive the handler; `hook` may be empty.
  RestHandler(ServableSource* source, PredictionApi* api, RestRequestHook hook = {},
              RestHandlerOptions options = {});

  // Thread-safe; never throws for any input.
  RestResponse Handle(std::string_view method, std::string_view path, std::string_view body) const;

 private:
  ServableSource* source_;
  PredictionApi* api_;
  RestRequestHook hook_;
  RestHandlerOptions options_;
};

}  // namespace savedmodel
