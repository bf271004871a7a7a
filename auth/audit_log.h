#pragma once

// AuditLog: who did what, when, from where, and with what result; every query, login failure
// and admin action. Records are hash-chained (each carries the SHA-256 of the previous one), so
// Verify() finds a record that was modified, inserted or deleted. They live in the store's
// encrypted audit column family (TraceStore::Audit()), apart from trace retention.
//
// The chain proves the order and integrity of what is in the log; it cannot prove that the
// newest records were not cut off together with the head (an attacker would need the
// encryption key for that). Anchors (AuditAnchor) kept off the box close that gap up to the
// anchored record; export the log to a SIEM for an off-box copy of everything.

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/kv_store.h"

namespace spanvault {

struct AuditRecord {
  uint64_t seq = 0;  // 1, 2, 3, ... (set by Append)
  absl::Time time;   // set by Append
  std::string principal;
  std::vector<std::string> roles;
  std::string remote_address;
  // The API and call, e.g. "http GET /api/traces", "grpc spanvault.admin.v1.Admin/AddUser".
  std::string api;
  // The action checked, e.g. "traces:read", "admin:users", "login".
  std::string action;
  // The request's parameters as a JSON object text (never a secret).
  std::string params = "{}";
  bool allowed = true;
  // Why it was denied or failed; empty when it succeeded.
  std::string detail;
  int64_t result_count = 0;
  absl::Duration latency;
  // Hex SHA-256 of the previous record (64 zeros for the first) and of this one.
  std::string prev_hash;
  std::string hash;
};

struct AuditFilter {
  std::string principal;  // empty: everyone
  absl::Time since = absl::InfinitePast();
  bool denied_only = false;
  size_t limit = 1000;  // the newest `limit` matching records
};

// A record's seq and hash, noted somewhere the log's host cannot change (a ticket, a SIEM),
// against which a later Verify proves that nothing up to that record was cut or rewritten,
// even by someone holding the encryption key.
struct AuditAnchor {
  uint64_t seq = 0;
  std::string hash;
};

struct AuditVerification {
  uint64_t records = 0;
  std::string head_hash;  // of the newest record (an anchor to keep)
  // The first record that breaks the chain, and how; nullopt when the chain is intact.
  std::optional<uint64_t> first_bad_seq;
  std::string problem;
};

// Thread-safe. Appends are chained one after the other (each needs the previous hash); the
// ones that arrive while a write is in flight are written together next, in one synced write.
class AuditLog {
 public:
  // `kv` and `clock` must outlive the log.
  AuditLog(KvStore& kv, const Clock& clock) : kv_(kv), clock_(clock) {}

  // Reads the head of the chain. Call once before Append.
  absl::Status Load() ABSL_LOCKS_EXCLUDED(mu_);
  // Sets seq, time and the hashes, and writes the record durably. kUnavailable ("the audit log
  // cannot be written ...") when it cannot: callers refuse the call the record is about.
  absl::Status Append(AuditRecord record) ABSL_LOCKS_EXCLUDED(mu_);
  // Appends a refusal that happened before anyone authenticated (a failed login, a refused
  // connection): at most kRefusalsPerMinute records a minute per remote address, so a
  // misbehaving or hostile client cannot flood the log. The next record written for that
  // address says in its detail how many were left out. OK when the record is left out.
  static constexpr int kRefusalsPerMinute = 60;
  absl::Status AppendRefusal(AuditRecord record) ABSL_LOCKS_EXCLUDED(refusals_mu_);
  // Called with the cause each time Append fails (the server logs it). Set before use.
  void set_on_write_error(std::function<void(const absl::Status&)> on_write_error) {
    on_write_error_ = std::move(on_write_error);
  }
  // Appends waiting for their record to be written (behind a write in flight).
  size_t waiting() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return queue_.size();
  }
  // The newest `filter.limit` matching records, oldest first.
  absl::StatusOr<std::vector<AuditRecord>> List(const AuditFilter& filter);
  // Every record in order, for export (`visit` may stop early by returning false).
  absl::Status ForEach(const std::function<bool(const AuditRecord&)>& visit);
  // Walks the whole chain; with an anchor, the anchored record must be in it unchanged.
  absl::StatusOr<AuditVerification> Verify(const std::optional<AuditAnchor>& anchor = std::nullopt);

  // The record as one JSON object (also the export format: one per line).
  static std::string ToJson(const AuditRecord& record);

 private:
  // A record waiting in Append.
  struct Pending {
    AuditLog* log;
    AuditRecord record;
    // Under log->mu_ (which the analysis cannot tell from this->mu_ in Commit).
    absl::Status status;  // once done
    bool done = false;
    // Written (by another caller), or first in line with no write in flight.
    bool MayGo() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(log->mu_);
  };
  static constexpr size_t kMaxGroup = 256;
  // Chains and writes `mine` with the records queued behind it (at most kMaxGroup), or waits
  // until a writer before it has: group commit, one sync for every query that came meanwhile.
  absl::Status Commit(Pending& mine) ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status Scan(const std::function<bool(const AuditRecord&, const std::string&)>& visit);

  KvStore& kv_;
  const Clock& clock_;
  std::function<void(const absl::Status&)> on_write_error_;

  struct RefusalWindow {
    absl::Time start;
    int recorded = 0;
    uint64_t left_out = 0;
  };
  absl::Mutex refusals_mu_;
  // Per remote address (without port); bounded (cleared when it holds too many addresses).
  absl::flat_hash_map<std::string, RefusalWindow> refusals_ ABSL_GUARDED_BY(refusals_mu_);
  absl::Mutex mu_;
  uint64_t last_seq_ ABSL_GUARDED_BY(mu_) = 0;
  std::string last_hash_ ABSL_GUARDED_BY(mu_);
  std::deque<Pending*> queue_ ABSL_GUARDED_BY(mu_);  // in the order they came
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace spanvault
