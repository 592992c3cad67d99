// The poll cursor: a compound (change time, id) taken from the records, gap-safe: the next
// request asks from `time − overlap` (re-reading what may have committed late; the ledger drops
// what it has seen), never beyond `now − settle`, and the cursor only moves forward.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "connectors/http_poll/spec.h"

namespace fb::connectors::http_poll {

// A change time as unix milliseconds: RFC 3339 (with Z or an offset), "YYYY-MM-DD HH:MM:SS[.fff]"
// or "…T…" without a zone (read in `zone`), SAP's "/Date(1700000000000)/", or a
// number of seconds/milliseconds since 1970.
std::optional<std::int64_t> parse_time(const boost::json::value& v, const Zone& zone);
// RFC 3339 UTC ("2026-11-20T09:55:00Z"), and local "YYYY-MM-DDTHH:MM:SS" in a zone.
std::string format_utc(std::int64_t ms);
std::string format_local(std::int64_t ms, const Zone& zone);

struct Cursor {
    std::int64_t time_ms = 0;
    std::string time;  // as the ERP wrote it (for display and for requests that want it verbatim)
    std::string id;

    // Ties on the time are ordered by id: numerically when both are digits (SAP B1's DocEntry,
    // Tryton's and Odoo's ids: 9 before 10), else as text.
    bool operator<(const Cursor& o) const { return time_ms != o.time_ms ? time_ms < o.time_ms : id_less(id, o.id); }
    static bool id_less(const std::string& a, const std::string& b);
    std::string to_json() const;
    static std::optional<Cursor> from_json(std::string_view text);
    static Cursor initial(const Spec::Cursor& spec);
};

// The cursor after a page: the largest (time, id) among its records, never behind `current`
// and never past `until_ms`. Records without a readable time are counted in `unreadable`.
Cursor advance(const Cursor& current, const boost::json::array& records, const Spec::Cursor& spec,
               std::int64_t until_ms, std::size_t& unreadable);

// {year, month, day, hour, minute, second, microsecond} of `ms` in the zone, for ERPs whose
// requests take datetimes as objects.
boost::json::object time_parts(std::int64_t ms, const Zone& zone);
// The request context's `cursor` and `until`/`now` parts. Given the other end of the window
// (`until_ms` for the cursor, `since_ms` for the times), a named zone's wall clock is written at
// the smallest offset of the window for `since_local` and the largest for `until_local`: across
// the autumn change the ERP's wall clock repeats an hour, and the request asks for both.
boost::json::object cursor_context(const Cursor& c, const Spec::Cursor& spec,
                                   std::optional<std::int64_t> until_ms = std::nullopt);
void add_times(boost::json::object& context, std::int64_t now_ms, std::int64_t until_ms,
               const Spec::Cursor& spec, std::optional<std::int64_t> since_ms = std::nullopt);

}  // namespace fb::connectors::http_poll
