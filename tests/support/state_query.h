// What a test's daemon committed, read from its state file while it runs (a read-only connection
// per call): the first column of the first row of a query, and a poll source's cursor.
#pragma once

#include <optional>
#include <string>

#include "store/database.h"

namespace fb::test {

// Nothing when there is no row yet, or the state file is not there or not readable yet.
inline std::optional<std::string> stored(const std::string& state, const std::string& sql) {
    try {
        store::Database db(state, store::Database::Mode::read_only);
        store::Statement q(db.handle(), sql);
        if (!q.step()) return std::nullopt;
        std::string v(q.text(0));
        q.reset();
        return v;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// The committed poll cursor's `field` (id, time, …), "" before the first commit.
inline std::string committed_cursor(const std::string& state, const std::string& field = "id") {
    return stored(state, "SELECT json_extract(value, '$." + field + "') FROM source_state WHERE key = 'cursor'")
        .value_or("");
}

}  // namespace fb::test
