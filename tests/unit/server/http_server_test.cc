#include "server/http_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

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
    std::move(respond)(HttpResponse::Text(
        200, r.method + " " + r.path + " ?" + r.query + " " + std::to_string(r.body.size()) +
                 " " + std::string(r.Header("x-test"))));
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
