// Dates and times: input formats (strftime-like patterns, RFC 3339, SAP's /Date(ms)/, unix times), time
// zones, times of day (PT09H30M00S, 09:30), durations, and output as RFC 3339.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace date {
class time_zone;
}

namespace fb::mapping {

// A compiled pattern: "%Y-%m-%d %H:%M" → tokens. Throws std::invalid_argument with the reason.
struct TimePattern {
    struct Token {
        char directive = 0;  // 'Y','m','d','H','M','S','z', or 0 for a literal
        std::string literal;
    };
    std::vector<Token> tokens;
    bool has_zone = false;
    bool has_time = false;
    static TimePattern compile(std::string_view pattern);
};

struct TimeFormat {
    // unix / unix_ms: seconds / milliseconds since 1970-01-01T00:00Z, a number or numeric text
    // (Dolibarr, WooCommerce, Stripe-style APIs).
    enum class Kind { pattern, rfc3339, sap, unix_seconds, unix_ms } kind = Kind::rfc3339;
    TimePattern pattern;
};

// A moment as read: the wall-clock reading, and the offset when the input carried one.
struct WallTime {
    std::int64_t local_seconds = 0;  // seconds since 1970-01-01T00:00 of the wall clock
    int millis = 0;
    bool has_offset = false;
    int offset_seconds = 0;
};

bool parse_time(const TimeFormat& f, std::string_view text, WallTime& out);
// "PT09H30M00S", "09:30", "09:30:00", "0930", "093000" → seconds after midnight.
std::optional<std::int64_t> parse_time_of_day(std::string_view text);
// ISO 8601 durations without years or months: "PT3H", "P1DT2H", "PT90M" → seconds.
std::optional<std::int64_t> parse_duration(std::string_view text);

const date::time_zone* find_zone(std::string_view name);  // nullptr when unknown
std::vector<std::string_view> zone_names();

// UTC seconds of a wall-clock reading in `zone` (the earlier one when a clock goes back).
std::int64_t to_utc(const date::time_zone* zone, std::int64_t local_seconds);
int offset_at(const date::time_zone* zone, std::int64_t utc_seconds);

// RFC 3339 ("2026-11-22T09:30:00+08:00"; "Z" when offset 0 and `z_for_utc`), or a pattern.
void format_rfc3339(std::int64_t utc_seconds, int millis, int offset_seconds, bool z_for_utc,
                    std::string& out);
void format_pattern(const TimePattern& p, std::int64_t utc_seconds, int offset_seconds,
                    std::string& out);

}  // namespace fb::mapping
