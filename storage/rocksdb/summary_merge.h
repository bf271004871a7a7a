#pragma once

// The merge operator of the "summaries" column family.

#include <memory>

#include "rocksdb/merge_operator.h"

namespace spanvault {

// Merges serialized SummaryRecords with MergeSummary(). An unparsable operand is skipped (and
// counted as a failed merge by RocksDB only if nothing parses).
std::shared_ptr<rocksdb::MergeOperator> NewSummaryMergeOperator();

}  // namespace spanvault
