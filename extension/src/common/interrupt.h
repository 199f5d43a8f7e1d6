// interrupt.h — lets C++-regime loops notice a pending query cancel without PostgreSQL headers.
//
// FAISS loops cannot be interrupted from outside, so long operations (training, adding, graph
// building) run in chunks and call ThrowIfInterrupted() between chunks. The PG regime installs
// the probe (src/pg/guard.cpp reads InterruptPending); in unit tests no probe is installed.
#pragma once

#include "common/error.h"

namespace jade {

using InterruptProbe = bool (*)();

// Installs the function that reports whether the backend has a pending interrupt.
void SetInterruptProbe(InterruptProbe probe);

// Returns true when the installed probe reports a pending interrupt.
bool InterruptRequested();

// Throws jade::Interrupted when an interrupt is pending; the boundary then services it.
inline void ThrowIfInterrupted() {
    if (InterruptRequested()) throw Interrupted();
}

}  // namespace jade
