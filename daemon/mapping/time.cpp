#include "mapping/time.h"

#include <date/tz.h>

#include <charconv>
#include <stdexcept>

namespace fb::mapping {

namespace {

// Howard Hinnant's days_from_civil: days since 1970-01-01 of a proleptic Gregorian date.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = unsigned(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + std::int64_t(doe) - 719468;
}

void civil_from_days(std::int64_t z, int& y, unsigned& m, unsigned& d) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = unsigned(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y = int(std::int64_t(yoe) + era * 400 + (m <= 2));
}

unsigned days_in_month(int y, unsigned m) {
    static const unsigned n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : n[m - 1];
}

// Reads 1..max digits (exactly `max` when `exact`).
bool digits(std::string_view s, std::size_t& p, int max, bool exact, int& out) {
    std::size_t start = p;
    out = 0;
    while (p < s.size() && p - start < std::size_t(max) && s[p] >= '0' && s[p] <= '9')
        out = out * 10 + (s[p++] - '0');
    return p > start && (!exact || p - start == std::size_t(max));
}

bool zone_offset(std::string_view s, std::size_t& p, int& offset) {
    if (p < s.size() && (s[p] == 'Z' || s[p] == 'z')) {
        ++p;
        offset = 0;
        return true;
    }
    if (p >= s.size() || (s[p] != '+' && s[p] != '-')) return false;
    int sign = s[p++] == '-' ? -1 : 1, h = 0, m = 0;
    if (!digits(s, p, 2, true, h)) return false;
    if (p < s.size() && s[p] == ':') ++p;
    if (p < s.size() && s[p] >= '0' && s[p] <= '9' && !digits(s, p, 2, true, m)) return false;
    if (h > 23 || m > 59) return false;
    offset = sign * (h * 3600 + m * 60);
    return true;
}

bool fraction(std::string_view s, std::size_t& p, int& millis) {
    if (p >= s.size() || (s[p] != '.' && s[p] != ',')) return true;
    ++p;
    std::size_t start = p;
    int scale = 100;
    millis = 0;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
        millis += (s[p++] - '0') * scale;
        scale /= 10;
    }
    return p > start;
}

struct Fields {
    int y = 1970, mo = 1, d = 1, h = 0, mi = 0, sec = 0, millis = 0, offset = 0;
    bool has_offset = false;
};

bool finish(const Fields& f, WallTime& out) {
    if (f.mo < 1 || f.mo > 12 || f.d < 1 || unsigned(f.d) > days_in_month(f.y, unsigned(f.mo)) ||
        f.h > 24 || f.mi > 59 || f.sec > 60 || (f.h == 24 && (f.mi || f.sec)))
        return false;
    out.local_seconds = days_from_civil(f.y, unsigned(f.mo), unsigned(f.d)) * 86400 + f.h * 3600 +
                        f.mi * 60 + std::min(f.sec, 59);
    out.millis = f.millis;
    out.has_offset = f.has_offset;
    out.offset_seconds = f.offset;
    return true;
}

bool parse_rfc3339(std::string_view s, WallTime& out) {
    Fields f;
    std::size_t p = 0;
    if (!digits(s, p, 4, true, f.y) || p >= s.size() || s[p++] != '-' ||
        !digits(s, p, 2, true, f.mo) || p >= s.size() || s[p++] != '-' ||
        !digits(s, p, 2, true, f.d))
        return false;
    if (p < s.size() && (s[p] == 'T' || s[p] == 't' || s[p] == ' ')) {
        ++p;
        if (!digits(s, p, 2, true, f.h) || p >= s.size() || s[p++] != ':' ||
            !digits(s, p, 2, true, f.mi))
            return false;
        if (p < s.size() && s[p] == ':') {
            ++p;
            if (!digits(s, p, 2, true, f.sec) || !fraction(s, p, f.millis)) return false;
        }
        if (p < s.size()) {
            if (!zone_offset(s, p, f.offset)) return false;
            f.has_offset = true;
        }
    }
    return p == s.size() && finish(f, out);
}

// Seconds (or ms) since the epoch that parse_unix and parse_sap read: within the years
// -1200 … 5138 that parse_time_of_day's sums hold, and far from int64's ends (where negating
// INT64_MIN overflows).
constexpr std::int64_t max_unix_seconds = 100'000'000'000;
constexpr std::int64_t max_unix_ms = 100'000'000'000'000;

// /Date(1763769600000)/ or /Date(1763626542123+0000)/: milliseconds since the epoch, UTC.
bool parse_sap(std::string_view s, WallTime& out) {
    if (s.substr(0, 6) != "/Date(" || s.size() < 9 || s.substr(s.size() - 2) != ")/") return false;
    s = s.substr(6, s.size() - 8);
    std::int64_t ms = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), ms);
    if (r.ec != std::errc() || r.ptr == s.data()) return false;
    if (ms >= max_unix_ms || ms <= -max_unix_ms) return false;
    std::size_t p = std::size_t(r.ptr - s.data());
    int offset = 0;
    if (p < s.size() && !(zone_offset(s, p, offset) && p == s.size())) return false;
    std::int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    out.local_seconds = secs;
    out.millis = int(ms - secs * 1000);
    out.has_offset = true;
    out.offset_seconds = 0;
    return true;
}

// 1795167667 (seconds) or 1795167667123 (ms) since the epoch, UTC; an optional minus, digits only
// (no fraction, no exponent), within the years -1200 … 5138.
bool parse_unix(std::string_view s, bool millis, WallTime& out) {
    std::int64_t n = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), n);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size() || s.empty() || s.front() == '+') return false;
    const std::int64_t limit = millis ? max_unix_ms : max_unix_seconds;
    if (n >= limit || n <= -limit) return false;
    std::int64_t secs = millis ? (n >= 0 ? n / 1000 : -((-n + 999) / 1000)) : n;
    out.local_seconds = secs;
    out.millis = millis ? int(n - secs * 1000) : 0;
    out.has_offset = true;
    out.offset_seconds = 0;
    return true;
}

bool parse_with(const TimePattern& pattern, std::string_view s, WallTime& out) {
    Fields f;
    std::size_t p = 0;
    for (const auto& t : pattern.tokens) {
        bool ok = true;
        switch (t.directive) {
            case 0:
                ok = s.substr(p, t.literal.size()) == t.literal;
                p += t.literal.size();
                break;
            case 'Y':
                ok = digits(s, p, 4, true, f.y);
                break;
            case 'm':
                ok = digits(s, p, 2, false, f.mo);
                break;
            case 'd':
                ok = digits(s, p, 2, false, f.d);
                break;
            case 'H':
                ok = digits(s, p, 2, false, f.h);
                break;
            case 'M':
                ok = digits(s, p, 2, false, f.mi);
                break;
            case 'S':
                ok = digits(s, p, 2, false, f.sec) && fraction(s, p, f.millis);
                break;
            case 'z':
                ok = zone_offset(s, p, f.offset);
                f.has_offset = true;
                break;
            case ' ':
                while (p < s.size() && s[p] == ' ') ++p;
                break;
        }
        if (!ok) return false;
    }
    return p == s.size() && finish(f, out);
}

}  // namespace

TimePattern TimePattern::compile(std::string_view pattern) {
    TimePattern out;
    auto literal = [&](std::string_view s) {
        if (out.tokens.empty() || out.tokens.back().directive != 0) out.tokens.emplace_back();
        out.tokens.back().literal += s;
    };
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        char c = pattern[i];
        if (c != '%') {
            literal(pattern.substr(i, 1));
            continue;
        }
        if (++i >= pattern.size()) throw std::invalid_argument("the pattern ends with a lone `%`");
        char d = pattern[i];
        switch (d) {
            case 'F':
                out.tokens.push_back({'Y', {}});
                literal("-");
                out.tokens.push_back({'m', {}});
                literal("-");
                out.tokens.push_back({'d', {}});
                break;
            case 'T':
                out.tokens.push_back({'H', {}});
                literal(":");
                out.tokens.push_back({'M', {}});
                literal(":");
                out.tokens.push_back({'S', {}});
                out.has_time = true;
                break;
            case 'Y':
            case 'm':
            case 'd':
                out.tokens.push_back({d, {}});
                break;
            case 'H':
            case 'M':
            case 'S':
                out.tokens.push_back({d, {}});
                out.has_time = true;
                break;
            case 'z':
                out.tokens.push_back({d, {}});
                out.has_zone = true;
                break;
            case '%':
                literal("%");
                break;
            default:
                throw std::invalid_argument(
                    std::string("`%") + d +
                    "` is not supported (use %Y %m %d %H %M %S %z %F %T %%)");
        }
    }
    return out;
}

bool parse_time(const TimeFormat& f, std::string_view text, WallTime& out) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    switch (f.kind) {
        case TimeFormat::Kind::rfc3339:
            return parse_rfc3339(text, out);
        case TimeFormat::Kind::sap:
            return parse_sap(text, out);
        case TimeFormat::Kind::unix_seconds:
            return parse_unix(text, false, out);
        case TimeFormat::Kind::unix_ms:
            return parse_unix(text, true, out);
        default:
            return parse_with(f.pattern, text, out);
    }
}

std::optional<std::int64_t> parse_duration(std::string_view s) {
    if (s.empty() || s[0] != 'P') return std::nullopt;
    std::size_t p = 1;
    bool in_time = false, any = false;
    std::int64_t total = 0;
    while (p < s.size()) {
        if (s[p] == 'T') {
            in_time = true;
            ++p;
            continue;
        }
        std::int64_t n = 0;
        auto r = std::from_chars(s.data() + p, s.data() + s.size(), n);
        if (r.ec != std::errc()) return std::nullopt;
        p = std::size_t(r.ptr - s.data());
        if (p < s.size() && (s[p] == '.' || s[p] == ',')) {  // fractional seconds: ignored
            ++p;
            while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
        }
        if (p >= s.size()) return std::nullopt;
        char unit = s[p++];
        std::int64_t seconds = !in_time && unit == 'D'   ? 86400
                               : !in_time && unit == 'W' ? 7 * 86400
                               : in_time && unit == 'H'  ? 3600
                               : in_time && unit == 'M'  ? 60
                               : in_time && unit == 'S'  ? 1
                                                         : 0;
        if (seconds == 0 && !(n == 0 && (unit == 'Y' || unit == 'M'))) return std::nullopt;
        // A document's P99999999999999999D overflowed int64 (undefined): it is no duration.
        if (__builtin_mul_overflow(n, seconds, &n) || __builtin_add_overflow(total, n, &total))
            return std::nullopt;
        any = true;
    }
    if (!any) return std::nullopt;
    return total;
}

std::optional<std::int64_t> parse_time_of_day(std::string_view s) {
    if (!s.empty() && s[0] == 'P') {
        auto d = parse_duration(s);
        if (!d || *d < 0 || *d > 86400) return std::nullopt;
        return d;
    }
    int h = 0, m = 0, sec = 0;
    std::size_t p = 0;
    if (s.find(':') != std::string_view::npos) {
        if (!digits(s, p, 2, false, h) || p >= s.size() || s[p++] != ':' ||
            !digits(s, p, 2, true, m))
            return std::nullopt;
        if (p < s.size() && (s[p++] != ':' || !digits(s, p, 2, true, sec))) return std::nullopt;
    } else if (s.size() == 4 || s.size() == 6) {
        if (!digits(s, p, 2, true, h) || !digits(s, p, 2, true, m)) return std::nullopt;
        if (s.size() == 6 && !digits(s, p, 2, true, sec)) return std::nullopt;
    } else {
        return std::nullopt;
    }
    if (p != s.size() || h > 24 || m > 59 || sec > 59) return std::nullopt;
    return h * 3600 + m * 60 + sec;
}

const date::time_zone* find_zone(std::string_view name) {
    try {
        return date::locate_zone(name);
    } catch (const std::exception&) {
        return nullptr;
    }
}

std::vector<std::string_view> zone_names() {
    std::vector<std::string_view> names;
    try {
        for (const auto& z : date::get_tzdb().zones) names.push_back(z.name());
    } catch (const std::exception&) {
    }
    return names;
}

namespace {

// The offset period last used, per thread: most documents of a flow share a zone and season.
struct OffsetCache {
    const date::time_zone* zone = nullptr;
    std::int64_t begin = 0, end = 0;
    int offset = 0;
};
thread_local OffsetCache cache;

}  // namespace

int offset_at(const date::time_zone* zone, std::int64_t utc) {
    if (cache.zone == zone && utc >= cache.begin && utc < cache.end) return cache.offset;
    auto info = zone->get_info(date::sys_seconds{std::chrono::seconds{utc}});
    cache = {zone, info.begin.time_since_epoch().count(), info.end.time_since_epoch().count(),
             int(info.offset.count())};
    return cache.offset;
}

std::int64_t to_utc(const date::time_zone* zone, std::int64_t local) {
    // Away from a transition the cached offset is the answer; near one, ask the database.
    if (cache.zone == zone) {
        std::int64_t utc = local - cache.offset;
        if (utc - cache.begin >= 86400 && cache.end - utc >= 86400) return utc;
    }
    auto info = zone->get_info(date::local_seconds{std::chrono::seconds{local}});
    std::int64_t utc = local - info.first.offset.count();
    offset_at(zone, utc);
    return utc;
}

namespace {

void put2(std::string& out, unsigned v) {
    out += char('0' + v / 10 % 10);
    out += char('0' + v % 10);
}

void put4(std::string& out, int v) {
    if (v < 0 || v > 9999) {
        out += std::to_string(v);
        return;
    }
    put2(out, unsigned(v / 100));
    put2(out, unsigned(v % 100));
}

}  // namespace

void format_rfc3339(std::int64_t utc, int millis, int offset, bool z_for_utc, std::string& out) {
    std::int64_t local = utc + offset;
    std::int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    std::int64_t sod = local - days * 86400;
    int y;
    unsigned m, d;
    civil_from_days(days, y, m, d);
    put4(out, y);
    out += '-';
    put2(out, m);
    out += '-';
    put2(out, d);
    out += 'T';
    put2(out, unsigned(sod / 3600));
    out += ':';
    put2(out, unsigned(sod / 60 % 60));
    out += ':';
    put2(out, unsigned(sod % 60));
    if (millis) {
        out += '.';
        out += char('0' + millis / 100);
        put2(out, unsigned(millis % 100));
    }
    if (offset == 0 && z_for_utc) {
        out += 'Z';
        return;
    }
    int a = offset < 0 ? -offset : offset;
    out += offset < 0 ? '-' : '+';
    put2(out, unsigned(a / 3600));
    out += ':';
    put2(out, unsigned(a / 60 % 60));
}

void format_pattern(const TimePattern& p, std::int64_t utc, int offset, std::string& out) {
    std::int64_t local = utc + offset;
    std::int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    std::int64_t sod = local - days * 86400;
    int y;
    unsigned m, d;
    civil_from_days(days, y, m, d);
    char buf[16];
    for (const auto& t : p.tokens) {
        int n = 0;
        switch (t.directive) {
            case 0:
                out += t.literal;
                continue;
            case ' ':
                out += ' ';
                continue;
            case 'Y':
                n = std::snprintf(buf, sizeof buf, "%04d", y);
                break;
            case 'm':
                n = std::snprintf(buf, sizeof buf, "%02u", m);
                break;
            case 'd':
                n = std::snprintf(buf, sizeof buf, "%02u", d);
                break;
            case 'H':
                n = std::snprintf(buf, sizeof buf, "%02d", int(sod / 3600));
                break;
            case 'M':
                n = std::snprintf(buf, sizeof buf, "%02d", int(sod / 60 % 60));
                break;
            case 'S':
                n = std::snprintf(buf, sizeof buf, "%02d", int(sod % 60));
                break;
            case 'z': {
                int a = offset < 0 ? -offset : offset;
                n = std::snprintf(buf, sizeof buf, "%c%02d%02d", offset < 0 ? '-' : '+', a / 3600,
                                  a / 60 % 60);
                break;
            }
        }
        out.append(buf, std::size_t(n));
    }
}

}  // namespace fb::mapping
