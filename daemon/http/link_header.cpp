#include "http/link_header.h"

#include <boost/beast/core/string.hpp>

namespace fb::http {

namespace {

bool space(char c) { return c == ' ' || c == '\t'; }

void skip_space(std::string_view s, std::size_t& p) {
    while (p < s.size() && space(s[p])) ++p;
}

// A parameter value: a quoted-string (with \-escapes) or a token, up to `;` or `,`.
std::string param_value(std::string_view s, std::size_t& p) {
    std::string out;
    if (p < s.size() && s[p] == '"') {
        for (++p; p < s.size() && s[p] != '"'; ++p) {
            if (s[p] == '\\' && p + 1 < s.size()) ++p;
            if (out.size() < max_link_bytes) out += s[p];
        }
        if (p < s.size()) ++p;  // the closing quote (a missing one ends at the header's end)
        return out;
    }
    while (p < s.size() && s[p] != ';' && s[p] != ',' && !space(s[p])) {
        if (out.size() < max_link_bytes) out += s[p];
        ++p;
    }
    return out;
}

bool rel_holds(std::string_view rels, std::string_view want) {
    std::size_t p = 0;
    while (p < rels.size()) {
        while (p < rels.size() && space(rels[p])) ++p;
        auto end = p;
        while (end < rels.size() && !space(rels[end])) ++end;
        if (end > p && boost::beast::iequals(rels.substr(p, end - p), want)) return true;
        p = end;
    }
    return false;
}

}  // namespace

std::optional<std::string> link_target(std::string_view s, std::string_view rel, std::size_t& budget) {
    std::size_t p = 0;
    while (p < s.size() && budget > 0) {
        skip_space(s, p);
        if (p < s.size() && s[p] == ',') {  // an empty element (`, ,`) is allowed
            ++p;
            continue;
        }
        if (p >= s.size()) break;
        if (s[p] != '<') return std::nullopt;  // not a link: the rest cannot be trusted
        auto close = s.find('>', p + 1);
        if (close == s.npos) return std::nullopt;
        auto target = s.substr(p + 1, close - p - 1);
        --budget;
        p = close + 1;
        bool wanted = false;
        bool rel_seen = false;
        // Parameters: `; name=value` up to the `,` that starts the next link.
        while (true) {
            skip_space(s, p);
            if (p >= s.size() || s[p] == ',') break;
            if (s[p] != ';') return std::nullopt;
            ++p;
            skip_space(s, p);
            auto name_start = p;
            while (p < s.size() && s[p] != '=' && s[p] != ';' && s[p] != ',' && !space(s[p])) ++p;
            auto name = s.substr(name_start, p - name_start);
            skip_space(s, p);
            std::string value;
            if (p < s.size() && s[p] == '=') {
                ++p;
                skip_space(s, p);
                value = param_value(s, p);
            }
            // RFC 8288 3.3: only the first rel of a link counts.
            if (!rel_seen && boost::beast::iequals(name, "rel")) {
                rel_seen = true;
                wanted = rel_holds(value, rel);
            }
        }
        if (wanted && !target.empty() && target.size() <= max_link_bytes) {
            std::string out(target);
            while (!out.empty() && space(out.front())) out.erase(out.begin());
            while (!out.empty() && space(out.back())) out.pop_back();
            if (!out.empty()) return out;
        }
    }
    return std::nullopt;
}

std::optional<std::string> link_target(const Headers& headers, std::string_view rel) {
    std::size_t budget = max_links;
    for (const auto& [name, value] : headers) {
        if (!boost::beast::iequals(name, "Link")) continue;
        if (auto t = link_target(value, rel, budget)) return t;
        if (budget == 0) break;
    }
    return std::nullopt;
}

}  // namespace fb::http
