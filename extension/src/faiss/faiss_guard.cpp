// faiss/faiss_guard.cpp — trimming FAISS exception messages for users (faiss_guard.h).
#include "faiss/faiss_guard.h"

#include <cctype>

namespace jade::ext::engine {

std::string TrimFaissMessage(const std::string& what) {
    // FAISS: "Error in <signature> at <file>:<line>: [Error: ]<reason>". Find the last
    // ":<digits>: " (the line number) and keep what follows.
    size_t start = 0;
    for (size_t i = 0; i + 1 < what.size(); i++) {
        if (what[i] != ':' || !std::isdigit(static_cast<unsigned char>(what[i + 1]))) continue;
        size_t j = i + 1;
        while (j < what.size() && std::isdigit(static_cast<unsigned char>(what[j]))) j++;
        if (j + 1 < what.size() && what[j] == ':' && what[j + 1] == ' ') start = j + 2;
    }
    std::string out = what.substr(start);
    const std::string prefix = "Error: ";
    if (out.compare(0, prefix.size(), prefix) == 0) out.erase(0, prefix.size());
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out.empty() ? what : out;
}

}  // namespace jade::ext::engine
