#pragma once

// TLS for spanvault's listeners: which files a listener uses, checking them, and gRPC server
// credentials that pick up replaced files by themselves.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/security/server_credentials.h"

namespace spanvault {

// The PEM files of one listener. No certificate means plaintext.
struct TlsFiles {
  // Server certificate chain (leaf first).
  std::string cert_file;
  // The certificate's private key.
  std::string key_file;
  // CA certificates that sign client certificates. Set: clients must present a certificate
  // signed by one of them (mutual TLS). Empty: no client certificate is asked for.
  std::string client_ca_file;

  bool enabled() const { return !cert_file.empty(); }
  bool mutual() const { return !client_ca_file.empty(); }
};

// Loads the files with OpenSSL and checks that the certificate chain parses, the key parses
// and belongs to the certificate, and the client CA file holds at least one certificate.
// kInvalidArgument naming the file and the problem (a certificate without a key, or the
// reverse, too). Key material never appears in a message.
absl::Status CheckTlsFiles(const TlsFiles& files);

// Credentials for a gRPC listener: insecure when `files` is not enabled; otherwise TLS 1.2 or
// newer from the files, requiring and verifying a client certificate when `files.mutual()`.
// gRPC re-reads the files every `reload_interval`, so replaced files take effect for new
// connections without a restart (replace them atomically: write, then rename). Check the
// files with CheckTlsFiles first: gRPC itself only fails handshakes on bad files.
std::shared_ptr<grpc::ServerCredentials> GrpcServerCredentials(const TlsFiles& files,
                                                               absl::Duration reload_interval);

}  // namespace spanvault
