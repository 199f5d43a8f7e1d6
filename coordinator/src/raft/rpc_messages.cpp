// rpc_messages.cpp — cluster-port payload codecs (see rpc_messages.h).
#include "raft/rpc_messages.h"

#include "metadata/byte_codec.h"

namespace jade::coord::raft {
namespace {

void PutError(ByteWriter& w, const Error& e) {
    w.Str(e.sqlstate);
    w.Str(e.message);
    w.Str(e.detail);
    w.Str(e.hint);
}

Error GetError(ByteReader& r) {
    Error e;
    e.sqlstate = r.Str();
    e.message = r.Str();
    e.detail = r.Str();
    e.hint = r.Str();
    return e;
}

Error Malformed(const char* what) {
    return MakeError(sqlstate::kDataCorrupted, std::string("malformed cluster message: ") + what);
}

// Checks the version byte; false (with r failed) on anything else.
bool Version(ByteReader& r) {
    if (r.U8() != kRpcVersion) r.Fail();
    return !r.failed();
}

}  // namespace

std::string EncodeProposalResult(const ProposalResult& p) {
    ByteWriter w;
    w.U8(kRpcVersion);
    w.U8(static_cast<uint8_t>(p.outcome));
    w.U64(p.index);
    PutError(w, p.error);
    return std::move(w.bytes());
}

Expected<ProposalResult> DecodeProposalResult(std::string_view bytes) {
    ByteReader r(bytes);
    Version(r);
    ProposalResult p;
    uint8_t o = r.U8();
    p.index = r.U64();
    p.error = GetError(r);
    if (r.failed() || !r.at_end() || o > static_cast<uint8_t>(Outcome::kUnknown)) return Malformed("proposal result");
    p.outcome = static_cast<Outcome>(o);
    return p;
}

std::string EncodePeerStatus(const PeerStatus& s) {
    ByteWriter w;
    w.U8(kRpcVersion);
    w.U64(s.id);
    w.Str(s.address);
    w.Str(s.sql_address);
    w.U8(s.role);
    w.U64(s.term);
    w.U64(s.leader_id);
    w.U64(s.commit_index);
    w.U64(s.applied_index);
    w.U64(s.last_index);
    w.Bool(s.caught_up);
    w.Bool(s.acting_leader);
    w.U64(s.since_leader_contact_ms);
    return std::move(w.bytes());
}

Expected<PeerStatus> DecodePeerStatus(std::string_view bytes) {
    ByteReader r(bytes);
    Version(r);
    PeerStatus s;
    s.id = r.U64();
    s.address = r.Str();
    s.sql_address = r.Str();
    s.role = r.U8();
    s.term = r.U64();
    s.leader_id = r.U64();
    s.commit_index = r.U64();
    s.applied_index = r.U64();
    s.last_index = r.U64();
    s.caught_up = r.Bool();
    s.acting_leader = r.Bool();
    s.since_leader_contact_ms = r.U64();
    if (r.failed() || !r.at_end()) return Malformed("peer status");
    return s;
}

std::string EncodeMembershipRequest(const MembershipRequest& m) {
    ByteWriter w;
    w.U8(kRpcVersion);
    w.U8(static_cast<uint8_t>(m.op));
    w.U64(m.id);
    w.Str(m.address);
    return std::move(w.bytes());
}

Expected<MembershipRequest> DecodeMembershipRequest(std::string_view bytes) {
    ByteReader r(bytes);
    Version(r);
    MembershipRequest m;
    uint8_t op = r.U8();
    m.id = r.U64();
    m.address = r.Str();
    if (r.failed() || !r.at_end() || op < 1 || op > 3) return Malformed("membership request");
    m.op = static_cast<MembershipOp>(op);
    return m;
}

std::string EncodeStatusReply(const Status& st, bool not_leader) {
    ByteWriter w;
    w.U8(kRpcVersion);
    w.Bool(st.ok());
    w.Bool(not_leader);
    PutError(w, st.ok() ? Error{} : st.error());
    return std::move(w.bytes());
}

Status DecodeStatusReply(std::string_view bytes, bool* not_leader) {
    ByteReader r(bytes);
    Version(r);
    bool ok = r.Bool();
    *not_leader = r.Bool();
    Error e = GetError(r);
    if (r.failed() || !r.at_end()) return Malformed("status reply");
    if (ok) return {};
    return e;
}

}  // namespace jade::coord::raft
