#include "connectors/http_poll/cursor.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <string_view>

#include "connectors/http_poll/json_path.h"

namespace fb::connectors::http_poll {
namespace json = boost::json;

namespace {

std::int64_t days_from_civil(int y, unsigned m, unsigned d) {  // Howard Hinnant's algorithm
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return std::int64_t(era) * 146097 + std::int64_t(doe) - 719468;
}

// "+05:30", "+0530" or "+05" (ISO 8601's extended, basic and hours-only forms) to minutes east
// of UTC. Read digit by digit: "%2d:%2d" took "+0530" for +05:00.
std::optional<int> parse_offset(std::string_view s) {
    auto digit = [&](std::size_t i) { return i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); };
    auto two = [&](std::size_t i) { return (s[i] - '0') * 10 + (s[i + 1] - '0'); };
    if (s.size() < 3 || (s[0] != '+' && s[0] != '-') || !digit(1) || !digit(2)) return std::nullopt;
    int hours = two(1), minutes = 0;
    std::size_t at = 3;
    if (at < s.size()) {
        if (s[at] == ':') ++at;
        if (!digit(at) || !digit(at + 1) || at + 2 != s.size()) return std::nullopt;
        minutes = two(at);
    }
    if (hours > 23 || minutes > 59) return std::nullopt;
    return (s[0] == '-' ? -1 : 1) * (hours * 60 + minutes);
}

std::optional<std::int64_t> parse_text(const std::string& s, const Zone& zone) {
    long long ms = 0;
    if (std::sscanf(s.c_str(), "/Date(%lld", &ms) == 1) return ms;  // SAP OData v2
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    char sep;
    if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3) return std::nullopt;
    std::size_t at = n;
    if (at < s.size() && (s[at] == 'T' || s[at] == ' ')) {
        if (std::sscanf(s.c_str() + at, "%c%2d:%2d:%2d%n", &sep, &h, &mi, &sec, &n) != 4) return std::nullopt;
        at += n;
    }
    long long frac_ms = 0;
    if (at < s.size() && s[at] == '.') {
        int digits = 0;
        for (++at; at < s.size() && std::isdigit(static_cast<unsigned char>(s[at])); ++at, ++digits)
            if (digits < 3) frac_ms = frac_ms * 10 + (s[at] - '0');
        for (; digits < 3; ++digits) frac_ms *= 10;
    }
    std::optional<int> offset;  // none written: the zone's
    if (at < s.size()) {
        if (s[at] == 'Z' || s[at] == 'z') offset = 0;
        else if (s[at] == '+' || s[at] == '-') {
            offset = parse_offset(std::string_view(s).substr(at));
            if (!offset) return std::nullopt;
        } else
            return std::nullopt;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
    auto local = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    return (offset ? local - *offset * 60ll : zone.to_utc(local)) * 1000 + frac_ms;
}

// A datetime written as an object of its parts, as JSON-RPC ERPs type them (Tryton:
// {"__class__": "datetime", "year": 2026, "month": 11, "day": 20, "hour": 16, …, "microsecond": 0}).
std::optional<std::int64_t> parse_parts(const json::object& o, const Zone& zone) {
    auto part = [&](const char* key, std::int64_t fallback) -> std::optional<std::int64_t> {
        const auto* v = o.if_contains(key);
        if (!v) return fallback;
        if (v->is_int64()) return v->as_int64();
        if (v->is_uint64() && v->as_uint64() < 1'000'000'000) return std::int64_t(v->as_uint64());
        return std::nullopt;
    };
    if (!o.contains("year") || !o.contains("month") || !o.contains("day")) return std::nullopt;
    auto y = part("year", 0), mo = part("month", 0), d = part("day", 0), h = part("hour", 0),
         mi = part("minute", 0), sec = part("second", 0), us = part("microsecond", 0);
    if (!y || !mo || !d || !h || !mi || !sec || !us) return std::nullopt;
    if (*y < 1 || *y > 9999 || *mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h < 0 || *h > 23 || *mi < 0 ||
        *mi > 59 || *sec < 0 || *sec > 60 || *us < 0 || *us > 999999)
        return std::nullopt;
    auto days = days_from_civil(int(*y), unsigned(*mo), unsigned(*d));
    return zone.to_utc(days * 86400 + *h * 3600 + *mi * 60 + *sec) * 1000 + *us / 1000;
}

// A date field and a clock-time field (SAP B1's UpdateDate "2026-11-20T00:00:00Z" or
// "2026-11-20" and UpdateTime "16:41:07"): the date's digits with the clock time, at the offset.
std::optional<std::string> date_and_time(const json::value& date, const json::value& clock) {
    if (!date.is_string() || !clock.is_string()) return std::nullopt;
    std::string d(date.as_string()), t(clock.as_string());
    if (d.size() < 10 || t.size() < 5 || t.size() > 8) return std::nullopt;
    if (t.size() == 5) t += ":00";  // HH:MM
    return d.substr(0, 10) + "T" + t;
}

// Unix seconds (or ms) written as text, "1795167667": some ERPs quote every number. Nine digits
// at least, so a compact date ("20261120") is never taken for one.
std::optional<std::int64_t> epoch_text(std::string_view s) {
    std::string_view digits = s.starts_with('-') ? s.substr(1) : s;
    if (digits.size() < 9 || digits.size() > 18 || digits.find_first_not_of("0123456789") != std::string_view::npos)
        return std::nullopt;
    return std::stoll(std::string(s));
}

// Unix time as a JSON number with a fraction (1795167667.5): by the same rule as a whole
// number, seconds (the fraction its milliseconds, to the nearest) or milliseconds.
std::optional<std::int64_t> epoch_double(double d) {
    if (!std::isfinite(d) || std::fabs(d) >= 9e18) return std::nullopt;  // beyond int64 milliseconds
    return std::fabs(d) < 1e11 ? std::llround(d * 1000) : std::llround(d);
}

}  // namespace

std::optional<std::int64_t> parse_time(const json::value& v, const Zone& zone) {
    if (v.is_string()) {
        if (auto n = epoch_text(v.as_string())) return parse_time(json::value(*n), zone);
        return parse_text(std::string(v.as_string()), zone);
    }
    if (v.is_object()) return parse_parts(v.as_object(), zone);
    if (v.is_int64() || v.is_uint64()) {
        auto n = v.is_int64() ? v.as_int64() : static_cast<std::int64_t>(v.as_uint64());
        // Seconds between the years -1200 and 5138, else ms (also what keeps n * 1000 in range).
        return n < 100'000'000'000 && n > -100'000'000'000 ? n * 1000 : n;
    }
    if (v.is_double()) return epoch_double(v.as_double());
    return std::nullopt;
}

namespace {

std::string format_at(std::int64_t ms, int tz_offset_minutes) {
    std::time_t t = static_cast<std::time_t>(ms / 1000 + tz_offset_minutes * 60ll);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return buf;
}

json::object parts_at(std::int64_t ms, int tz_offset_minutes) {
    std::time_t t = static_cast<std::time_t>((ms - (((ms % 1000) + 1000) % 1000)) / 1000 + tz_offset_minutes * 60ll);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return json::object{{"year", tm.tm_year + 1900}, {"month", tm.tm_mon + 1}, {"day", tm.tm_mday},
                        {"hour", tm.tm_hour},        {"minute", tm.tm_min},    {"second", tm.tm_sec},
                        {"microsecond", (((ms % 1000) + 1000) % 1000) * 1000}};
}

// Whole seconds, rounded down (as gmtime wants them), for any ms a hostile answer may hold.
std::int64_t seconds_of(std::int64_t ms) { return ms / 1000 - (ms % 1000 < 0 ? 1 : 0); }

// The offsets a window's two ends are written at: each end's own, or with the other end given,
// the window's smallest (since) and largest (until).
void window_offsets(const Zone& zone, std::int64_t since_ms, std::int64_t until_ms, int& low, int& high) {
    zone.offsets_between(seconds_of(since_ms), seconds_of(until_ms), low, high);
}

}  // namespace

std::string format_utc(std::int64_t ms) { return format_at(ms, 0).append("Z"); }

std::string format_local(std::int64_t ms, const Zone& zone) { return format_at(ms, zone.offset_at(seconds_of(ms))); }

bool Cursor::id_less(const std::string& a, const std::string& b) {
    auto digits = [](const std::string& s) {
        return !s.empty() && s.size() < 19 && s.find_first_not_of("0123456789") == std::string::npos;
    };
    if (digits(a) && digits(b)) return std::stoll(a) < std::stoll(b);
    return a < b;
}

std::string Cursor::to_json() const {
    return json::serialize(json::object{{"time_ms", time_ms}, {"time", time}, {"id", id}});
}

std::optional<Cursor> Cursor::from_json(std::string_view text) {
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_object()) return std::nullopt;
    const auto& o = v.as_object();
    // What to_json wrote, or nothing: a cursor read half would poll from a time nobody stored.
    const auto* time_ms = o.if_contains("time_ms");
    const auto* time = o.if_contains("time");
    const auto* id = o.if_contains("id");
    if (!time_ms || !time_ms->is_int64() || (time && !time->is_string()) || (id && !id->is_string()))
        return std::nullopt;
    Cursor c;
    c.time_ms = time_ms->as_int64();
    if (time) c.time = std::string(time->as_string());
    if (id) c.id = std::string(id->as_string());
    return c;
}

Cursor Cursor::initial(const Spec::Cursor& spec) {
    Cursor c;
    c.time = spec.initial;
    c.time_ms = parse_time(json::value(spec.initial), spec.zone()).value_or(0);
    return c;
}

Cursor advance(const Cursor& current, const json::array& records, const Spec::Cursor& spec,
               std::int64_t until_ms, std::size_t& unreadable) {
    Cursor best = current;
    const Zone zone = spec.zone();
    for (const auto& r : records) {
        const auto* t = find_path(r, spec.time);
        if ((!t || t->is_null()) && !spec.time_fallback.empty()) t = find_path(r, spec.time_fallback);
        std::optional<std::int64_t> ms;
        std::string text;
        if (t && !spec.time_of_day.empty()) {
            const auto* clock = find_path(r, spec.time_of_day);
            auto combined = clock ? date_and_time(*t, *clock) : std::nullopt;
            if (combined) {
                ms = parse_text(*combined, zone);
                text = *combined;
            }
        } else if (t) {
            ms = parse_time(*t, zone);
            text = t->is_object() && ms ? format_local(*ms, zone) : text_of(*t);
        }
        if (!ms) {
            ++unreadable;
            continue;
        }
        Cursor c{*ms, text, ""};
        if (!spec.id.empty())
            if (const auto* id = find_path(r, spec.id)) c.id = text_of(*id);
        if (c.time_ms > until_ms) continue;  // not settled yet: read again next time
        if (best < c) best = c;
    }
    return best;
}

json::object time_parts(std::int64_t ms, const Zone& zone) { return parts_at(ms, zone.offset_at(seconds_of(ms))); }

json::object cursor_context(const Cursor& c, const Spec::Cursor& spec, std::optional<std::int64_t> until_ms) {
    auto since = c.time_ms - spec.overlap.count();
    int low = 0, high = 0;
    window_offsets(spec.zone(), since, until_ms.value_or(since), low, high);
    return json::object{{"time", c.time},
                        {"time_ms", c.time_ms},
                        {"id", c.id},
                        {"since", format_utc(since)},
                        {"since_local", format_at(since, low)},
                        {"since_parts", parts_at(since, low)},
                        {"since_ms", since}};
}

void add_times(json::object& context, std::int64_t now_ms, std::int64_t until_ms, const Spec::Cursor& spec,
               std::optional<std::int64_t> since_ms) {
    int low = 0, high = 0;
    window_offsets(spec.zone(), since_ms.value_or(until_ms), until_ms, low, high);
    context["now"] = format_utc(now_ms);
    context["now_ms"] = now_ms;
    context["until"] = format_utc(until_ms);
    context["until_local"] = format_at(until_ms, high);
    context["until_parts"] = parts_at(until_ms, high);
    context["until_ms"] = until_ms;
}

}  // namespace fb::connectors::http_poll
