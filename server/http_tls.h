#pragma once

// HttpTlsContext: the TLS context an HTTP listener gives each new connection, rebuilt when its
// certificate files change, so a renewed certificate is served without a restart and without
// dropping the connections that are open.

#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/tls.h"

struct ssl_st;

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace spanvault {

// The names of the client certificate `ssl` verified (see HttpRequest::tls_peer_names): the
// same names gRPC reports for its peers, so one `tls_users` map serves every listener. Empty
// without a verified certificate.
std::vector<std::string> VerifiedPeerNames(ssl_st* ssl);

// Thread-safe.
class HttpTlsContext {
 public:
  // Builds the first context (TLS 1.2 or newer; with a client CA, clients must present a
  // certificate it signed). The errors of CheckTlsFiles.
  static absl::StatusOr<std::shared_ptr<HttpTlsContext>> Create(TlsFiles files);

  // The context for a new connection. Reloads first when a file changed since the last look
  // (looked at no more than once a second); a failed reload keeps the current context and
  // logs why.
  std::shared_ptr<boost::asio::ssl::context> ForNewConnection();

  // Rebuilds the context from the files now (SIGHUP). On error the current context stays.
  absl::Status Reload();

  const TlsFiles& files() const { return files_; }

 private:
  struct Stamp {
    bool operator==(const Stamp& o) const {
      return inode == o.inode && size == o.size && mtime_ns == o.mtime_ns;
    }
    ino_t inode = 0;
    off_t size = 0;
    int64_t mtime_ns = 0;
  };

  explicit HttpTlsContext(TlsFiles files) : files_(std::move(files)) {}
  std::vector<Stamp> Stamps() const;

  const TlsFiles files_;
  absl::Mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> current_ ABSL_GUARDED_BY(mu_);
  std::vector<Stamp> stamps_ ABSL_GUARDED_BY(mu_);
  absl::Time last_look_ ABSL_GUARDED_BY(mu_);
};

}  // namespace spanvault
