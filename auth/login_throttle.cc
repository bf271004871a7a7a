#include "auth/login_throttle.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace spanvault {

std::optional<absl::Duration> RetryAfterOf(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kResourceExhausted) return std::nullopt;
  auto payload = status.GetPayload(kRetryAfterPayload);
  if (!payload.has_value()) return std::nullopt;
  std::string text(*payload);
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return absl::Seconds(seconds);
}

LoginThrottle::LoginThrottle(LoginThrottleOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

absl::Status LoginThrottle::Check(std::string_view key) const {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(std::string(key));
  if (it == entries_.end() || now >= it->second.locked_until) return absl::OkStatus();
  const int64_t seconds =
      static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(it->second.locked_until - now)));
  absl::Status status = absl::ResourceExhaustedError(
      absl::StrCat("too many failed logins; retry after ", seconds, " s"));
  status.SetPayload(kRetryAfterPayload, absl::Cord(absl::StrCat(seconds)));
  return status;
}

absl::Duration LoginThrottle::LockoutAfter(int lockouts) const {
  absl::Duration lockout = options_.first_lockout;
  for (int i = 0; i < lockouts && lockout < options_.max_lockout; ++i) lockout *= 2;
  return std::min(lockout, options_.max_lockout);
}

void LoginThrottle::RecordFailure(std::string_view key) {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(std::string(key));
  if (it == entries_.end()) {
    if (!MakeRoomLocked(now)) return;
    it = entries_.emplace(std::string(key), Entry{0, now, now}).first;
  }
  Entry& entry = it->second;
  if (now - entry.last_failure >= options_.forget_after) entry.lockouts = 0;
  if (now - entry.window_start >= options_.window) {
    entry.failures = 0;
    entry.window_start = now;
  }
  entry.last_failure = now;
  if (++entry.failures < options_.max_failures) return;
  entry.locked_until = now + LockoutAfter(entry.lockouts++);
  entry.failures = 0;
  entry.window_start = now;
}

void LoginThrottle::RecordSuccess(std::string_view key) {
  absl::MutexLock lock(&mu_);
  entries_.erase(std::string(key));
}

bool LoginThrottle::MakeRoomLocked(absl::Time now) {
  if (entries_.size() < options_.max_keys) return true;
  // First the keys whose failures no longer count, then any key not locked out now.
  absl::erase_if(entries_, [&](const auto& kv) {
    return now >= kv.second.locked_until && now - kv.second.last_failure >= options_.window;
  });
  if (entries_.size() < options_.max_keys) return true;
  absl::erase_if(entries_, [&](const auto& kv) { return now >= kv.second.locked_until; });
  return entries_.size() < options_.max_keys;
}

}  // namespace spanvault
