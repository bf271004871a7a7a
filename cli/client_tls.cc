#include "cli/client_tls.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace spanvault::cli {
namespace {

absl::Status ReadPem(const char* flag, const std::string& path, std::string* out) {
  if (path.empty()) return absl::OkStatus();
  std::ifstream in(path);
  std::stringstream text;
  if (in) text << in.rdbuf();
  if (!in || text.str().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read ", path));
  }
  *out = text.str();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(const ClientTls& tls) {
  if (!tls.enabled()) return grpc::InsecureChannelCredentials();
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  grpc::SslCredentialsOptions options;
  absl::Status s = ReadPem("--tls-ca", tls.ca_file, &options.pem_root_certs);
  if (s.ok()) s = ReadPem("--tls-cert", tls.cert_file, &options.pem_cert_chain);
  if (s.ok()) s = ReadPem("--tls-key", tls.key_file, &options.pem_private_key);
  if (!s.ok()) return s;
  return grpc::SslCredentials(options);
}

}  // namespace spanvault::cli
