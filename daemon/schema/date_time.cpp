#include "schema/date_time.h"

namespace fb::schema {
namespace {

// Reads exactly `n` digits at `p`, or fails.
bool digits(std::string_view s, std::size_t& p, int n, int& out) {
    if (s.size() - p < std::size_t(n)) return false;
    out = 0;
    for (int i = 0; i < n; ++i, ++p) {
        if (s[p] < '0' || s[p] > '9') return false;
        out = out * 10 + (s[p] - '0');
    }
    return true;
}

bool expect(std::string_view s, std::size_t& p, std::string_view any_of) {
    if (p >= s.size() || any_of.find(s[p]) == std::string_view::npos) return false;
    ++p;
    return true;
}

int days_in_month(int year, int month) {
    static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    return month == 2 && leap ? 29 : days[month - 1];
}

const char* const month_names[] = {"January", "February", "March",     "April",   "May",      "June",
                                   "July",    "August",   "September", "October", "November", "December"};

std::string two(int v) { return std::string(1, char('0' + v / 10)) + char('0' + v % 10); }

}  // namespace

std::string date_time_problem(std::string_view s) {
    const std::string shape = "not an RFC 3339 date-time such as 2026-11-22T09:58:30Z or "
                              "2026-11-22T09:58:30.250+08:00";
    std::size_t p = 0;
    int year, month, day, hour, minute, second;
    if (!digits(s, p, 4, year) || !expect(s, p, "-") || !digits(s, p, 2, month) || !expect(s, p, "-") ||
        !digits(s, p, 2, day) || !expect(s, p, "Tt") || !digits(s, p, 2, hour) || !expect(s, p, ":") ||
        !digits(s, p, 2, minute) || !expect(s, p, ":") || !digits(s, p, 2, second))
        return shape;
    if (p < s.size() && s[p] == '.') {
        std::size_t first = ++p;
        while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
        if (p == first) return shape + " (a '.' needs at least one digit after it)";
    }
    int offset_hour = 0, offset_minute = 0;
    if (p < s.size() && (s[p] == 'Z' || s[p] == 'z')) {
        ++p;
    } else if (!expect(s, p, "+-") || !digits(s, p, 2, offset_hour) || !expect(s, p, ":") ||
               !digits(s, p, 2, offset_minute)) {
        return shape + " (it needs an offset: Z or +hh:mm)";
    }
    if (p != s.size()) return shape;
    if (month < 1 || month > 12) return "month " + two(month) + " is not 01-12";
    if (day < 1 || day > days_in_month(year, month))
        return std::string(month_names[month - 1]) + " " + std::to_string(year) + " has no day " + two(day);
    if (hour > 23) return "hour " + two(hour) + " is not 00-23";
    if (minute > 59) return "minute " + two(minute) + " is not 00-59";
    if (second > 60) return "second " + two(second) + " is not 00-60";  // 60: a leap second
    if (offset_hour > 23 || offset_minute > 59)
        return "offset " + two(offset_hour) + ":" + two(offset_minute) + " is not 00:00-23:59";
    return {};
}

}  // namespace fb::schema
