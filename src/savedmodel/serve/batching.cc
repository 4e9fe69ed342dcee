#include "savedmodel/serve/batching.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "savedmodel/core/types.h"

namespace savedmodel {

namespace {

using Clock = std::chrono::steady_clock;
using TensorMap = std::map<std::string, Tensor>;

// The rows a request adds to a batch: the 0th dimension all its inputs share,
// or -1 when it cannot be batched (no inputs, a scalar, unequal 0th dims).
int64_t BatchRows(const TensorMap& inputs) {
  int64_t rows = -1;
  for (const auto& [name, t] : inputs) {
    if (t.rank() == 0) return -1;
    if (rows >= 0 && t.dim(0) != rows) return -1;
    rows = t.dim(0);
  }
  return rows;
}

// Requests share a queue only when their batch could be one run: the same
// servable (its address: a handle in the queue keeps it alive, so the address
// is not reused while queued), signature, outputs and, per input, dtype and
// every dimension past the 0th.
std::string QueueKey(const Servable* servable, const std::string& signature,
                     const TensorMap& inputs, const std::vector<std::string>& output_filter,
                     bool pad) {
  std::string key = std::to_string(reinterpret_cast<uintptr_t>(servable));
  key += '\0';
  key += signature;
  for (const auto& [name, t] : inputs) {
    key += '\0';
    key += name;
    key += ':' + std::to_string(static_cast<int>(t.dtype()));
    // With padding only the rank must agree.
    if (pad) {
      key += '/' + std::to_string(t.rank());
    } else {
      for (int i = 1; i < t.rank(); ++i) key += ',' + std::to_string(t.dim(i));
    }
  }
  key += '\1';
  for (const std::string& o : output_filter) {
    key += '\0';
    key += o;
  }
  return key;
}

// Copies `count` rows of `src` starting at `src_row` into `dst` at `dst_row`.
// Both have the same dtype and trailing dimensions.
void CopyRows(const Tensor& src, int64_t src_row, Tensor* dst, int64_t dst_row, int64_t count) {
  if (count == 0 || src.rank() == 0) return;
  const int64_t row_elems = src.dim(0) == 0 ? 0 : src.num_elements() / src.dim(0);
  if (row_elems == 0) return;
  if (src.dtype() == DT_STRING) {
    auto in = src.flat<std::string>();
    auto out = dst->flat<std::string>();
    std::copy_n(in.begin() + src_row * row_elems, count * row_elems, out.begin() + dst_row * row_elems);
    return;
  }
  const size_t row_bytes = DataTypeSize(src.dtype()) * static_cast<size_t>(row_elems);
  std::memcpy(static_cast<char*>(dst->raw_data()) + dst_row * row_bytes,
              static_cast<const char*>(src.raw_data()) + src_row * row_bytes, count * row_bytes);
}

// Rows [begin, begin + count) of `t` as a tensor of their own.
StatusOr<Tensor> SliceRows(const Tensor& t, int64_t begin, int64_t count) {
  std::vector<int64_t> dims = t.shape().dims();
  dims[0] = count;
  ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(dims));
  ASSIGN_OR_RETURN(Tensor out, Tensor::Allocate(t.dtype(), shape));
  CopyRows(t, begin, &out, 0, count);
  return out;
}

// Padding may make a batch's input at most this many times the elements the
// requests sent, plus the slack; past it, each request runs alone.
constexpr double kMaxPaddingGrowth = 16;
constexpr double kPaddingSlack = 1 << 16;

// `t` grown to `dims` (same rank and 0th dimension, each other dimension at
// least t's) by padding at the end of each dimension with t's first element,
// as TF Serving's batching_util pads.
StatusOr<Tensor> PadTrailing(const Tensor& t, const std::vector<int64_t>& dims) {
  if (dims == t.shape().dims()) return t;
  if (t.num_elements() == 0) {
    return InvalidArgument("Got empty tensor in batch of non-empty tensors.");
  }
  ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(dims));
  ASSIGN_OR_RETURN(Tensor out, Tensor::Allocate(t.dtype(), shape));
  const int rank = t.rank();
  const bool is_string = t.dtype() == DT_STRING;
  const size_t elem = is_string ? 0 : DataTypeSize(t.dtype());
  auto copy = [&](int64_t from, int64_t to, int64_t count) {
    if (is_string) {
      auto in = t.flat<std::string>();
      std::copy_n(in.begin() + from, count, out.flat<std::string>().begin() + to);
    } else {
      std::memcpy(static_cast<char*>(out.raw_data()) + to * elem,
                  static_cast<const char*>(t.raw_data()) + from * elem, count * elem);
    }
  };
  for (int64_t i = 0; i < out.num_elements(); ++i) copy(0, i, 1);
  // Each run of t's innermost dimension lands at its index in `out`.
  const int64_t inner = t.dim(rank - 1);
  const int64_t runs = inner == 0 ? 0 : t.num_elements() / inner;
  std::vector<int64_t> index(rank, 0);
  for (int64_t run = 0; run < runs; ++run) {
    int64_t rest = run;
    for (int d = rank - 2; d >= 0; --d) {
      index[d] = rest % t.dim(d);
      rest /= t.dim(d);
    }
    int64_t to = 0;
    for (int d = 0; d < rank - 1; ++d) to = to * dims[d] + index[d];
    copy(run * inner, to * dims[rank - 1], inner);
  }
  return out;
}

}  // namespace

struct BatchingRunner::Task {
  ServableHandle servable;
  const std::string* signature;
  const TensorMap* inputs;
  const std::vector<std::string>* output_filter;
  int64_t rows = 0;
  Clock::time_point enqueued;

  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  StatusOr<TensorMap> result = Internal("batched request was never run");

  // Notifies under the lock: once the waiter sees `done` it destroys the task.
  void Finish(StatusOr<TensorMap> r) {
    std::lock_guard<std::mutex> l(mu);
    result = std::move(r);
    done = true;
    cv.notify_one();
  }
};

struct BatchingRunner::Batch {
  std::vector<Task*> tasks;
  int64_t rows = 0;
  Clock::time_point start;
  bool closed = false;  // full: waits only for a thread
};

struct BatchingRunner::Queue {
  std::string key;
  std::deque<std::unique_ptr<Batch>> batches;  // only the last may be open
};

StatusOr<BatchingOptions> BatchingOptionsFromParameters(
    const tensorflow::serving::BatchingParameters& params) {
  BatchingOptions o;
  if (params.has_max_batch_size()) o.max_batch_size = params.max_batch_size().value();
  if (params.has_batch_timeout_micros()) o.batch_timeout_micros = params.batch_timeout_micros().value();
  if (params.has_max_enqueued_batches()) o.max_enqueued_batches = params.max_enqueued_batches().value();
  if (params.has_num_batch_threads()) {
    const int64_t n = params.num_batch_threads().value();
    if (n <= 0 || n > 4096) {
      return InvalidArgument("num_batch_threads must be between 1 and 4096, not " + std::to_string(n));
    }
    o.num_batch_threads = static_cast<int>(n);
  }
  if (params.has_thread_pool_name()) o.thread_pool_name = params.thread_pool_name().value();
  if (o.max_batch_size <= 0) {
    return InvalidArgument("max_batch_size must be positive, not " + std::to_string(o.max_batch_size));
  }
  if (o.batch_timeout_micros < 0) {
    return InvalidArgument("batch_timeout_micros must not be negative");
  }
  if (o.max_enqueued_batches <= 0) {
    return InvalidArgument("max_enqueued_batches must be positive");
  }
  for (int i = 0; i < params.allowed_batch_sizes_size(); ++i) {
    const int64_t size = params.allowed_batch_sizes(i);
    if (size <= 0 || (i > 0 && size <= params.allowed_batch_sizes(i - 1))) {
      return InvalidArgument("allowed_batch_sizes entries must be positive and monotonically increasing");
    }
    o.allowed_batch_sizes.push_back(size);
  }
  if (!o.allowed_batch_sizes.empty() && o.allowed_batch_sizes.back() != o.max_batch_size) {
    return InvalidArgument("final entry in allowed_batch_sizes must equal max_batch_size");
  }
  o.pad_variable_length_inputs = params.pad_variable_length_inputs();
  return o;
}

StatusOr<TensorMap> DirectPredictRunner::Run(const ServableHandle& servable,
                                             const std::string& signature_key,
                                             const TensorMap& inputs,
                                             const std::vector<std::string>& output_filter) {
  if (servable == nullptr || servable->bundle == nullptr) return Internal("no servable to run");
  return servable->bundle->Predict(signature_key, inputs, output_filter);
}

StatusOr<std::unique_ptr<BatchingRunner>> BatchingRunner::Create(const BatchingOptions& options,
                                                                 ServingMetrics* metrics) {
  tensorflow::serving::BatchingParameters params;
  params.mutable_max_batch_size()->set_value(options.max_batch_size);
  params.mutable_batch_timeout_micros()->set_value(options.batch_timeout_micros);
  params.mutable_max_enqueued_batches()->set_value(options.max_enqueued_batches);
  for (int64_t s : options.allowed_batch_sizes) params.add_allowed_batch_sizes(s);
  RETURN_IF_ERROR(BatchingOptionsFromParameters(params).status());
  if (options.num_batch_threads < 0) return InvalidArgument("num_batch_threads must not be negative");
  return std::unique_ptr<BatchingRunner>(new BatchingRunner(options, metrics));
}

BatchingRunner::BatchingRunner(const BatchingOptions& options, ServingMetrics* metrics)
    : options_(options), metrics_(metrics) {
  int threads = options.num_batch_threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

BatchingRunner::~BatchingRunner() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& w : workers_) w.join();
}

StatusOr<TensorMap> BatchingRunner::Run(const ServableHandle& servable,
                                        const std::string& signature_key, const TensorMap& inputs,
                                        const std::vector<std::string>& output_filter) {
  if (servable == nullptr || servable->bundle == nullptr) return Internal("no servable to run");
  const int64_t rows = BatchRows(inputs);
  if (rows <= 0 || rows > options_.max_batch_size) {
    return direct_.Run(servable, signature_key, inputs, output_filter);
  }
  Task task;
  task.servable = servable;
  task.signature = &signature_key;
  task.inputs = &inputs;
  task.output_filter = &output_filter;
  task.rows = rows;
  task.enqueued = Clock::now();
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stop_) return Unavailable("the batcher is shutting down");
    std::string key = QueueKey(servable.get(), signature_key, inputs, output_filter,
                               options_.pad_variable_length_inputs);
    std::unique_ptr<Queue>& q = queues_[key];
    if (q == nullptr) {
      q = std::make_unique<Queue>();
      q->key = std::move(key);
    }
    Batch* open = q->batches.empty() || q->batches.back()->closed ? nullptr : q->batches.back().get();
    if (open == nullptr || open->rows + rows > options_.max_batch_size) {
      // Refused before touching the open batch, which keeps taking requests
      // that fit.
      if (static_cast<int64_t>(q->batches.size()) >= options_.max_enqueued_batches) {
        return Unavailable("The batch scheduling queue is full");
      }
      if (open != nullptr) open->closed = true;
      q->batches.push_back(std::make_unique<Batch>());
      open = q->batches.back().get();
      open->start = task.enqueued;
    }
    open->tasks.push_back(&task);
    open->rows += rows;
    if (open->rows == options_.max_batch_size) open->closed = true;
  }
  cv_.notify_one();
  std::unique_lock<std::mutex> l(task.mu);
  task.cv.wait(l, [&] { return task.done; });
  return std::move(task.result);
}

BatchingRunner::Queue* BatchingRunner::ReadyQueue(Clock::time_point now, Clock::time_point* wake) {
  Queue* best = nullptr;
  const auto timeout = std::chrono::microseconds(options_.batch_timeout_micros);
  for (auto& [key, q] : queues_) {
    if (q->batches.empty()) continue;
    const Batch& front = *q->batches.front();
    // The longest-waiting ready batch first, so no queue starves.
    if (front.closed || stop_ || now >= front.start + timeout) {
      if (best == nullptr || front.start < best->batches.front()->start) best = q.get();
    } else {
      *wake = std::min(*wake, front.start + timeout);
    }
  }
  return best;
}

void BatchingRunner::WorkerLoop() {
  std::unique_lock<std::mutex> l(mu_);
  while (true) {
    Clock::time_point wake = Clock::time_point::max();
    Queue* q = ReadyQueue(Clock::now(), &wake);
    if (q == nullptr) {
      if (stop_) return;  // every queue drained
      if (wake == Clock::time_point::max()) {
        cv_.wait(l);
      } else {
        cv_.wait_until(l, wake);
      }
      continue;
    }
    std::unique_ptr<Batch> batch = std::move(q->batches.front());
    q->batches.pop_front();
    if (q->batches.empty()) {
      const std::string key = q->key;  // erase destroys q, and its key with it
      queues_.erase(key);
    }
    l.unlock();
    ProcessBatch(*batch);
    l.lock();
  }
}

void BatchingRunner::ProcessBatch(Batch& batch) {
  const auto dequeued = Clock::now();
  const std::vector<Task*>& tasks = batch.tasks;
  int64_t padded = batch.rows;
  for (int64_t size : options_.allowed_batch_sizes) {
    if (size >= batch.rows) {
      padded = size;
      break;
    }
  }
  if (metrics_ != nullptr) {
    std::vector<int64_t> rows;
    std::vector<double> waits;
    for (const Task* t : tasks) {
      rows.push_back(t->rows);
      waits.push_back(std::chrono::duration<double>(dequeued - t->enqueued).count());
    }
    metrics_->RecordBatch(rows, padded, waits, options_.thread_pool_name);
  }
  const Task& first = *tasks.front();
  if (tasks.size() == 1 && padded == batch.rows) {
    tasks.front()->Finish(direct_.Run(first.servable, *first.signature, *first.inputs, *first.output_filter));
    return;
  }

  bool unpaddable = false;
  auto run_batch = [&]() -> StatusOr<TensorMap> {
    TensorMap merged;
    for (const auto& [name, proto] : *first.inputs) {
      // The queue key makes every task's input the same rank; without
      // padding, the same dimensions past the 0th too.
      std::vector<int64_t> dims = proto.shape().dims();
      for (const Task* task : tasks) {
        const Tensor& in = task->inputs->at(name);
        for (int d = 1; d < in.rank(); ++d) dims[d] = std::max(dims[d], in.dim(d));
      }
      if (options_.pad_variable_length_inputs) {
        // One wide request would otherwise make every row of the batch as
        // wide: bound what padding may add, or the batch runs unpadded.
        // In double: the product of the widest dims may not fit int64.
        double given = 0, padded_elems = static_cast<double>(padded);
        for (const Task* task : tasks) given += static_cast<double>(task->inputs->at(name).num_elements());
        for (size_t d = 1; d < dims.size(); ++d) padded_elems *= static_cast<double>(dims[d]);
        if (padded_elems > kMaxPaddingGrowth * given + kPaddingSlack) {
          unpaddable = true;
          return ResourceExhausted("padding would grow the batch too much");
        }
      }
      std::vector<Tensor> parts;
      for (const Task* task : tasks) {
        const Tensor& in = task->inputs->at(name);
        std::vector<int64_t> want = dims;
        want[0] = in.dim(0);
        auto part = PadTrailing(in, want);
        if (!part.ok()) {
          unpaddable = true;
          return part.status();
        }
        parts.push_back(std::move(part).value());
      }
      dims[0] = padded;
      ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(dims));
      ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(proto.dtype(), shape));
      int64_t row = 0;
      for (size_t i = 0; i < tasks.size(); ++i) {
        CopyRows(parts[i], 0, &t, row, tasks[i]->rows);
        row += tasks[i]->rows;
      }
      // TF Serving pads with the first row of the last request.
      for (; row < padded; ++row) CopyRows(parts.back(), 0, &t, row, 1);
      merged.emplace(name, std::move(t));
    }
    return first.servable->bundle->Predict(*first.signature, merged, *first.output_filter);
  };
  StatusOr<TensorMap> outputs = run_batch();
  if (unpaddable) {
    // An empty input has no element to pad with (TF Serving fails the whole
    // batch), or padding would blow the batch up; alone, each request gets
    // the answer it would without batching.
    for (Task* t : tasks) t->Finish(direct_.Run(t->servable, *t->signature, *t->inputs, *t->output_filter));
    return;
  }
  if (!outputs.ok()) {
    for (Task* t : tasks) t->Finish(outputs.status());
    return;
  }
  bool splits = true;
  for (const auto& [name, t] : *outputs) splits &= t.rank() > 0 && t.dim(0) == padded;
  if (!splits) {
    // An output not indexed by row (a count, a fixed table): only separate
    // runs give each request its own answer.
    for (Task* t : tasks) t->Finish(direct_.Run(t->servable, *t->signature, *t->inputs, *t->output_filter));
    return;
  }
  int64_t row = 0;
  for (Task* task : tasks) {
    TensorMap mine;
    Status status;
    for (const auto& [name, t] : *outputs) {
      auto slice = SliceRows(t, row, task->rows);
      if (!slice.ok()) {
        status = slice.status();
        break;
      }
      mine.emplace(name, std::move(slice).value());
    }
    row += task->rows;
    if (status.ok()) {
      task->Finish(std::move(mine));
    } else {
      task->Finish(status);
    }
  }
}

}  // namespace savedmodel
