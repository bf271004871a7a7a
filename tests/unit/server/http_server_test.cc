#include "server/http_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/metrics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace spanvault {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using ::testing::HasSubstr;

// Echoes method, path, query, body size and one header.
class EchoHandler final : public HttpHandler {
 public:
  void Handle(HttpRequest r, HttpRespond respond) override {
    std::move(respond)(HttpResponse::Text(200, r.method + " " + r.path + " ?" + r.query + " " +
                                                   std::to_string(r.body.size()) + " " +
                                                   std::string(r.Header("x-test"))));
  }
};

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.address = "127.0.0.1:0";
    options.max_body_bytes = 1000;
    server_ = std::make_unique<HttpServer>(options, handler_);
    SV_ASSERT_OK(server_->Start());
    std::string host;
    SV_ASSERT_OK(SplitHostPort(server_->bound_address(), &host, &port_));
    ASSERT_NE(port_, 0);
    stream_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  }
  void TearDown() override { server_->Shutdown(absl::Seconds(1)); }

  http::response<http::string_body> RoundTrip(http::request<http::string_body>& req) {
    req.set(http::field::host, "localhost");
    http::write(stream_, req);
    http::response<http::string_body> res;
    beast::flat_buffer buffer;
    http::read(stream_, buffer, res);
    return res;
  }

  EchoHandler handler_;
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
  asio::io_context ioc_;
  beast::tcp_stream stream_{ioc_};
};

TEST_F(HttpServerTest, ServesSeveralRequestsOnOneConnection) {
  for (int i = 0; i < 3; ++i) {
    http::request<http::string_body> req(http::verb::post, "/v1/traces?a=1", 11);
    req.set("X-Test", "hello");
    req.body() = "abc";
    req.prepare_payload();
    auto res = RoundTrip(req);
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.body(), "POST /v1/traces ?a=1 3 hello");
    EXPECT_TRUE(res.keep_alive());
  }
}

TEST_F(HttpServerTest, AnswersHeadAsGetWithoutTheBody) {
  http::request<http::string_body> head(http::verb::head, "/orders?x=1", 11);
  head.set(http::field::host, "localhost");
  http::write(stream_, head);
  http::response_parser<http::string_body> parser;
  parser.skip(true);  // a HEAD answer has no body, whatever its Content-Length
  beast::flat_buffer buffer;
  http::read(stream_, buffer, parser);
  auto res = parser.release();
  EXPECT_EQ(res.result_int(), 200);
  const std::string get_body = "GET /orders ?x=1 0 ";
  EXPECT_EQ(res[http::field::content_length], std::to_string(get_body.size()));
  EXPECT_TRUE(res.keep_alive());
  // No body bytes followed the header: the next answer on the connection parses whole.
  http::request<http::string_body> get(http::verb::get, "/orders?x=1", 11);
  get.set(http::field::host, "localhost");
  http::write(stream_, get);
  http::response<http::string_body> next;
  http::read(stream_, buffer, next);
  EXPECT_EQ(next.result_int(), 200);
  EXPECT_EQ(next.body(), get_body);
}

TEST_F(HttpServerTest, AcceptsChunkedBodiesWithoutContentLength) {
  http::request<http::string_body> req(http::verb::post, "/x", 11);
  req.body() = std::string(600, 'z');
  req.chunked(true);
  auto res = RoundTrip(req);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "POST /x ? 600 ");
}

TEST_F(HttpServerTest, RejectsOversizedBodiesWith413) {
  http::request<http::string_body> req(http::verb::post, "/x", 11);
  req.body() = std::string(1001, 'z');
  req.prepare_payload();
  auto res = RoundTrip(req);
  EXPECT_EQ(res.result_int(), 413);
  EXPECT_THAT(res.body(), HasSubstr("exceeds the limit of 1000 bytes"));
}

TEST_F(HttpServerTest, RejectsOversizedChunkedBodiesWith413) {
  http::request<http::string_body> req(http::verb::post, "/x", 11);
  req.body() = std::string(5000, 'z');
  req.chunked(true);
  auto res = RoundTrip(req);
  EXPECT_EQ(res.result_int(), 413);
}

TEST_F(HttpServerTest, AnswersGarbageWith400) {
  asio::write(stream_, asio::buffer(std::string("NOT HTTP AT ALL\r\n\r\n")));
  http::response<http::string_body> res;
  beast::flat_buffer buffer;
  http::read(stream_, buffer, res);
  EXPECT_EQ(res.result_int(), 400);
  EXPECT_THAT(res.body(), HasSubstr("malformed HTTP request"));
}

TEST_F(HttpServerTest, SendsContinueBeforeReadingTheBody) {
  http::request<http::string_body> req(http::verb::post, "/x", 11);
  req.set(http::field::host, "localhost");
  req.set(http::field::expect, "100-continue");
  req.body() = "12345";
  req.prepare_payload();
  http::request_serializer<http::string_body> sr(req);
  http::write_header(stream_, sr);
  http::response<http::empty_body> cont;
  beast::flat_buffer buffer;
  http::response_parser<http::empty_body> cont_parser;
  http::read_header(stream_, buffer, cont_parser);
  EXPECT_EQ(cont_parser.get().result_int(), 100);
  http::write(stream_, sr);
  http::response<http::string_body> res;
  http::read(stream_, buffer, res);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "POST /x ? 5 ");
}

// A server with short header and body timeouts and small connection caps, counting on its own
// metrics registry.
class HttpServerLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.address = "127.0.0.1:0";
    options.name = "test";
    options.limits.idle_timeout = absl::Seconds(60);
    options.limits.header_timeout = absl::Milliseconds(200);
    options.limits.body_timeout = absl::Milliseconds(200);
    options.limits.max_connections = 3;
    options.limits.max_connections_per_client = 2;
    options.metrics = &metrics_;
    server_ = std::make_unique<HttpServer>(options, handler_);
    SV_ASSERT_OK(server_->Start());
    std::string host;
    SV_ASSERT_OK(SplitHostPort(server_->bound_address(), &host, &port_));
  }
  void TearDown() override { server_->Shutdown(absl::Seconds(1)); }

  // A connection from `source` (any 127.0.0.0/8 address works on Linux loopback).
  std::unique_ptr<tcp::socket> Connect(const char* source = "127.0.0.1") {
    auto socket = std::make_unique<tcp::socket>(ioc_);
    socket->open(tcp::v4());
    socket->bind(tcp::endpoint(asio::ip::make_address(source), 0));
    socket->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    return socket;
  }

  static http::response<http::string_body> Get(tcp::socket& socket) {
    http::request<http::string_body> req(http::verb::get, "/x", 11);
    req.set(http::field::host, "localhost");
    http::write(socket, req);
    return ReadResponse(socket);
  }

  static http::response<http::string_body> ReadResponse(tcp::socket& socket) {
    http::response<http::string_body> res;
    beast::flat_buffer buffer;
    http::read(socket, buffer, res);
    return res;
  }

  // Sends `bytes` one at a time until the server closes the connection; false if it never
  // does within `deadline`.
  static bool TrickleUntilClosed(tcp::socket& socket, const std::string& bytes,
                                 absl::Duration deadline) {
    absl::Time end = absl::Now() + deadline;
    size_t i = 0;
    while (absl::Now() < end) {
      beast::error_code ec;
      if (i < bytes.size()) asio::write(socket, asio::buffer(&bytes[i++], 1), ec);
      if (ec) return true;
      if (socket.available(ec) > 0 || ec) {
        char c;
        socket.read_some(asio::buffer(&c, 1), ec);
        if (ec) return true;
      }
      int ready = 0;
      pollfd fd{socket.native_handle(), POLLIN | POLLRDHUP, 0};
      ready = poll(&fd, 1, 20);
      if (ready > 0 && (fd.revents & (POLLRDHUP | POLLHUP | POLLERR))) return true;
    }
    return false;
  }

  double Dropped(const std::string& reason) {
    std::string needle = absl::StrCat(
        "spanvault_http_connections_dropped_total{listener=\"test\",reason=\"", reason, "\"} ");
    std::string text = registry_.Render();
    size_t at = text.find(needle);
    if (at == std::string::npos) return 0;
    return std::stod(text.substr(at + needle.size()));
  }

  // The count of `reason` once it reaches `n` (the server counts after the client sees the
  // close), or what it is at the deadline.
  double DroppedReaching(const std::string& reason, double n) {
    absl::Time end = absl::Now() + absl::Seconds(30);
    while (Dropped(reason) < n && absl::Now() < end) absl::SleepFor(absl::Milliseconds(5));
    return Dropped(reason);
  }

  EchoHandler handler_;
  MetricsRegistry registry_;
  HttpConnectionMetrics metrics_{registry_};
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
  asio::io_context ioc_;
};

TEST_F(HttpServerLimitsTest, CutsOffAHeaderSentByteByByteButNotAnIdleConnection) {
  auto idle = Connect();
  auto slow = Connect();
  std::string header =
      "GET /x HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + std::string(4000, 'p') + "\r\n\r\n";
  EXPECT_TRUE(TrickleUntilClosed(*slow, header, absl::Seconds(30)));
  EXPECT_EQ(DroppedReaching("header_timeout", 1), 1);
  // The idle connection waited as long, but had not begun a request: it is served.
  EXPECT_EQ(Get(*idle).result_int(), 200);
}

TEST_F(HttpServerLimitsTest, CutsOffABodySentByteByByte) {
  auto slow = Connect();
  std::string start = "POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000\r\n\r\n";
  asio::write(*slow, asio::buffer(start));
  EXPECT_TRUE(TrickleUntilClosed(*slow, std::string(5000, 'b'), absl::Seconds(30)));
  EXPECT_EQ(DroppedReaching("body_timeout", 1), 1);
}

TEST_F(HttpServerLimitsTest, RefusesConnectionsOverTheCapsWith503UntilOneCloses) {
  auto a = Connect();
  auto b = Connect();
  ASSERT_EQ(Get(*a).result_int(), 200);
  ASSERT_EQ(Get(*b).result_int(), 200);
  // A third from the same address: over max_connections_per_client (2).
  auto c = Connect();
  auto refused = ReadResponse(*c);
  EXPECT_EQ(refused.result_int(), 503);
  EXPECT_EQ(refused[http::field::retry_after], "1");
  EXPECT_THAT(refused.body(), HasSubstr("too many connections from your address (this "
                                        "listener's limit is 2)"));
  EXPECT_EQ(Dropped("max_connections_per_client"), 1);
  // Another address still gets one, the last under max_connections (3); a fourth does not.
  auto d = Connect("127.0.0.2");
  ASSERT_EQ(Get(*d).result_int(), 200);
  auto e = Connect("127.0.0.3");
  refused = ReadResponse(*e);
  EXPECT_EQ(refused.result_int(), 503);
  EXPECT_THAT(refused.body(), HasSubstr("too many connections (this listener's limit is 3)"));
  EXPECT_EQ(Dropped("max_connections"), 1);
  EXPECT_THAT(registry_.Render(), HasSubstr("spanvault_http_connections{listener=\"test\"} 3"));
  // Once one closes, its slot is free again (the server notices the close on its own time).
  a->close();
  absl::Time end = absl::Now() + absl::Seconds(30);
  int status = 0;
  while (absl::Now() < end && status != 200) {
    auto f = Connect("127.0.0.3");
    try {
      status = Get(*f).result_int();
    } catch (const boost::system::system_error&) {
      status = 0;  // refused and closed before the request was written
    }
  }
  EXPECT_EQ(status, 200);
}

// Takes every file descriptor the soft limit leaves but `spare`; gives them back and the limit
// with it on destruction.
class FileDescriptorsUsedUp {
 public:
  explicit FileDescriptorsUsedUp(int spare) {
    getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit low = saved_;
    low.rlim_cur = std::min<rlim_t>(saved_.rlim_cur, 4096);
    setrlimit(RLIMIT_NOFILE, &low);
    for (int fd = open("/dev/null", O_RDONLY); fd >= 0; fd = open("/dev/null", O_RDONLY)) {
      taken_.push_back(fd);
    }
    for (int i = 0; i < spare && !taken_.empty(); ++i) {
      close(taken_.back());
      taken_.pop_back();
    }
  }
  ~FileDescriptorsUsedUp() {
    for (int fd : taken_) close(fd);
    setrlimit(RLIMIT_NOFILE, &saved_);
  }

 private:
  rlimit saved_{};
  std::vector<int> taken_;
};

TEST_F(HttpServerLimitsTest, KeepsAcceptingOnceFileDescriptorsAreBack) {
  tcp::socket client(ioc_);
  client.open(tcp::v4());  // before: connecting needs no new descriptor, accepting does
  {
    FileDescriptorsUsedUp used_up(0);
    client.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    EXPECT_GE(DroppedReaching("accept_error", 1), 1);
  }
  // The listener retries by itself: the connection waiting in the backlog is served.
  EXPECT_EQ(Get(client).result_int(), 200);
}

// Answers /slow only once released; anything else at once.
class SlowHandler final : public HttpHandler {
 public:
  void Handle(HttpRequest r, HttpRespond respond) override {
    if (r.path == "/slow") {
      slow_started_.Notify();
      release_.WaitForNotification();
    }
    std::move(respond)(HttpResponse::Text(200, r.path));
  }
  absl::Notification slow_started_;
  absl::Notification release_;
};

// With handler threads, a request that takes long holds up only itself: another connection is
// answered meanwhile, though the event loop has a single thread.
TEST(HttpServerHandlerThreadsTest, ASlowRequestDoesNotHoldUpOthers) {
  SlowHandler handler;
  HttpServerOptions options;
  options.address = "127.0.0.1:0";
  options.threads = 1;
  options.handler_threads = 2;
  HttpServer server(options, handler);
  SV_ASSERT_OK(server.Start());
  std::string host;
  uint16_t port = 0;
  SV_ASSERT_OK(SplitHostPort(server.bound_address(), &host, &port));
  asio::io_context ioc;
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  beast::tcp_stream slow(ioc), fast(ioc);
  slow.connect(endpoint);
  fast.connect(endpoint);
  http::request<http::string_body> slow_req(http::verb::get, "/slow", 11);
  slow_req.set(http::field::host, "localhost");
  http::write(slow, slow_req);
  ASSERT_TRUE(handler.slow_started_.WaitForNotificationWithTimeout(absl::Seconds(20)));
  // Answered while /slow still blocks its handler thread (a bounded wait: inline handlers
  // would never answer it).
  http::request<http::string_body> fast_req(http::verb::get, "/fast", 11);
  fast_req.set(http::field::host, "localhost");
  http::write(fast, fast_req);
  http::response<http::string_body> fast_res;
  beast::flat_buffer buffer;
  beast::error_code ec;
  fast.expires_after(std::chrono::seconds(20));
  http::async_read(fast, buffer, fast_res, [&](beast::error_code e, size_t) { ec = e; });
  ioc.run();  // until the answer or the timeout
  const bool answered_first = !handler.release_.HasBeenNotified();
  handler.release_.Notify();
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(fast_res.body(), "/fast");
  EXPECT_TRUE(answered_first);
  http::response<http::string_body> slow_res;
  beast::flat_buffer slow_buffer;
  http::read(slow, slow_buffer, slow_res);
  EXPECT_EQ(slow_res.body(), "/slow");
  server.Shutdown(absl::Seconds(1));
}

TEST(SplitHostPortTest, ParsesForms) {
  std::string host;
  uint16_t port = 0;
  SV_ASSERT_OK(SplitHostPort("0.0.0.0:4317", &host, &port));
  EXPECT_EQ(host, "0.0.0.0");
  EXPECT_EQ(port, 4317);
  SV_ASSERT_OK(SplitHostPort("[::1]:0", &host, &port));
  EXPECT_EQ(host, "::1");
  SV_ASSERT_OK(SplitHostPort(":9", &host, &port));
  EXPECT_EQ(host, "0.0.0.0");
  EXPECT_FALSE(SplitHostPort("nohost", &host, &port).ok());
  EXPECT_FALSE(SplitHostPort("h:99999", &host, &port).ok());
}

}  // namespace
}  // namespace spanvault
