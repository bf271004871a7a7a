#include "server/http_tls.h"

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace spanvault {
namespace {

namespace ssl = boost::asio::ssl;

absl::StatusOr<std::shared_ptr<ssl::context>> BuildContext(const TlsFiles& files) {
  absl::Status checked = CheckTlsFiles(files);
  if (!checked.ok()) return checked;
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  context->set_options(ssl::context::default_workarounds | ssl::context::single_dh_use);
  boost::system::error_code ec;
  context->use_certificate_chain_file(files.cert_file, ec);
  if (!ec) context->use_private_key_file(files.key_file, ssl::context::pem, ec);
  if (!ec && files.mutual()) {
    context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    context->load_verify_file(files.client_ca_file, ec);
  }
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot load TLS files ", files.cert_file, ": ", ec.message()));
  }
  return context;
}

}  // namespace

absl::StatusOr<std::shared_ptr<HttpTlsContext>> HttpTlsContext::Create(TlsFiles files) {
  std::shared_ptr<HttpTlsContext> tls(new HttpTlsContext(std::move(files)));
  absl::Status loaded = tls->Reload();
  if (!loaded.ok()) return loaded;
  return tls;
}

std::vector<HttpTlsContext::Stamp> HttpTlsContext::Stamps() const {
  std::vector<Stamp> stamps;
  for (const std::string* path : {&files_.cert_file, &files_.key_file, &files_.client_ca_file}) {
    Stamp stamp;
    struct stat st;
    if (!path->empty() && ::stat(path->c_str(), &st) == 0) {
      stamp.inode = st.st_ino;
      stamp.size = st.st_size;
      stamp.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
    }
    stamps.push_back(stamp);
  }
  return stamps;
}

absl::Status HttpTlsContext::Reload() {
  std::vector<Stamp> stamps = Stamps();
  auto context = BuildContext(files_);
  absl::MutexLock lock(&mu_);
  // Remember the files as seen even when they are bad, so a bad pair is reported once.
  stamps_ = std::move(stamps);
  last_look_ = absl::Now();
  if (!context.ok()) return context.status();
  current_ = std::move(*context);
  return absl::OkStatus();
}

std::shared_ptr<ssl::context> HttpTlsContext::ForNewConnection() {
  {
    absl::MutexLock lock(&mu_);
    absl::Time now = absl::Now();
    if (now - last_look_ < absl::Seconds(1)) return current_;
    last_look_ = now;
    if (Stamps() == stamps_) return current_;
  }
  absl::Status reloaded = Reload();
  if (reloaded.ok()) {
    spdlog::info("TLS certificate {} changed on disk: reloaded", files_.cert_file);
  } else {
    spdlog::error(
        "TLS certificate {} changed on disk but cannot be loaded, keeping the "
        "previous one: {}",
        files_.cert_file, std::string(reloaded.message()));
  }
  absl::MutexLock lock(&mu_);
  return current_;
}

}  // namespace spanvault
