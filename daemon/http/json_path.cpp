#include "http/json_path.h"

#include <boost/json/serialize.hpp>

namespace fb::http {
namespace json = boost::json;

namespace {

// Walks `path` from `at`; at a `[*]` it calls itself for each element (when `all` is given).
const json::value* walk(const json::value* at, std::string_view path, std::vector<const json::value*>* all) {
    while (at && !path.empty()) {
        if (path.starts_with("[*]")) {
            if (!all || !at->is_array()) return nullptr;
            for (const auto& e : at->as_array())
                if (const auto* v = walk(&e, path.substr(3), all); v) all->push_back(v);
            return nullptr;
        }
        if (path.front() == '.') {
            path.remove_prefix(1);
            auto end = path.find_first_of(".[");
            auto key = path.substr(0, end);
            path = end == path.npos ? std::string_view() : path.substr(end);
            at = at->is_object() ? at->as_object().if_contains(key) : nullptr;
        } else if (path.starts_with("['") || path.starts_with("[\"")) {  // a name with dots or @
            char quote = path[1];
            auto close = path.find(std::string{quote, ']'}, 2);
            if (close == path.npos) return nullptr;
            auto key = path.substr(2, close - 2);
            path = path.substr(close + 2);
            at = at->is_object() ? at->as_object().if_contains(key) : nullptr;
        } else if (path.front() == '[') {
            auto close = path.find(']');
            // More than 9 digits is no list an answer holds: it reads nothing rather than wrap.
            if (close == path.npos || close == 1 || close > 10 || !at->is_array()) return nullptr;
            std::size_t i = 0;
            for (char c : path.substr(1, close - 1)) {
                if (c < '0' || c > '9') return nullptr;
                i = i * 10 + (c - '0');
            }
            path = path.substr(close + 1);
            at = i < at->as_array().size() ? &at->as_array()[i] : nullptr;
        } else {
            return nullptr;
        }
    }
    return at;
}

}  // namespace

const json::value* find_path(const json::value& root, std::string_view path) {
    if (path.starts_with("$")) path.remove_prefix(1);
    return walk(&root, path, nullptr);
}

void find_all(const json::value& root, std::string_view path, std::vector<const json::value*>& out) {
    if (path.starts_with("$")) path.remove_prefix(1);
    if (const auto* v = walk(&root, path, &out)) out.push_back(v);
}

std::string text_of(const json::value& v) {
    if (v.is_string()) return std::string(v.as_string());
    if (v.is_null()) return "";
    return json::serialize(v);
}

}  // namespace fb::http
