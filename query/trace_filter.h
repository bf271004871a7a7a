#pragma once

// TraceView: what a caller sees of stored traces under its AccessPolicy. Pure functions over
// the data QueryService reads; QueryService applies them to every answer.
//
// Spans of services the caller may read keep everything but the attributes its roles redact
// (the value becomes kRedactedValue) or hide (the key is removed): span, event, link, scope
// and resource attributes alike; a resource's service.name is never altered. Spans of other
// services become placeholders that keep the trace id, span id, parent span id, start and end
// time and kind, so the UI still draws the tree, but show no service, operation, attributes,
// events, links or status: they are named kHiddenName and grouped under one resource whose
// only attribute is service.name = kHiddenName.

#include <memory>
#include <optional>

#include "auth/access_policy.h"
#include "common/otlp_util.h"
#include "storage/trace_reader.h"

namespace spanvault {

// The name and service name of a placeholder span.
inline constexpr char kHiddenName[] = "[hidden]";

// The caller's view of one trace; nullopt when none of its spans is readable (the caller must
// not learn that it exists). With policy.ReadsEverything() the trace comes back untouched.
std::optional<otlp::TracesData> ViewTrace(const AccessPolicy& policy, otlp::TracesData trace);

// The caller's view of a trace summary: only readable services, span and error counts of
// their spans only, the root service and operation empty when the root is not readable;
// nullopt when no service is readable.
std::optional<TraceSummary> ViewSummary(const AccessPolicy& policy, TraceSummary summary);

// The search scope of `policy`: readable services only, and attribute conditions only on
// attributes the caller sees in full. Everything (null predicates) for ReadsEverything().
SearchScope ScopeOf(std::shared_ptr<const AccessPolicy> policy);

}  // namespace spanvault
