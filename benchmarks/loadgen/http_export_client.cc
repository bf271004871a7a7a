// OTLP/HTTP protobuf export client on Boost.Beast, one keep-alive connection (export_client.h).

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "benchmarks/loadgen/export_client.h"
#include "benchmarks/loadgen/target.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "collector/gzip.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace spanvault::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using ExportResponse = opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse;

class HttpExportClient final : public ExportClient {
 public:
  HttpExportClient(const ExportClientOptions& options, tcp::endpoint endpoint)
      : options_(options), endpoint_(endpoint), stream_(io_) {}

  absl::Status Connect() {
    beast::error_code ec;
    stream_.expires_after(std::chrono::microseconds(absl::ToInt64Microseconds(options_.timeout)));
    stream_.connect(endpoint_, ec);
    if (ec)
      return absl::UnavailableError(absl::StrCat("connect ", options_.target, ": ", ec.message()));
    connected_ = true;
    return absl::OkStatus();
  }

  ExportOutcome Export(std::string body) override {
    if (!connected_) {
      absl::Status s = Connect();
      if (!s.ok()) return Transport(std::string(s.message()));
    }
    http::request<http::string_body> request{http::verb::post, "/v1/traces", 11};
    request.set(http::field::host, options_.target);
    request.set(http::field::content_type, "application/x-protobuf");
    request.set(http::field::user_agent, "spanvault-loadgen");
    request.keep_alive(true);
    if (options_.compression == Compression::kGzip) {
      request.set(http::field::content_encoding, "gzip");
      request.body() = Gzip(body, /*level=*/1);  // fast: the client must not be the limit
    } else {
      request.body() = std::move(body);
    }
    request.prepare_payload();

    beast::error_code ec;
    stream_.expires_after(std::chrono::microseconds(absl::ToInt64Microseconds(options_.timeout)));
    http::write(stream_, request, ec);
    if (ec) return Transport(ec.message());
    http::response<http::string_body> response;
    http::read(stream_, buffer_, response, ec);
    if (ec) return Transport(ec.message());
    if (!response.keep_alive()) Close();
    return ToOutcome(response);
  }

 private:
  ExportOutcome Transport(const std::string& what) {
    Close();
    ExportOutcome out;
    out.failure = absl::StrCat("transport: ", what);
    return out;
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    buffer_.clear();
    connected_ = false;
  }

  static ExportOutcome ToOutcome(const http::response<http::string_body>& response) {
    ExportOutcome out;
    int code = static_cast<int>(response.result_int());
    if (code != 200) {
      out.failure = absl::StrCat("http ", code);
      out.retry_later = code == 429 || code == 503;
      return out;
    }
    out.ok = true;
    ExportResponse message;
    if (message.ParseFromString(response.body())) {
      out.rejected_spans = message.partial_success().rejected_spans();
    }
    return out;
  }

  const ExportClientOptions options_;
  const tcp::endpoint endpoint_;
  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ExportClient>> NewHttpExportClient(
    const ExportClientOptions& options) {
  auto endpoint = TcpEndpoint(options.target);
  if (!endpoint.ok()) return endpoint.status();
  auto client = std::make_unique<HttpExportClient>(options, *endpoint);
  absl::Status s = client->Connect();
  if (!s.ok()) return s;
  return client;
}

}  // namespace spanvault::bench
