// raft_c.h — libraft 0.15 (canonical/raft, Debian libraft-dev) headers for C++.
//
// The C headers carry no extern "C" guards (DEPENDENCIES.md §4), so every C++ file includes
// them through here. In C++ the function raft_apply() hides `struct raft_apply`, and inside
// namespace jade::coord::raft the C handle is spelled `::raft`: write the `struct` keyword.
#pragma once

extern "C" {
#include <raft.h>
#include <raft/uv.h>
}
