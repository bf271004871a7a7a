#include "storage/rocksdb/summary_merge.h"

#include "rocksdb/slice.h"
#include "storage/trace_records.h"

namespace spanvault {
namespace {

class SummaryMergeOperator final : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& key, const rocksdb::Slice* existing_value,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* logger) const override {
    SummaryRecord merged;
    if (existing_value != nullptr &&
        !merged.ParseFromArray(existing_value->data(), static_cast<int>(existing_value->size()))) {
      merged.Clear();
    }
    SummaryRecord delta;
    if (delta.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      MergeSummary(delta, &merged);
    }
    return merged.SerializeToString(new_value);
  }
  const char* Name() const override { return "spanvault.SummaryMerge.v1"; }
};

}  // namespace

std::shared_ptr<rocksdb::MergeOperator> NewSummaryMergeOperator() {
  return std::make_shared<SummaryMergeOperator>();
}

}  // namespace spanvault
