#include "savedmodel/serve/rest_handler.h"

#include <chrono>
#include <new>
#include <optional>

#include "savedmodel/serve/json_tensor.h"
#include "savedmodel/serve/model_metadata.h"

namespace savedmodel {
namespace {

namespace tfs = tensorflow::serving;

// What a /v1/models path names.
struct ModelPath {
  std::string name;
  std::optional<int64_t> version;
  std::optional<std::string> label;
  std::string method;  // "predict", "classify", "regress" (POST) or "metadata" / "" (GET)
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Consumes `prefix` (case-insensitively) from the front of *s.
bool Consume(std::string_view* s, std::string_view prefix) {
  if (s->size() < prefix.size() || !EqualsIgnoreCase(s->substr(0, prefix.size()), prefix)) return false;
  s->remove_prefix(prefix.size());
  return true;
}

// A run of characters other than '/' and ':' (at least one).
std::string_view Segment(std::string_view* s) {
  size_t n = 0;
  while (n < s->size() && (*s)[n] != '/' && (*s)[n] != ':') ++n;
  std::string_view seg = s->substr(0, n);
  s->remove_prefix(n);
  return seg;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX escapes decoded; a '%' not followed by two hex digits stays as it is
// (as curl_easy_unescape, which TF Serving uses, leaves it).
std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexDigit(s[i + 1]) >= 0 && HexDigit(s[i + 2]) >= 0) {
      out += static_cast<char>(HexDigit(s[i + 1]) * 16 + HexDigit(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// TF Serving's grammar for the path after "/v1/models" (its regexes,
// matched in full):
//   POST  /NAME[/versions/N | /labels/L]:(classify|regress|predict)
//   GET   [/NAME][/versions/N | /labels/L][/metadata]
// Returns false when the path does not match (a malformed request);
// *version_text keeps the digits for the numeric check that follows.
bool ParseModelPath(bool post, std::string_view rest, ModelPath* out, std::string* version_text) {
  std::string_view name;
  if (Consume(&rest, "/")) {
    name = Segment(&rest);
    if (name.empty()) return false;
  } else if (post) {
    return false;
  }
  std::string_view label;
  std::string_view saved = rest;
  if (!name.empty() && Consume(&rest, "/versions/")) {
    size_t n = 0;
    while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
    if (n == 0) {
      rest = saved;
    } else {
      *version_text = std::string(rest.substr(0, n));
      rest.remove_prefix(n);
    }
  } else if (!name.empty() && Consume(&rest, "/labels/")) {
    label = Segment(&rest);
    if (label.empty()) rest = saved;
  }
  if (post) {
    if (!Consume(&rest, ":")) return false;
    for (const char* m : {"predict", "classify", "regress"}) {
      if (EqualsIgnoreCase(rest, m)) {
        out->method = m;
        rest = {};
        break;
      }
    }
    if (out->method.empty()) return false;
  } else if (!name.empty() && Consume(&rest, "/metadata")) {
    out->method = "metadata";
  }
  if (!rest.empty()) return false;
  out->name = PercentDecode(name);
  if (!label.empty()) out->label = PercentDecode(label);
  return true;
}

Status ParseVersion(const std::string& text, ModelPath* out) {
  if (text.empty()) return Status::OK();
  int64_t v = 0;
  for (char c : text) {
    if (v > (INT64_MAX - (c - '0')) / 10) {
      return InvalidArgument("Failed to convert version: " + text + " to numeric.");
    }
    v = v * 10 + (c - '0');
  }
  out->version = v;
  return Status::OK();
}

tfs::ModelSpec SpecOf(const ModelPath& p) {
  tfs::ModelSpec spec;
  spec.set_name(p.name);
  if (p.version) spec.mutable_version()->set_value(*p.version);
  if (p.label) spec.set_version_label(*p.label);
  return spec;
}

StatusOr<std::string> StatusJson(const tfs::GetModelStatusResponse& response) {
  auto json = ServingProtoJson(response);
  if (!json.ok()) return Internal("Failed to convert proto to json. Error: " + json.status().message());
  return json;
}

// TF Serving's API label for metrics; the POST methods are their own labels.
std::string_view ApiLabel(const std::string& method) {
  if (method == "metadata") return "get_model_metadata";
  if (method.empty()) return "get_model_status";
  return method;
}

}  // namespace

int HttpStatusFromCode(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kCancelled: return 499;
    case StatusCode::kUnknown: return 500;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kDeadlineExceeded: return 504;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists: return 409;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kResourceExhausted: return 429;
    case StatusCode::kFailedPrecondition: return 400;
    case StatusCode::kAborted: return 409;
    case StatusCode::kOutOfRange: return 400;
    case StatusCode::kUnimplemented: return 501;
    case StatusCode::kInternal: return 500;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kDataLoss: return 500;
    case StatusCode::kUnauthenticated: return 401;
  }
  return 500;
}

RestHandler::RestHandler(ServableSource* source, PredictionApi* api, RestRequestHook hook, RestHandlerOptions options)
    : source_(source), api_(api), hook_(std::move(hook)), options_(options) {}

namespace {

// The body of one request that parsed to a model path; errors are returned,
// not formatted.
struct Dispatch {
  ServableSource* source;
  PredictionApi* api;

  StatusOr<std::string> Predict(const tfs::ModelSpec& spec, std::string_view body) const {
    ASSIGN_OR_RETURN(JsonPredictRequest request, JsonPredictRequest::Parse(body));
    ASSIGN_OR_RETURN(ServableHandle servable, api->FindServable(spec));
    const auto& sigs = servable->bundle->meta_graph_def().signature_def();
    const std::string sig_name =
        request.signature_name().empty() ? kDefaultServingSignature : request.signature_name();
    auto sig = sigs.find(sig_name);
    if (sig == sigs.end()) {
      return InvalidArgument("Serving signature name: \"" + sig_name + "\" not found in signature def");
    }
    JsonPredictFormat format = JsonPredictFormat::kRow;
    ASSIGN_OR_RETURN(auto inputs, request.DecodeInputs(sig->second.inputs(), &format));
    ASSIGN_OR_RETURN(auto outputs, api->PredictTensors(servable, sig_name, std::move(inputs), {}));
    return MakeJsonFromTensors(outputs, format);
  }

  StatusOr<std::string> Classify(const tfs::ModelSpec& spec, std::string_view body) const {
    tfs::ClassificationRequest request;
    *request.mutable_model_spec() = spec;
    RETURN_IF_ERROR(FillClassificationRequestFromJson(body, &request));
    tfs::ClassificationResponse response;
    RETURN_IF_ERROR(api->Classify(request, &response));
    return MakeJsonFromClassificationResult(response.result());
  }

  StatusOr<std::string> Regress(const tfs::ModelSpec& spec, std::string_view body) const {
    tfs::RegressionRequest request;
    *request.mutable_model_spec() = spec;
    RETURN_IF_ERROR(FillRegressionRequestFromJson(body, &request));
    tfs::RegressionResponse response;
    RETURN_IF_ERROR(api->Regress(request, &response));
    return MakeJsonFromRegressionResult(response.result());
  }

  StatusOr<std::string> Metadata(const tfs::ModelSpec& spec) const {
    ASSIGN_OR_RETURN(ServableHandle servable, api->FindServable(spec));
    return ModelMetadataJson(servable->bundle->meta_graph_def(), servable->name, servable->version);
  }

  StatusOr<std::string> ModelStatus(const tfs::ModelSpec& spec) const {
    tfs::GetModelStatusResponse response;
    RETURN_IF_ERROR(source->GetModelStatus(spec, &response));
    return StatusJson(response);
  }
};

}  // namespace

RestResponse RestHandler::Handle(std::string_view method, std::string_view path, std::string_view body) const {
  const auto start = std::chrono::steady_clock::now();
  RestResponse response;
  const bool post = method == "POST";
  ModelPath parsed;
  std::string version_text;
  std::string_view rest = path;
  const bool matched = (post || method == "GET") && Consume(&rest, "/v1/models") &&
                       ParseModelPath(post, rest, &parsed, &version_text);
  StatusOr<std::string> result = InvalidArgument("Malformed request: " + std::string(method) + " " + std::string(path));
  if (matched) {
    if (body.size() > options_.max_body_bytes) {
      response.http_status = 413;
      response.body = MakeJsonFromStatus(ResourceExhausted(
          "Request body of " + std::to_string(body.size()) + " bytes is over the limit of " +
          std::to_string(options_.max_body_bytes) + " bytes"));
      if (hook_) hook_(parsed.name, ApiLabel(parsed.method), ResourceExhausted("body too large"), 0);
      return response;
    }
    Status version_status = ParseVersion(version_text, &parsed);
    if (!version_status.ok()) {
      result = version_status;
    } else if (parsed.name.empty()) {
      result = InvalidArgument("Missing model name in request.");
    } else {
      const tfs::ModelSpec spec = SpecOf(parsed);
      const Dispatch d{source_, api_};
      // The handler must answer whatever arrives; an allocation failure on a
      // hostile request is that request's error, not the server's end.
      try {
        if (parsed.method == "predict") result = d.Predict(spec, body);
        else if (parsed.method == "classify") result = d.Classify(spec, body);
        else if (parsed.method == "regress") result = d.Regress(spec, body);
        else if (parsed.method == "metadata") result = d.Metadata(spec);
        else result = d.ModelStatus(spec);
      } catch (const std::bad_alloc&) {
        result = ResourceExhausted("out of memory while handling the request");
      }
    }
  }
  const Status status = result.status();
  if (status.ok()) {
    response.body = *std::move(result);
  } else {
    response.http_status = HttpStatusFromCode(status.code());
    response.body = MakeJsonFromStatus(status);
  }
  if (hook_ && matched && !parsed.name.empty()) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    hook_(parsed.name, ApiLabel(parsed.method), status, seconds);
  }
  return response;
}

}  // namespace savedmodel
