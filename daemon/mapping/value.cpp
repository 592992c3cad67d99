#include "mapping/value.h"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <charconv>
#include <cmath>

namespace fb::mapping {

Val from_json(const json::value& v) {
    switch (v.kind()) {
        case json::kind::null:
            return Val::null();
        case json::kind::bool_:
            return Val::of_bool(v.get_bool());
        case json::kind::int64:
            return Val::of_int(v.get_int64());
        case json::kind::uint64:
            if (v.get_uint64() <= std::uint64_t(INT64_MAX))
                return Val::of_int(std::int64_t(v.get_uint64()));
            return Val::of_real(double(v.get_uint64()));
        case json::kind::double_:
            return Val::of_real(v.get_double());
        case json::kind::string:
            return Val::of_string(v.get_string());
        default: {
            Val r;
            r.kind = Val::Kind::json;
            r.j = &v;
            return r;
        }
    }
}

json::value to_json(const Val& v, json::storage_ptr sp) {
    switch (v.kind) {
        case Val::Kind::missing:
        case Val::Kind::null:
            return json::value(nullptr, std::move(sp));
        case Val::Kind::boolean:
            return json::value(v.b, std::move(sp));
        case Val::Kind::integer:
            return json::value(v.i, std::move(sp));
        case Val::Kind::real:
            // 4.0 from "4.000" or a Kingdee double reads better, and compares equal, as 4.
            if (std::isfinite(v.d) && v.d == std::floor(v.d) && std::fabs(v.d) < 9007199254740992.0)
                return json::value(std::int64_t(v.d), std::move(sp));
            return json::value(v.d, std::move(sp));
        case Val::Kind::string:
            return json::value(json::string_view(v.s.data(), v.s.size()), std::move(sp));
        case Val::Kind::json:
            return json::value(*v.j, std::move(sp));
        case Val::Kind::list: {
            json::array a(sp);
            a.reserve(v.list->size());
            for (const auto& e : *v.list) a.push_back(to_json(e, sp));
            return a;
        }
    }
    return json::value(nullptr, std::move(sp));
}

std::string describe(const Val& v) {
    switch (v.kind) {
        case Val::Kind::missing:
            return "nothing";
        case Val::Kind::null:
            return "null";
        case Val::Kind::boolean:
            return v.b ? "true" : "false";
        case Val::Kind::string:
            return json::serialize(json::string(v.s));
        case Val::Kind::json:
            if (v.j->is_object() && v.j->get_object().contains("#text"))
                return "an XML element with attributes (its text is `.#text`)";
            return v.j->is_object() ? "an object"
                                    : "an array of " + std::to_string(v.j->get_array().size());
        case Val::Kind::list:
            return "a list of " + std::to_string(v.list->size()) + " values";
        default: {
            std::string s;
            to_text(v, s);
            return s;
        }
    }
}

bool to_number(const Val& v, Val& out) {
    if (v.is_number()) {
        out = v;
        return true;
    }
    if (v.kind != Val::Kind::string) return false;
    std::string_view s = v.s;
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    if (s.empty()) return false;
    const char* end = s.data() + s.size();
    if (s.find_first_of(".eE") == std::string_view::npos) {
        std::int64_t i = 0;
        auto r = std::from_chars(s.data(), end, i);
        if (r.ec == std::errc() && r.ptr == end) {
            out = Val::of_int(i);
            return true;
        }
    }
    double d = 0;
    auto r = std::from_chars(s.data(), end, d);
    if (r.ec != std::errc() || r.ptr != end || !std::isfinite(d)) return false;
    out = Val::of_real(d);
    return true;
}

bool truthy(const Val& v) {
    switch (v.kind) {
        case Val::Kind::missing:
        case Val::Kind::null:
            return false;
        case Val::Kind::boolean:
            return v.b;
        case Val::Kind::integer:
            return v.i != 0;
        case Val::Kind::real:
            return v.d != 0;
        case Val::Kind::string:
            return !v.s.empty();
        case Val::Kind::json:
            return true;
        case Val::Kind::list:
            for (const auto& e : *v.list)
                if (!truthy(e)) return false;
            return !v.list->empty();
    }
    return false;
}

bool to_text(const Val& v, std::string& out) {
    switch (v.kind) {
        case Val::Kind::string:
            out.assign(v.s);
            return true;
        case Val::Kind::boolean:
            out = v.b ? "true" : "false";
            return true;
        case Val::Kind::integer:
            out = std::to_string(v.i);
            return true;
        case Val::Kind::real: {
            if (v.d == std::floor(v.d) && std::fabs(v.d) < 1e15) {
                out = std::to_string(std::int64_t(v.d));
                return true;
            }
            char buf[32];
            auto r = std::to_chars(buf, buf + sizeof buf, v.d);
            out.assign(buf, r.ptr);
            return true;
        }
        default:
            return false;
    }
}

bool blank(const Val& v, const EvalContext& ctx) {
    if (v.absent()) return true;
    if (!ctx.empty_values) return false;
    for (const auto& e : *ctx.empty_values) {
        if (e.kind == Val::Kind::null) continue;  // null is absent already
        if (e.kind == Val::Kind::boolean && v.kind == Val::Kind::boolean && v.b == e.b) return true;
        if (e.kind == Val::Kind::string && v.kind == Val::Kind::string && v.s == e.s) return true;
        if (e.is_number() && v.is_number() && e.number() == v.number()) return true;
    }
    return false;
}

bool holds(const Val& v, const EvalContext& ctx) { return truthy(v) && !blank(v, ctx); }

}  // namespace fb::mapping
