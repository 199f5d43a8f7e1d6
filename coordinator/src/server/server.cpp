// server.cpp — the coordinator daemon (see server.h).
#include "server/server.h"

#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <vector>

#include "auth/server_secret.h"
#include "net/client_socket.h"
#include "net/exception_boundary.h"
#include "transaction/two_phase_recovery.h"
#include "wire/io_sqlstate.h"
#include "wire/messages/error_response.h"

namespace jade::coord {
namespace {

/** How often authentication and idle timeouts are checked (ms): their resolution. */
constexpr uint64_t kSweepMs = 100;

}  // namespace

Server::Server(Config config) : config_(std::move(config)) {
    uv_loop_init(&loop_);
}

// The process is exiting: handles still open are left to the OS rather than closed under
// objects (sessions, worker connections) that own them.
Server::~Server() = default;

// Creates the data directory, loads metadata and the 2PC log, listens and installs signals.
Status Server::Start() {
    if (::mkdir(config_.data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
        return MakeError(sqlstate::kIoError, "could not create data directory \"" + config_.data_dir + "\"");
    }
    auto store = MetadataStore::Open(config_.data_dir);
    if (!store) return std::move(store).error();
    store_ = std::move(store).value();
    auto log = txn::TwoPhaseLog::Open(config_.data_dir, config_.coordinator_id);
    if (!log) return std::move(log).error();
    two_phase_ = std::move(log).value();
    JADE_TRY_STATUS(SetUpSecurity());
    backend::PoolOptions pool;
    backend::WorkerLogin& login = pool.login;
    login.user = config_.worker_user;
    login.database = config_.worker_database;
    login.password = config_.worker_password;
    login.connect_timeout_ms = config_.connect_timeout_ms;
    login.keepalives_idle_s = config_.tcp_keepalives_idle;
    login.keepalives_interval_s = config_.tcp_keepalives_interval;
    login.keepalives_count = config_.tcp_keepalives_count;
    login.tcp_user_timeout_ms = config_.tcp_user_timeout_ms;
    login.sslmode = config_.worker_sslmode;
    login.sslrootcert = config_.worker_sslrootcert;
    login.sslcert = config_.worker_sslcert;
    login.sslkey = config_.worker_sslkey;
    login.passfile = config_.worker_passfile;
    login.cancel_timeout_ms = config_.cancel_timeout_ms;
    pool.max_per_node = config_.pool_size;
    pool.wait_timeout_ms = config_.pool_wait_timeout_ms;
    if (config_.worker_role == WorkerRole::kClient) pool.role_passwords = config_.user_passwords;
    pool_ = std::make_unique<backend::WorkerPool>(&loop_, std::move(pool));
    listener_ = std::make_unique<net::TcpListener>(&loop_);
    JADE_TRY_STATUS(listener_->Listen(config_.listen, config_.port, [this](uv_stream_t* s) { OnAccept(s); }));

    uv_signal_init(&loop_, &sigterm_);
    uv_signal_init(&loop_, &sigint_);
    sigterm_.data = this;
    sigint_.data = this;
    auto on_signal = [](uv_signal_t* h, int signum) {
        auto* self = static_cast<Server*>(h->data);
        net::Guarded("shutdown", [&] { self->BeginShutdown(signum); });
    };
    uv_signal_start(&sigterm_, on_signal, SIGTERM);
    uv_signal_start(&sigint_, on_signal, SIGINT);
    signal(SIGPIPE, SIG_IGN);

    // In-doubt prepared transactions: resolved shortly after start, then periodically.
    uv_timer_init(&loop_, &recovery_timer_);
    recovery_timer_.data = this;
    recovery_burst_ = {200};
    ScheduleRecovery();
    // A transaction that ended with prepared participants left (its client went away, a worker
    // did not answer phase 2) is finished by the next passes.
    two_phase_->SetAbandonListener([this] { RequestRecovery(); });
    // Authentication and idle timeouts are checked here, for every session, a few times a second.
    uv_timer_init(&loop_, &sweep_timer_);
    sweep_timer_.data = this;
    uv_timer_start(
        &sweep_timer_,
        [](uv_timer_t* t) {
            auto* self = static_cast<Server*>(t->data);
            net::Guarded("session timeouts", [&] { self->SweepSessions(); });
        },
        kSweepMs, kSweepMs);
    std::fprintf(stderr, "jade-coordinator: listening on %s:%d, data directory %s, %zu worker node(s)%s\n",
                 config_.listen.c_str(), config_.port, config_.data_dir.c_str(), store_->catalog().nodes().size(),
                 tls_ ? ", TLS on" : "");
    return {};
}

// Loads the server secret (SCRAM salts: auth/server_secret.h) and the TLS certificate.
Status Server::SetUpSecurity() {
    auto secret = auth::LoadOrCreateServerSecret(config_.data_dir);
    if (!secret) return std::move(secret).error();
    server_secret_ = std::move(secret).value();
    // Plaintext passwords get a salt that is stable across restarts, as unknown users' mock
    // salts are: a salt that changed at every restart would tell real users apart.
    for (const auto& [name, password] : config_.user_passwords) {
        config_.users[name] =
            auth::MakeScramSecret(password, auth::DeriveUserSalt(server_secret_, name), auth::kDefaultScramIterations);
    }
    if (config_.ssl) {
        auto tls = net::TlsContext::Create(config_.ssl_cert_file, config_.ssl_key_file, config_.ssl_min_protocol_version,
                                           config_.ssl_ciphers);
        if (!tls) return std::move(tls).error();
        tls_ = std::move(tls).value();
    }
    return {};
}

// Ends sessions past a deadline: authentication not finished within authentication_timeout_ms,
// or idle (waiting for the client after ReadyForQuery) past their idle timeouts.
void Server::SweepSessions() {
    uint64_t now = uv_now(&loop_);
    std::vector<std::pair<frontend::ClientSession*, Error>> expired;
    for (auto& [pid, session] : sessions_) {
        std::optional<Error> why = session->TimeoutExpired(now);
        if (why) expired.emplace_back(session, *why);
    }
    for (auto& [session, error] : expired) session->Terminate(error);
}

int Server::Run() {
    uv_run(&loop_, UV_RUN_DEFAULT);
    std::fprintf(stderr, "jade-coordinator: stopped\n");
    return 0;
}

// Accepts a client; beyond max_clients it gets 53300 like PostgreSQL's "too many clients", and
// so does one beyond max_unauthenticated_clients connections that have not authenticated yet
// (each of those costs memory and a slot while a client is free to send nothing).
void Server::OnAccept(uv_stream_t* server) {
    net::SocketOptions options;
    options.keepalives_idle_s = config_.tcp_keepalives_idle;
    options.keepalives_interval_s = config_.tcp_keepalives_interval;
    options.keepalives_count = config_.tcp_keepalives_count;
    options.user_timeout_ms = config_.tcp_user_timeout_ms;
    net::ClientSocket* sock = net::ClientSocket::Accept(server, options);
    if (sock == nullptr) return;
    int authenticating = 0;
    for (const auto& [pid, s] : sessions_) authenticating += s->authenticating() ? 1 : 0;
    std::optional<Error> refuse;
    if (shutting_down_) {
        refuse = MakeError(iostate::kAdminShutdown, "the coordinator is shutting down");
    } else if (static_cast<int>(sessions_.size()) >= config_.max_clients) {
        refuse = MakeError(iostate::kTooManyConnections, "sorry, too many clients already");
    } else if (authenticating >= config_.max_unauthenticated_clients) {
        refuse = MakeError(iostate::kTooManyConnections, "sorry, too many clients are authenticating",
                           "max_unauthenticated_clients = " + std::to_string(config_.max_unauthenticated_clients) +
                               " connections have not finished authentication yet.");
    }
    if (refuse) {
        std::string out;
        wire::WriteError(&out, *refuse, true);
        sock->Write(&out);
        sock->Close();
        return;
    }
    int32_t key = 0;
    RAND_bytes(reinterpret_cast<unsigned char*>(&key), sizeof key);
    int32_t pid = next_pid_++;
    if (next_pid_ <= 0) next_pid_ = 1;
    auto* session = new frontend::ClientSession(*this, sock, pid, key);
    sessions_[pid] = session;
    session->Start();
}

void Server::SessionClosed(frontend::ClientSession* session) {
    sessions_.erase(session->pid());
    delete session;
}

// A CancelRequest must quote both the pid and the secret key.
void Server::CancelSession(int32_t pid, int32_t key) {
    auto it = sessions_.find(pid);
    if (it == sessions_.end() || it->second->key() != key) return;
    it->second->CancelRunning();
}

// Stops accepting, closes sessions and connections; the loop ends when idle.
void Server::BeginShutdown(int signum) {
    if (shutting_down_) return;
    shutting_down_ = true;
    std::fprintf(stderr, "jade-coordinator: received signal %d, shutting down\n", signum);
    listener_->Close();
    uv_signal_stop(&sigterm_);
    uv_signal_stop(&sigint_);
    uv_close(reinterpret_cast<uv_handle_t*>(&sigterm_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&sigint_), nullptr);
    uv_timer_stop(&recovery_timer_);
    uv_close(reinterpret_cast<uv_handle_t*>(&recovery_timer_), nullptr);
    uv_timer_stop(&sweep_timer_);
    uv_close(reinterpret_cast<uv_handle_t*>(&sweep_timer_), nullptr);
    auto sessions = sessions_;
    for (auto& [pid, s] : sessions) s->Shutdown();
    pool_->Shutdown();
    uv_timer_init(&loop_, &force_exit_timer_);
    force_exit_timer_.data = this;
    uv_timer_start(
        &force_exit_timer_, [](uv_timer_t* t) { uv_stop(t->loop); }, 3000, 0);
    uv_unref(reinterpret_cast<uv_handle_t*>(&force_exit_timer_));
}

}  // namespace jade::coord
