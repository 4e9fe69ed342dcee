// The server's metrics, rendered in Prometheus' text exposition format
// (version 0.0.4) for GET /monitoring/prometheus/metrics.
//
// Names follow TF Serving's exporter: its metric "/tensorflow/serving/x" is
// exported as ":tensorflow:serving:x" ('/' becomes ':'), with the same label
// names, so dashboards and alerts written for TF Serving read ours unchanged.
// Histograms hold TF Serving's bucket bounds and units (microseconds for
// latencies). Metrics TF Serving has no counterpart for live under
// ":savedmodel:".
//
// Thread-safe: every method may be called from any thread at any time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "savedmodel/base/status.h"

namespace savedmodel {

// A small Prometheus registry: families of counters, gauges and histograms
// keyed by label values. A family is declared once (its type, label names and,
// for histograms, bucket upper bounds); samples for an undeclared name, or
// with a different number of label values than declared, are dropped (a
// metrics slip must never fail a request).
class MetricRegistry {
 public:
  enum class Type { kCounter, kGauge, kHistogram };

  // Declaring a name twice keeps the first declaration. `buckets` (histograms
  // only) are increasing upper bounds; +Inf is implied.
  void Declare(const std::string& name, Type type, std::string help,
               std::vector<std::string> label_names, std::vector<double> buckets = {});

  void Increment(const std::string& name, const std::vector<std::string>& label_values,
                 double by = 1);
  void Set(const std::string& name, const std::vector<std::string>& label_values, double value);
  void Observe(const std::string& name, const std::vector<std::string>& label_values, double value);

  // The whole registry in the text format: per family "# HELP", "# TYPE",
  // then its samples sorted by label values; histograms as cumulative
  // "_bucket{...,le="..."}" lines, "_sum" and "_count".
  std::string RenderText() const;

  // A counter's or gauge's value, or a histogram's sample count; 0 when absent.
  // For tests and for the gRPC ReloadConfig metric deltas.
  double Value(const std::string& name, const std::vector<std::string>& label_values) const;

 private:
  struct Series {
    double value = 0;              // counter, gauge; histogram sum
    uint64_t count = 0;            // histogram
    std::vector<uint64_t> bucket;  // histogram, per bound (not cumulative), +Inf last
  };
  struct Family {
    Type type;
    std::string help;
    std::vector<std::string> label_names;
    std::vector<double> buckets;
    std::map<std::vector<std::string>, Series> series;
  };
  Series* FindSeries(const std::string& name, const std::vector<std::string>& label_values,
                     Type type);  // REQUIRES: mu_ held

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

// The metrics TF Serving exports, under its names, recorded by the APIs, the
// model manager and the batcher.
class ServingMetrics {
 public:
  // Declares every family below in `registry` (which must outlive this).
  explicit ServingMetrics(MetricRegistry* registry);

  // One finished request: ":tensorflow:serving:request_count{model_name,status}"
  // (status is the canonical code name, "OK", "NOT_FOUND", ...) and
  // ":tensorflow:serving:request_latency{model_name,API,entrypoint}" in
  // microseconds. `api` is TF Serving's API label ("predict", "classify",
  // "regress", "multi_inference", "get_model_metadata", "get_model_status");
  // `entrypoint` is "REST" or "GRPC".
  void RecordRequest(std::string_view model, std::string_view api, std::string_view entrypoint,
                     const Status& status, double seconds);

  // The callback shape the REST handler and the gRPC service report through,
  // bound to one entrypoint. The returned function refers to *this.
  using RequestCallback =
      std::function<void(std::string_view model, std::string_view api, const Status&, double seconds)>;
  RequestCallback RequestRecorder(std::string entrypoint);

  // One load attempt of a model version directory:
  // ":tensorflow:cc:saved_model:load_attempt_count{model_path,status}" with
  // status "success" or "fail", and, on success,
  // ":tensorflow:cc:saved_model:load_latency{model_path}" (a counter of
  // microseconds, as TensorFlow's loader records it).
  void RecordLoad(std::string_view model_path, const Status& status, double seconds);

  // ":savedmodel:serving:model_version_state{model_name,version}": the
  // version's ModelVersionStatus.State number (10 START, 20 LOADING,
  // 30 AVAILABLE, 40 UNLOADING, 50 END).
  void SetVersionState(std::string_view model, int64_t version, int state);

  // One batch the batcher ran: per task
  // ":tensorflow:serving:batching_session:input_batch_size", then
  // "...:processed_batch_size" (rows after padding),
  // "...:padding_size{execution_batch_size}", "...:wrapped_run_count" and,
  // per task, "...:queuing_latency{thread_pool_name}" in microseconds.
  void RecordBatch(const std::vector<int64_t>& task_rows, int64_t padded_rows,
                   const std::vector<double>& queue_seconds, std::string_view thread_pool_name);

  MetricRegistry* registry() const { return registry_; }

 private:
  MetricRegistry* registry_;
};

}  // namespace savedmodel
