#include "auth/audit_log.h"

#include <deque>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "auth/cidr.h"
#include "common/secret.h"
#include "nlohmann/json.hpp"

namespace spanvault {
namespace {

constexpr char kRecordPrefix[] = "r/";
constexpr char kHeadKey[] = "head";
constexpr size_t kPage = 4096;
const std::string kGenesis(64, '0');

std::string RecordKey(uint64_t seq) { return absl::StrFormat("%s%016x", kRecordPrefix, seq); }

std::string Sha256Hex(const std::string& data) { return HexEncode(Sha256(data)); }

// Every field except `hash`, with sorted keys: the bytes the hash covers.
nlohmann::json Body(const AuditRecord& r) {
  return nlohmann::json{{"seq", r.seq},
                        {"time", absl::FormatTime(absl::RFC3339_full, r.time, absl::UTCTimeZone())},
                        {"time_unix_nano", absl::ToUnixNanos(r.time)},
                        {"principal", r.principal},
                        {"roles", r.roles},
                        {"remote_address", r.remote_address},
                        {"api", r.api},
                        {"action", r.action},
                        {"params", r.params},
                        {"allowed", r.allowed},
                        {"detail", r.detail},
                        {"result_count", r.result_count},
                        {"latency_us", absl::ToInt64Microseconds(r.latency)},
                        {"prev_hash", r.prev_hash}};
}

std::string HashOf(const AuditRecord& r) { return Sha256Hex(Body(r).dump()); }

absl::StatusOr<AuditRecord> Parse(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return absl::DataLossError("an audit record is not valid JSON");
  try {
    AuditRecord r;
    r.seq = j.at("seq").get<uint64_t>();
    r.time = absl::FromUnixNanos(j.at("time_unix_nano").get<int64_t>());
    r.principal = j.at("principal").get<std::string>();
    r.roles = j.at("roles").get<std::vector<std::string>>();
    r.remote_address = j.at("remote_address").get<std::string>();
    r.api = j.at("api").get<std::string>();
    r.action = j.at("action").get<std::string>();
    r.params = j.at("params").get<std::string>();
    r.allowed = j.at("allowed").get<bool>();
    r.detail = j.at("detail").get<std::string>();
    r.result_count = j.at("result_count").get<int64_t>();
    r.latency = absl::Microseconds(j.at("latency_us").get<int64_t>());
    r.prev_hash = j.at("prev_hash").get<std::string>();
    r.hash = j.at("hash").get<std::string>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(absl::StrCat("an audit record lacks a field: ", e.what()));
  }
}

bool Matches(const AuditRecord& r, const AuditFilter& f) {
  if (!f.principal.empty() && r.principal != f.principal) return false;
  if (r.time < f.since) return false;
  return !f.denied_only || !r.allowed;
}

}  // namespace

std::string AuditLog::ToJson(const AuditRecord& record) {
  nlohmann::json j = Body(record);
  j["hash"] = record.hash;
  return j.dump();
}

absl::Status AuditLog::Load() {
  auto head = kv_.Get(kHeadKey);
  if (!head.ok()) return head.status();
  absl::MutexLock lock(&mu_);
  if (!head->has_value()) {
    last_seq_ = 0;
    last_hash_ = kGenesis;
    return absl::OkStatus();
  }
  auto record = Parse(**head);
  if (!record.ok()) return record.status();
  last_seq_ = record->seq;
  last_hash_ = record->hash;
  return absl::OkStatus();
}

absl::Status AuditLog::Append(AuditRecord record) {
  Pending mine{this, std::move(record)};
  absl::Status s = Commit(mine);
  if (s.ok()) return s;
  if (on_write_error_) on_write_error_(s);
  return absl::UnavailableError(
      absl::StrCat("the audit log cannot be written, so the call is refused; try again later (",
                   s.message(), ")"));
}

absl::Status AuditLog::AppendRefusal(AuditRecord record) {
  constexpr size_t kMaxAddresses = 10'000;
  const absl::Time now = clock_.Now();
  const std::string address = HostOf(record.remote_address);
  uint64_t left_out = 0;
  {
    absl::MutexLock lock(&refusals_mu_);
    if (refusals_.size() >= kMaxAddresses && !refusals_.contains(address)) refusals_.clear();
    RefusalWindow& window = refusals_[address];
    if (now - window.start >= absl::Minutes(1)) {
      window.start = now;
      window.recorded = 0;
    }
    if (window.recorded >= kRefusalsPerMinute) {
      ++window.left_out;
      return absl::OkStatus();
    }
    ++window.recorded;
    left_out = std::exchange(window.left_out, 0);
  }
  if (left_out > 0) {
    absl::StrAppend(&record.detail, " (", left_out, " earlier refusals from ", address,
                    " left out of the log)");
  }
  return Append(std::move(record));
}

bool AuditLog::Pending::MayGo() const {
  return done || (!log->writing_ && !log->queue_.empty() && log->queue_.front() == this);
}

absl::Status AuditLog::Commit(Pending& mine) {
  std::vector<Pending*> group;
  KvWrite write;
  uint64_t seq = 0;
  std::string hash;
  {
    absl::MutexLock lock(&mu_);
    queue_.push_back(&mine);
    mu_.Await(absl::Condition(&mine, &Pending::MayGo));
    if (mine.done) return mine.status;  // a writer before took it along
    queue_.pop_front();
    if (last_hash_.empty()) return absl::FailedPreconditionError("the audit log is not loaded");
    writing_ = true;
    group.push_back(&mine);
    while (!queue_.empty() && group.size() < kMaxGroup) {
      group.push_back(queue_.front());
      queue_.pop_front();
    }
    seq = last_seq_;
    hash = last_hash_;
    std::string text;
    for (Pending* p : group) {
      AuditRecord& r = p->record;
      r.seq = ++seq;
      r.time = clock_.Now();
      r.prev_hash = hash;
      r.hash = HashOf(r);
      hash = r.hash;
      text = ToJson(r);
      write.puts.emplace_back(RecordKey(r.seq), text);
    }
    // The head (a copy of the newest record) is written with them, so a restart continues the
    // chain.
    write.puts.emplace_back(kHeadKey, std::move(text));
  }
  // Outside the lock: the records that come meanwhile queue up for the next write.
  absl::Status s = kv_.Write(write);
  absl::MutexLock lock(&mu_);
  if (s.ok()) {
    last_seq_ = seq;
    last_hash_ = hash;
  }
  for (Pending* p : group) {
    // A Status of its own: copies would share one reference-counted message between threads,
    // counted in Debian's uninstrumented Abseil, where TSan cannot see the count.
    p->status = absl::Status(s.code(), s.message());
    p->done = true;
  }
  writing_ = false;
  return s;
}

absl::Status AuditLog::Scan(
    const std::function<bool(const AuditRecord&, const std::string&)>& visit) {
  std::string from = kRecordPrefix;
  for (;;) {
    auto page = kv_.ScanPage(kRecordPrefix, from, kPage);
    if (!page.ok()) return page.status();
    for (const auto& [key, value] : *page) {
      auto record = Parse(value);
      if (!record.ok()) {
        return absl::DataLossError(
            absl::StrCat("audit record ", key, ": ", record.status().message()));
      }
      if (!visit(*record, key)) return absl::OkStatus();
    }
    if (page->size() < kPage) return absl::OkStatus();
    from = page->back().first + '\0';
  }
}

absl::Status AuditLog::ForEach(const std::function<bool(const AuditRecord&)>& visit) {
  return Scan([&](const AuditRecord& r, const std::string&) { return visit(r); });
}

absl::StatusOr<std::vector<AuditRecord>> AuditLog::List(const AuditFilter& filter) {
  std::deque<AuditRecord> newest;
  absl::Status s = ForEach([&](const AuditRecord& r) {
    if (!Matches(r, filter)) return true;
    newest.push_back(r);
    if (newest.size() > filter.limit) newest.pop_front();
    return true;
  });
  if (!s.ok()) return s;
  return std::vector<AuditRecord>(newest.begin(), newest.end());
}

absl::StatusOr<AuditVerification> AuditLog::Verify(const std::optional<AuditAnchor>& anchor) {
  // The newest record written before the walk: it must be reached. Records appended during the
  // walk may or may not be, and are not missing either way.
  uint64_t head_seq = 0;
  {
    absl::MutexLock lock(&mu_);
    head_seq = last_seq_;
  }
  AuditVerification v;
  std::optional<std::string> anchored_hash;  // of the anchored record, when reached
  std::string prev = kGenesis;
  uint64_t expected = 1;
  auto fail = [&v](uint64_t seq, std::string problem) {
    v.first_bad_seq = seq;
    v.problem = std::move(problem);
    return false;
  };
  absl::Status s = Scan([&](const AuditRecord& r, const std::string& key) {
    if (key != RecordKey(r.seq)) {
      return fail(expected, absl::StrCat("record ", r.seq, " is stored under the key of another"));
    }
    if (r.seq != expected) {
      return fail(expected, absl::StrCat("record ", expected, " is missing (deleted)"));
    }
    if (HashOf(r) != r.hash) {
      return fail(r.seq, absl::StrCat("record ", r.seq, " was modified (its hash does not match)"));
    }
    if (r.prev_hash != prev) {
      return fail(r.seq, absl::StrCat("record ", r.seq, " does not chain to record ", r.seq - 1,
                                      ": one of them was replaced or inserted"));
    }
    prev = r.hash;
    if (anchor.has_value() && r.seq == anchor->seq) anchored_hash = r.hash;
    ++expected;
    ++v.records;
    return true;
  });
  if (!s.ok()) return s;
  v.head_hash = prev;
  if (v.first_bad_seq) return v;
  if (anchor.has_value() && !anchored_hash.has_value()) {
    v.first_bad_seq = std::min(anchor->seq, v.records + 1);
    v.problem = absl::StrCat("the anchored record ", anchor->seq,
                             " is gone: the log was cut back to ", v.records, " records");
    return v;
  }
  if (anchor.has_value() && *anchored_hash != anchor->hash) {
    v.first_bad_seq = anchor->seq;
    v.problem = absl::StrCat("record ", anchor->seq,
                             " differs from its anchor: the log was rewritten up to it");
    return v;
  }
  // The records after the last one that chains must not have been cut off.
  if (head_seq > v.records) {
    v.first_bad_seq = v.records + 1;
    v.problem = absl::StrCat("records ", v.records + 1, " to ", head_seq, " are missing (deleted)");
  }
  return v;
}

}  // namespace spanvault
