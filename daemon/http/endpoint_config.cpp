#include "http/endpoint_config.h"

#include "config/section.h"
#include "http/json_path.h"

namespace fb::http {

void read_vars(config::Section& s, boost::json::object& vars, std::vector<std::string>& secrets) {
    for (auto& [k, v] : s.string_map("vars")) {
        vars[k] = v;
        for (const char* word : {"password", "secret", "token", "key"})
            if (k.find(word) != std::string::npos) secrets.push_back(v);
    }
}

std::string read_path(config::Section& s, const std::string& key, std::string fallback, bool required, bool list) {
    auto path = s.string(key, std::move(fallback), required);
    if (path.empty()) return path;
    if (auto why = path_error(path, list); !why.empty()) s.fail(s.get(key), s.where() + "." + key + ": " + why);
    return path;
}

void read_client_limits(config::Section& s, const std::string& base_dir, ClientOptions& options) {
    options.max_body_bytes = s.integer("max_body_bytes", options.max_body_bytes, 1024, 1ll << 30);
    if (auto tls = s.get("tls")) {
        auto t = s.child(tls, s.where() + ".tls");
        options.ca_file = config::resolve(base_dir, t.string("ca_file", ""));
        options.verify_peer = t.boolean("verify", true);
        t.reject_unknown();
    }
}

}  // namespace fb::http
