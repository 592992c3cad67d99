#include "mapping/schema_check.h"

#include <cmath>

#include <boost/json/object.hpp>
#include <optional>
#include <regex>
#include <string_view>
#include <vector>

#include "mapping/compiler.h"
#include "schema/date_time.h"

namespace fb::mapping {

namespace {

enum TypeBit : unsigned {
    t_string = 1,
    t_number = 2,
    t_integer = 4,
    t_boolean = 8,
    t_object = 16,
    t_array = 32,
    t_null = 64
};

unsigned type_bit(std::string_view t) {
    if (t == "string") return t_string;
    if (t == "number") return t_number;
    if (t == "integer") return t_integer;
    if (t == "boolean") return t_boolean;
    if (t == "object") return t_object;
    if (t == "array") return t_array;
    if (t == "null") return t_null;
    return 0;
}

bool is_integer(const json::value& v) {
    if (v.is_int64() || v.is_uint64()) return true;
    // A whole double, compared without converting it (found by fuzzing: 1e62 → int64 is undefined).
    return v.is_double() && std::isfinite(v.get_double()) &&
           std::trunc(v.get_double()) == v.get_double();
}

std::size_t utf8_length(std::string_view s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

}  // namespace

// Anchored patterns made of literals and character classes with counts, such as
// ^\\+[1-9][0-9]{6,14}$ and ^[A-Z]{2}$, matched without std::regex; others use std::regex.
class SimplePattern {
  public:
    static std::optional<SimplePattern> parse(std::string_view p) {
        if (p.size() < 2 || p.front() != '^' || p.back() != '$') return std::nullopt;
        p = p.substr(1, p.size() - 2);
        SimplePattern out;
        while (!p.empty()) {
            Atom a;
            if (p[0] == '\\' && p.size() > 1 && !std::isalnum(static_cast<unsigned char>(p[1]))) {
                a.ranges.emplace_back(p[1], p[1]);
                p.remove_prefix(2);
            } else if (p[0] == '[') {
                auto close = p.find(']');
                if (close == std::string_view::npos || p[1] == '^') return std::nullopt;
                auto body = p.substr(1, close - 1);
                for (std::size_t i = 0; i < body.size();) {
                    if (body[i] == '\\') return std::nullopt;
                    if (i + 2 < body.size() && body[i + 1] == '-') {
                        a.ranges.emplace_back(body[i], body[i + 2]);
                        i += 3;
                    } else {
                        a.ranges.emplace_back(body[i], body[i]);
                        ++i;
                    }
                }
                p.remove_prefix(close + 1);
            } else if (std::isalnum(static_cast<unsigned char>(p[0])) || p[0] == '-' ||
                       p[0] == '_' || p[0] == ':') {
                a.ranges.emplace_back(p[0], p[0]);
                p.remove_prefix(1);
            } else {
                return std::nullopt;
            }
            if (!p.empty() && p[0] == '{') {
                auto close = p.find('}');
                if (close == std::string_view::npos) return std::nullopt;
                auto body = std::string(p.substr(1, close - 1));
                auto comma = body.find(',');
                try {
                    a.min = std::stoul(body.substr(0, comma));
                    a.max = comma == std::string::npos ? a.min : std::stoul(body.substr(comma + 1));
                } catch (const std::exception&) {
                    return std::nullopt;
                }
                p.remove_prefix(close + 1);
            } else if (!p.empty() && (p[0] == '*' || p[0] == '+' || p[0] == '?')) {
                return std::nullopt;
            }
            out.atoms_.push_back(std::move(a));
        }
        for (std::size_t k = 0; k + 1 < out.atoms_.size(); ++k) {
            const Atom& a = out.atoms_[k];
            if (a.max == a.min) continue;
            for (auto [lo, hi] : out.atoms_[k + 1].ranges)
                for (int c = lo; c <= hi; ++c)
                    if (a.accepts(char(c))) return std::nullopt;
        }
        return out;
    }

    // Greedy matching is exact: parse() refuses a variable count followed by an overlapping class.
    bool matches(std::string_view s) const {
        std::size_t p = 0;
        for (const Atom& a : atoms_) {
            std::size_t n = 0;
            while (n < a.max && p < s.size() && a.accepts(s[p])) ++n, ++p;
            if (n < a.min) return false;
        }
        return p == s.size();
    }

  private:
    struct Atom {
        std::vector<std::pair<char, char>> ranges;
        std::size_t min = 1, max = 1;
        bool accepts(char c) const {
            for (auto [lo, hi] : ranges)
                if (c >= lo && c <= hi) return true;
            return false;
        }
    };
    std::vector<Atom> atoms_;
};

struct SchemaCheck::Node {
    unsigned types = 0;  // 0: any
    std::vector<json::value> enumeration;
    bool has_enum = false;
    std::vector<std::pair<std::string, std::unique_ptr<Node>>> properties;
    bool closed = false;
    std::unique_ptr<Node> additional;
    std::vector<std::string> required;
    std::unique_ptr<Node> items;
    std::optional<std::size_t> min_length, max_length;
    std::optional<double> minimum, maximum, exclusive_minimum;
    std::optional<std::regex> pattern;
    std::optional<SimplePattern> simple_pattern;
    bool date_time = false;

    static std::unique_ptr<Node> build(const json::object& s) {
        static const std::vector<std::string_view> known = {
            "$schema",     "$id",        "title",
            "description", "type",       "enum",
            "required",    "properties", "additionalProperties",
            "items",       "minLength",  "maxLength",
            "minimum",     "maximum",    "exclusiveMinimum",
            "pattern",     "format"};
        auto n = std::make_unique<Node>();
        for (const auto& kv : s) {
            std::string_view k = kv.key();
            const auto& v = kv.value();
            if (std::find(known.begin(), known.end(), k) == known.end()) return nullptr;
            if (k == "type") {
                if (v.is_string())
                    n->types = type_bit(v.get_string());
                else if (v.is_array())
                    for (const auto& t : v.get_array()) n->types |= type_bit(t.as_string());
            } else if (k == "enum") {
                n->has_enum = true;
                for (const auto& e : v.as_array()) n->enumeration.push_back(e);
            } else if (k == "required") {
                for (const auto& r : v.as_array()) n->required.emplace_back(r.as_string());
            } else if (k == "properties") {
                for (const auto& p : v.as_object()) {
                    auto child = build(p.value().as_object());
                    if (!child) return nullptr;
                    n->properties.emplace_back(std::string(p.key()), std::move(child));
                }
            } else if (k == "additionalProperties") {
                if (v.is_bool())
                    n->closed = !v.get_bool();
                else if (!(n->additional = build(v.as_object())))
                    return nullptr;
            } else if (k == "items") {
                if (!v.is_object() || !(n->items = build(v.get_object()))) return nullptr;
            } else if (k == "minLength") {
                n->min_length = std::size_t(v.to_number<double>());
            } else if (k == "maxLength") {
                n->max_length = std::size_t(v.to_number<double>());
            } else if (k == "minimum") {
                n->minimum = v.to_number<double>();
            } else if (k == "maximum") {
                n->maximum = v.to_number<double>();
            } else if (k == "exclusiveMinimum") {
                n->exclusive_minimum = v.to_number<double>();
            } else if (k == "pattern") {
                std::string_view text(v.as_string().data(), v.as_string().size());
                n->simple_pattern = SimplePattern::parse(text);
                if (!n->simple_pattern)
                    n->pattern.emplace(std::string(text),
                                       std::regex::ECMAScript | std::regex::optimize);
            } else if (k == "format") {
                if (v.as_string() != "date-time") return nullptr;
                n->date_time = true;
            }
        }
        return n;
    }

    bool valid(const json::value& v) const {
        if (types) {
            unsigned have = v.is_string()   ? t_string
                            : v.is_bool()   ? t_boolean
                            : v.is_null()   ? t_null
                            : v.is_object() ? t_object
                            : v.is_array()  ? t_array
                            : is_integer(v) ? (t_integer | t_number)
                                            : t_number;
            if (!(types & have)) return false;
        }
        if (has_enum && std::find(enumeration.begin(), enumeration.end(), v) == enumeration.end())
            return false;
        if (const auto* s = v.if_string()) {
            std::string_view text(s->data(), s->size());
            if (min_length || max_length) {
                std::size_t n = utf8_length(text);
                if ((min_length && n < *min_length) || (max_length && n > *max_length))
                    return false;
            }
            if (simple_pattern && !simple_pattern->matches(text)) return false;
            if (pattern && !std::regex_search(text.begin(), text.end(), *pattern)) return false;
            // The schema's own date-time check: anything it refuses goes to the full validator.
            if (date_time && !schema::date_time_problem(text).empty()) return false;
        } else if (v.is_number()) {
            double d = v.to_number<double>();
            if ((minimum && d < *minimum) || (maximum && d > *maximum) ||
                (exclusive_minimum && d <= *exclusive_minimum))
                return false;
        } else if (const auto* o = v.if_object()) {
            for (const auto& r : required)
                if (!o->contains(json::string_view(r.data(), r.size()))) return false;
            // Work orders list their fields mostly in the schema's order: each search starts
            // after the last property found.
            std::size_t hint = 0, n = properties.size();
            for (const auto& kv : *o) {
                const Node* child = nullptr;
                std::string_view key(kv.key().data(), kv.key().size());
                for (std::size_t k = 0; k < n; ++k) {
                    std::size_t at = hint + k < n ? hint + k : hint + k - n;
                    if (std::string_view(properties[at].first) == key) {
                        child = properties[at].second.get();
                        hint = at + 1 < n ? at + 1 : 0;
                        break;
                    }
                }
                if (!child) {
                    if (closed) return false;
                    child = additional.get();
                }
                if (child && !child->valid(kv.value())) return false;
            }
        } else if (const auto* a = v.if_array()) {
            if (items)
                for (const auto& e : *a)
                    if (!items->valid(e)) return false;
        }
        return true;
    }
};

SchemaCheck::~SchemaCheck() = default;

std::unique_ptr<SchemaCheck> SchemaCheck::compile(const json::object& schema) {
    auto root = Node::build(schema);
    if (!root) return nullptr;
    auto c = std::make_unique<SchemaCheck>();
    c->root_ = std::move(root);
    return c;
}

bool SchemaCheck::valid(const json::value& v) const { return root_->valid(v); }

const SchemaCheck* work_order_check() {
    static const std::unique_ptr<SchemaCheck> check = SchemaCheck::compile(work_order_schema());
    return check.get();
}

}  // namespace fb::mapping
