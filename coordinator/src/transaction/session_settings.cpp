// session_settings.cpp — remembered session settings (see session_settings.h).
#include "transaction/session_settings.h"

#include <cctype>

#include "config/guc_duration.h"

namespace jade::coord::txn {

// Replaces, adds or removes the named setting; RESET ALL forgets them all.
bool SessionSettings::Apply(const SessionSetting& s) {
    switch (s.kind) {
        case SettingKind::kSet:
        case SettingKind::kReset:
            for (auto it = settings_.begin(); it != settings_.end(); ++it) {
                if (it->first == s.name) {
                    settings_.erase(it);
                    break;
                }
            }
            for (auto it = values_.begin(); it != values_.end(); ++it) {
                if (it->first == s.name) {
                    values_.erase(it);
                    break;
                }
            }
            if (s.kind == SettingKind::kSet) {
                settings_.emplace_back(s.name, s.sql);
                values_.emplace_back(s.name, s.value);
            }
            if (s.name == "search_path") {
                if (s.kind == SettingKind::kSet && !s.values.empty()) {
                    search_path_ = s.values;
                } else {
                    search_path_.reset();
                }
            }
            return true;
        case SettingKind::kResetAll:
            settings_.clear();
            values_.clear();
            search_path_.reset();
            return true;
        default:
            return false;
    }
}

void SessionSettings::AdoptStartup(const wire::StartupPacket& startup) {
    std::vector<std::pair<std::string, std::string>> params = startup.params;
    // "options" carries command-line switches; "-c name=value" / "--name=value" are settings
    // (backslash escapes a space, as in PostgreSQL's pg_split_opts).
    std::vector<std::string> words(1);
    std::string opts = startup.Param("options");
    for (size_t i = 0; i < opts.size(); ++i) {
        if (opts[i] == '\\' && i + 1 < opts.size()) {
            words.back().push_back(opts[++i]);
        } else if (opts[i] == ' ' || opts[i] == '\t') {
            if (!words.back().empty()) words.emplace_back();
        } else {
            words.back().push_back(opts[i]);
        }
    }
    for (size_t i = 0; i < words.size(); ++i) {
        std::string kv;
        if (words[i] == "-c" && i + 1 < words.size()) {
            kv = words[++i];
        } else if (words[i].rfind("--", 0) == 0) {
            kv = words[i].substr(2);
        }
        size_t eq = kv.find('=');
        if (eq != std::string::npos && eq > 0) {
            std::string name = kv.substr(0, eq);
            for (auto& ch : name) ch = ch == '-' ? '_' : ch;
            params.emplace_back(name, kv.substr(eq + 1));
        }
    }
    for (const auto& [name, value] : params) {
        if (name == "user" || name == "database" || name == "options" || name == "replication" ||
            name == "application_name" || name == "client_encoding" || name == "fallback_application_name") {
            continue;
        }
        std::string lower;
        for (char c : name) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        if (lower == "search_path") search_path_ = SplitIdentifierList(value);
        settings_.emplace_back(
            lower, "SELECT pg_catalog.set_config(" + QuoteLiteral(name) + ", " + QuoteLiteral(value) + ", false)");
        values_.emplace_back(lower, value);
    }
}

std::optional<std::string> SessionSettings::Value(const std::string& lower_name) const {
    std::optional<std::string> v;
    for (const auto& [name, value] : values_) {
        if (name == lower_name) v = value;  // the last one given wins, as in Statements()
    }
    return v;
}

std::vector<std::string> SessionSettings::Statements() const {
    std::vector<std::string> out;
    out.reserve(settings_.size());
    for (const auto& [name, stmt] : settings_) {
        if (!IsCoordinatorOnlySetting(name)) out.push_back(stmt);
    }
    return out;
}

// Statements joined with a separator that cannot occur inside one (NUL).
std::string SessionSettings::Key() const {
    std::string key;
    for (const auto& [name, stmt] : settings_) {
        key += stmt;
        key.push_back('\0');
    }
    return key;
}

std::vector<std::string> SplitIdentifierList(const std::string& text) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        std::string item;
        if (i < text.size() && text[i] == '"') {
            for (++i; i < text.size(); ++i) {
                if (text[i] == '"') {
                    if (i + 1 < text.size() && text[i + 1] == '"') {
                        item.push_back('"');
                        ++i;
                        continue;
                    }
                    ++i;
                    break;
                }
                item.push_back(text[i]);
            }
        } else {
            while (i < text.size() && text[i] != ',' && !std::isspace(static_cast<unsigned char>(text[i]))) {
                item.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(text[i]))));
                ++i;
            }
        }
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        if (!item.empty()) out.push_back(std::move(item));
        if (i < text.size() && text[i] == ',') ++i;
    }
    return out;
}

// Quotes and backslashes are doubled; NUL cannot occur in startup values or deparsed SQL.
std::string QuoteLiteral(const std::string& s) {
    std::string out = "E'";
    for (char c : s) {
        if (c == '\'' || c == '\\') out.push_back(c);
        out.push_back(c);
    }
    out.push_back('\'');
    return out;
}

}  // namespace jade::coord::txn
