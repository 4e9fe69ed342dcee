// The HTTP/1.1 transport of the model server, on libevent's evhttp (what
// TensorFlow Serving uses). It knows nothing of models: every request is
// handed, fully read, to a transport-free handler (method, path, body) ->
// (status, content type, body) on a bounded pool of worker threads.
//
// Threads: one event loop thread accepts connections, reads requests and
// writes responses for all of them (keep-alive, pipelining and slow clients
// cost it nothing but buffers); handlers run on `num_threads` workers, so a
// slow model call never stalls other connections. This is TF Serving's split
// (net_http's EvHTTPServer with an executor).
//
// Why evhttp, measured: a trivial handler (fixed half_plus_two answer), 4
// handler threads, wrk POSTs over keep-alive, two rounds on a loaded 2-CPU
// machine. At 16 connections both servers did 10-14k req/s. At 64, Debian's
// cpp-httplib 0.11 (TCP_NODELAY on) fell to 7k req/s with p99 0.07-1.2 s,
// since it ties each keep-alive connection to a worker thread and the rest
// wait; evhttp kept 11-17k req/s with p99 9-14 ms. (Without TCP_NODELAY
// cpp-httplib stalls on delayed ACKs: 40 ms per request.)
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "savedmodel/base/status.h"
#include "savedmodel/base/thread_pool.h"

struct bufferevent;
struct event;
struct evconnlistener;
struct event_base;
struct evhttp;
struct evhttp_bound_socket;
struct evhttp_connection;
struct evhttp_request;

namespace savedmodel {

struct HttpRequest {
  std::string method;  // "GET", "POST", ... as sent
  std::string path;    // the URI's path, still percent-encoded, without the query
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// Called on a worker thread, concurrently with other calls. Must not throw;
// if it does, the client gets a 500 and the server goes on.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  // IPv4 address to listen on; 0.0.0.0 so that the server answers on every
  // interface (a container's or a network namespace's), as TF Serving does.
  std::string address = "0.0.0.0";
  int port = 0;  // 0: the kernel picks a free port (see HttpServer::port())
  int num_threads = 1;  // handler threads (--rest_api_num_threads)
  // A request whose handler has not answered within this long gets 504 (as
  // DEADLINE_EXCEEDED maps in TF Serving); the handler's late answer is
  // dropped. Also the read/write timeout of idle and slow connections.
  int64_t timeout_ms = 30000;
  // Bodies above this get 413 before any of them is buffered past the limit.
  int64_t max_body_bytes = int64_t{64} << 20;
  int64_t max_header_bytes = int64_t{64} << 10;
  // Requests waiting for a worker beyond this get 503 at once instead of
  // growing the queue without bound.
  int64_t max_queued_requests = 4096;
  // Shutdown waits at most this long for in-flight requests to finish.
  int64_t shutdown_grace_ms = 30000;
};

class HttpServer {
 public:
  // Binds, listens and starts serving. Fails (UNAVAILABLE) when the address
  // cannot be bound, e.g. the port is taken.
  static StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options, HttpHandler handler);

  // Shuts down (see Shutdown) if not done yet.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the kernel's choice when options.port was 0).
  int port() const { return port_; }

  // Graceful shutdown: stops taking new connections (they are refused), yet
  // accepts every connection whose handshake had begun; answers every request
  // received (with "Connection: close"), closes idle keep-alive connections,
  // and returns once all are done or shutdown_grace_ms has passed. Takes at
  // least ~0.1 s (the quiet period that shows nothing more is on its way).
  // Idempotent; thread-safe; must not be called from a handler.
  void Shutdown();

  // Requests received and not yet answered (for tests and metrics).
  int64_t in_flight() const { return unanswered_.load(); }

 private:
  struct Pending;
  struct Connection {
    int active = 0;  // requests received on it and not yet fully written
  };

  HttpServer(const HttpServerOptions& options, HttpHandler handler);
  Status Bind();
  void Loop();

  // Event loop callbacks (loop thread only).
  static void OnRequest(evhttp_request* req, void* self);
  static void OnRequestComplete(evhttp_request* req, void* self);
  static void OnConnectionClosed(evhttp_connection* conn, void* self);
  static void OnWake(int fd, short what, void* self);
  static void OnTimeout(int fd, short what, void* pending);
  static void OnDrainTick(int fd, short what, void* self);
  static void OnCloseIfIdle(int fd, short what, void* pending_close);
  static bufferevent* OnAccept(event_base* base, void* self);
  static void OnAcceptError(evconnlistener* listener, void* self);
  static void OnAcceptResume(int fd, short what, void* self);

  void Dispatch(evhttp_request* req);
  void Reply(Pending* p, const HttpResponse& response);
  void Finish(Pending* p);
  void StartDrain();
  void CloseListener();
  void CloseIdleConnections();
  void ScheduleCloseIfIdle(evhttp_connection* conn);
  static int64_t NowMs();

  const HttpServerOptions options_;
  const HttpHandler handler_;
  int port_ = 0;

  event_base* base_ = nullptr;
  evhttp* http_ = nullptr;
  evhttp_bound_socket* listener_ = nullptr;
  event* wake_ = nullptr;   // activated by workers (answers) and Shutdown
  event* drain_tick_ = nullptr;
  event* accept_pause_ = nullptr;  // re-enables accepting after an accept error
  std::thread loop_thread_;
  std::unique_ptr<ThreadPool> workers_;

  // Loop thread only.
  std::unordered_map<evhttp_connection*, Connection> connections_;
  std::unordered_map<Pending*, std::shared_ptr<Pending>> pending_;
  bool draining_ = false;
  int64_t drain_deadline_ms_ = 0;
  int64_t last_activity_ms_ = 0;
  int64_t last_accept_ms_ = 0;

  // Shared between workers, Shutdown and the loop thread.
  std::mutex mu_;
  std::vector<std::shared_ptr<Pending>> answered_;  // guarded by mu_
  bool stop_requested_ = false;                     // guarded by mu_
  bool loop_running_ = false;                       // guarded by mu_
  std::atomic<int64_t> unanswered_{0};
  std::atomic<int64_t> queued_{0};
  std::once_flag shutdown_once_;
};

}  // namespace savedmodel
