#include "server/https_get.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace spanvault {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;

struct Url {
  std::string host;
  std::string port = "443";
  std::string target = "/";
};

absl::StatusOr<Url> ParseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", std::string(url), "\" is not an https URL"));
  }
  std::string_view rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  Url parsed;
  if (slash != std::string_view::npos) parsed.target = std::string(rest.substr(slash));
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    parsed.port = std::string(authority.substr(colon + 1));
    authority = authority.substr(0, colon);
  }
  if (authority.size() > 2 && authority.front() == '[' && authority.back() == ']') {
    authority = authority.substr(1, authority.size() - 2);
  }
  uint32_t port = 0;
  if (authority.empty() || !absl::SimpleAtoi(parsed.port, &port) || port == 0 || port > 65535 ||
      authority.find('@') != std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", std::string(url), "\" is not a usable URL"));
  }
  parsed.host = std::string(authority);
  return parsed;
}

absl::Status Fail(const std::string& url, std::string_view what) {
  return absl::UnavailableError(absl::StrCat("GET ", url, ": ", std::string(what)));
}

}  // namespace

absl::StatusOr<std::string> HttpsGet(const std::string& url, const HttpsGetOptions& options) {
  absl::StatusOr<Url> parsed = ParseUrl(url);
  if (!parsed.ok()) return parsed.status();
  ssl::context context(ssl::context::tls_client);
  context.set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                      ssl::context::no_tlsv1_1);
  beast::error_code ec;
  if (options.ca_file.empty()) {
    context.set_default_verify_paths(ec);
  } else {
    context.load_verify_file(options.ca_file, ec);
  }
  if (ec) return Fail(url, absl::StrCat("cannot load the CA certificates: ", ec.message()));
  context.set_verify_mode(ssl::verify_peer);
  context.set_verify_callback(ssl::host_name_verification(parsed->host));

  asio::io_context io;
  beast::ssl_stream<beast::tcp_stream> stream(io, context);
  if (!SSL_set_tlsext_host_name(stream.native_handle(), parsed->host.c_str())) {
    return Fail(url, "cannot set the TLS server name");
  }
  const auto deadline = std::chrono::microseconds(absl::ToInt64Microseconds(options.timeout));
  beast::get_lowest_layer(stream).expires_after(deadline);
  asio::ip::tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(parsed->host, parsed->port, ec);
  if (ec) return Fail(url, absl::StrCat("cannot resolve the host: ", ec.message()));
  // Asynchronous calls run to completion below, so the stream's deadline applies to each.
  http::request<http::empty_body> request(http::verb::get, parsed->target, 11);
  request.set(http::field::host, parsed->host);
  request.set(http::field::user_agent, "spanvault");
  request.set(http::field::accept, "application/json");
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> response;
  response.body_limit(options.max_body_bytes);
  beast::get_lowest_layer(stream).async_connect(endpoints, [&](beast::error_code e, auto&&) {
    if (e) {
      ec = e;
      return;
    }
    stream.async_handshake(ssl::stream_base::client, [&](beast::error_code e) {
      if (e) {
        ec = e;
        return;
      }
      http::async_write(stream, request, [&](beast::error_code e, size_t) {
        if (e) {
          ec = e;
          return;
        }
        http::async_read(stream, buffer, response, [&](beast::error_code e, size_t) { ec = e; });
      });
    });
  });
  io.run();
  if (ec) return Fail(url, ec.message());
  const auto& answer = response.get();
  if (answer.result() != http::status::ok) {
    return Fail(url, absl::StrCat("status ", answer.result_int()));
  }
  return answer.body();
}

}  // namespace spanvault
