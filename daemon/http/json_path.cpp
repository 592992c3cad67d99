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

std::string path_error(std::string_view path, bool list) {
    const std::string shown(path);
    if (!path.starts_with("$"))
        return "`" + shown + "` is not a path into the answer: a path starts with `$` ($.data, $.d.results, $['@odata.nextLink'])";
    path.remove_prefix(1);
    while (!path.empty()) {
        if (path.starts_with("[*]")) {
            if (!list) return "`" + shown + "`: [*] reads many values, and one is wanted here";
            path.remove_prefix(3);
        } else if (path.front() == '.') {
            path.remove_prefix(1);
            auto end = path.find_first_of(".[");
            auto key = path.substr(0, end);
            if (key.empty()) return "`" + shown + "`: a name is missing after a `.`";
            for (unsigned char c : key)
                if (c <= ' ' || std::string_view("+*/=!<>(),'\"|&").find(static_cast<char>(c)) != std::string_view::npos)
                    return "`" + shown + "`: `" + std::string(key) + "` is not a plain name; quote a name with spaces "
                           "or signs as $['" + std::string(key) + "']";
            path = end == path.npos ? std::string_view() : path.substr(end);
        } else if (path.starts_with("['") || path.starts_with("[\"")) {
            auto close = path.find(std::string{path[1], ']'}, 2);
            if (close == path.npos) return "`" + shown + "`: a quoted name is not closed (" + path[1] + "])";
            path = path.substr(close + 2);
        } else if (path.front() == '[') {
            auto close = path.find(']');
            auto digits = path.substr(1, close == path.npos ? 0 : close - 1);
            if (close == path.npos || digits.empty() || digits.size() > 9 ||
                digits.find_first_not_of("0123456789") != std::string_view::npos)
                return "`" + shown + "`: an index is digits in brackets ([0], [12])" + (list ? " or [*]" : "");
            path = path.substr(close + 1);
        } else {
            return "`" + shown + "`: expected `.name`, `['name']` or `[index]` after `$`, found `" + std::string(path) + "`";
        }
    }
    return "";
}

std::string text_of(const json::value& v) {
    if (v.is_string()) return std::string(v.as_string());
    if (v.is_null()) return "";
    return json::serialize(v);
}

}  // namespace fb::http
