#include "common/clock.h"

namespace spanvault {

RealClock& RealClock::Get() {
  static RealClock* clock = new RealClock();
  return *clock;
}

}  // namespace spanvault
