// peer_spec.cpp — --peers parsing (see peer_spec.h).
#include "raft/peer_spec.h"

#include <set>

namespace jade::coord::raft {
namespace {

Error Bad(std::string_view entry, const std::string& why) {
    return MakeError(sqlstate::kInvalidParameterValue, "invalid coordinator peer \"" + std::string(entry) + "\": " + why,
                     {}, "Write peers as id@host[:port], e.g. 1@10.0.0.1:9080,2@10.0.0.2:9080,3@10.0.0.3:9080.");
}

bool AllDigits(std::string_view s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos; }

}  // namespace

Expected<PeerSpec> ParseHostAndPort(std::string_view text) {
    PeerSpec p;
    std::string_view host = text;
    size_t colon = text.rfind(':');
    if (colon != std::string_view::npos) {
        std::string_view port = text.substr(colon + 1);
        if (!AllDigits(port) || port.size() > 5 || std::stoul(std::string(port)) == 0 ||
            std::stoul(std::string(port)) > 65535) {
            return Bad(text, "port must be 1..65535");
        }
        p.port = static_cast<uint16_t>(std::stoul(std::string(port)));
        host = text.substr(0, colon);
    }
    if (host.empty()) return Bad(text, "host is empty");
    if (host.find_first_of(" ,@/") != std::string_view::npos) return Bad(text, "host contains a separator");
    p.host = std::string(host);
    return p;
}

Expected<PeerSpec> ParsePeer(std::string_view text) {
    size_t at = text.find('@');
    if (at == std::string_view::npos) return Bad(text, "missing id@");
    std::string_view id = text.substr(0, at);
    if (!AllDigits(id) || id.size() > 18 || std::stoull(std::string(id)) == 0) {
        return Bad(text, "id must be a positive integer");
    }
    auto p = ParseHostAndPort(text.substr(at + 1));
    if (!p) return std::move(p).error();
    p->id = std::stoull(std::string(id));
    return p;
}

Expected<std::vector<PeerSpec>> ParsePeerList(std::string_view text) {
    std::vector<PeerSpec> out;
    std::set<uint64_t> ids;
    std::set<std::string> addresses;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t comma = text.find(',', pos);
        std::string_view entry = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
        while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
        while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
        if (entry.empty()) return Bad(text, "empty entry");
        auto p = ParsePeer(entry);
        if (!p) return std::move(p).error();
        if (!ids.insert(p->id).second) return Bad(entry, "id " + std::to_string(p->id) + " appears twice");
        if (!addresses.insert(p->Address()).second) return Bad(entry, "address " + p->Address() + " appears twice");
        out.push_back(std::move(p).value());
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
    }
    return out;
}

}  // namespace jade::coord::raft
