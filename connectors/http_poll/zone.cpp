#include "connectors/http_poll/zone.h"

#include <date/tz.h>

#include <algorithm>

namespace fb::connectors::http_poll {

namespace {

// The tz database is asked about years 1900 to 2200 only: a record time from an ERP is hostile
// input, and outside those years the offsets are the nearest end's.
std::int64_t clamp(std::int64_t seconds) { return std::clamp<std::int64_t>(seconds, -2'208'988'800, 7'258'118'400); }

}  // namespace

int Zone::offset_at(std::int64_t utc) const {
    if (!named) return offset_minutes;
    auto info = named->get_info(date::sys_seconds{std::chrono::seconds{clamp(utc)}});
    return int(info.offset.count() / 60);
}

std::int64_t Zone::to_utc(std::int64_t local) const {
    if (!named) return local - offset_minutes * 60ll;
    auto info = named->get_info(date::local_seconds{std::chrono::seconds{clamp(local)}});
    auto offset = info.first.offset.count();
    // ambiguous: first is the earlier moment (the summer offset); nonexistent: first is the
    // period before the gap, second the one after — the larger offset is the earlier moment.
    if (info.result == date::local_info::nonexistent) offset = std::max(offset, info.second.offset.count());
    return local - offset;
}

void Zone::offsets_between(std::int64_t from, std::int64_t to, int& lowest, int& highest) const {
    lowest = highest = offset_at(from);
    if (!named || to <= from) return;
    // Walk the zone's periods from `from` to `to`; a window of years (a first poll from an old
    // `initial:`) is cut at 64 periods, past which both offsets of a zone have long been seen.
    auto at = date::sys_seconds{std::chrono::seconds{clamp(from)}};
    const auto end = date::sys_seconds{std::chrono::seconds{clamp(to)}};
    for (int i = 0; i < 64; ++i) {
        auto info = named->get_info(at);
        int off = int(info.offset.count() / 60);
        lowest = std::min(lowest, off);
        highest = std::max(highest, off);
        if (info.end > end || info.end <= at) break;
        at = info.end;
    }
}

}  // namespace fb::connectors::http_poll
