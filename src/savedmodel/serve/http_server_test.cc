#include "savedmodel/serve/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace savedmodel {
namespace {

// A blocking HTTP/1.1 client over one socket, enough to see exactly what the
// server writes (status line, headers, Content-Length body).
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    connect_errno_ = connected_ ? 0 : errno;
  }
  ~RawClient() { close(fd_); }
  bool connected() const { return connected_; }
  int connect_errno() const { return connect_errno_; }

  void Send(const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      const ssize_t n = send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }

  struct Response {
    int status = 0;  // 0: the connection closed before a full response
    std::string headers;
    std::string body;
  };

  Response Read() {
    Response r;
    size_t header_end;
    while ((header_end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return r;
    }
    r.headers = buf_.substr(0, header_end + 2);
    buf_.erase(0, header_end + 4);
    size_t length = 0;
    const size_t cl = Lower(r.headers).find("content-length:");
    if (cl != std::string::npos) length = std::stoul(r.headers.substr(cl + 15));
    while (buf_.size() < length) {
      if (!Fill()) return r;
    }
    r.body = buf_.substr(0, length);
    buf_.erase(0, length);
    r.status = std::stoi(r.headers.substr(9, 3));
    return r;
  }

  Response Exchange(const std::string& method, const std::string& target, const std::string& body = "") {
    Send(method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body);
    return Read();
  }

  // True when the server closed the connection (reads EOF).
  bool ClosedByPeer() {
    char c;
    return recv(fd_, &c, 1, 0) == 0;
  }

 private:
  static std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  bool Fill() {
    char tmp[4096];
    const ssize_t n = recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  int fd_;
  bool connected_;
  int connect_errno_;
  std::string buf_;
};

HttpResponse Echo(const HttpRequest& r) {
  return HttpResponse{200, "text/plain", r.method + " " + r.path + " " + r.body};
}

// Lets a test hold handlers inside the server until it says go.
class Gate {
 public:
  void Wait() {
    std::unique_lock<std::mutex> l(mu_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait(l, [this] { return open_; });
  }
  void WaitForWaiters(int n) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return waiting_ >= n; });
  }
  void Open() {
    std::lock_guard<std::mutex> l(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int waiting_ = 0;
  bool open_ = false;
};

std::unique_ptr<HttpServer> StartOrDie(HttpServerOptions options, HttpHandler handler) {
  options.address = "127.0.0.1";
  auto server = HttpServer::Start(options, std::move(handler));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(*server) : nullptr;
}

TEST(HttpServerTest, PassesMethodPathAndBodyAndReturnsTheHandlersAnswer) {
  auto server = StartOrDie({}, Echo);
  ASSERT_NE(server, nullptr);
  RawClient c(server->port());
  ASSERT_TRUE(c.connected());
  auto r = c.Exchange("POST", "/v1/models/half:predict?x=1", "{\"instances\": [1.0]}");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.headers.find("Content-Type: text/plain"), std::string::npos) << r.headers;
  EXPECT_EQ(r.body, "POST /v1/models/half:predict {\"instances\": [1.0]}");
}

TEST(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  auto server = StartOrDie({}, Echo);
  ASSERT_NE(server, nullptr);
  RawClient c(server->port());
  for (int i = 0; i < 5; ++i) {
    auto r = c.Exchange("GET", "/v1/models/m" + std::to_string(i));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "GET /v1/models/m" + std::to_string(i) + " ");
  }
  // Pipelined: both requests written before either answer is read.
  c.Send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.Read().body, "GET /a ");
  EXPECT_EQ(c.Read().body, "GET /b ");
}

TEST(HttpServerTest, StatusCodesAndErrorsPassThrough) {
  auto server = StartOrDie({}, [](const HttpRequest& r) -> HttpResponse {
    if (r.path == "/throw") throw std::runtime_error("boom");
    return HttpResponse{404, "application/json", "{ \"error\": \"nope\" }"};
  });
  ASSERT_NE(server, nullptr);
  RawClient c(server->port());
  auto r = c.Exchange("GET", "/missing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "{ \"error\": \"nope\" }");
  EXPECT_NE(r.headers.find("Content-Type: application/json"), std::string::npos);
  r = c.Exchange("GET", "/throw");
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("error"), std::string::npos);
}

TEST(HttpServerTest, OversizedBodyIsRefusedWith413) {
  HttpServerOptions o;
  o.max_body_bytes = 1024;
  std::atomic<int> calls{0};
  auto server = StartOrDie(o, [&](const HttpRequest& r) {
    ++calls;
    return Echo(r);
  });
  ASSERT_NE(server, nullptr);
  RawClient c(server->port());
  auto r = c.Exchange("POST", "/big", std::string(2048, 'x'));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(calls.load(), 0);
  RawClient ok(server->port());
  EXPECT_EQ(ok.Exchange("POST", "/small", std::string(1024, 'x')).status, 200);
}

TEST(HttpServerTest, MalformedRequestGets400AndTheServerGoesOn) {
  auto server = StartOrDie({}, Echo);
  ASSERT_NE(server, nullptr);
  {
    RawClient c(server->port());
    c.Send("THIS IS NOT HTTP\r\n\r\n");
    EXPECT_EQ(c.Read().status, 400);
  }
  {
    RawClient c(server->port());
    c.Send("POST /x HTTP/1.1\r\nContent-Length: -5\r\n\r\n");
    const auto r = c.Read();
    EXPECT_TRUE(r.status == 400 || r.status == 0) << r.status;
  }
  RawClient c(server->port());
  EXPECT_EQ(c.Exchange("GET", "/fine").status, 200);
}

TEST(HttpServerTest, HandlerPastTheTimeoutGets504AndOthersAreServed) {
  HttpServerOptions o;
  o.timeout_ms = 500;  // long enough for the fast requests on a loaded (or sanitized) machine
  o.num_threads = 2;
  Gate gate;
  auto server = StartOrDie(o, [&](const HttpRequest& r) {
    if (r.path == "/slow") gate.Wait();
    return Echo(r);
  });
  ASSERT_NE(server, nullptr);
  RawClient slow(server->port());
  auto r = slow.Exchange("GET", "/slow");  // returns when the deadline fires; the handler is still held
  EXPECT_EQ(r.status, 504);
  EXPECT_NE(r.body.find("timed out"), std::string::npos) << r.body;
  RawClient fast(server->port());
  EXPECT_EQ(fast.Exchange("GET", "/fast").status, 200);
  gate.Open();
  // The slow handler's late answer is dropped; the connection stays usable.
  EXPECT_EQ(slow.Exchange("GET", "/again").body, "GET /again ");
}

TEST(HttpServerTest, RequestsBeyondTheQueueBoundGet503AtOnce) {
  HttpServerOptions o;
  o.num_threads = 1;
  o.max_queued_requests = 1;
  Gate gate;
  auto server = StartOrDie(o, [&](const HttpRequest& r) {
    if (r.path == "/held") gate.Wait();
    return Echo(r);
  });
  ASSERT_NE(server, nullptr);
  RawClient held(server->port());
  held.Send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n");
  gate.WaitForWaiters(1);
  RawClient extra(server->port());
  auto r = extra.Exchange("GET", "/extra");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("error"), std::string::npos);
  gate.Open();
  EXPECT_EQ(held.Read().status, 200);
  EXPECT_EQ(extra.Exchange("GET", "/extra").status, 200);
}

TEST(HttpServerTest, ManyConcurrentKeepAliveClientsAllGetTheirOwnAnswers) {
  HttpServerOptions o;
  o.num_threads = 4;
  auto server = StartOrDie(o, Echo);
  ASSERT_NE(server, nullptr);
  constexpr int kClients = 64, kRequests = 20;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      RawClient c(server->port());
      for (int i = 0; i < kRequests; ++i) {
        const std::string body = std::to_string(t) + "/" + std::to_string(i);
        auto r = c.Exchange("POST", "/p", body);
        if (r.status == 200 && r.body == "POST /p " + body) ++good;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), kClients * kRequests);
}

TEST(HttpServerTest, ShutdownRefusesNewConnectionsAndFinishesInFlightRequests) {
  HttpServerOptions o;
  o.num_threads = 2;
  Gate gate;
  auto server = StartOrDie(o, [&](const HttpRequest& r) {
    if (r.path == "/held") gate.Wait();
    return Echo(r);
  });
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  RawClient held(port);
  held.Send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n");
  gate.WaitForWaiters(1);
  RawClient idle(port);  // keep-alive connection with nothing in flight
  EXPECT_EQ(idle.Exchange("GET", "/idle").status, 200);

  auto stopped = std::async(std::launch::async, [&] { server->Shutdown(); });
  // The listener goes first: wait (bounded by the test's own timeout) until
  // a new connection is refused, while the held request is still running.
  for (;;) {
    RawClient probe(port);
    if (!probe.connected()) {
      EXPECT_EQ(probe.connect_errno(), ECONNREFUSED);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(idle.ClosedByPeer());
  EXPECT_EQ(stopped.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  gate.Open();
  auto r = held.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "GET /held ");
  EXPECT_NE(r.headers.find("Connection: close"), std::string::npos) << r.headers;
  stopped.get();
  EXPECT_EQ(server->in_flight(), 0);
}

TEST(HttpServerTest, RefusesBadOptions) {
  HttpServerOptions o;
  o.num_threads = 1 << 30;
  EXPECT_EQ(HttpServer::Start(o, Echo).status().code(), StatusCode::kInvalidArgument);
  o.num_threads = 1;
  o.address = "not an address";
  EXPECT_EQ(HttpServer::Start(o, Echo).status().code(), StatusCode::kInvalidArgument);
  o.address = "127.0.0.1";
  o.port = 70000;
  EXPECT_EQ(HttpServer::Start(o, Echo).status().code(), StatusCode::kInvalidArgument);
}

TEST(HttpServerTest, PortInUseIsUnavailable) {
  auto first = StartOrDie({}, Echo);
  ASSERT_NE(first, nullptr);
  HttpServerOptions o;
  o.address = "127.0.0.1";
  o.port = first->port();
  auto second = HttpServer::Start(o, Echo);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find(std::to_string(o.port)), std::string::npos);
}

}  // namespace
}  // namespace savedmodel
