// savedmodel serve: a drop-in for TensorFlow Serving's tensorflow_model_server,
// with its flag names and defaults. A thin shell over ModelServer: parse the
// flags, start, wait for SIGTERM or SIGINT, shut down gracefully, exit 0.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "savedmodel/serve/model_server.h"

namespace savedmodel::cli {
namespace {

int stop_pipe[2] = {-1, -1};

void OnStopSignal(int sig) {
  const unsigned char c = static_cast<unsigned char>(sig);
  const int saved = errno;  // a handler must leave errno as it found it
  if (write(stop_pipe[1], &c, 1) < 0) {
    // Nothing async-signal-safe to do about it; a second signal retries.
  }
  errno = saved;
}

}  // namespace

int ServeMain(int argc, char** argv) {
  CLI::App app{"Serve SavedModels over TF Serving's gRPC and REST APIs (like tensorflow_model_server).",
               "savedmodel serve"};
  ServerOptions o;
  app.add_option("--port", o.port, "Port to listen on for the gRPC API")->capture_default_str();
  app.add_option("--grpc_max_threads", o.grpc_max_threads,
                 "Threads running gRPC calls; more wait in a queue (default: 4 per CPU)");
  app.add_option("--rest_api_port", o.rest_api_port,
                 "Port to listen on for the HTTP/REST API; 0 serves no REST API. Must differ from --port")
      ->capture_default_str();
  app.add_option("--rest_api_num_threads", o.rest_api_num_threads,
                 "Threads for HTTP/REST request handling (default: 4 per CPU)");
  app.add_option("--rest_api_timeout_in_ms", o.rest_api_timeout_in_ms, "Timeout for HTTP/REST API calls")
      ->capture_default_str();
  app.add_option("--rest_api_max_body_bytes", o.rest_api_max_body_bytes,
                 "Largest HTTP request body accepted; larger ones get 413 (not a TF Serving flag)")
      ->capture_default_str();
  app.add_option("--model_name", o.model_name, "Name of the model (with --model_base_path)")->capture_default_str();
  app.add_option("--model_base_path", o.model_base_path,
                 "Path to the model's directory of numbered versions (base/123/saved_model.pb)");
  app.add_option("--model_config_file", o.model_config_file,
                 "A text-format ModelServerConfig: several models, version policies and labels; "
                 "instead of --model_name/--model_base_path");
  app.add_option("--model_config_file_poll_wait_seconds", o.model_config_file_poll_wait_seconds,
                 "Seconds between re-reads of --model_config_file; 0 reads it once")
      ->capture_default_str();
  app.add_option("--file_system_poll_wait_seconds", o.file_system_poll_wait_seconds,
                 "Seconds between scans of the model base paths for new versions; 0 scans once")
      ->capture_default_str();
  app.add_flag("--enable_batching", o.enable_batching, "Batch concurrent Predict requests on the server");
  app.add_option("--batching_parameters_file", o.batching_parameters_file,
                 "A text-format BatchingParameters (with --enable_batching)");
  app.add_option("--monitoring_config_file", o.monitoring_config_file,
                 "A text-format MonitoringConfig: Prometheus endpoint on/off and its path "
                 "(default: on at /monitoring/prometheus/metrics)");
  app.add_flag("--allow_version_labels_for_unavailable_models", o.allow_version_labels_for_unavailable_models,
               "Allow assigning a version label to a version not yet loaded");
  app.add_option("--tensorflow_intra_op_parallelism", o.tensorflow_intra_op_parallelism,
                 "Threads within one op, shared by every model (0: one per CPU)");
  app.add_option("--tensorflow_inter_op_parallelism", o.tensorflow_inter_op_parallelism,
                 "Ops run at once, shared by every model (0: one per CPU)");
  app.footer(
      "Examples:\n"
      "  savedmodel serve --rest_api_port=8501 --model_name=half_plus_two --model_base_path=/models/half_plus_two\n"
      "  savedmodel serve --port 8500 --rest_api_port 8501 --model_config_file models.config \\\n"
      "      --model_config_file_poll_wait_seconds 60 --enable_batching\n"
      "Besides TF Serving's /v1/models/... API, the REST port answers GET /healthz (alive), GET /readyz\n"
      "(200 once every model has an AVAILABLE version) and GET /monitoring/prometheus/metrics.\n"
      "SIGTERM or SIGINT: stop accepting, finish the requests in flight, exit 0.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  // The handler only writes the signal number to a pipe, which this thread
  // waits on: whichever thread the kernel picks to take the signal (threads
  // made by static initializers in linked libraries included), nothing runs
  // in the middle of a request.
  if (pipe2(stop_pipe, O_CLOEXEC) != 0) {
    std::perror("savedmodel serve: pipe2");
    return 1;
  }
  struct sigaction sa = {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  auto server = ModelServer::Start(o);
  if (!server.ok()) {
    std::fprintf(stderr, "savedmodel serve: %s\n", server.status().ToString().c_str());
    return server.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  unsigned char sig = 0;
  while (read(stop_pipe[0], &sig, 1) != 1) {
    if (errno != EINTR) {
      std::perror("savedmodel serve: read");
      break;
    }
  }
  std::fprintf(stderr, "Received %s: stopping (finishing requests in flight) ...\n",
               sig == SIGINT ? "SIGINT" : "SIGTERM");
  std::fflush(stderr);
  (*server)->Shutdown();
  std::fprintf(stderr, "Server stopped.\n");
  return 0;
}

}  // namespace savedmodel::cli
