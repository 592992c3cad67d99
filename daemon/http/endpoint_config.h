// The parts of an HTTP source's or sink's config that every ERP endpoint has alike: `vars:`
// (with the values of secret-sounding names kept for masking), `max_body_bytes` and `tls:`.
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <vector>

#include "http/client.h"

namespace fb::config {
class Section;
}

namespace fb::http {

// `vars: {name: value}` into `vars`; the values of names containing password, secret, token or
// key are appended to `secrets`.
void read_vars(config::Section& s, boost::json::object& vars, std::vector<std::string>& secrets);

// `max_body_bytes: N` and `tls: {ca_file, verify}` into `options`. Errors name file:line:col.
void read_client_limits(config::Section& s, const std::string& base_dir, ClientOptions& options);

// A path into an ERP's answer (http/json_path.h), checked: a typo (`records: data`, `$.a +`) fails
// the load at its line, not every page at run time. Empty when absent and not required.
std::string read_path(config::Section& s, const std::string& key, std::string fallback = "",
                      bool required = false, bool list = false);

}  // namespace fb::http
