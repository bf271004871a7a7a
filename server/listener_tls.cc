#include "server/listener_tls.h"

#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace spanvault {
namespace {

// Warns about a private key that group or others may read: TLS still works (certificate
// managers often mount keys 0644), but the key should be mode 0600 or 0400.
void WarnIfKeyExposed(const std::string& name, const std::string& key_file) {
  struct stat st;
  if (::stat(key_file.c_str(), &st) != 0 || (st.st_mode & 077) == 0) return;
  spdlog::warn("{}: TLS key {} may be read by group or others (mode {:o}); make it 0600", name,
               key_file, st.st_mode & 0777);
}

absl::StatusOr<TlsFiles> CheckedFiles(const ServerConfig& config, const std::string& name) {
  TlsFiles files = config.TlsFor(name);
  absl::Status checked = CheckTlsFiles(files);
  if (!checked.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("TLS for ", name, ": ", checked.message()));
  }
  if (files.enabled()) WarnIfKeyExposed(name, files.key_file);
  return files;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> GrpcListenerCredentials(
    const ServerConfig& config, const std::string& name) {
  auto files = CheckedFiles(config, name);
  if (!files.ok()) return files.status();
  return GrpcServerCredentials(*files, config.tls_reload_interval);
}

absl::StatusOr<std::shared_ptr<HttpTlsContext>> HttpListenerTls(const ServerConfig& config,
                                                                const std::string& name) {
  auto files = CheckedFiles(config, name);
  if (!files.ok()) return files.status();
  if (!files->enabled()) return std::shared_ptr<HttpTlsContext>();
  auto tls = HttpTlsContext::Create(*files);
  if (!tls.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("TLS for ", name, ": ", tls.status().message()));
  }
  return *tls;
}

std::string DescribeTls(const TlsFiles& files) {
  if (!files.enabled()) return "plaintext";
  return files.mutual() ? "mutual TLS" : "TLS";
}

}  // namespace spanvault
