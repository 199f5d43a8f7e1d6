// session_settings.h — the client's session-level settings, as the worker connections that serve
// it must see them.
//
// Pooled worker connections are shared by many clients, so a client's SET must be applied again
// on whichever connection runs its next statement. The session remembers each setting as one
// generated statement (`SELECT pg_catalog.set_config('name', 'value', false)`, or the client's
// SET deparsed by libpg_query), in SET order with one entry per name; a connection whose applied
// settings differ gets `RESET ALL` and then the list (transaction_coordinator.h: SetupStatements).
// Every entry is a separate statement sent as its own protocol message, never glued to other SQL
// text, so nothing a client writes (a comment, a quote) can change what else runs.
//
// Pure: no I/O; unit-tested.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "planner/plan.h"
#include "wire/messages/startup.h"

namespace jade::coord::txn {

class SessionSettings {
public:
    /**
     * Applies a session-level SET / RESET / RESET ALL to the remembered list. Returns false for
     * the other kinds (SET LOCAL, SET TRANSACTION, ...), which belong to a transaction, not the
     * session, and leaves the list unchanged.
     */
    bool Apply(const SessionSetting& setting);
    /**
     * Startup parameters that are settings (TimeZone, DateStyle, extra_float_digits, search_path,
     * and `options=-c name=value` / `--name=value`) become session settings. Names and values are
     * quoted as SQL string literals, so no client text is ever SQL syntax.
     */
    void AdoptStartup(const wire::StartupPacket& startup);

    /** The session's search_path items as set ("$user" unresolved); nullopt: the default. */
    const std::optional<std::vector<std::string>>& search_path() const { return search_path_; }

    /**
     * The statements that recreate the settings on a fresh connection, in order; settings the
     * coordinator enforces alone (config/guc_duration.h: the idle timeouts) are not among them.
     */
    std::vector<std::string> Statements() const;
    /** The value a setting was given (SET or startup), if it is set. */
    std::optional<std::string> Value(const std::string& lower_name) const;
    /** A fingerprint of Statements(): equal strings mean equal settings. */
    std::string Key() const;
    bool empty() const { return settings_.empty(); }

    bool operator==(const SessionSettings& o) const { return settings_ == o.settings_; }

private:
    std::vector<std::pair<std::string, std::string>> settings_;  ///< lowercase name → statement
    std::vector<std::pair<std::string, std::string>> values_;    ///< lowercase name → value
    std::optional<std::vector<std::string>> search_path_;
};

/**
 * Splits a list setting's text as PostgreSQL's SplitIdentifierString does: items separated by
 * commas, double quotes keep case (and "" is a quote), unquoted items are folded to lower case.
 */
std::vector<std::string> SplitIdentifierList(const std::string& text);

/** `s` as an escape-string literal E'...' that reads the same whatever standard_conforming_strings is. */
std::string QuoteLiteral(const std::string& s);

}  // namespace jade::coord::txn
