#pragma once

// Clock: injected time, so tests drive time instead of sleeping.

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace spanvault {

// Source of the current time. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The system clock. Thread-safe.
class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  // A process-wide instance.
  static RealClock& Get();
};

}  // namespace spanvault
