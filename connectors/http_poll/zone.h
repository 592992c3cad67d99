// The time zone the poll source reads zone-less record times in and writes `*_local` and
// `*_parts` in: a fixed offset (`cursor.tz_offset: "+08:00"`) or an IANA zone (`cursor.tz:
// Europe/Berlin`, from the tz database the mapping's `tz:` uses), right across summer time.
#pragma once

#include <cstdint>

namespace date {
class time_zone;
}

namespace fb::connectors::http_poll {

struct Zone {
    int offset_minutes = 0;                   // the fixed offset, when `named` is null
    const date::time_zone* named = nullptr;
    Zone(int minutes = 0) : offset_minutes(minutes) {}
    explicit Zone(const date::time_zone* zone) : named(zone) {}

    // The offset in minutes in effect at a moment (unix seconds).
    int offset_at(std::int64_t utc_seconds) const;
    // The moment a wall-clock reading names (seconds since 1970-01-01T00:00 of the wall clock).
    // A reading the clock shows twice (the autumn hour) or never (the spring gap) is taken as the
    // earliest moment it could mean, so a cursor read from it errs towards asking for more.
    std::int64_t to_utc(std::int64_t local_seconds) const;
    // The smallest and the largest offset in effect at any moment of [from, to] (unix seconds).
    void offsets_between(std::int64_t from, std::int64_t to, int& lowest, int& highest) const;
};

}  // namespace fb::connectors::http_poll
