// faiss/threads.h — OpenMP team size for FAISS work in a backend.
//
// Threading contract of the whole engine (src/faiss/):
//   * Nothing here calls PostgreSQL, and nothing here may be called from an OpenMP worker.
//   * Searches (IvfScanner, HnswGraph::Search, IvfCodec::NearestLists) run on the caller's thread
//     only: the engine forces a team of 1 around them, so caller callbacks (filters) run on the
//     calling thread.
//   * Builds (IvfCodec::Train/AssignEncode, HnswGraph::Build/Add/Rebuild) take a `threads`
//     argument and run FAISS/BLAS with that many OpenMP threads inside a ScopedOmpThreads; the
//     team size goes back to 1 when they return or throw.
//   * No OpenMP or FAISS code runs at library load: an OpenMP team created in the postmaster
//     hangs every forked backend (DEPENDENCIES.md §2). The first team is created lazily by the
//     first build, in a backend.
#pragma once

namespace jade::ext::engine {

// Upper bound accepted for a build's thread count (larger requests are clamped).
inline constexpr int kMaxBuildThreads = 64;

// Sets the OpenMP team size (clamped to 1..kMaxBuildThreads) for the lifetime of the object and
// resets it to 1 afterwards, so a backend never keeps a multi-threaded default.
class ScopedOmpThreads {
public:
    explicit ScopedOmpThreads(int threads);
    ~ScopedOmpThreads();
    ScopedOmpThreads(const ScopedOmpThreads&) = delete;
    ScopedOmpThreads& operator=(const ScopedOmpThreads&) = delete;
};

// Makes sure the calling backend runs FAISS single-threaded (the search paths call this; cheap).
void EnsureSingleThread();

}  // namespace jade::ext::engine
