// Paths into an ERP's JSON answer: `$`, `$.a.b`, `$.a[0]`, `$['@odata.nextLink']`,
// `$["@odata.etag"]`, `$.a[*].b` — for a poll source's records, cursor fields, next links, error
// rules and detail ids, and for the session value, CSRF token and ETag of a login or a sink.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace fb::http {

// The value at `path`, or nullptr (`[*]` is not allowed here: one value).
const boost::json::value* find_path(const boost::json::value& root, std::string_view path);
// Every value at `path`, where `[*]` takes each element of a list (`$.move_lines[*].product_id[0]`).
void find_all(const boost::json::value& root, std::string_view path, std::vector<const boost::json::value*>& out);
// Why `path` is not a path this reader takes (empty when it is): it starts with `$`; names after
// `.` hold no spaces or operators (`$['Meta Data']` for those); indexes are digits, or `[*]`
// where `list` allows it. A config's paths are checked with it, so a typo fails the load.
std::string path_error(std::string_view path, bool list = false);
// A scalar as text: strings as they are, numbers and booleans as JSON writes them, null as "".
std::string text_of(const boost::json::value& v);

}  // namespace fb::http
