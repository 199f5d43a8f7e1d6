// recovery.cpp — the server's 2PC recovery passes (transaction/two_phase_recovery.h): shortly after
// start, every 30 s, and in a short burst after a transaction left work for recovery.
#include "net/exception_boundary.h"
#include "server/server.h"
#include "transaction/two_phase_recovery.h"

namespace jade::coord {

void Server::RecoverPrepared() {
    if (recovery_ || shutting_down_ || store_->catalog().nodes().empty()) return;
    recovery_ = std::make_unique<txn::TwoPhaseRecovery>(&loop_, *pool_, *two_phase_);
    recovery_->Run(store_->catalog(), [this] {
        // Freed after the callback that reports the end has returned.
        txn::TwoPhaseRecovery* done = recovery_.release();
        exec::DeferDelete(&loop_, [done] { delete done; });
    });
}

// Arms the next pass: the burst after an abandoned transaction first, then the period.
void Server::ScheduleRecovery() {
    uint64_t delay = kRecoveryPeriodMs;
    if (!recovery_burst_.empty()) {
        delay = recovery_burst_.front();
        recovery_burst_.erase(recovery_burst_.begin());
    }
    uv_timer_start(
        &recovery_timer_,
        [](uv_timer_t* t) {
            auto* self = static_cast<Server*>(t->data);
            net::Guarded("2PC recovery", [&] { self->RecoverPrepared(); });
            self->ScheduleRecovery();
        },
        delay, 0);
}

void Server::RequestRecovery() {
    if (shutting_down_) return;
    recovery_burst_ = {3000, 6000};
    uv_timer_start(
        &recovery_timer_,
        [](uv_timer_t* t) {
            auto* self = static_cast<Server*>(t->data);
            net::Guarded("2PC recovery", [&] { self->RecoverPrepared(); });
            self->ScheduleRecovery();
        },
        1000, 0);
}

}  // namespace jade::coord
