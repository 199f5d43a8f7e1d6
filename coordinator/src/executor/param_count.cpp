// param_count.cpp — parameter count via libpg_query's scanner (see param_count.h).
#include "executor/param_count.h"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <cstdlib>

namespace jade::coord::exec {

// Scans the text and takes the largest number of a PARAM token.
size_t CountParams(const std::string& sql) {
    PgQueryScanResult scan = pg_query_scan(sql.c_str());
    size_t max_n = 0;
    if (scan.error == nullptr) {
        PgQuery__ScanResult* tokens =
            pg_query__scan_result__unpack(nullptr, scan.pbuf.len, reinterpret_cast<const uint8_t*>(scan.pbuf.data));
        if (tokens != nullptr) {
            for (size_t i = 0; i < tokens->n_tokens; ++i) {
                const PgQuery__ScanToken* t = tokens->tokens[i];
                if (t->token != PG_QUERY__TOKEN__PARAM || t->end <= t->start + 1) continue;
                size_t n = std::strtoul(sql.substr(t->start + 1, t->end - t->start - 1).c_str(), nullptr, 10);
                if (n > max_n) max_n = n;
            }
            pg_query__scan_result__free_unpacked(tokens, nullptr);
        }
    }
    pg_query_free_scan_result(scan);
    return max_n;
}

}  // namespace jade::coord::exec
