// Closed-loop gRPC load for a TF Serving-compatible server: C concurrent
// streams, each sending PredictionService/Predict and waiting for the answer
// before the next, for N seconds per concurrency level. Prints one line per
// level: requests/s, p50 and p99 latency, errors.
//
//   grpc_load --target 127.0.0.1:8500 --model_name half_plus_two
//             [--signature_name serving_default] [--concurrency 1,16,64]
//             [--seconds 10] [--rows 3]
//
// The request is half_plus_two's: input "x", float [rows, 1] = 1, 2, 5, ...
// Streams share four channels (one HTTP/2 connection each), as a client pool
// would; every stream issues blocking unary calls from its own thread.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "tensorflow_serving/apis/prediction_service.grpc.pb.h"

namespace {

namespace tfs = tensorflow::serving;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string target = "127.0.0.1:8500";
  std::string model_name = "half_plus_two";
  std::string signature_name;
  std::vector<int> concurrency = {1, 16, 64};
  double seconds = 10;
  int rows = 3;
};

bool ParseInt(const std::string& s, int* out) {
  char* end = nullptr;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || v < 1 || v > 4096) return false;
  *out = static_cast<int>(v);
  return true;
}

bool ParseArgs(int argc, char** argv, Args* args) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return false;
    const std::string value = argv[++i];
    if (flag == "--target") {
      args->target = value;
    } else if (flag == "--model_name") {
      args->model_name = value;
    } else if (flag == "--signature_name") {
      args->signature_name = value;
    } else if (flag == "--seconds") {
      char* end = nullptr;
      args->seconds = std::strtod(value.c_str(), &end);
      if (*end != '\0' || !(args->seconds > 0 && args->seconds <= 3600)) return false;
    } else if (flag == "--rows") {
      if (!ParseInt(value, &args->rows)) return false;
    } else if (flag == "--concurrency") {
      args->concurrency.clear();
      size_t start = 0;
      while (start <= value.size()) {
        const size_t comma = std::min(value.find(',', start), value.size());
        int c = 0;
        if (!ParseInt(value.substr(start, comma - start), &c)) return false;
        args->concurrency.push_back(c);
        start = comma + 1;
      }
    } else {
      return false;
    }
  }
  return true;
}

tfs::PredictRequest MakeRequest(const Args& args) {
  tfs::PredictRequest request;
  request.mutable_model_spec()->set_name(args.model_name);
  request.mutable_model_spec()->set_signature_name(args.signature_name);
  tensorflow::TensorProto& x = (*request.mutable_inputs())["x"];
  x.set_dtype(tensorflow::DT_FLOAT);
  x.mutable_tensor_shape()->add_dim()->set_size(args.rows);
  x.mutable_tensor_shape()->add_dim()->set_size(1);
  const float pattern[] = {1.0f, 2.0f, 5.0f};
  for (int i = 0; i < args.rows; ++i) x.add_float_val(pattern[i % 3]);
  return request;
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size())));
  return sorted[i];
}

// One level: `streams` threads for `seconds`; latencies in microseconds.
void RunLevel(const Args& args, const std::vector<std::shared_ptr<grpc::Channel>>& channels, int streams) {
  const tfs::PredictRequest request = MakeRequest(args);
  std::atomic<bool> stop{false};
  std::atomic<long> errors{0};
  std::vector<std::vector<double>> latencies(streams);
  std::string first_error;
  std::atomic<bool> have_error{false};
  std::vector<std::thread> threads;
  const Clock::time_point start = Clock::now();
  for (int s = 0; s < streams; ++s) {
    threads.emplace_back([&, s] {
      auto stub = tfs::PredictionService::NewStub(channels[s % channels.size()]);
      tfs::PredictResponse response;
      while (!stop.load(std::memory_order_relaxed)) {
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        const Clock::time_point t0 = Clock::now();
        const grpc::Status status = stub->Predict(&context, request, &response);
        const double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
        if (status.ok()) {
          latencies[s].push_back(us);
        } else {
          errors.fetch_add(1);
          if (!have_error.exchange(true)) {
            first_error = std::to_string(status.error_code()) + " " + status.error_message();
          }
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(args.seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  std::printf("grpc predict concurrency=%d: %zu requests in %.1f s, %.1f req/s, p50 %.3f ms, p99 %.3f ms, "
              "%ld errors\n",
              streams, all.size(), elapsed, static_cast<double>(all.size()) / elapsed,
              Percentile(all, 0.50) / 1000, Percentile(all, 0.99) / 1000, errors.load());
  if (have_error) std::printf("  first error: %s\n", first_error.c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, &args)) {
    std::fprintf(stderr,
                 "usage: grpc_load --target HOST:PORT --model_name NAME [--signature_name S]\n"
                 "                 [--concurrency 1,16,64] [--seconds 10] [--rows 3]\n");
    return 2;
  }
  grpc::ChannelArguments channel_args;
  channel_args.SetMaxReceiveMessageSize(-1);
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < 4; ++i) {
    // Distinct arguments keep gRPC from sharing one subchannel among them.
    channel_args.SetInt("savedmodel.grpc_load.channel", i);
    channels.push_back(grpc::CreateCustomChannel(args.target, grpc::InsecureChannelCredentials(), channel_args));
  }
  for (auto& channel : channels) {
    if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
      std::fprintf(stderr, "grpc_load: cannot connect to %s\n", args.target.c_str());
      return 1;
    }
  }
  for (const int streams : args.concurrency) RunLevel(args, channels, streams);
  return 0;
}
