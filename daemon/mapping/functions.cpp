// The built-in functions of the expression language. Arity and statically known argument types
// are checked by the parser; run-time types here.
#include <algorithm>
#include <boost/json/array.hpp>
#include <cmath>
#include <cstdint>
#include <unordered_set>

#include "mapping/coerce.h"
#include "mapping/expr.h"
#include "mapping/functions_digest.h"
#include "mapping/functions_text.h"

namespace fb::mapping {

namespace {

using T = Type;

Val arg(const Expr& e, std::size_t i, EvalContext& ctx) { return evaluate(*e.args[i], ctx); }

[[noreturn]] void bad_arg(const Expr& e, std::size_t i, const Val& v, const char* expected) {
    EvalError err{std::string(expected) + " as argument " + std::to_string(i + 1) + " of " +
                      std::string(e.fn->name) + "()",
                  describe(v), ""};
    bool list = v.kind == Val::Kind::list || (v.kind == Val::Kind::json && v.j->is_array());
    if (list && e.fn->name == "contains")
        err.expected += " (for a list: `\"x\" in list`, a filter `$.X[?(@ == \"x\")]`, "
                        "or contains(join(list, \",\"), \"x\"))";
    else if (list && std::string_view(expected) == "a string")
        err.expected += " (for a list use join(list, \", \") or first(list))";
    if (e.args[i]->op == Expr::Op::path) err.path = e.args[i]->path->text;
    throw err;
}

std::string_view text_arg(const Expr& e, std::size_t i, EvalContext& ctx, bool& absent) {
    Val v = arg(e, i, ctx);
    // A filter path's single match stands for itself where text is wanted.
    if (v.kind == Val::Kind::list && v.list->size() <= 1)
        v = v.list->empty() ? Val{} : v.list->front();
    absent = v.missing() || v.kind == Val::Kind::null;
    if (absent) return {};
    if (v.kind == Val::Kind::string) return v.s;
    auto& s = ctx.scratch_string();
    if (!to_text(v, s)) bad_arg(e, i, v, "a string");
    return s;
}

// Elements of a list argument: a path's matches, a JSON array, or one value as a list of one.
void elements(const Val& v, std::vector<Val>& out) {
    if (v.kind == Val::Kind::list)
        out.assign(v.list->begin(), v.list->end());
    else if (v.kind == Val::Kind::json && v.j->is_array())
        for (const auto& x : v.j->get_array()) out.push_back(from_json(x));
    else if (!v.missing())
        out.push_back(v);
}

Val list_of(std::vector<Val>& items) {
    Val r;
    r.kind = Val::Kind::list;
    r.list = &items;
    return r;
}

Val string_of(std::string& s) { return Val::of_string(s); }

std::size_t utf8_length(std::string_view s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

// Byte offset of code point `cp` (clamped to the end).
std::size_t utf8_offset(std::string_view s, std::int64_t cp) {
    std::size_t i = 0;
    while (i < s.size() && cp > 0) {
        ++i;
        while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
        --cp;
    }
    return i;
}

std::int64_t int_value(const Expr& e, std::size_t i, const Val& v) {
    Val n;
    // A real beyond ±2^53 has no exact integer, and converting one beyond int64 is undefined.
    if (!to_number(v, n) || (n.kind == Val::Kind::real &&
                             (n.d != std::floor(n.d) || std::fabs(n.d) > 9007199254740992.0)))
        bad_arg(e, i, v, "an integer");
    return n.kind == Val::Kind::integer ? n.i : std::int64_t(n.d);
}
std::int64_t int_arg(const Expr& e, std::size_t i, EvalContext& ctx) { return int_value(e, i, arg(e, i, ctx)); }

// Runs `each(element, result)` with args[1] evaluated for every element of args[0] as `@`.
template <class Each>
void per_element(const Expr& e, EvalContext& ctx, Each&& each) {
    auto& xs = ctx.scratch_list();
    elements(arg(e, 0, ctx), xs);
    struct Restore {
        EvalContext& ctx;
        const json::value* at;
        const Val* at_value;
        ~Restore() {
            ctx.at = at;
            ctx.at_value = at_value;
        }
    } restore{ctx, ctx.at, ctx.at_value};
    for (const auto& x : xs) {
        ctx.at = x.kind == Val::Kind::json ? x.j : nullptr;
        ctx.at_value = &x;
        each(x, evaluate(*e.args[1], ctx));
    }
}

Val fn_any(const Expr& e, EvalContext& ctx) {
    bool any = false;
    if (e.args.size() == 2) {
        per_element(e, ctx, [&](const Val&, const Val& r) { any = any || holds(r, ctx); });
        return Val::of_bool(any);
    }
    auto& xs = ctx.scratch_list();
    elements(arg(e, 0, ctx), xs);
    return Val::of_bool(std::any_of(xs.begin(), xs.end(), [&](const Val& x) { return holds(x, ctx); }));
}
Val fn_all(const Expr& e, EvalContext& ctx) {
    bool all = true;
    if (e.args.size() == 2) {
        per_element(e, ctx, [&](const Val&, const Val& r) { all = all && holds(r, ctx); });
        return Val::of_bool(all);
    }
    auto& xs = ctx.scratch_list();
    elements(arg(e, 0, ctx), xs);
    return Val::of_bool(std::all_of(xs.begin(), xs.end(), [&](const Val& x) { return holds(x, ctx); }));
}
// count(list): elements; count(list, @.Qty > 0): elements the predicate holds for;
// count(list, "Y"): elements equal to "Y".
Val fn_count(const Expr& e, EvalContext& ctx) {
    std::int64_t n = 0;
    if (e.args.size() == 2 && e.per_element) {
        per_element(e, ctx, [&](const Val&, const Val& r) { n += holds(r, ctx); });
        return Val::of_int(n);
    }
    auto& xs = ctx.scratch_list();
    elements(arg(e, 0, ctx), xs);
    if (e.args.size() == 1) return Val::of_int(std::int64_t(xs.size()));
    Val x = arg(e, 1, ctx);
    for (const auto& v : xs) n += values_equal(v, x);
    return Val::of_int(n);
}
// map($.Lines[*], upper(@.Sku)): the expression for each element; missing results are left out.
Val fn_map(const Expr& e, EvalContext& ctx) {
    auto& out = ctx.scratch_list();
    per_element(e, ctx, [&](const Val&, const Val& r) {
        if (!r.missing()) out.push_back(r);
    });
    return list_of(out);
}
// filter($lines, @.Qty > 0): the elements the predicate holds for (a computed list too).
Val fn_filter(const Expr& e, EvalContext& ctx) {
    auto& out = ctx.scratch_list();
    per_element(e, ctx, [&](const Val& x, const Val& r) {
        if (holds(r, ctx)) out.push_back(x);
    });
    return list_of(out);
}

std::string prepare_count(Expr& e, std::size_t&) {
    if (e.args.size() == 2) e.per_element = mentions_element(*e.args[1]);
    return "";
}
std::string prepare_predicate(Expr& e, std::size_t& bad) {
    bad = 1;
    if (e.args.size() == 2 && !mentions_element(*e.args[1]))
        return std::string(e.fn->name) + "() reads each element as `@`: " +
               std::string(e.fn->name) +
               (e.fn->name == "map" ? "($.Lines[*], upper(@.Sku))" : "($.Lines[*], @.Qty > 0)");
    return "";
}

Val fold(const Expr& e, EvalContext& ctx, int how) {  // 0 sum, 1 min, 2 max, 3 avg
    auto& xs = ctx.scratch_list();
    elements(arg(e, 0, ctx), xs);
    if (xs.empty()) return how == 0 ? Val::of_int(0) : Val{};
    bool all_int = true;
    std::int64_t si = 0;
    double sd = 0, best = 0;
    for (std::size_t k = 0; k < xs.size(); ++k) {
        Val n;
        if (xs[k].absent() && how == 0) continue;
        if (!to_number(xs[k], n)) {
            EvalError err{"numbers in " + std::string(e.fn->name) + "()", describe(xs[k]), ""};
            if (e.args[0]->op == Expr::Op::path) err.path = e.args[0]->path->text;
            throw err;
        }
        double d = n.number();
        if (k == 0 || (how == 1 && d < best) || (how == 2 && d > best)) best = d;
        if (n.kind != Val::Kind::integer || __builtin_add_overflow(si, n.i, &si)) all_int = false;
        sd += d;
    }
    if (how == 0) return all_int ? Val::of_int(si) : Val::of_real(sd);
    if (how == 3) return Val::of_real(sd / double(xs.size()));
    return Val::of_real(best);
}
Val fn_sum(const Expr& e, EvalContext& ctx) { return fold(e, ctx, 0); }
Val fn_min(const Expr& e, EvalContext& ctx) { return fold(e, ctx, 1); }
Val fn_max(const Expr& e, EvalContext& ctx) { return fold(e, ctx, 2); }
Val fn_avg(const Expr& e, EvalContext& ctx) { return fold(e, ctx, 3); }

Val fn_first(const Expr& e, EvalContext& ctx) {
    auto& xs = ctx.scratch_list();
    elements(arg(e, 0, ctx), xs);
    return xs.empty() ? Val{} : xs.front();
}
Val fn_last(const Expr& e, EvalContext& ctx) {
    auto& xs = ctx.scratch_list();
    elements(arg(e, 0, ctx), xs);
    return xs.empty() ? Val{} : xs.back();
}
// at(list, i): the element at 0-based `i`, computed (`at($$.lines, $.line_no - 1)`); negative
// counts from the end; nothing past either end, or for a missing index.
Val fn_at(const Expr& e, EvalContext& ctx) {
    Val index = arg(e, 1, ctx);  // first: the list below lives in the scratch list
    if (index.absent()) return Val{};
    auto i = int_value(e, 1, index);
    auto& xs = ctx.scratch_list();
    elements(arg(e, 0, ctx), xs);
    auto n = static_cast<std::int64_t>(xs.size());
    if (i < 0) i += n;
    return i < 0 || i >= n ? Val{} : xs[static_cast<std::size_t>(i)];
}
// What distinct() compares: a scalar by its text and whether it is a string ("1" and 1 differ),
// an object or array of the document by identity.
std::string distinct_key(const Val& x) {
    std::string key;
    if (x.kind != Val::Kind::json && to_text(x, key))
        return (x.kind == Val::Kind::string ? 's' : 'v') + key;
    const void* at = x.kind == Val::Kind::json ? static_cast<const void*>(x.j)
                                               : static_cast<const void*>(x.list);
    return "j" + std::to_string(reinterpret_cast<std::uintptr_t>(at));
}
Val fn_distinct(const Expr& e, EvalContext& ctx) {
    auto& xs = ctx.scratch_list();
    elements(arg(e, 0, ctx), xs);
    auto& out = ctx.scratch_list();
    // A hash set, not a search of what is kept: 100 000 distinct values were quadratic.
    std::unordered_set<std::string> seen;
    for (const auto& x : xs)
        if (!x.absent() && seen.insert(distinct_key(x)).second) out.push_back(x);
    return list_of(out);
}

// flatten([$.po_no], $.items[*].so, $.ref): one list of every argument's elements (a single
// value counts as a list of one), leaving out empty ones: a PO number beside the lines' orders.
Val fn_flatten(const Expr& e, EvalContext& ctx) {
    auto& out = ctx.scratch_list();
    auto& xs = ctx.scratch_list();
    for (std::size_t i = 0; i < e.args.size(); ++i) {
        xs.clear();
        elements(arg(e, i, ctx), xs);
        for (const auto& x : xs)
            if (!blank(x, ctx)) out.push_back(x);
    }
    return list_of(out);
}

Val fn_exists(const Expr& e, EvalContext& ctx) {
    Val v = arg(e, 0, ctx);
    bool declared_empty = !v.absent() && blank(v, ctx);  // one of the mapping's `empty:`
    return Val::of_bool(!v.missing() && v.kind != Val::Kind::null && !declared_empty);
}
Val fn_empty(const Expr& e, EvalContext& ctx) {
    Val v = arg(e, 0, ctx);
    if (v.kind == Val::Kind::list) return Val::of_bool(v.list->empty());
    if (v.kind == Val::Kind::json)
        return Val::of_bool(v.j->is_array() ? v.j->get_array().empty() : v.j->get_object().empty());
    return Val::of_bool(blank(v, ctx));
}
Val fn_coalesce(const Expr& e, EvalContext& ctx) {
    for (std::size_t i = 0; i < e.args.size(); ++i) {
        Val v = arg(e, i, ctx);
        if (!blank(v, ctx)) return v;
    }
    return Val{};
}
Val fn_if(const Expr& e, EvalContext& ctx) {
    if (truthy(arg(e, 0, ctx))) return arg(e, 1, ctx);
    return e.args.size() > 2 ? arg(e, 2, ctx) : Val{};
}

template <int (*F)(int)>
Val map_ascii(const Expr& e, EvalContext& ctx) {
    bool absent;
    auto s = text_arg(e, 0, ctx, absent);
    if (absent) return Val{};
    auto& out = ctx.scratch_string();
    out.assign(s);
    for (auto& c : out)
        if (static_cast<unsigned char>(c) < 0x80) c = char(F(static_cast<unsigned char>(c)));
    return string_of(out);
}

bool is_trim_char(std::string_view s, std::size_t i, std::string_view chars) {
    return chars.empty() ? std::isspace(static_cast<unsigned char>(s[i])) != 0
                         : chars.find(s[i]) != std::string_view::npos;
}
Val trim_impl(const Expr& e, EvalContext& ctx, bool left, bool right) {
    bool absent, a2 = false;
    auto s = text_arg(e, 0, ctx, absent);
    if (absent) return Val{};
    std::string_view chars = e.args.size() > 1 ? text_arg(e, 1, ctx, a2) : std::string_view{};
    // Full-width spaces (U+3000) are as common as ASCII ones in Chinese ERP data.
    for (bool again = true; again;) {
        again = false;
        while (left && !s.empty() && is_trim_char(s, 0, chars)) s.remove_prefix(1), again = true;
        while (right && !s.empty() && is_trim_char(s, s.size() - 1, chars))
            s.remove_suffix(1), again = true;
        if (chars.empty() && left && s.substr(0, 3) == "\u3000") s.remove_prefix(3), again = true;
        if (chars.empty() && right && s.size() >= 3 && s.substr(s.size() - 3) == "\u3000")
            s.remove_suffix(3), again = true;
    }
    return Val::of_string(s);
}
Val fn_trim(const Expr& e, EvalContext& ctx) { return trim_impl(e, ctx, true, true); }
Val fn_ltrim(const Expr& e, EvalContext& ctx) { return trim_impl(e, ctx, true, false); }
Val fn_rtrim(const Expr& e, EvalContext& ctx) { return trim_impl(e, ctx, false, true); }

Val fn_substr(const Expr& e, EvalContext& ctx) {
    bool absent;
    auto s = text_arg(e, 0, ctx, absent);
    if (absent) return Val{};
    std::int64_t start = int_arg(e, 1, ctx);
    std::int64_t n = std::int64_t(utf8_length(s));
    if (start < 0) start = std::max<std::int64_t>(0, n + start);
    std::int64_t len = e.args.size() > 2 ? int_arg(e, 2, ctx) : n;
    start = std::min(start, n);  // so start + len cannot overflow
    len = std::min(len, n);
    std::size_t from = utf8_offset(s, start),
                to = utf8_offset(s, start + std::max<std::int64_t>(0, len));
    return Val::of_string(s.substr(from, to - from));
}
Val fn_replace(const Expr& e, EvalContext& ctx) {
    bool absent, a1, a2;
    auto s = text_arg(e, 0, ctx, absent);
    if (absent) return Val{};
    auto from = text_arg(e, 1, ctx, a1);
    auto to = text_arg(e, 2, ctx, a2);
    if (from.empty()) return Val::of_string(s);
    auto& out = ctx.scratch_string();
    // Counted as it grows, so a long `to` on every match fails before it makes gigabytes.
    std::size_t given = utf8_length(s), to_chars = utf8_length(to), made = 0;
    for (std::size_t p = 0;;) {
        auto q = s.find(from, p);
        auto kept = s.substr(p, q == std::string_view::npos ? q : q - p);
        made += utf8_length(kept);
        out.append(kept);
        if (q == std::string_view::npos) break;
        made += to_chars;
        check_made_length(e, made, given);
        out.append(to);
        p = q + from.size();
    }
    return string_of(out);
}
Val fn_len(const Expr& e, EvalContext& ctx) {
    Val v = arg(e, 0, ctx);
    if (v.kind == Val::Kind::list) return Val::of_int(std::int64_t(v.list->size()));
    if (v.kind == Val::Kind::json)
        return Val::of_int(
            std::int64_t(v.j->is_array() ? v.j->get_array().size() : v.j->get_object().size()));
    if (v.missing() || v.kind == Val::Kind::null) return Val::of_int(0);
    if (v.kind != Val::Kind::string) bad_arg(e, 0, v, "a string or a list");
    return Val::of_int(std::int64_t(utf8_length(v.s)));
}
Val fn_join(const Expr& e, EvalContext& ctx) {
    auto& xs = ctx.scratch_list();
    elements(arg(e, 0, ctx), xs);
    bool absent = true;
    std::string_view sep = e.args.size() > 1 ? text_arg(e, 1, ctx, absent) : std::string_view{};
    auto& out = ctx.scratch_string();
    std::string piece;
    bool first = true;
    for (const auto& x : xs) {
        if (blank(x, ctx)) continue;
        if (!to_text(x, piece)) bad_arg(e, 0, x, "a list of strings");
        if (!first) out.append(sep);
        out.append(piece);
        first = false;
    }
    return string_of(out);
}
Val fn_concat(const Expr& e, EvalContext& ctx) {
    auto& out = ctx.scratch_string();
    std::string piece;
    for (std::size_t i = 0; i < e.args.size(); ++i) {
        Val v = arg(e, i, ctx);
        if (v.kind == Val::Kind::list && v.list->size() <= 1)
            v = v.list->empty() ? Val{} : v.list->front();
        if (blank(v, ctx)) continue;
        if (v.kind == Val::Kind::list ||
            (v.kind == Val::Kind::json && v.j->is_array()))
            bad_arg(e, i, v, "a single value (for a list use join(list, separator))");
        if (!to_text(v, piece)) bad_arg(e, i, v, "a string");
        out.append(piece);
    }
    return string_of(out);
}
Val fn_split(const Expr& e, EvalContext& ctx) {
    bool absent, a1;
    auto s = text_arg(e, 0, ctx, absent);
    auto sep = text_arg(e, 1, ctx, a1);
    auto& out = ctx.scratch_list();
    if (absent) return list_of(out);
    if (sep.empty()) {
        out.push_back(Val::of_string(s));
        return list_of(out);
    }
    for (std::size_t p = 0;;) {
        auto q = s.find(sep, p);
        out.push_back(Val::of_string(s.substr(p, q == std::string_view::npos ? q : q - p)));
        if (q == std::string_view::npos) break;
        p = q + sep.size();
    }
    return list_of(out);
}
template <int How>  // 0 contains, 1 starts_with, 2 ends_with
Val text_test(const Expr& e, EvalContext& ctx) {
    bool absent, a1;
    auto s = text_arg(e, 0, ctx, absent);
    auto t = text_arg(e, 1, ctx, a1);
    if (absent) return Val::of_bool(false);
    if (How == 0) return Val::of_bool(s.find(t) != std::string_view::npos);
    if (How == 1) return Val::of_bool(s.substr(0, t.size()) == t);
    return Val::of_bool(s.size() >= t.size() && s.substr(s.size() - t.size()) == t);
}
Val fn_pad_left(const Expr& e, EvalContext& ctx) {
    bool absent, a2 = true;
    auto s = text_arg(e, 0, ctx, absent);
    if (absent) return Val{};
    std::int64_t width = int_arg(e, 1, ctx);
    // The width may come from the document: bounded like every text the language makes.
    if (width > std::int64_t(max_made_text))
        bad_arg(e, 1, arg(e, 1, ctx), "a width of at most 65536");
    std::string_view pad = e.args.size() > 2 ? text_arg(e, 2, ctx, a2) : std::string_view{};
    if (pad.empty()) pad = " ";
    auto& out = ctx.scratch_string();
    // The pad repeats and its last copy is cut, in characters, to exactly the width:
    // pad_left("7", 4, "00") is "0007". A pad longer than the width is cut too.
    std::int64_t missing = width - std::int64_t(utf8_length(s));
    std::int64_t pad_chars = std::int64_t(utf8_length(pad));
    for (std::int64_t n = 0; n < missing; n += pad_chars)
        out.append(pad.substr(0, utf8_offset(pad, missing - n)));
    out.append(s);
    return string_of(out);
}

template <Coercion C>
Val convert(const Expr& e, EvalContext& ctx) {
    Val v = arg(e, 0, ctx);
    if (v.absent()) return v;
    try {
        return coerce(v, C, ctx);
    } catch (EvalError& err) {
        if (e.args[0]->op == Expr::Op::path) err.path = e.args[0]->path->text;
        throw;
    }
}

template <int How>  // 0 round, 1 floor, 2 ceil, 3 abs
Val rounding(const Expr& e, EvalContext& ctx) {
    Val v = arg(e, 0, ctx), n;
    if (v.absent()) return Val{};
    if (!to_number(v, n)) bad_arg(e, 0, v, "a number");
    // abs(INT64_MIN) has no int64: it becomes a real, as + - * do on overflow.
    if (n.kind == Val::Kind::integer && How == 3 && n.i == INT64_MIN)
        return Val::of_real(-double(n.i));
    if (n.kind == Val::Kind::integer) return How == 3 ? Val::of_int(n.i < 0 ? -n.i : n.i) : n;
    double d = n.d;
    if (How == 0) {
        double scale = e.args.size() > 1 ? std::pow(10.0, double(int_arg(e, 1, ctx))) : 1.0;
        return Val::of_real(std::round(d * scale) / scale);
    }
    return Val::of_real(How == 1 ? std::floor(d) : How == 2 ? std::ceil(d) : std::fabs(d));
}

Val fn_position(const Expr&, EvalContext& ctx) { return Val::of_int(ctx.position); }

const std::vector<Function> table = {
    {"any", 1, 2, T::boolean, {T::any}, fn_any,
     "any(list) or any(list, @.Qty > 0): true when an element (or the predicate) holds",
     prepare_predicate},
    {"all", 1, 2, T::boolean, {T::any}, fn_all,
     "all(list) or all(list, predicate with @): true when every element holds", prepare_predicate},
    {"count", 1, 2, T::number, {T::any}, fn_count,
     "count(list); count(list, @.Qty > 0) counts matches of a predicate; count(list, \"Y\") "
     "counts elements equal to \"Y\"",
     prepare_count},
    {"sum", 1, 1, T::number, {T::any}, fn_sum, "sum of numbers (numeric strings too)"},
    {"min", 1, 1, T::number, {T::any}, fn_min, "smallest number"},
    {"max", 1, 1, T::number, {T::any}, fn_max, "largest number"},
    {"avg", 1, 1, T::number, {T::any}, fn_avg, "mean of numbers"},
    {"first", 1, 1, T::any, {T::any}, fn_first, "first element"},
    {"last", 1, 1, T::any, {T::any}, fn_last, "last element"},
    {"at", 2, 2, T::any, {T::any, T::number}, fn_at, "at(list, i): the element at 0-based i (negative: from the end)"},
    {"distinct", 1, 1, T::list, {T::any}, fn_distinct, "elements without repeats"},
    {"flatten", 1, -1, T::list, {T::any}, fn_flatten, "one list of the arguments' elements"},
    {"exists", 1, 1, T::boolean, {T::any}, fn_exists, "the value is present and not null"},
    {"empty", 1, 1, T::boolean, {T::any}, fn_empty, "missing, null, \"\" or an empty list"},
    {"coalesce", 1, -1, T::any, {T::any}, fn_coalesce, "the first argument that is present"},
    {"if", 2, 3, T::any, {T::any}, fn_if, "if(condition, then, else)"},
    {"upper", 1, 1, T::string, {T::string}, map_ascii<std::toupper>, "upper case"},
    {"lower", 1, 1, T::string, {T::string}, map_ascii<std::tolower>, "lower case"},
    {"trim",
     1,
     2,
     T::string,
     {T::string},
     fn_trim,
     "without surrounding spaces (or the given characters)"},
    {"ltrim",
     1,
     2,
     T::string,
     {T::string},
     fn_ltrim,
     "without leading spaces (or characters: ltrim($.VBELN, \"0\"))"},
    {"rtrim", 1, 2, T::string, {T::string}, fn_rtrim, "without trailing spaces (or characters)"},
    {"substr",
     2,
     3,
     T::string,
     {T::string, T::number},
     fn_substr,
     "substr(text, start, length) in characters"},
    {"replace",
     3,
     3,
     T::string,
     {T::string},
     fn_replace,
     "replace(text, from, to), every occurrence"},
    {"len", 1, 1, T::number, {T::any}, fn_len, "characters in a string, elements in a list"},
    {"join",
     1,
     2,
     T::string,
     {T::any, T::string},
     fn_join,
     "join(list, separator), skipping empty values"},
    {"concat",
     1,
     -1,
     T::string,
     {T::any},
     fn_concat,
     "the arguments as one string, skipping empty ones"},
    {"split", 2, 2, T::list, {T::string}, fn_split, "split(text, separator)"},
    {"contains", 2, 2, T::boolean, {T::string}, text_test<0>, "contains(text, part)"},
    {"starts_with", 2, 2, T::boolean, {T::string}, text_test<1>, "starts_with(text, prefix)"},
    {"ends_with", 2, 2, T::boolean, {T::string}, text_test<2>, "ends_with(text, suffix)"},
    {"pad_left",
     2,
     3,
     T::string,
     {T::string, T::number, T::string},
     fn_pad_left,
     "pad_left(text, width, \"0\")"},
    {"number",
     1,
     1,
     T::number,
     {T::any},
     convert<Coercion::number>,
     "a number from a number or numeric string"},
    {"integer", 1, 1, T::number, {T::any}, convert<Coercion::integer>, "an integer"},
    {"string", 1, 1, T::string, {T::any}, convert<Coercion::string>, "text of a scalar"},
    {"boolean",
     1,
     1,
     T::boolean,
     {T::any},
     convert<Coercion::boolean>,
     "a boolean from Y/N, 是/否, X, true/false, 1/0"},
    {"round", 1, 2, T::number, {T::number}, rounding<0>, "round(x, digits)"},
    {"floor", 1, 1, T::number, {T::number}, rounding<1>, "round down"},
    {"ceil", 1, 1, T::number, {T::number}, rounding<2>, "round up"},
    {"abs", 1, 1, T::number, {T::number}, rounding<3>, "absolute value"},
    {"position", 0, 0, T::number, {}, fn_position, "1-based index of the current `each` item"},
    {"map", 2, 2, T::list, {T::any}, fn_map, "map(list, expr with @): the expression per element",
     prepare_predicate},
    {"filter", 2, 2, T::list, {T::any}, fn_filter, "filter(list, predicate with @)",
     prepare_predicate},
    {"matches", 2, 2, T::boolean, {T::string}, call_matches, "matches(text, \"regex\") (RE2)",
     prepare_regex},
    {"capture", 2, 3, T::string, {T::string, T::string, T::number}, call_capture,
     "capture(text, \"regex\"[, group]): the group's text (group 1 by default)", prepare_regex},
    {"replace_re", 3, 3, T::string, {T::string}, call_replace_re,
     "replace_re(text, \"regex\", \"rewrite with \\\\1\"): every match", prepare_regex},
    {"strip_html", 1, 1, T::string, {T::string}, call_strip_html,
     "text without tags, entities decoded, spaces collapsed"},
    {"decode_entities", 1, 1, T::string, {T::string}, call_decode_entities,
     "&amp; &lt; &#20013; … decoded"},
    {"index_of", 2, 2, T::number, {T::string}, call_index_of,
     "index_of(text, part): 0-based character index, -1 when absent"},
    {"url_encode", 1, 1, T::string, {T::string}, call_url_encode,
     "url_encode(text): percent-encoded for a URL's query or path (RFC 3986)"},
    {"base64", 1, 1, T::string, {T::string}, call_base64, "base64(text): standard base64 with padding"},
    {"sha256", 1, 2, T::string, {T::string}, call_sha256,
     "sha256(text[, \"hex\" | \"base64\" | \"base64url\"]): the SHA-256 digest of the text", prepare_digest},
    {"sha1", 1, 2, T::string, {T::string}, call_sha1, "sha1(text[, encoding]): the SHA-1 digest", prepare_digest},
    {"md5", 1, 2, T::string, {T::string}, call_md5, "md5(text[, encoding]): the MD5 digest", prepare_digest},
    {"hmac_sha256", 2, 3, T::string, {T::string}, call_hmac_sha256,
     "hmac_sha256(key, text[, encoding]): HMAC-SHA256 of the text with the key", prepare_digest},
    {"hmac_sha1", 2, 3, T::string, {T::string}, call_hmac_sha1,
     "hmac_sha1(key, text[, encoding]): HMAC-SHA1 of the text with the key", prepare_digest},
};

}  // namespace

const std::vector<Function>& functions() { return table; }

bool mentions_element(const Expr& e) {
    if (e.op == Expr::Op::path) return e.path->root == Path::Root::element;
    return std::any_of(e.args.begin(), e.args.end(),
                       [](const ExprPtr& a) { return mentions_element(*a); });
}

const Function* find_function(std::string_view name) {
    for (const auto& f : table)
        if (f.name == name) return &f;
    return nullptr;
}

}  // namespace fb::mapping
