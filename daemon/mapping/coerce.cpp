#include "mapping/coerce.h"

#include <cmath>

namespace fb::mapping {

std::optional<Coercion> coercion_named(std::string_view name) {
    if (name == "string") return Coercion::string;
    if (name == "number") return Coercion::number;
    if (name == "integer") return Coercion::integer;
    if (name == "boolean") return Coercion::boolean;
    return std::nullopt;
}

namespace {

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

// ERPs spell yes and no many ways: Y/N, 是/否, SAP's X (and blank), 1/0, true/false.
std::optional<bool> boolean_of(std::string_view s) {
    s = trimmed(s);
    for (auto t : {"y", "yes", "true", "x", "1", "on", "是", "对", "真"})
        if (iequals(s, t)) return true;
    for (auto f : {"n", "no", "false", "0", "off", "否", "不", "假"})
        if (iequals(s, f)) return false;
    return std::nullopt;
}

}  // namespace

Val coerce(const Val& v, Coercion to, EvalContext& ctx) {
    switch (to) {
        case Coercion::none:
            return v;
        case Coercion::string: {
            if (v.kind == Val::Kind::string) return v;
            auto& s = ctx.scratch_string();
            if (!to_text(v, s)) throw EvalError{"a string", describe(v), ""};
            return Val::of_string(s);
        }
        case Coercion::number: {
            Val n;
            if (!to_number(v, n)) throw EvalError{"a number", describe(v), ""};
            if (n.kind == Val::Kind::real && n.d == std::floor(n.d) && std::fabs(n.d) < 9e15)
                return Val::of_int(std::int64_t(n.d));
            return n;
        }
        case Coercion::integer: {
            Val n;
            if (!to_number(v, n)) throw EvalError{"an integer", describe(v), ""};
            if (n.kind == Val::Kind::integer) return n;
            if (n.d != std::floor(n.d) || std::fabs(n.d) > 9e15)
                throw EvalError{"an integer", describe(v), ""};
            return Val::of_int(std::int64_t(n.d));
        }
        case Coercion::boolean: {
            if (v.kind == Val::Kind::boolean) return v;
            if (v.kind == Val::Kind::integer && (v.i == 0 || v.i == 1))
                return Val::of_bool(v.i == 1);
            if (v.kind == Val::Kind::string)
                if (auto b = boolean_of(v.s)) return Val::of_bool(*b);
            throw EvalError{"a boolean (Y/N, 是/否, X, true/false, 1/0)", describe(v), ""};
        }
    }
    return v;
}

}  // namespace fb::mapping
