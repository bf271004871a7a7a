#pragma once

// HttpsGet: a small, bounded HTTPS GET for spanvault's own outgoing calls (an OIDC issuer's
// discovery document and keys). Not a general HTTP client: https only, no redirects, no
// cookies, a deadline and a body limit.

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace spanvault {

struct HttpsGetOptions {
  // PEM file of the CAs that may sign the server's certificate; empty: the system's CAs.
  std::string ca_file;
  absl::Duration timeout = absl::Seconds(5);  // for the whole exchange
  size_t max_body_bytes = 1 << 20;
};

// The body of a 200 answer to GET `url` (https://host[:port]/path). The server's certificate
// must chain to a trusted CA and name the host. kUnavailable naming the URL for a connection,
// TLS or timeout failure and for any other status; kInvalidArgument for a URL that is not
// https.
absl::StatusOr<std::string> HttpsGet(const std::string& url, const HttpsGetOptions& options);

}  // namespace spanvault
