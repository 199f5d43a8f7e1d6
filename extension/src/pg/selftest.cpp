// pg/selftest.cpp — internal SQL functions that exercise the C++/PostgreSQL boundary
// (pg/guard.h) and the binary input path of the vector type from pg_regress.
//
//   jadevector_internal_raise(kind text) returns text
//       Throws from C++, through JADE_FUNCTION/CallCpp, with a live C++ object on the stack:
//         'jade'          jade::JadeError      -> its SQLSTATE (22023) and message
//         'bad_alloc'     std::bad_alloc       -> 53200 out of memory
//         'runtime_error' std::runtime_error   -> XX000 internal error
//         'unknown'       a non-std exception  -> XX000 internal error
//         'pg'            PgCall(int4in('abc')) -> PostgreSQL's own 22P02, rethrown unchanged
//         'interrupt'     jade::Interrupted with no interrupt pending -> 57014 query canceled
//         'spin'          polls jade::ThrowIfInterrupted() every millisecond for up to 30 s, as
//                         chunked FAISS loops do; a statement_timeout or cancel ends it with
//                         PostgreSQL's own 57014 message (returns 'not interrupted' otherwise)
//         'none'          returns 'ok'
//   jadevector_internal_unwound() returns bigint
//       How many C++ objects the raise function destroyed during unwinding: proves destructors
//       ran before PostgreSQL's longjmp (rule 2 of guard.h).
//   jadevector_internal_vector_recv(data bytea, typmod integer) returns vector
//       Feeds raw bytes to the vector type's receive function exactly as a Bind message or
//       binary COPY does (including the check that every byte was consumed), so malformed
//       binary input can be tested from SQL. jadevector_internal_halfvec_recv and
//       jadevector_internal_sparsevec_recv are the same C function declared with other result
//       types: it runs the receive function of whatever type it returns.
#include "pg/guard.h"

extern "C" {
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
}

#include <chrono>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/interrupt.h"

namespace {

int64 unwound_objects = 0;

// Counts its own destruction; lives on the stack while the raise function throws.
class UnwindWitness {
public:
    UnwindWitness() : payload_(1024, 7) {}
    ~UnwindWitness() { unwound_objects++; }
    UnwindWitness(const UnwindWitness&) = delete;
    UnwindWitness& operator=(const UnwindWitness&) = delete;

private:
    std::vector<int> payload_;  // a real heap allocation that must not leak
};

// A thrown type that does not derive from std::exception.
struct NotAnException {
    int code;
};

// Polls for a pending interrupt like a chunked long-running C++ loop; bounded to 30 s.
bool SpinUntilInterrupted() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        jade::ThrowIfInterrupted();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
}

// Calls int4in('abc') — a PostgreSQL function that ereports — through PgCall.
void CallFailingPgFunction() {
    jade::pg::PgCall([]() { DirectFunctionCall1(int4in, CStringGetDatum("abc")); });
}

}  // namespace

JADE_FUNCTION(jadevector_internal_raise) {
    // Fetch the argument first: text_to_cstring may ereport, so no C++ object exists yet.
    char* kind_cstr = text_to_cstring(PG_GETARG_TEXT_PP(0));
    UnwindWitness witness;
    std::string kind(kind_cstr);
    if (kind == "jade")
        throw jade::JadeError(jade::sqlstate::kInvalidParameterValue, "selftest: JadeError thrown from C++",
                              "The boundary mapped the exception to its SQLSTATE.", "This is a test.");
    if (kind == "bad_alloc") throw std::bad_alloc();
    if (kind == "runtime_error") throw std::runtime_error("selftest: std::runtime_error thrown from C++");
    if (kind == "unknown") throw NotAnException{42};
    if (kind == "pg") CallFailingPgFunction();
    if (kind == "interrupt") throw jade::Interrupted();
    if (kind == "spin" && !SpinUntilInterrupted()) PG_RETURN_TEXT_P(cstring_to_text("not interrupted"));
    if (kind == "none") PG_RETURN_TEXT_P(cstring_to_text("ok"));
    throw jade::JadeError(jade::sqlstate::kInvalidParameterValue, "selftest: unknown kind \"" + kind + "\"");
}

extern "C" {

PG_FUNCTION_INFO_V1(jadevector_internal_unwound);
PG_FUNCTION_INFO_V1(jadevector_internal_vector_recv);

// Returns how many UnwindWitness objects have been destroyed in this backend.
Datum jadevector_internal_unwound(PG_FUNCTION_ARGS) {
    PG_RETURN_INT64(unwound_objects);
}

// Runs the result type's receive function over the bytes, as exec_bind_message does.
Datum jadevector_internal_vector_recv(PG_FUNCTION_ARGS) {
    bytea* data = PG_GETARG_BYTEA_PP(0);
    int32 typmod = PG_GETARG_INT32(1);
    Oid type_oid = get_fn_expr_rettype(fcinfo->flinfo);
    Oid recv_proc;
    Oid io_param;
    getTypeBinaryInputInfo(type_oid, &recv_proc, &io_param);
    FmgrInfo recv_info;
    fmgr_info(recv_proc, &recv_info);

    StringInfoData buf;
    initStringInfo(&buf);
    appendBinaryStringInfo(&buf, VARDATA_ANY(data), (int)VARSIZE_ANY_EXHDR(data));
    Datum result = ReceiveFunctionCall(&recv_info, &buf, io_param, typmod);
    if (buf.cursor != buf.len)
        ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
                        errmsg("incorrect binary data format in bind parameter %d", 1)));
    PG_RETURN_DATUM(result);
}

}  // extern "C"
