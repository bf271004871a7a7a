#pragma once

// RemoteJwksProvider: an OIDC issuer's signing keys fetched over HTTPS and cached: from the
// configured jwks_url, or from the jwks_uri that the issuer's discovery document
// (<issuer>/.well-known/openid-configuration) names. The transport is given as a function, so
// this file knows nothing about sockets or TLS.

#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/jwks.h"
#include "common/clock.h"

namespace spanvault {

struct RemoteJwksOptions {
  std::string issuer;    // required
  std::string jwks_url;  // empty: discovered from the issuer
  // Keys older than this are fetched again on the next use. Default: 1 hour.
  absl::Duration refresh_interval = absl::Hours(1);
  // No fetch sooner than this after the previous attempt (an unknown kid, a failing IdP).
  // Default: 10 seconds (Keycloak's adapters use the same).
  absl::Duration min_fetch_interval = absl::Seconds(10);
};

// Thread-safe. A fetch runs in the calling thread, one at a time (bounded by the Fetch's own
// timeout); callers that find the keys due meanwhile wait for it, the others use the cache.
class RemoteJwksProvider final : public JwksProvider {
 public:
  // GETs an https URL and returns the body of a 200 answer; an error naming the URL otherwise.
  using Fetch = std::function<absl::StatusOr<std::string>(const std::string& url)>;
  // Receives what the server should log (a failed fetch while older keys stay in use).
  using Note = std::function<void(std::string_view note)>;

  // kInvalidArgument when the issuer or jwks_url is not an https URL.
  static absl::StatusOr<std::unique_ptr<RemoteJwksProvider>> Create(RemoteJwksOptions options,
                                                                    Fetch fetch, const Clock& clock,
                                                                    Note note = nullptr);

  // The cached keys, fetched first when there are none or they are older than
  // refresh_interval. While the issuer cannot be reached, keys fetched earlier stay in use
  // (noted); without any, kUnavailable naming the URL and the cause.
  absl::StatusOr<std::shared_ptr<const Jwks>> Keys() override ABSL_LOCKS_EXCLUDED(mu_, fetch_mu_);
  // Fetches now unless the previous attempt was less than min_fetch_interval ago.
  absl::StatusOr<std::shared_ptr<const Jwks>> RefreshKeys() override
      ABSL_LOCKS_EXCLUDED(mu_, fetch_mu_);

 private:
  RemoteJwksProvider(RemoteJwksOptions options, Fetch fetch, const Clock& clock, Note note)
      : options_(std::move(options)),
        fetch_(std::move(fetch)),
        clock_(clock),
        note_(std::move(note)) {}

  // Fetches when Due(forced), checked once fetch_mu_ is held (a caller that waited for another
  // one's fetch gets its keys instead of fetching again).
  absl::StatusOr<std::shared_ptr<const Jwks>> MaybeFetch(bool forced)
      ABSL_LOCKS_EXCLUDED(mu_, fetch_mu_);
  absl::StatusOr<std::shared_ptr<const Jwks>> FetchKeys() ABSL_EXCLUSIVE_LOCKS_REQUIRED(fetch_mu_);
  absl::StatusOr<std::string> JwksUrl() ABSL_EXCLUSIVE_LOCKS_REQUIRED(fetch_mu_);
  bool Due(bool forced) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RemoteJwksOptions options_;
  const Fetch fetch_;
  const Clock& clock_;
  const Note note_;

  absl::Mutex fetch_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::string discovered_url_ ABSL_GUARDED_BY(fetch_mu_);

  mutable absl::Mutex mu_;
  std::shared_ptr<const Jwks> keys_ ABSL_GUARDED_BY(mu_);
  absl::Time fetched_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();    // keys_ as of
  absl::Time attempted_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();  // last fetch attempt
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
};

// Whether `url` is an absolute https URL with a host.
bool IsHttpsUrl(std::string_view url);

}  // namespace spanvault
