#pragma once

// LoginThrottle: refuses further login attempts for a key (a user name, a source address) after
// repeated failures, for a lockout that doubles with each lockout in a row, up to a cap.

#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace spanvault {

struct LoginThrottleOptions {
  // Failures within `window` that start a lockout (default 5 in 15 minutes).
  int max_failures = 5;
  absl::Duration window = absl::Minutes(15);
  // The first lockout (default 1 minute); each further one in a row doubles, up to
  // `max_lockout` (default 1 hour).
  absl::Duration first_lockout = absl::Minutes(1);
  absl::Duration max_lockout = absl::Hours(1);
  // A key with no failure for this long starts again from the first lockout (default 1 day).
  absl::Duration forget_after = absl::Hours(24);
  // Keys tracked at most (default 100,000); beyond that, idle keys are dropped first.
  size_t max_keys = 100'000;
};

// The status payload (type URL) carrying the retry-after seconds as decimal text.
inline constexpr char kRetryAfterPayload[] = "type.spanvault.dev/retry-after";

// The retry-after a kResourceExhausted status from LoginThrottle carries; nullopt otherwise.
std::optional<absl::Duration> RetryAfterOf(const absl::Status& status);

// Thread-safe.
class LoginThrottle {
 public:
  LoginThrottle(LoginThrottleOptions options, const Clock& clock);

  // OK when `key` may try to log in now; kResourceExhausted "too many failed logins; retry
  // after N s" (with a kRetryAfterPayload) while it is locked out. The key is not in the message.
  absl::Status Check(std::string_view key) const ABSL_LOCKS_EXCLUDED(mu_);
  void RecordFailure(std::string_view key) ABSL_LOCKS_EXCLUDED(mu_);
  // Forgets the failures of `key` (its lockout history too).
  void RecordSuccess(std::string_view key) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Entry {
    int failures = 0;
    absl::Time window_start;
    absl::Time last_failure;
    absl::Time locked_until = absl::InfinitePast();
    int lockouts = 0;  // in a row
  };

  absl::Duration LockoutAfter(int lockouts) const;
  // Makes room for one more key; false when every tracked key is locked out.
  bool MakeRoomLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const LoginThrottleOptions options_;
  const Clock& clock_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace spanvault
