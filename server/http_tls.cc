#include "server/http_tls.h"

#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ssl/context.hpp>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace spanvault {
namespace {

std::string SubjectRfc2253(X509_NAME* name) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return "";
  std::string text;
  if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    if (size > 0) text.assign(data, static_cast<size_t>(size));
  }
  BIO_free(bio);
  return text;
}

void AddCommonNames(X509_NAME* name, std::vector<std::string>& names) {
  for (int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(name, NID_commonName, i)) {
    ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    unsigned char* utf8 = nullptr;
    int size = ASN1_STRING_to_UTF8(&utf8, value);
    if (size >= 0)
      names.push_back(absl::StrCat("CN=", std::string(reinterpret_cast<char*>(utf8), size)));
    OPENSSL_free(utf8);
  }
}

std::string IpText(const ASN1_OCTET_STRING* ip) {
  char text[INET6_ADDRSTRLEN] = {};
  const int family = ip->length == 4 ? AF_INET : ip->length == 16 ? AF_INET6 : 0;
  if (family == 0 || inet_ntop(family, ip->data, text, sizeof text) == nullptr) return "";
  return text;
}

void AddAltNames(X509* cert, std::vector<std::string>& names) {
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (sans == nullptr) return;
  for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* san = sk_GENERAL_NAME_value(sans, i);
    if (san->type == GEN_DNS || san->type == GEN_EMAIL || san->type == GEN_URI) {
      const ASN1_IA5STRING* text = san->d.ia5;
      names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                         ASN1_STRING_length(text));
    } else if (san->type == GEN_IPADD) {
      if (std::string ip = IpText(san->d.iPAddress); !ip.empty()) names.push_back(ip);
    }
  }
  GENERAL_NAMES_free(sans);
}

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

std::vector<std::string> VerifiedPeerNames(ssl_st* ssl) {
  std::vector<std::string> names;
  if (ssl == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return names;
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return names;
  X509_NAME* subject = X509_get_subject_name(cert);
  if (std::string dn = SubjectRfc2253(subject); !dn.empty()) names.push_back(std::move(dn));
  AddCommonNames(subject, names);
  AddAltNames(cert, names);
  X509_free(cert);
  return names;
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
