#ifndef SPANVAULT_TESTS_TESTING_RACING_READER_H_
#define SPANVAULT_TESTS_TESTING_RACING_READER_H_

#include <string>
#include <utility>
#include <vector>

#include "storage/trace_reader.h"

namespace spanvault::testing {

// A reader over `store` whose answers change between calls, as a sampling decision landing in
// the middle of a query would change them: IsPending answers from `pending` (one answer per
// call, then false), and the first `summaries_hidden` GetSummaries calls find nothing. Not
// thread-safe.
class RacingReader final : public TraceReader {
 public:
  RacingReader(TraceReader& store, std::vector<bool> pending, int summaries_hidden = 0)
      : store_(store), pending_(std::move(pending)), summaries_hidden_(summaries_hidden) {}

  absl::StatusOr<std::vector<std::string>> GetServices() override { return store_.GetServices(); }
  absl::StatusOr<std::vector<Operation>> GetOperations(const std::string& service,
                                                       const std::string& kind) override {
    return store_.GetOperations(service, kind);
  }
  absl::StatusOr<otlp::TracesData> GetTrace(const TraceId& id) override {
    return store_.GetTrace(id);
  }
  absl::StatusOr<std::vector<TraceId>> FindTraceIds(const TraceQuery& query) override {
    return store_.FindTraceIds(query);
  }
  absl::StatusOr<std::vector<TraceSummary>> GetSummaries(const std::vector<TraceId>& ids) override {
    if (summaries_hidden_ > 0) {
      --summaries_hidden_;
      return std::vector<TraceSummary>{};
    }
    return store_.GetSummaries(ids);
  }
  absl::StatusOr<bool> IsPending(const TraceId&) override {
    bool answer = next_ < pending_.size() && pending_[next_];
    ++next_;
    return answer;
  }

 private:
  TraceReader& store_;
  std::vector<bool> pending_;
  size_t next_ = 0;
  int summaries_hidden_;
};

}  // namespace spanvault::testing

#endif  // SPANVAULT_TESTS_TESTING_RACING_READER_H_
