#include "savedmodel/serve/http_server.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <utility>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/thread.h>

namespace savedmodel {
namespace {

// How long the drain waits after the last accepted connection or received
// request before concluding nothing more is on its way: handshakes already
// past their SYN complete within a round trip, and a fresh connection sends
// its request at once.
constexpr int64_t kDrainQuietMs = 100;
constexpr int64_t kDrainTickMs = 10;
constexpr int64_t kAcceptPauseMs = 100;
// Far above any useful handler pool; a typo'd flag must not try to start
// millions of threads.
constexpr int kMaxThreads = 4096;

// The server whose event loop runs on this thread (each has its own).
thread_local HttpServer* loop_owner = nullptr;

// Closing a listening socket resets every connection still in its accept
// queue: clients that connected successfully and sent a request would see a
// reset instead of an answer. So the drain first makes the socket drop new
// SYNs (a classic BPF filter on the TCP flags; skb data starts at the TCP
// header here): no new connection can form, while handshakes in progress
// complete and are accepted and served. Only then is the socket closed; the
// dropped clients retransmit their SYN and are refused. False where the
// filter cannot be attached (the socket is then closed at once).
bool RefuseNewConnections(int fd) {
  sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 13),                // TCP flags byte
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x12),             // SYN | ACK
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x02, 0, 1),       // SYN alone?
      BPF_STMT(BPF_RET | BPF_K, 0),                          //   drop
      BPF_STMT(BPF_RET | BPF_K, 0xffffffff),                 // keep the rest
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof(code) / sizeof(code[0])), code};
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) == 0;
}

const char* MethodName(evhttp_cmd_type cmd) {
  switch (cmd) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_HEAD: return "HEAD";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_OPTIONS: return "OPTIONS";
    case EVHTTP_REQ_TRACE: return "TRACE";
    case EVHTTP_REQ_CONNECT: return "CONNECT";
    case EVHTTP_REQ_PATCH: return "PATCH";
  }
  return "UNKNOWN";
}

timeval Timeval(int64_t ms) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(ms / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  return tv;
}

HttpResponse ErrorResponse(int status, const std::string& message) {
  // Messages here are our own fixed ASCII text: nothing to escape.
  return HttpResponse{status, "application/json", "{ \"error\": \"" + message + "\" }"};
}

}  // namespace

// One request between its arrival and its answer. The loop thread owns `req`
// (null once answered); the worker writes `response` and then hands the
// whole object back through answered_, so the two never touch it at once.
struct HttpServer::Pending {
  HttpServer* server = nullptr;
  evhttp_request* req = nullptr;
  event* timer = nullptr;
  HttpRequest request;
  HttpResponse response;
};

struct PendingClose {
  HttpServer* server;
  evhttp_connection* conn;
};

HttpServer::HttpServer(const HttpServerOptions& options, HttpHandler handler)
    : options_(options), handler_(std::move(handler)) {}

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options, HttpHandler handler) {
  if (options.num_threads < 1 || options.num_threads > kMaxThreads) {
    return InvalidArgument("HTTP worker threads must be in [1, " + std::to_string(kMaxThreads) + "], got " +
                           std::to_string(options.num_threads));
  }
  if (options.timeout_ms < 1) return InvalidArgument("HTTP request timeout must be positive");
  if (options.port < 0 || options.port > 65535) {
    return InvalidArgument("HTTP port out of range: " + std::to_string(options.port));
  }
  static std::once_flag process_setup;
  std::call_once(process_setup, [] {
    // Workers hand answers to the loop thread through event_active, which
    // needs libevent's locking. A client that hangs up mid-response must
    // cost an EPIPE, not the process.
    evthread_use_pthreads();
    signal(SIGPIPE, SIG_IGN);
  });
  std::unique_ptr<HttpServer> server(new HttpServer(options, std::move(handler)));
  RETURN_IF_ERROR(server->Bind());
  server->workers_ = std::make_unique<ThreadPool>(options.num_threads);
  {
    std::lock_guard<std::mutex> l(server->mu_);
    server->loop_running_ = true;
  }
  server->loop_thread_ = std::thread([s = server.get()] { s->Loop(); });
  return server;
}

Status HttpServer::Bind() {
  base_ = event_base_new();
  if (base_ == nullptr) return Status(StatusCode::kInternal, "event_base_new failed");
  http_ = evhttp_new(base_);
  if (http_ == nullptr) return Status(StatusCode::kInternal, "evhttp_new failed");
  evhttp_set_max_body_size(http_, options_.max_body_bytes);
  evhttp_set_max_headers_size(http_, options_.max_header_bytes);
  const timeval io_timeout = Timeval(options_.timeout_ms);
  evhttp_set_timeout_tv(http_, &io_timeout);
  evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                        EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
  evhttp_set_gencb(http_, &HttpServer::OnRequest, this);
  evhttp_set_bevcb(http_, &HttpServer::OnAccept, this);

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(options_.port));
  if (inet_pton(AF_INET, options_.address.c_str(), &addr.sin_addr) != 1) {
    return InvalidArgument("not an IPv4 address: '" + options_.address + "'");
  }
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status(StatusCode::kUnavailable, std::string("socket: ") + std::strerror(errno));
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const std::string where = options_.address + ":" + std::to_string(options_.port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, SOMAXCONN) != 0) {
    const std::string why = std::strerror(errno);
    close(fd);
    return Status(StatusCode::kUnavailable, "cannot listen on " + where + ": " + why);
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  // evhttp owns the socket from here and closes it when the listener goes.
  listener_ = evhttp_accept_socket_with_handle(http_, fd);
  if (listener_ == nullptr) {
    close(fd);
    return Status(StatusCode::kUnavailable, "cannot accept on " + where);
  }
  // Out of file descriptors (EMFILE), accept() fails at once and the
  // listener would spin on it; pause accepting for a moment instead.
  evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(listener_), &HttpServer::OnAcceptError);
  accept_pause_ = evtimer_new(base_, &HttpServer::OnAcceptResume, this);
  wake_ = event_new(base_, -1, EV_PERSIST, &HttpServer::OnWake, this);
  if (wake_ == nullptr) return Status(StatusCode::kInternal, "event_new failed");
  return Status::OK();
}

HttpServer::~HttpServer() {
  Shutdown();
}

void HttpServer::Loop() {
  loop_owner = this;
  last_activity_ms_ = NowMs();
  event_base_loop(base_, EVLOOP_NO_EXIT_ON_EMPTY);
  std::lock_guard<std::mutex> l(mu_);
  loop_running_ = false;
}

void HttpServer::Shutdown() {
  std::call_once(shutdown_once_, [this] {
    bool running;
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_requested_ = true;
      running = loop_running_;
      if (running) event_active(wake_, EV_READ, 0);
    }
    if (loop_thread_.joinable()) loop_thread_.join();
    // Handlers still running past the grace period finish here; their
    // answers are dropped (the loop is gone).
    workers_.reset();
    for (auto& [p, _] : pending_) {
      if (p->timer != nullptr) event_free(p->timer);
    }
    pending_.clear();
    if (drain_tick_ != nullptr) event_free(drain_tick_);
    if (accept_pause_ != nullptr) event_free(accept_pause_);
    if (wake_ != nullptr) event_free(wake_);
    // Frees every remaining connection (and the listener, if the loop never ran).
    if (http_ != nullptr) evhttp_free(http_);
    connections_.clear();
    if (base_ != nullptr) event_base_free(base_);
    drain_tick_ = wake_ = accept_pause_ = nullptr;
    http_ = nullptr;
    base_ = nullptr;
  });
}

int64_t HttpServer::NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bufferevent* HttpServer::OnAccept(event_base* base, void* self) {
  auto* s = static_cast<HttpServer*>(self);
  s->last_activity_ms_ = s->last_accept_ms_ = NowMs();
  // The options evhttp uses when it makes the bufferevent itself.
  return bufferevent_socket_new(base, -1, 0);
}

void HttpServer::OnAcceptError(evconnlistener* listener, void*) {
  // libevent passes the listener's own argument (evhttp's), not ours.
  HttpServer* s = loop_owner;
  if (s == nullptr) return;
  std::fprintf(stderr, "HTTP server: accept failed (%s); pausing new connections for %lld ms\n",
               std::strerror(errno), static_cast<long long>(kAcceptPauseMs));
  evconnlistener_disable(listener);
  const timeval pause = Timeval(kAcceptPauseMs);
  evtimer_add(s->accept_pause_, &pause);
}

void HttpServer::OnAcceptResume(int, short, void* self) {
  auto* s = static_cast<HttpServer*>(self);
  if (s->listener_ != nullptr) evconnlistener_enable(evhttp_bound_socket_get_listener(s->listener_));
}

void HttpServer::OnRequest(evhttp_request* req, void* self) {
  static_cast<HttpServer*>(self)->Dispatch(req);
}

void HttpServer::Dispatch(evhttp_request* req) {
  last_activity_ms_ = NowMs();
  evhttp_connection* conn = evhttp_request_get_connection(req);
  if (conn != nullptr) {
    auto [it, inserted] = connections_.try_emplace(conn);
    if (inserted) evhttp_connection_set_closecb(conn, &HttpServer::OnConnectionClosed, this);
    ++it->second.active;
    evhttp_request_set_on_complete_cb(req, &HttpServer::OnRequestComplete, this);
  }

  auto p = std::make_shared<Pending>();
  p->server = this;
  p->req = req;
  p->request.method = MethodName(evhttp_request_get_command(req));
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
  const char* path = uri != nullptr ? evhttp_uri_get_path(uri) : nullptr;
  p->request.path = (path != nullptr && *path != '\0') ? path : "/";
  evbuffer* in = evhttp_request_get_input_buffer(req);
  const size_t n = evbuffer_get_length(in);  // evhttp enforced max_body_bytes
  p->request.body.resize(n);
  if (n > 0) evbuffer_remove(in, p->request.body.data(), n);

  Pending* raw = p.get();
  pending_.emplace(raw, p);
  unanswered_.fetch_add(1);
  if (queued_.load() >= options_.max_queued_requests) {
    Reply(raw, ErrorResponse(503, "Too many requests waiting for a worker; retry later"));
    Finish(raw);
    return;
  }
  raw->timer = evtimer_new(base_, &HttpServer::OnTimeout, raw);
  const timeval deadline = Timeval(options_.timeout_ms);
  if (raw->timer != nullptr) evtimer_add(raw->timer, &deadline);

  queued_.fetch_add(1);
  workers_->Schedule([this, p] {
    try {
      p->response = handler_(p->request);
    } catch (...) {
      p->response = ErrorResponse(500, "Internal error while handling the request");
    }
    queued_.fetch_sub(1);
    std::lock_guard<std::mutex> l(mu_);
    if (!loop_running_) return;
    answered_.push_back(p);
    event_active(wake_, EV_READ, 0);
  });
}

void HttpServer::Reply(Pending* p, const HttpResponse& response) {
  evhttp_request* req = p->req;
  p->req = nullptr;
  unanswered_.fetch_sub(1);
  evkeyvalq* headers = evhttp_request_get_output_headers(req);
  evhttp_add_header(headers, "Content-Type", response.content_type.c_str());
  // While draining, each connection gets this one answer and is closed, so
  // keep-alive clients reconnect elsewhere instead of reusing a dying socket.
  if (draining_) evhttp_add_header(headers, "Connection", "close");
  evbuffer* out = evhttp_request_get_output_buffer(req);
  evbuffer_add(out, response.body.data(), response.body.size());
  // A null reason makes evhttp use the standard phrase for the code. If the
  // client already hung up, evhttp frees the request here.
  evhttp_send_reply(req, response.status, nullptr, nullptr);
}

void HttpServer::Finish(Pending* p) {
  if (p->timer != nullptr) event_free(p->timer);
  p->timer = nullptr;
  pending_.erase(p);  // may free p
}

void HttpServer::OnWake(int, short, void* self) {
  auto* s = static_cast<HttpServer*>(self);
  std::vector<std::shared_ptr<Pending>> answered;
  bool stop;
  {
    std::lock_guard<std::mutex> l(s->mu_);
    answered.swap(s->answered_);
    stop = s->stop_requested_;
  }
  for (auto& p : answered) {
    if (p->req != nullptr) s->Reply(p.get(), p->response);
    s->Finish(p.get());
  }
  if (stop && !s->draining_) s->StartDrain();
}

void HttpServer::OnTimeout(int, short, void* pending) {
  auto* p = static_cast<Pending*>(pending);
  if (p->req == nullptr) return;
  // The worker goes on; its answer is dropped when it comes (OnWake).
  p->server->Reply(p, ErrorResponse(504, "Request timed out after " + std::to_string(p->server->options_.timeout_ms) +
                                              " ms (--rest_api_timeout_in_ms)"));
}

void HttpServer::OnRequestComplete(evhttp_request* req, void* self) {
  auto* s = static_cast<HttpServer*>(self);
  evhttp_connection* conn = evhttp_request_get_connection(req);
  auto it = s->connections_.find(conn);
  if (it == s->connections_.end()) return;
  if (--it->second.active == 0 && s->draining_) s->ScheduleCloseIfIdle(conn);
}

void HttpServer::OnConnectionClosed(evhttp_connection* conn, void* self) {
  static_cast<HttpServer*>(self)->connections_.erase(conn);
}

void HttpServer::ScheduleCloseIfIdle(evhttp_connection* conn) {
  // Not from inside evhttp's own callback, which goes on using the
  // connection after it returns.
  const timeval now{0, 0};
  event_base_once(base_, -1, EV_TIMEOUT, &HttpServer::OnCloseIfIdle, new PendingClose{this, conn}, &now);
}

void HttpServer::OnCloseIfIdle(int, short, void* arg) {
  std::unique_ptr<PendingClose> pc(static_cast<PendingClose*>(arg));
  auto it = pc->server->connections_.find(pc->conn);
  if (it != pc->server->connections_.end() && it->second.active == 0) evhttp_connection_free(pc->conn);
}

void HttpServer::StartDrain() {
  draining_ = true;
  last_activity_ms_ = last_accept_ms_ = NowMs();
  drain_deadline_ms_ = last_activity_ms_ + options_.shutdown_grace_ms;
  if (listener_ != nullptr && !RefuseNewConnections(evhttp_bound_socket_get_fd(listener_))) CloseListener();
  CloseIdleConnections();
  drain_tick_ = event_new(base_, -1, EV_PERSIST, &HttpServer::OnDrainTick, this);
  const timeval tick = Timeval(kDrainTickMs);
  event_add(drain_tick_, &tick);
}

void HttpServer::CloseIdleConnections() {
  std::vector<evhttp_connection*> idle;
  for (const auto& [conn, c] : connections_) {
    if (c.active == 0) idle.push_back(conn);
  }
  for (evhttp_connection* conn : idle) evhttp_connection_free(conn);  // its closecb erases it
}

void HttpServer::CloseListener() {
  if (listener_ != nullptr) evhttp_del_accept_socket(http_, listener_);  // closes the socket
  listener_ = nullptr;
}

void HttpServer::OnDrainTick(int, short, void* self) {
  auto* s = static_cast<HttpServer*>(self);
  const int64_t now = NowMs();
  if (s->listener_ != nullptr && now - s->last_accept_ms_ >= kDrainQuietMs) s->CloseListener();
  const bool done = s->listener_ == nullptr && s->unanswered_.load() == 0 && s->connections_.empty() &&
                    now - s->last_activity_ms_ >= kDrainQuietMs;
  if (done || now >= s->drain_deadline_ms_) event_base_loopbreak(s->base_);
}

}  // namespace savedmodel
