#include "mapping/version_order.h"

#include <cstdint>
#include <cstdio>

#include "mapping/time.h"

namespace fb::mapping {
namespace {

constexpr std::size_t max_integer_digits = 1000;
// Seconds are biased so that every instant from year 0000 to far past 9999 is a positive number
// of fixed width, which makes the text sort like the instant.
constexpr std::int64_t second_bias = 1'000'000'000'000'000;  // 1e15
constexpr std::int64_t max_seconds = 900'000'000'000'000;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Integers of any length: a sign class ('N' < 'P'), the digit count, then the digits;
// a negative number's count and digits are complemented so larger magnitudes sort first.
std::optional<std::string> integer_key(std::string_view s) {
    bool negative = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        negative = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s.empty() || s.size() > max_integer_digits) return std::nullopt;
    for (char c : s)
        if (!is_digit(c)) return std::nullopt;
    while (s.size() > 1 && s[0] == '0') s.remove_prefix(1);
    if (s == "0") negative = false;
    char count[8];
    std::snprintf(count, sizeof count, "%04zu", negative ? 9999 - s.size() : s.size());
    std::string key = std::string("i:") + (negative ? 'N' : 'P') + count;
    for (char c : s) key += negative ? char('9' - (c - '0')) : c;
    return key;
}

// The fraction of a second as written ("123456" for .123456), trailing zeros dropped: two such
// strings compare as the fractions do, at any precision (ERPNext writes microseconds).
std::string fraction_digits(std::string_view s) {
    std::string out;
    if (s.size() > 19 && (s[19] == '.' || s[19] == ','))
        for (std::size_t p = 20; p < s.size() && is_digit(s[p]); ++p) out += s[p];
    while (!out.empty() && out.back() == '0') out.pop_back();
    return out;
}

std::optional<std::string> timestamp_key(std::string_view s) {
    WallTime t;
    std::string fraction;
    if (parse_time(TimeFormat{TimeFormat::Kind::sap, {}}, s, t)) {
        char ms[8];
        std::snprintf(ms, sizeof ms, "%03d", t.millis);
        fraction = ms;
        while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
    } else if (parse_time(TimeFormat{TimeFormat::Kind::rfc3339, {}}, s, t)) {
        fraction = fraction_digits(s);
    } else {
        return std::nullopt;
    }
    // A reading without an offset is taken as UTC: versions of one document come from one ERP
    // with one clock, so they still compare right among themselves.
    std::int64_t utc = t.local_seconds - (t.has_offset ? t.offset_seconds : 0);
    if (utc > max_seconds || utc < -max_seconds) return std::nullopt;
    char secs[24];
    std::snprintf(secs, sizeof secs, "%016lld", static_cast<long long>(utc + second_bias));
    return std::string("t:") + secs + "." + fraction;
}

}  // namespace

const char* to_string(VersionOrder order) {
    switch (order) {
        case VersionOrder::automatic: return "auto";
        case VersionOrder::timestamp: return "timestamp";
        case VersionOrder::integer: return "integer";
        case VersionOrder::string: return "string";
        case VersionOrder::none: return "none";
    }
    return "auto";
}

std::optional<VersionOrder> parse_version_order(std::string_view name) {
    for (auto o : {VersionOrder::automatic, VersionOrder::timestamp, VersionOrder::integer,
                   VersionOrder::string, VersionOrder::none})
        if (name == to_string(o)) return o;
    return std::nullopt;
}

const char* describe_order(VersionOrder order) {
    switch (order) {
        case VersionOrder::timestamp:
            return "a timestamp (RFC 3339 / ISO 8601, or /Date(ms)/)";
        case VersionOrder::integer: return "an integer";
        default: return "a version";
    }
}

std::optional<std::string> version_key(VersionOrder order, std::string_view version) {
    if (version.empty() || order == VersionOrder::none) return std::string();
    switch (order) {
        case VersionOrder::timestamp: return timestamp_key(version);
        case VersionOrder::integer: return integer_key(version);
        case VersionOrder::string: return "s:" + std::string(version);
        default: break;
    }
    if (auto k = integer_key(version)) return k;
    if (auto k = timestamp_key(version)) return k;
    return "s:" + std::string(version);
}

std::optional<int> compare_version_keys(std::string_view a, std::string_view b) {
    if (a.size() < 2 || b.size() < 2 || a.substr(0, 2) != b.substr(0, 2)) return std::nullopt;
    int c = a.compare(b);
    return c < 0 ? -1 : c > 0 ? 1 : 0;
}

}  // namespace fb::mapping
