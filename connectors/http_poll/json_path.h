// Paths into an ERP's JSON answer: `$`, `$.a.b`, `$.a[0]`, `$['@odata.nextLink']`, for the
// records, the cursor fields, next links and error rules of a poll source.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace fb::connectors::http_poll {

// The value at `path`, or nullptr.
const boost::json::value* find_path(const boost::json::value& root, std::string_view path);
// A scalar as text: strings as they are, numbers and booleans as JSON writes them, null as "".
std::string text_of(const boost::json::value& v);

}  // namespace fb::connectors::http_poll
