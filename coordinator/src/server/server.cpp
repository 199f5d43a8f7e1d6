// server.cpp — the coordinator daemon (see server.h).
#include "server/server.h"

#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "net/client_socket.h"
#include "wire/io_sqlstate.h"
#include "wire/messages/error_response.h"

namespace jade::coord {

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
    backend::WorkerLogin login;
    login.user = config_.worker_user;
    login.database = config_.worker_database;
    login.password = config_.worker_password;
    login.connect_timeout_ms = config_.connect_timeout_ms;
    pool_ = std::make_unique<backend::WorkerPool>(&loop_, login, config_.pool_size);
    listener_ = std::make_unique<net::TcpListener>(&loop_);
    JADE_TRY_STATUS(listener_->Listen(config_.listen, config_.port, [this](uv_stream_t* s) { OnAccept(s); }));

    uv_signal_init(&loop_, &sigterm_);
    uv_signal_init(&loop_, &sigint_);
    sigterm_.data = this;
    sigint_.data = this;
    auto on_signal = [](uv_signal_t* h, int signum) { static_cast<Server*>(h->data)->BeginShutdown(signum); };
    uv_signal_start(&sigterm_, on_signal, SIGTERM);
    uv_signal_start(&sigint_, on_signal, SIGINT);
    signal(SIGPIPE, SIG_IGN);

    // In-doubt prepared transactions: resolved shortly after start, then periodically.
    uv_timer_init(&loop_, &recovery_timer_);
    recovery_timer_.data = this;
    uv_timer_start(
        &recovery_timer_, [](uv_timer_t* t) { static_cast<Server*>(t->data)->RecoverPrepared(); }, 200, 30000);
    std::fprintf(stderr, "jade-coordinator: listening on %s:%d, data directory %s, %zu worker node(s)\n",
                 config_.listen.c_str(), config_.port, config_.data_dir.c_str(), store_->catalog().nodes().size());
    return {};
}

int Server::Run() {
    uv_run(&loop_, UV_RUN_DEFAULT);
    std::fprintf(stderr, "jade-coordinator: stopped\n");
    return 0;
}

// Accepts a client; beyond max_clients it gets 53300 like PostgreSQL's "too many clients".
void Server::OnAccept(uv_stream_t* server) {
    net::ClientSocket* sock = net::ClientSocket::Accept(server);
    if (sock == nullptr) return;
    if (shutting_down_ || static_cast<int>(sessions_.size()) >= config_.max_clients) {
        std::string out;
        wire::WriteError(
            &out,
            MakeError(shutting_down_ ? iostate::kAdminShutdown : iostate::kTooManyConnections,
                      shutting_down_ ? "the coordinator is shutting down" : "sorry, too many clients already"),
            true);
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
