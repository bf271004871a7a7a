#pragma once

// Plain HTTP request/response values and the handler interface that the OTLP/HTTP receiver,
// the Jaeger API and the admin endpoints implement. No HTTP library appears here: the server in
// server/ adapts Boost.Beast to these types.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"

namespace spanvault {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // percent-decoding is left to the handler
  std::string query;   // the part after '?', without it
  std::vector<std::pair<std::string, std::string>> headers;  // names in lowercase
  std::string body;  // already de-chunked; never larger than the server's body limit
  std::string remote_address;
  // The verified client certificate's names over mutual TLS (subject DN in RFC 2253 form,
  // "CN=<common name>", subject alternative names); empty otherwise.
  std::vector<std::string> tls_peer_names;

  // The first value of header `name` (lowercase), or "" when absent.
  std::string_view Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first value of header `name` (compared case-insensitively), or "" when absent.
  std::string_view Header(std::string_view name) const;

  static HttpResponse Text(int status, std::string body);
  static HttpResponse Json(int status, std::string body);
  HttpResponse& AddHeader(std::string name, std::string value);
};

// Called exactly once with the response, from any thread.
using HttpRespond = absl::AnyInvocable<void(HttpResponse) &&>;

// Serves requests. Implementations are thread-safe: the server calls Handle concurrently.
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // Answers `request` by calling `respond` exactly once, now or later from another thread.
  virtual void Handle(HttpRequest request, HttpRespond respond) = 0;
};

// Decodes %XX escapes (and '+' as space when `plus_is_space`). Invalid escapes are kept as is.
std::string PercentDecode(std::string_view in, bool plus_is_space);

// Splits a query string into decoded (name, value) pairs, in order.
std::vector<std::pair<std::string, std::string>> ParseQueryString(std::string_view query);

}  // namespace spanvault
