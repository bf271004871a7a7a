// The benchmark's Jaeger query API client on Boost.Beast (query_client.h).

#include "benchmarks/querygen/query_client.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "benchmarks/loadgen/target.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"

namespace spanvault::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class BeastQueryClient final : public QueryClient {
 public:
  BeastQueryClient(const QueryClientOptions& options, tcp::endpoint endpoint)
      : options_(options), endpoint_(endpoint), stream_(io_) {}

  absl::Status Connect() {
    beast::error_code ec;
    stream_.expires_after(Timeout());
    stream_.connect(endpoint_, ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat("connect ", options_.target, ": ", ec.message()));
    }
    connected_ = true;
    return absl::OkStatus();
  }

  QueryAnswer Get(const std::string& path_and_query) override {
    if (!connected_) {
      absl::Status s = Connect();
      if (!s.ok()) return Transport(std::string(s.message()));
    }
    http::request<http::empty_body> request{http::verb::get, path_and_query, 11};
    request.set(http::field::host, options_.target);
    request.set(http::field::user_agent, "spanvault-querygen");
    request.set(http::field::accept, "application/json");
    if (!options_.authorization.empty()) {
      request.set(http::field::authorization, options_.authorization);
    }
    request.keep_alive(true);
    beast::error_code ec;
    stream_.expires_after(Timeout());
    http::write(stream_, request, ec);
    if (ec) return Transport(ec.message());
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 30);  // a search may answer many megabytes of JSON
    http::read(stream_, buffer_, parser, ec);
    if (ec) return Transport(ec.message());
    http::response<http::string_body> response = parser.release();
    if (!response.keep_alive()) Close();
    return {static_cast<int>(response.result_int()), std::move(response.body()), ""};
  }

 private:
  std::chrono::microseconds Timeout() const {
    return std::chrono::microseconds(absl::ToInt64Microseconds(options_.timeout));
  }

  QueryAnswer Transport(const std::string& what) {
    Close();
    return {0, "", what};
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    buffer_.clear();
    connected_ = false;
  }

  const QueryClientOptions options_;
  const tcp::endpoint endpoint_;
  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<QueryClient>> NewQueryClient(const QueryClientOptions& options) {
  auto endpoint = TcpEndpoint(options.target);
  if (!endpoint.ok()) return endpoint.status();
  auto client = std::make_unique<BeastQueryClient>(options, *endpoint);
  absl::Status s = client->Connect();
  if (!s.ok()) return s;
  return client;
}

}  // namespace spanvault::bench
