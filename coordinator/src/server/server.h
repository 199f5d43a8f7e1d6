// server.h — the coordinator daemon: one libuv loop that owns the listener, client sessions,
// the worker pool, the metadata store, the 2PC log and recovery, and signal handling.
//
// Everything runs on that one loop (libraft's raft_uv will join it); the only other threads are
// libuv's pool for PQcancel and DNS. SIGTERM/SIGINT: stop accepting, tell clients (57P01),
// close worker connections, and exit once the loop is idle (forced after a grace period).
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "backend/pool.h"
#include "config/config.h"
#include "frontend/client_session.h"
#include "metadata/store.h"
#include "net/tcp_listener.h"
#include "net/tls.h"
#include "transaction/two_phase_log.h"

namespace jade::coord {
namespace txn {
class TwoPhaseRecovery;
}

class Server : public exec::ServerContext {
public:
    explicit Server(Config config);
    ~Server() override;

    /** Opens the data directory, listens, and schedules 2PC recovery. */
    Status Start();
    /** Runs the loop until shutdown; returns the process exit code. */
    int Run();

    // exec::ServerContext
    uv_loop_t* loop() override { return &loop_; }
    backend::WorkerPool& pool() override { return *pool_; }
    MetadataStore& store() override { return *store_; }
    const Config& config() override { return config_; }
    txn::TwoPhaseLog& two_phase() override { return *two_phase_; }
    uint64_t schema_epoch() const override { return schema_epoch_; }
    void BumpSchemaEpoch() override { ++schema_epoch_; }
    void SessionClosed(frontend::ClientSession* session) override;
    void CancelSession(int32_t pid, int32_t key) override;
    const net::TlsContext* tls_context() const override { return tls_.get(); }
    const std::string& server_secret() const override { return server_secret_; }

private:
    void OnAccept(uv_stream_t* server);
    void BeginShutdown(int signum);
    // recovery.cpp
    void RecoverPrepared();
    void SweepSessions();
    Status SetUpSecurity();
    void ScheduleRecovery();
    void RequestRecovery();
    static constexpr uint64_t kRecoveryPeriodMs = 30000;

    uv_loop_t loop_{};
    Config config_;
    std::unique_ptr<MetadataStore> store_;
    std::unique_ptr<txn::TwoPhaseLog> two_phase_;
    uint64_t schema_epoch_ = 1;  ///< connections' statement caches start at 0: stale (empty) until first use
    std::unique_ptr<backend::WorkerPool> pool_;
    std::unique_ptr<net::TcpListener> listener_;
    std::unordered_map<int32_t, frontend::ClientSession*> sessions_;
    uv_signal_t sigterm_{};
    uv_signal_t sigint_{};
    uv_timer_t recovery_timer_{};
    uv_timer_t sweep_timer_{};  ///< authentication and idle timeouts
    uv_timer_t force_exit_timer_{};
    bool shutting_down_ = false;
    int32_t next_pid_ = 1;
    std::unique_ptr<txn::TwoPhaseRecovery> recovery_;  ///< the running recovery pass, if any
    std::vector<uint64_t> recovery_burst_;              ///< delays (ms) of the next passes before the period
    std::unique_ptr<net::TlsContext> tls_;
    std::string server_secret_;  ///< DATA_DIR/auth_secret (auth/server_secret.h)
};

}  // namespace jade::coord
