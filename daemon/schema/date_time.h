// The `format: date-time` check of the schemas: RFC 3339 section 5.6, by hand, so no regular
// expression is built or run per value (valijson compiled one for every formatted string).
#pragma once

#include <string>
#include <string_view>

namespace fb::schema {

// Empty when `text` is an RFC 3339 date-time ("2026-11-22T09:58:30.5+08:00", "…Z"); otherwise
// what is wrong, for a person ("month 13 is not 01-12", "February 2026 has no day 29").
std::string date_time_problem(std::string_view text);

}  // namespace fb::schema
