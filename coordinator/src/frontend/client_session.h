// client_session.h — one client connection: the frontend that speaks the PostgreSQL protocol.
//
// The session owns its socket and the sans-IO wire::Session. Pump() pulls one frontend message
// at a time and only while no statement is running and the client's output queue is below its
// limit, so a client can never make the coordinator buffer unbounded input or output.
// It keeps the protocol state (prepared statements, portals, skip-until-Sync, deferred
// Describe/BindComplete) and hands each statement to the StatementExecutor
// (executor/statement_executor.h), which plans and runs it. The session's transaction —
// pinned worker connections, settings, commit and two-phase commit — is the
// TransactionCoordinator's (transaction/transaction_coordinator.h).
//
//   ClientSession ──statement──► StatementExecutor ──lanes──► TaskRun ──► worker connections
//        │                              │                                    ▲
//        └── owns ──► TransactionCoordinator ◄── connections, commit ────────┘
//
// Files: client_session.cpp (socket, pump, dispatch, simple query), extended_query.cpp
// (Parse/Bind/Describe/Execute/Close/Sync, portals and row-limited Execute).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "executor/client_channel.h"
#include "executor/server_context.h"
#include "executor/statement_executor.h"
#include "net/client_socket.h"
#include "transaction/transaction_coordinator.h"
#include "wire/session.h"

namespace jade::coord::frontend {

class ClientSession : public net::ClientSocket::Owner, public exec::ClientChannel {
public:
    ClientSession(exec::ServerContext& server, net::ClientSocket* socket, int32_t pid, int32_t key);
    ~ClientSession() override;

    void Start();
    /** CancelRequest for this session: cancel the worker queries it is running. */
    void CancelRunning();
    /** Server shutdown: tell the client and close. */
    void Shutdown();
    int32_t pid() const { return pid_; }
    int32_t key() const { return key_; }
    /** Startup or SASL exchange not finished (max_unauthenticated_clients counts these). */
    bool authenticating() const { return session_.authenticating(); }
    /**
     * The timeout this session has run past at loop time `now_ms`, if any (session_timeouts.cpp):
     * authentication_timeout, idle_in_transaction_session_timeout, idle_session_timeout. A
     * statement past statement_timeout is cancelled here (a worker that does not enforce it).
     */
    std::optional<Error> TimeoutExpired(uint64_t now_ms);
    /** Ends the session with a FATAL error (timeouts). */
    void Terminate(const Error& error);

    // net::ClientSocket::Owner
    void OnRead(std::string_view bytes) override;
    void OnEof() override;
    void OnDrained() override;
    void OnClosed() override;
    // net::ExceptionOwner
    void OnUnhandledException(const std::string& what) override;

    // exec::ClientChannel
    std::string& out() override { return session_.output(); }
    void Flush() override;
    bool OutputFull() const override;
    void WhenDrained(std::function<void()> fn) override { on_drained_ = std::move(fn); }
    void StopCapture() override { capture_ = false; }
    void StartCopyIn(CopySink sink) override { copy_sink_ = std::move(sink); }
    void EndCopyIn() override;
    void PauseCopyIn() override { copy_paused_ = true; }
    void ResumeCopyIn() override;
    std::string user() const override { return session_.user(); }

private:
    struct Portal {
        std::shared_ptr<exec::PreparedStatement> stmt;
        Params params;
        std::vector<int16_t> result_formats;
        /** Execute with a row limit: the rest of the result, served by later Executes. */
        bool suspended = false;
        bool completed = false;                ///< ran to its end: further Executes return no rows
        std::deque<std::string> pending_rows;  ///< encoded DataRow messages
        std::string final_tag;                 ///< CommandComplete tag of the whole result
    };
    using DoneFn = std::function<void(bool ok)>;

    // client_session.cpp
    void Pump();
    void CloseNow();
    void HandleMessage(char type, std::string_view payload);
    void HandleQuery(std::string_view payload);
    void RunSimpleStatements(std::shared_ptr<std::vector<ParsedStatement>> stmts, size_t i, std::string full_sql);
    void FinishSimpleQuery();
    void SendError(const Error& error);
    void ReadyForQuery();
    void OnAuthenticated();

    // session_timeouts.cpp
    void MarkIdle();
    int64_t TimeoutSetting(const char* name, int configured) const;

    // extended_query.cpp
    void HandleParse(std::string_view payload);
    void HandleBind(std::string_view payload);
    void HandleDescribe(std::string_view payload);
    void HandleExecute(std::string_view payload);
    void HandleClose(std::string_view payload);
    void HandleSync();
    void SuspendPortal(const std::string& name, size_t mark, int32_t max_rows);
    void ResumePortal(Portal& portal, int32_t max_rows);
    bool ContinuesPendingBind(char type, std::string_view payload) const;
    void RetractBindComplete(size_t mark, uint64_t flushes, const std::string& portal);
    static bool EndsTransaction(const std::vector<ParsedStatement>& parsed);
    void FlushPendingDescribe(DoneFn then);

    /** Output is written when a batch ends (ReadyForQuery, Flush) or once this much is buffered. */
    static constexpr size_t kFlushBytes = 64 * 1024;

    exec::ServerContext& server_;
    net::ClientSocket* socket_;
    wire::Session session_;
    int32_t pid_;
    int32_t key_;
    // Declared before the executor, which uses it: destroyed after it.
    std::unique_ptr<txn::TransactionCoordinator> txn_;
    std::unique_ptr<exec::StatementExecutor> exec_;

    bool busy_ = false;
    bool closing_ = false;
    bool pumping_ = false;
    bool copy_paused_ = false;
    bool capture_ = false;                     ///< output of a row-limited Execute is held back until it is split
    exec::ClientChannel::CopySink copy_sink_;  ///< set while COPY FROM STDIN runs
    std::function<void()> on_drained_;

    // Extended protocol
    std::map<std::string, std::shared_ptr<exec::PreparedStatement>> statements_;
    std::map<std::string, Portal> portals_;
    bool skip_until_sync_ = false;
    std::optional<std::string> pending_describe_portal_;
    /** A Bind whose BindComplete waits for the portal's Execute (executor/bind_error.h). */
    std::optional<std::string> pending_bind_;
    /** Counts writes of output to the socket: bytes before a mark are gone once it changes. */
    uint64_t flushes_ = 0;

    // Timeouts (session_timeouts.cpp), in loop milliseconds (uv_now)
    uint64_t accepted_ms_ = 0;
    bool idle_ = false;  ///< ReadyForQuery sent, no message since
    uint64_t idle_since_ms_ = 0;
    std::optional<uint64_t> cancelled_statement_;  ///< start time of the statement the backstop cancelled
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace jade::coord::frontend
