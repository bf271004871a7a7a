#pragma once

// Propagation macros for absl::Status. Debian's Abseil (20220623) ships none.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SV_STATUS_CONCAT_INNER(a, b) a##b
#define SV_STATUS_CONCAT(a, b) SV_STATUS_CONCAT_INNER(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
#define SV_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::absl::Status sv_status_ = (expr);      \
    if (!sv_status_.ok()) return sv_status_; \
  } while (0)

// Declares or assigns `lhs` from the value of the StatusOr `expr`, or returns its status.
#define SV_ASSIGN_OR_RETURN(lhs, expr) \
  SV_ASSIGN_OR_RETURN_IMPL(SV_STATUS_CONCAT(sv_statusor_, __LINE__), lhs, expr)
#define SV_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
