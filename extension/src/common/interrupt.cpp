// interrupt.cpp — storage for the interrupt probe (see interrupt.h).
#include "common/interrupt.h"

#include <atomic>

namespace jade {

namespace {
std::atomic<InterruptProbe> g_probe{nullptr};
}

void SetInterruptProbe(InterruptProbe probe) { g_probe.store(probe, std::memory_order_relaxed); }

bool InterruptRequested() {
    InterruptProbe probe = g_probe.load(std::memory_order_relaxed);
    return probe != nullptr && probe();
}

}  // namespace jade
