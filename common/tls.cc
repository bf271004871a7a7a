#include "common/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"

namespace spanvault {
namespace {

// The reason of OpenSSL's most recent error (never file contents), and clears the queue.
std::string OpenSslReason() {
  unsigned long code = ERR_peek_last_error();
  std::string reason = code != 0 && ERR_reason_error_string(code) != nullptr
                           ? ERR_reason_error_string(code)
                           : "unknown error";
  ERR_clear_error();
  return reason;
}

absl::Status Readable(const std::string& what, const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", what, " ", path));
  return absl::OkStatus();
}

absl::Status Invalid(const std::string& what, const std::string& path) {
  return absl::InvalidArgumentError(absl::StrCat(what, " ", path, ": ", OpenSslReason()));
}

}  // namespace

absl::Status CheckTlsFiles(const TlsFiles& files) {
  if (files.cert_file.empty() != files.key_file.empty()) {
    return absl::InvalidArgumentError(
        "TLS needs both a certificate (--tls-cert) and its private key (--tls-key)");
  }
  if (!files.enabled()) {
    if (files.mutual()) {
      return absl::InvalidArgumentError("a client CA (--tls-client-ca) needs --tls-cert too");
    }
    return absl::OkStatus();
  }
  for (const auto& [what, path] :
       {std::pair<std::string, std::string>{"TLS certificate", files.cert_file},
        {"TLS key", files.key_file},
        {"TLS client CA", files.client_ca_file}}) {
    if (path.empty()) continue;
    absl::Status readable = Readable(what, path);
    if (!readable.ok()) return readable;
  }
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_server_method()),
                                                        &SSL_CTX_free);
  if (ctx == nullptr) return absl::InternalError("OpenSSL cannot create a TLS context");
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), files.cert_file.c_str()) != 1) {
    return Invalid("TLS certificate", files.cert_file);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), files.key_file.c_str(), SSL_FILETYPE_PEM) != 1 &&
      ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH) {
    return Invalid("TLS key", files.key_file);
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        "TLS key ", files.key_file, " does not belong to the certificate ", files.cert_file));
  }
  if (files.mutual() &&
      SSL_CTX_load_verify_locations(ctx.get(), files.client_ca_file.c_str(), nullptr) != 1) {
    return Invalid("TLS client CA", files.client_ca_file);
  }
  return absl::OkStatus();
}

std::shared_ptr<grpc::ServerCredentials> GrpcServerCredentials(const TlsFiles& files,
                                                               absl::Duration reload_interval) {
  if (!files.enabled()) return grpc::InsecureServerCredentials();
  auto seconds =
      static_cast<unsigned int>(std::max<int64_t>(1, absl::ToInt64Seconds(reload_interval)));
  std::shared_ptr<grpc::experimental::FileWatcherCertificateProvider> provider;
  if (files.mutual()) {
    provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        files.key_file, files.cert_file, files.client_ca_file, seconds);
  } else {
    provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        files.key_file, files.cert_file, seconds);
  }
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (files.mutual()) {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace spanvault
