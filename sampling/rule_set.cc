#include "sampling/rule_set.h"

#include <algorithm>

#include "absl/random/random.h"
#include "absl/strings/str_format.h"
#include "spanvault/admin/v1/admin.pb.h"

namespace spanvault::sampling {
namespace {

std::string Serialize(const SamplingRule& rule) {
  spanvault::admin::v1::SamplingRule r;
  r.set_id(rule.id);
  r.set_attribute_key(rule.attribute_key);
  r.set_attribute_value(rule.attribute_value);
  r.set_created_at_unix_nano(absl::ToUnixNanos(rule.created_at));
  r.set_expires_at_unix_nano(absl::ToUnixNanos(rule.expires_at));
  r.set_reason(rule.reason);
  r.set_created_by(rule.created_by);
  return r.SerializeAsString();
}

std::optional<SamplingRule> Parse(const std::string& bytes) {
  spanvault::admin::v1::SamplingRule r;
  if (!r.ParseFromString(bytes)) return std::nullopt;
  return SamplingRule{r.id(),
                      r.attribute_key(),
                      r.attribute_value(),
                      absl::FromUnixNanos(static_cast<int64_t>(r.created_at_unix_nano())),
                      absl::FromUnixNanos(static_cast<int64_t>(r.expires_at_unix_nano())),
                      r.reason(),
                      r.created_by()};
}

std::string NewId() {
  static absl::Mutex mu(absl::kConstInit);
  static absl::BitGen* gen = new absl::BitGen();
  absl::MutexLock lock(&mu);
  return absl::StrFormat("%012x", absl::Uniform<uint64_t>(*gen) & 0xffffffffffffull);
}

}  // namespace

absl::Status RuleSet::Load() {
  auto stored = store_.LoadRules();
  if (!stored.ok()) return stored.status();
  {
    absl::MutexLock lock(&mu_);
    rules_.clear();
    for (const auto& [id, bytes] : *stored) {
      if (auto rule = Parse(bytes)) rules_.push_back(std::move(*rule));
    }
  }
  return Expire();
}

absl::StatusOr<SamplingRule> RuleSet::Add(std::string key, std::string value,
                                          absl::Duration duration, std::string reason,
                                          std::string created_by) {
  if (key.empty()) return absl::InvalidArgumentError("the rule needs an attribute key");
  if (value.empty()) return absl::InvalidArgumentError("the rule needs an attribute value");
  if (duration <= absl::ZeroDuration() || duration > kMaxDuration) {
    return absl::InvalidArgumentError(
        absl::StrFormat("a rule applies for more than 0 s and at most %s, got %s",
                        absl::FormatDuration(kMaxDuration), absl::FormatDuration(duration)));
  }
  absl::Time now = clock_.Now();
  SamplingRule rule{NewId(),        std::move(key),    std::move(value),     now,
                    now + duration, std::move(reason), std::move(created_by)};
  absl::Status stored = store_.PutRule(rule.id, Serialize(rule));
  if (!stored.ok()) return stored;
  absl::MutexLock lock(&mu_);
  rules_.push_back(rule);
  return rule;
}

std::vector<SamplingRule> RuleSet::List() const {
  absl::Time now = clock_.Now();
  std::vector<SamplingRule> out;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& r : rules_) {
      if (r.expires_at > now) out.push_back(r);
    }
  }
  std::sort(out.begin(), out.end(), [](const SamplingRule& a, const SamplingRule& b) {
    return a.expires_at != b.expires_at ? a.expires_at < b.expires_at : a.id < b.id;
  });
  return out;
}

absl::Status RuleSet::Remove(const std::string& id) {
  {
    absl::MutexLock lock(&mu_);
    auto it = std::find_if(rules_.begin(), rules_.end(),
                           [&](const SamplingRule& r) { return r.id == id; });
    if (it == rules_.end()) return absl::NotFoundError("no sampling rule with id " + id);
    rules_.erase(it);
  }
  return store_.DeleteRule(id);
}

std::optional<std::string> RuleSet::Match(const TraceView& trace) const {
  absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  for (const auto& rule : rules_) {
    if (rule.expires_at <= now) continue;
    bool hit =
        trace.AnyAttribute(rule.attribute_key, [&](const otlp::AnyValue& v, AttributeSource) {
          return AnyValueToString(v) == rule.attribute_value;
        });
    if (hit) return rule.id;
  }
  return std::nullopt;
}

absl::Status RuleSet::Expire() {
  absl::Time now = clock_.Now();
  std::vector<std::string> expired;
  {
    absl::MutexLock lock(&mu_);
    auto gone = std::partition(rules_.begin(), rules_.end(),
                               [&](const SamplingRule& r) { return r.expires_at > now; });
    for (auto it = gone; it != rules_.end(); ++it) expired.push_back(it->id);
    rules_.erase(gone, rules_.end());
  }
  for (const auto& id : expired) {
    absl::Status s = store_.DeleteRule(id);
    if (!s.ok() && !absl::IsNotFound(s)) return s;
  }
  return absl::OkStatus();
}

}  // namespace spanvault::sampling
