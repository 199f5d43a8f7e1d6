// two_phase_log.cpp — 2PC decision log (see two_phase_log.h).
#include "transaction/two_phase_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

namespace jade::coord::txn {

// Reads the existing log: commit records without a done record are the pending decisions.
Expected<std::unique_ptr<TwoPhaseLog>> TwoPhaseLog::Open(const std::string& dir, const std::string& coordinator_id) {
    std::unique_ptr<TwoPhaseLog> log(new TwoPhaseLog(dir + "/2pc.log", coordinator_id));
    uint64_t max_seen = 0;
    std::ifstream in(log->path_);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        char kind = 0;
        uint64_t txid = 0;
        if (!(ls >> kind >> txid)) continue;  // a torn last line from a crash: ignored
        max_seen = std::max(max_seen, txid);
        if (kind == 'C') {
            PendingCommit record;
            std::string item;
            while (ls >> item) {
                size_t colon = item.find(':');
                if (colon == std::string::npos || colon == 0) continue;
                PreparedParticipant p;
                p.node_id = static_cast<uint32_t>(std::strtoul(item.substr(0, colon).c_str(), nullptr, 10));
                p.gid = item.substr(colon + 1);
                record.participants.insert(std::move(p));
            }
            record.legacy = record.participants.empty();
            log->committed_[txid] = std::move(record);
        } else if (kind == 'P') {
            std::string gid;
            auto it = log->committed_.find(txid);
            if (!(ls >> gid) || it == log->committed_.end()) continue;
            for (auto p = it->second.participants.begin(); p != it->second.participants.end(); ++p) {
                if (p->gid == gid) {
                    it->second.participants.erase(p);
                    break;
                }
            }
        } else if (kind == 'D') {
            log->committed_.erase(txid);
        }
    }
    uint64_t now_us = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
    log->next_txid_ = std::max(max_seen + 1, now_us);
    log->fd_ = ::open(log->path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log->fd_ < 0) {
        return MakeError(sqlstate::kIoError, "could not open 2PC log \"" + log->path_ + "\": " + std::strerror(errno));
    }
    return log;
}

TwoPhaseLog::~TwoPhaseLog() {
    if (fd_ >= 0) ::close(fd_);
}

uint64_t TwoPhaseLog::Begin() {
    uint64_t id = next_txid_++;
    in_flight_.insert(id);
    return id;
}

// Appends a line, fsync'ing it when it is a decision.
Status TwoPhaseLog::Append(const std::string& line, bool sync) {
    size_t off = 0;
    while (off < line.size()) {
        ssize_t n = ::write(fd_, line.data() + off, line.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            return MakeError(sqlstate::kIoError, "could not write 2PC log: " + std::string(std::strerror(errno)));
        }
        off += static_cast<size_t>(n);
    }
    if (sync && ::fdatasync(fd_) != 0) {
        return MakeError(sqlstate::kIoError, "could not fsync 2PC log: " + std::string(std::strerror(errno)));
    }
    return {};
}

Status TwoPhaseLog::LogCommit(uint64_t txid, const std::vector<PreparedParticipant>& participants) {
    std::string line = "C " + std::to_string(txid);
    PendingCommit record;
    for (const PreparedParticipant& p : participants) {
        line += " " + std::to_string(p.node_id) + ":" + p.gid;
        record.participants.insert(p);
    }
    record.legacy = record.participants.empty();
    JADE_TRY_STATUS(Append(line + "\n", true));
    committed_[txid] = std::move(record);
    return {};
}

void TwoPhaseLog::Finish(uint64_t txid, bool all_committed) {
    in_flight_.erase(txid);
    if (all_committed) {
        Done(txid);
        return;
    }
    if (committed_.count(txid) != 0 && on_abandon_) on_abandon_();
}

void TwoPhaseLog::Abandon(uint64_t txid) {
    in_flight_.erase(txid);
    if (on_abandon_) on_abandon_();
}

void TwoPhaseLog::ParticipantDone(uint64_t txid, const PreparedParticipant& participant) {
    auto it = committed_.find(txid);
    if (it == committed_.end() || it->second.participants.erase(participant) == 0) return;
    if (it->second.participants.empty()) {
        Done(txid);
        return;
    }
    (void)Append("P " + std::to_string(txid) + " " + participant.gid + "\n", false);
}

void TwoPhaseLog::Resolved(uint64_t txid) {
    Done(txid);
}

void TwoPhaseLog::Done(uint64_t txid) {
    if (committed_.erase(txid) != 0) (void)Append("D " + std::to_string(txid) + "\n", false);
}

std::string TwoPhaseLog::Gid(uint64_t txid, uint32_t participant) const {
    return GidPrefix() + std::to_string(txid) + "_" + std::to_string(participant);
}

// Accepts exactly jade_<id>_<digits>_<digits>.
bool TwoPhaseLog::ParseGid(const std::string& gid, uint64_t* txid) const {
    std::string prefix = GidPrefix();
    if (gid.compare(0, prefix.size(), prefix) != 0) return false;
    std::string rest = gid.substr(prefix.size());
    size_t us = rest.find('_');
    if (us == std::string::npos || us == 0 || us + 1 >= rest.size()) return false;
    std::string a = rest.substr(0, us), b = rest.substr(us + 1);
    if (a.find_first_not_of("0123456789") != std::string::npos ||
        b.find_first_not_of("0123456789") != std::string::npos || a.size() > 19) {
        return false;
    }
    *txid = std::stoull(a);
    return true;
}

}  // namespace jade::coord::txn
