#include "savedmodel/serve/metrics.h"

#include <charconv>
#include <cmath>
#include <utility>

namespace savedmodel {

namespace {

// Prometheus' number format: integers without a fraction, "+Inf"/"-Inf"/"NaN",
// otherwise the shortest text that reads back as the same double.
void AppendNumber(std::string* out, double v) {
  if (std::isnan(v)) {
    *out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    *out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

// Label values escape backslash, double quote and newline.
void AppendLabelValue(std::string* out, const std::string& v) {
  for (char c : v) {
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '"') {
      *out += "\\\"";
    } else if (c == '\n') {
      *out += "\\n";
    } else {
      *out += c;
    }
  }
}

// `{a="x",b="y"` without the closing brace, so histograms can add `le`.
void AppendLabels(std::string* out, const std::vector<std::string>& names,
                  const std::vector<std::string>& values) {
  *out += '{';
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) *out += ',';
    *out += names[i];
    *out += "=\"";
    AppendLabelValue(out, values[i]);
    *out += '"';
  }
}

// TensorFlow's monitoring::Buckets::Exponential(scale, growth, count).
std::vector<double> ExponentialBuckets(double scale, double growth, int count) {
  std::vector<double> b;
  double bound = scale;
  for (int i = 0; i < count; ++i) {
    b.push_back(bound);
    bound *= growth;
  }
  return b;
}

const char* TypeName(MetricRegistry::Type t) {
  switch (t) {
    case MetricRegistry::Type::kCounter: return "counter";
    case MetricRegistry::Type::kGauge: return "gauge";
    case MetricRegistry::Type::kHistogram: return "histogram";
  }
  return "untyped";
}

constexpr char kRequestCount[] = ":tensorflow:serving:request_count";
constexpr char kRequestLatency[] = ":tensorflow:serving:request_latency";
constexpr char kLoadAttempts[] = ":tensorflow:cc:saved_model:load_attempt_count";
constexpr char kLoadLatency[] = ":tensorflow:cc:saved_model:load_latency";
constexpr char kVersionState[] = ":savedmodel:serving:model_version_state";
constexpr char kInputBatchSize[] = ":tensorflow:serving:batching_session:input_batch_size";
constexpr char kProcessedBatchSize[] = ":tensorflow:serving:batching_session:processed_batch_size";
constexpr char kPaddingSize[] = ":tensorflow:serving:batching_session:padding_size";
constexpr char kWrappedRuns[] = ":tensorflow:serving:batching_session:wrapped_run_count";
constexpr char kQueuingLatency[] = ":tensorflow:serving:batching_session:queuing_latency";

}  // namespace

void MetricRegistry::Declare(const std::string& name, Type type, std::string help,
                             std::vector<std::string> label_names, std::vector<double> buckets) {
  std::lock_guard<std::mutex> l(mu_);
  if (families_.count(name)) return;
  Family& f = families_[name];
  f.type = type;
  f.help = std::move(help);
  f.label_names = std::move(label_names);
  if (type == Type::kHistogram) f.buckets = std::move(buckets);
}

MetricRegistry::Series* MetricRegistry::FindSeries(const std::string& name,
                                                   const std::vector<std::string>& label_values,
                                                   Type type) {
  auto it = families_.find(name);
  if (it == families_.end() || it->second.type != type ||
      it->second.label_names.size() != label_values.size()) {
    return nullptr;
  }
  Series& s = it->second.series[label_values];
  if (type == Type::kHistogram && s.bucket.empty()) s.bucket.assign(it->second.buckets.size() + 1, 0);
  return &s;
}

void MetricRegistry::Increment(const std::string& name, const std::vector<std::string>& label_values,
                               double by) {
  std::lock_guard<std::mutex> l(mu_);
  if (Series* s = FindSeries(name, label_values, Type::kCounter)) s->value += by;
}

void MetricRegistry::Set(const std::string& name, const std::vector<std::string>& label_values,
                         double value) {
  std::lock_guard<std::mutex> l(mu_);
  if (Series* s = FindSeries(name, label_values, Type::kGauge)) s->value = value;
}

void MetricRegistry::Observe(const std::string& name, const std::vector<std::string>& label_values,
                             double value) {
  std::lock_guard<std::mutex> l(mu_);
  Series* s = FindSeries(name, label_values, Type::kHistogram);
  if (s == nullptr) return;
  const std::vector<double>& bounds = families_.find(name)->second.buckets;
  size_t i = 0;
  while (i < bounds.size() && value > bounds[i]) ++i;
  ++s->bucket[i];
  ++s->count;
  s->value += value;
}

double MetricRegistry::Value(const std::string& name,
                             const std::vector<std::string>& label_values) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  auto s = it->second.series.find(label_values);
  if (s == it->second.series.end()) return 0;
  return it->second.type == Type::kHistogram ? static_cast<double>(s->second.count) : s->second.value;
}

std::string MetricRegistry::RenderText() const {
  std::lock_guard<std::mutex> l(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    if (f.series.empty()) continue;
    out += "# HELP " + name + ' ';
    for (char c : f.help) out += c == '\n' ? ' ' : c;
    out += "\n# TYPE " + name + ' ' + TypeName(f.type) + '\n';
    for (const auto& [values, s] : f.series) {
      if (f.type != Type::kHistogram) {
        out += name;
        if (!values.empty()) {
          AppendLabels(&out, f.label_names, values);
          out += '}';
        }
        out += ' ';
        AppendNumber(&out, s.value);
        out += '\n';
        continue;
      }
      uint64_t cumulative = 0;
      for (size_t i = 0; i <= f.buckets.size(); ++i) {
        cumulative += s.bucket[i];
        out += name + "_bucket";
        AppendLabels(&out, f.label_names, values);
        if (!values.empty()) out += ',';
        out += "le=\"";
        AppendNumber(&out, i < f.buckets.size() ? f.buckets[i] : INFINITY);
        out += "\"} ";
        AppendNumber(&out, static_cast<double>(cumulative));
        out += '\n';
      }
      for (const char* suffix : {"_sum", "_count"}) {
        out += name + suffix;
        if (!values.empty()) {
          AppendLabels(&out, f.label_names, values);
          out += '}';
        }
        out += ' ';
        AppendNumber(&out, suffix[1] == 's' ? s.value : static_cast<double>(s.count));
        out += '\n';
      }
    }
  }
  return out;
}

ServingMetrics::ServingMetrics(MetricRegistry* registry) : registry_(registry) {
  using T = MetricRegistry::Type;
  registry_->Declare(kRequestCount, T::kCounter, "The total number of requests.",
                     {"model_name", "status"});
  // TF Serving's bounds: 10us growing by 1.8, 33 buckets (about 20 minutes).
  registry_->Declare(kRequestLatency, T::kHistogram,
                     "Distribution of wall time (in microseconds) for Tensorflow Serving request.",
                     {"model_name", "API", "entrypoint"}, ExponentialBuckets(10, 1.8, 33));
  registry_->Declare(kLoadAttempts, T::kCounter,
                     "The number of times a SavedModel was successfully loaded.",
                     {"model_path", "status"});
  registry_->Declare(kLoadLatency, T::kCounter,
                     "Latency in microseconds for SavedModels that were successfully loaded.",
                     {"model_path"});
  registry_->Declare(kVersionState, T::kGauge,
                     "State of each model version, as ModelVersionStatus.State numbers "
                     "(10 START, 20 LOADING, 30 AVAILABLE, 40 UNLOADING, 50 END).",
                     {"model_name", "version"});
  // Batch sizes: 1, 2, 4, ..., 8192 as TF Serving's batching_util.
  const std::vector<double> sizes = ExponentialBuckets(1, 2, 14);
  registry_->Declare(kInputBatchSize, T::kHistogram,
                     "Tracks the batch size distribution on the inputs.", {}, sizes);
  registry_->Declare(kProcessedBatchSize, T::kHistogram,
                     "Tracks the batch size distribution on processing.", {}, sizes);
  registry_->Declare(kPaddingSize, T::kHistogram,
                     "Tracks the padding size distribution on batches.", {"execution_batch_size"},
                     sizes);
  registry_->Declare(kWrappedRuns, T::kCounter, "Total count of run calls on the wrapped session.",
                     {});
  registry_->Declare(kQueuingLatency, T::kHistogram,
                     "Distribution of wall time spent (in microseconds) in queuing",
                     {"thread_pool_name"}, ExponentialBuckets(100, 1.2, 52));
}

void ServingMetrics::RecordRequest(std::string_view model, std::string_view api,
                                   std::string_view entrypoint, const Status& status,
                                   double seconds) {
  registry_->Increment(kRequestCount,
                       {std::string(model), std::string(StatusCodeName(status.code()))});
  registry_->Observe(kRequestLatency, {std::string(model), std::string(api), std::string(entrypoint)},
                     seconds * 1e6);
}

ServingMetrics::RequestCallback ServingMetrics::RequestRecorder(std::string entrypoint) {
  return [this, entrypoint = std::move(entrypoint)](std::string_view model, std::string_view api,
                                                    const Status& status, double seconds) {
    RecordRequest(model, api, entrypoint, status, seconds);
  };
}

void ServingMetrics::RecordLoad(std::string_view model_path, const Status& status, double seconds) {
  registry_->Increment(kLoadAttempts, {std::string(model_path), status.ok() ? "success" : "fail"});
  if (status.ok()) registry_->Increment(kLoadLatency, {std::string(model_path)}, seconds * 1e6);
}

void ServingMetrics::SetVersionState(std::string_view model, int64_t version, int state) {
  registry_->Set(kVersionState, {std::string(model), std::to_string(version)}, state);
}

void ServingMetrics::RecordBatch(const std::vector<int64_t>& task_rows, int64_t padded_rows,
                                 const std::vector<double>& queue_seconds,
                                 std::string_view thread_pool_name) {
  int64_t rows = 0;
  for (int64_t r : task_rows) {
    registry_->Observe(kInputBatchSize, {}, static_cast<double>(r));
    rows += r;
  }
  registry_->Observe(kProcessedBatchSize, {}, static_cast<double>(padded_rows));
  registry_->Observe(kPaddingSize, {std::to_string(padded_rows)},
                     static_cast<double>(padded_rows - rows));
  registry_->Increment(kWrappedRuns, {});
  for (double s : queue_seconds) {
    registry_->Observe(kQueuingLatency, {std::string(thread_pool_name)}, s * 1e6);
  }
}

}  // namespace savedmodel
