// How a mapped request's body goes on the wire, for sources and sinks alike: text as written; an
// object as a form (`k=v&…`) when its Content-Type is application/x-www-form-urlencoded (an
// OAuth2 token request); anything else as JSON, with `Content-Type: application/json` unless the
// mapping set one.
#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "http/client.h"

namespace fb::http {

bool is_form(const Headers& headers);
// `k=v&…` of an object, each name and value escaped (RFC 3986 unreserved characters stay); a
// list value repeats its key, null is left out. Nothing when `body` is not an object.
std::optional<std::string> form_body(const boost::json::value& body);
void set_body(ClientRequest& request, const boost::json::value& body);

}  // namespace fb::http
