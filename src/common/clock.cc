#include "common/clock.h"

namespace plasmanet {

Clock& RealClock::Get() {
  static RealClock* clock = new RealClock();
  return *clock;
}

}  // namespace plasmanet
