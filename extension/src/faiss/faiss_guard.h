// faiss/faiss_guard.h — INTERNAL to src/faiss/*.cpp: turning FAISS failures into JadeError.
//
// FAISS reports user-level failures with faiss::FaissException, whose message embeds a C++
// signature and file:line ("Error in virtual void faiss::... at faiss/IndexIVF.cpp:93: Error:
// 'n >= k' failed: ..."). Users should see only the reason. Every call into FAISS from the
// engine runs inside FaissCall, which rethrows such failures as JadeError with the trimmed text;
// JadeError, Interrupted and std::bad_alloc pass through unchanged (the boundary maps them).
// Not for the access method: this header includes FAISS.
#pragma once

#include <faiss/impl/FaissException.h>

#include <new>
#include <string>
#include <utility>

#include "common/error.h"
#include "common/interrupt.h"

namespace jade::ext::engine {

// Returns the human part of a FAISS exception message (after the last "file:line: " and an
// optional "Error: " prefix), without a trailing newline.
std::string TrimFaissMessage(const std::string& what);

// Runs fn; rethrows FAISS and other std::exception failures as JadeError(sqlstate, "<context>: <reason>").
template <class F>
decltype(auto) FaissCall(const char* context, const char* sqlstate, F&& fn) {
    try {
        return std::forward<F>(fn)();
    } catch (const JadeError&) {
        throw;
    } catch (const Interrupted&) {
        throw;
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const faiss::FaissException& e) {
        throw JadeError(sqlstate, std::string(context) + ": " + TrimFaissMessage(e.what()));
    } catch (const std::exception& e) {
        throw JadeError(sqlstate, std::string(context) + ": " + e.what());
    }
}

// FaissCall for failures that mean a bug or an impossible state on our side (XX000).
template <class F>
decltype(auto) FaissCall(const char* context, F&& fn) {
    return FaissCall(context, sqlstate::kInternalError, std::forward<F>(fn));
}

}  // namespace jade::ext::engine
