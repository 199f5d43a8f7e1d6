// guard.cpp — capture and report of C++ failures at the PG boundary (see guard.h).
#include "pg/guard.h"

#include <cstring>
#include <exception>

#include "common/interrupt.h"

namespace jade::pg {

namespace {

// Copies src into a fixed buffer: no allocation is allowed while a C++ exception is in flight.
void CopyBounded(char* dst, size_t size, const char* src) {
    if (src == nullptr) {
        dst[0] = '\0';
        return;
    }
    strlcpy(dst, src, size);
}

// Reports only interrupts that end the statement. InterruptPending alone is also set for
// harmless events (sinval catch-up, ProcSignal barriers, notifies) that CHECK_FOR_INTERRUPTS
// services and returns from; stopping a FAISS loop for those turned into a spurious
// "canceling statement" error in long index builds on a busy server.
bool BackendInterruptPending() { return InterruptPending && (QueryCancelPending || ProcDiePending); }

}  // namespace

void CaptureCurrentException(CaughtFailure* failure) noexcept {
    failure->pg_error = nullptr;
    failure->sqlstate[0] = failure->message[0] = failure->detail[0] = failure->hint[0] = '\0';
    try {
        throw;
    } catch (const PgError& e) {
        failure->kind = CaughtFailure::kPg;
        failure->pg_error = e.edata();
    } catch (const JadeError& e) {
        failure->kind = CaughtFailure::kJade;
        CopyBounded(failure->sqlstate, sizeof(failure->sqlstate), e.sqlstate());
        CopyBounded(failure->message, sizeof(failure->message), e.what());
        CopyBounded(failure->detail, sizeof(failure->detail), e.detail().c_str());
        CopyBounded(failure->hint, sizeof(failure->hint), e.hint().c_str());
    } catch (const Interrupted&) {
        failure->kind = CaughtFailure::kInterrupted;
    } catch (const std::bad_alloc&) {
        failure->kind = CaughtFailure::kOutOfMemory;
    } catch (const std::exception& e) {
        failure->kind = CaughtFailure::kOther;
        CopyBounded(failure->message, sizeof(failure->message), e.what());
    } catch (...) {
        failure->kind = CaughtFailure::kOther;
        CopyBounded(failure->message, sizeof(failure->message), "unknown C++ exception");
    }
}

void ReportFailure(CaughtFailure* failure) {
    switch (failure->kind) {
        case CaughtFailure::kPg:
            ReThrowError(failure->pg_error);
            break;
        case CaughtFailure::kJade: {
            const char* s = failure->sqlstate;
            ereport(ERROR, (errcode(MAKE_SQLSTATE(s[0], s[1], s[2], s[3], s[4])), errmsg("%s", failure->message),
                            failure->detail[0] ? errdetail("%s", failure->detail) : 0,
                            failure->hint[0] ? errhint("%s", failure->hint) : 0));
            break;
        }
        case CaughtFailure::kInterrupted:
            CHECK_FOR_INTERRUPTS();
            // The interrupt was already serviced (e.g. a cancel that arrived while idle-holdoff).
            ereport(ERROR, (errcode(ERRCODE_QUERY_CANCELED), errmsg("canceling statement due to user request")));
            break;
        case CaughtFailure::kOutOfMemory:
            ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory"),
                            errdetail("A C++ allocation failed inside jadevector.")));
            break;
        case CaughtFailure::kOther:
        case CaughtFailure::kNone:
            ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("jadevector internal error: %s", failure->message)));
            break;
    }
    pg_unreachable();
}

void InstallInterruptProbe() { jade::SetInterruptProbe(&BackendInterruptPending); }

}  // namespace jade::pg
