#pragma once

// How spanvaultctl connects: plaintext, TLS, or TLS with a client certificate.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"

namespace spanvault::cli {

struct ClientTls {
  std::string ca_file;    // --tls-ca: CA certificates to verify the server with (PEM)
  std::string cert_file;  // --tls-cert: client certificate chain for mutual TLS (PEM)
  std::string key_file;   // --tls-key: its private key (PEM)

  // TLS when a CA or a client certificate is given; otherwise plaintext.
  bool enabled() const { return !ca_file.empty() || !cert_file.empty(); }
};

// The channel credentials for `tls`: insecure when it is not enabled. Without --tls-ca the
// system's CAs verify the server. kInvalidArgument naming the flag and file when a file
// cannot be read, or when only one of --tls-cert and --tls-key is given.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(const ClientTls& tls);

}  // namespace spanvault::cli
