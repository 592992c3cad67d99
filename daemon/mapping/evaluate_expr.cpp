// Evaluating paths and expressions. A path with [*] or a filter yields a list; an operator with a
// list on one side applies to each element (`$.Lines[*].Qty > 0` is a list of booleans).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cmath>
#include <cstdint>

#include "mapping/expr.h"

namespace fb::mapping {

namespace {

const json::value* start_of(const Path& p, const EvalContext& ctx) {
    switch (p.root) {
        case Path::Root::document:
            return ctx.root;
        case Path::Root::element:
            return ctx.at;
        case Path::Root::input:
            return ctx.input ? ctx.input : ctx.root;
        case Path::Root::variable: {
            if (p.variable >= ctx.variables.size()) return nullptr;
            const Val& v = ctx.variables[p.variable];
            if (v.kind == Val::Kind::json) return v.j;
            if (v.kind == Val::Kind::list && !v.list->empty() &&
                v.list->front().kind == Val::Kind::json)
                return v.list->front().j;
            return nullptr;
        }
        default:
            return ctx.current;
    }
}

const json::value* child(const json::value* v, const std::string& key) {
    if (!v) return nullptr;
    // An XML element without attributes decodes to its bare text, so `.#text` reads that too:
    // `$.Qty.#text` reads `<Qty unitCode="EA">2</Qty>` and a sender's plain `<Qty>2</Qty>`.
    if (key == "#text" && v->is_string()) return v;
    if (const auto* o = v->if_object()) {
        auto it = o->find(key);
        return it == o->end() ? nullptr : &it->value();
    }
    return nullptr;
}

// An XML element by local name: `Order`, `ns0:Order`, `cbc:Order` or `{urn:x}Order` alike (an attribute
// `@id` matches `@id` and `@ns:id`).
const json::value* child_local(const json::value* v, const std::string& local) {
    const auto* o = v ? v->if_object() : nullptr;
    if (!o) return nullptr;
    bool attribute = !local.empty() && local[0] == '@';
    std::string_view name = attribute ? std::string_view(local).substr(1) : local;
    for (const auto& kv : *o) {
        std::string_view k = kv.key();
        if (attribute != (!k.empty() && k[0] == '@')) continue;
        if (attribute) k.remove_prefix(1);
        // `{urn:…}Name`: a name in another namespace under a declared prefix (namespaces.h).
        auto colon = k.starts_with("{") ? k.find('}') : k.rfind(':');
        if ((colon == std::string_view::npos ? k : k.substr(colon + 1)) == name &&
            k.substr(0, 5) != "xmlns")
            return &kv.value();
    }
    return nullptr;
}

bool filter_accepts(const Expr& filter, const json::value& element, EvalContext& ctx) {
    const json::value* saved = ctx.at;
    ctx.at = &element;
    Val r = evaluate(filter, ctx);
    ctx.at = saved;
    return truthy(r);
}

// Walks steps from `step` on; collects every match (multi paths) or stops at the first.
void walk(const Path& p, std::size_t step, const json::value* v, EvalContext& ctx,
          std::vector<Val>* out, const json::value** single) {
    for (; v && step < p.steps.size(); ++step) {
        const PathStep& s = p.steps[step];
        switch (s.kind) {
            case PathStep::Kind::key:
                v = child(v, s.key);
                break;
            case PathStep::Kind::local:
                v = child_local(v, s.key);
                break;
            case PathStep::Kind::index: {
                if (const auto* a = v->if_array()) {
                    std::int64_t n = std::int64_t(a->size());
                    std::int64_t i = s.index < 0 ? n + s.index : s.index;
                    v = i >= 0 && i < n ? &(*a)[std::size_t(i)] : nullptr;
                } else if (s.index != 0 && s.index != -1) {
                    v = nullptr;  // a single element (XML) is its own [0] and [-1]
                }
                break;
            }
            case PathStep::Kind::wildcard:
            case PathStep::Kind::filter: {
                auto visit = [&](const json::value& e) {
                    if (s.kind == PathStep::Kind::filter && !filter_accepts(*s.filter, e, ctx))
                        return;
                    walk(p, step + 1, &e, ctx, out, single);
                };
                if (const auto* a = v->if_array()) {
                    for (const auto& e : *a) {
                        visit(e);
                        if (!out && *single) return;
                    }
                } else if (!v->is_null()) {
                    visit(*v);  // XML's lone repeated element: an object where a list might be
                }  // JSON's null where a list might be is none: `{"data": null}` has no documents
                return;
            }
        }
    }
    if (!v) return;
    if (out)
        out->push_back(from_json(*v));
    else
        *single = v;
}

[[noreturn]] void type_error(const Expr& operand, const Val& found, const char* expected) {
    EvalError e{expected, describe(found), ""};
    if (operand.op == Expr::Op::path) e.path = operand.path->text;
    throw e;
}

Val number_of(const Expr& operand, const Val& v) {
    Val n;
    if (!to_number(v, n)) type_error(operand, v, "a number");
    return n;
}

bool equal(const Val& a, const Val& b) {
    if (a.absent() && b.kind == Val::Kind::null) return a.kind != Val::Kind::string;
    if (b.absent() && a.kind == Val::Kind::null) return b.kind != Val::Kind::string;
    if (a.kind == Val::Kind::string && b.kind == Val::Kind::string) return a.s == b.s;
    if (a.kind == Val::Kind::boolean || b.kind == Val::Kind::boolean)
        return a.kind == b.kind && a.b == b.b;
    if (a.is_number() || b.is_number()) {
        Val x, y;
        if (!to_number(a, x) || !to_number(b, y)) return false;
        if (x.kind == Val::Kind::integer && y.kind == Val::Kind::integer) return x.i == y.i;
        return x.number() == y.number();
    }
    if (a.kind == Val::Kind::json && b.kind == Val::Kind::json) return *a.j == *b.j;
    return a.kind == b.kind && a.kind == Val::Kind::missing;
}

int compare(const Expr& e, const Val& a, const Val& b) {
    if (a.kind == Val::Kind::string && b.kind == Val::Kind::string) {
        Val x, y;
        if (to_number(a, x) && to_number(b, y))
            return x.number() < y.number() ? -1 : x.number() > y.number();
        return a.s < b.s ? -1 : a.s > b.s;
    }
    Val x = number_of(*e.args[0], a), y = number_of(*e.args[1], b);
    return x.number() < y.number() ? -1 : x.number() > y.number();
}

bool member(const Val& needle, const Val& set, const Expr& e) {
    if (set.kind == Val::Kind::list) {
        for (const auto& x : *set.list)
            if (equal(needle, x)) return true;
        return false;
    }
    if (set.kind == Val::Kind::json && set.j->is_array()) {
        for (const auto& x : set.j->get_array())
            if (equal(needle, from_json(x))) return true;
        return false;
    }
    if (set.kind == Val::Kind::string) {
        std::string text;
        if (!to_text(needle, text)) return false;
        return set.s.find(text) != std::string_view::npos;
    }
    if (set.absent()) return false;
    type_error(*e.args[1], set, "a list or a string");
}

Val arithmetic(const Expr& e, const Val& a, const Val& b, EvalContext& ctx) {
    if (e.op == Expr::Op::add && a.kind == Val::Kind::string && b.kind == Val::Kind::string) {
        auto& s = ctx.scratch_string();
        s.append(a.s).append(b.s);
        return Val::of_string(s);
    }
    Val x = number_of(*e.args[0], a), y = number_of(*e.args[1], b);
    if (x.kind == Val::Kind::integer && y.kind == Val::Kind::integer && e.op != Expr::Op::div) {
        std::int64_t r = 0;
        bool overflow = false;
        switch (e.op) {
            case Expr::Op::add:
                overflow = __builtin_add_overflow(x.i, y.i, &r);
                break;
            case Expr::Op::sub:
                overflow = __builtin_sub_overflow(x.i, y.i, &r);
                break;
            case Expr::Op::mul:
                overflow = __builtin_mul_overflow(x.i, y.i, &r);
                break;
            default:
                if (y.i == 0) type_error(*e.args[1], y, "a number other than 0");
                // INT64_MIN % -1 traps (SIGFPE: its quotient overflows); any x % -1 is 0.
                r = y.i == -1 ? 0 : x.i % y.i;
        }
        if (!overflow) return Val::of_int(r);
    }
    double p = x.number(), q = y.number();
    switch (e.op) {
        case Expr::Op::add:
            return Val::of_real(p + q);
        case Expr::Op::sub:
            return Val::of_real(p - q);
        case Expr::Op::mul:
            return Val::of_real(p * q);
        default:
            if (q == 0) type_error(*e.args[1], y, "a number other than 0");
            return Val::of_real(e.op == Expr::Op::div ? p / q : std::fmod(p, q));
    }
}

Val apply_binary(const Expr& e, const Val& a, const Val& b, EvalContext& ctx) {
    switch (e.op) {
        case Expr::Op::eq:
            return Val::of_bool(equal(a, b));
        case Expr::Op::ne:
            return Val::of_bool(!equal(a, b));
        case Expr::Op::lt:
            return Val::of_bool(compare(e, a, b) < 0);
        case Expr::Op::le:
            return Val::of_bool(compare(e, a, b) <= 0);
        case Expr::Op::gt:
            return Val::of_bool(compare(e, a, b) > 0);
        case Expr::Op::ge:
            return Val::of_bool(compare(e, a, b) >= 0);
        default:
            return arithmetic(e, a, b, ctx);
    }
}

// A list on one side: the operator applies to each element.
Val binary(const Expr& e, EvalContext& ctx) {
    Val a = evaluate(*e.args[0], ctx);
    if (e.op == Expr::Op::in) {
        Val set = evaluate(*e.args[1], ctx);
        if (a.kind != Val::Kind::list) return Val::of_bool(member(a, set, e));
        auto& out = ctx.scratch_list();
        for (const auto& x : *a.list) out.push_back(Val::of_bool(member(x, set, e)));
        Val r;
        r.kind = Val::Kind::list;
        r.list = &out;
        return r;
    }
    Val b = evaluate(*e.args[1], ctx);
    bool la = a.kind == Val::Kind::list, lb = b.kind == Val::Kind::list;
    if (!la && !lb) return apply_binary(e, a, b, ctx);
    if (la && lb && a.list->size() != b.list->size())
        throw EvalError{"lists of the same length", describe(a) + " and " + describe(b), ""};
    auto& out = ctx.scratch_list();
    std::size_t n = la ? a.list->size() : b.list->size();
    for (std::size_t i = 0; i < n; ++i)
        out.push_back(apply_binary(e, la ? (*a.list)[i] : a, lb ? (*b.list)[i] : b, ctx));
    Val r;
    r.kind = Val::Kind::list;
    r.list = &out;
    return r;
}

// A list path whose way to the list is missing (`$$.lines[*]` where `$$` has no `lines`) reads
// as an empty list, which is silent: the tools warn about it. An empty list is not warned about.
void warn_missing_list(const Path& p, const json::value* v, EvalContext& ctx) {
    std::string reached = p.root == Path::Root::document  ? "$$"
                          : p.root == Path::Root::element ? "@"
                          : p.root == Path::Root::input   ? "$input"
                                                          : "$";
    if (p.root == Path::Root::variable) reached = p.text.substr(0, p.text.find_first_of(".["));
    for (const auto& s : p.steps) {
        if (!v) break;
        if (s.kind == PathStep::Kind::wildcard || s.kind == PathStep::Kind::filter) return;
        if (s.kind == PathStep::Kind::key || s.kind == PathStep::Kind::local) {
            v = s.kind == PathStep::Kind::key ? child(v, s.key) : child_local(v, s.key);
            reached += (s.kind == PathStep::Kind::key ? "." : ".*:") + s.key;
        } else {
            if (const auto* a = v->if_array()) {
                std::int64_t n = std::int64_t(a->size());
                std::int64_t i = s.index < 0 ? n + s.index : s.index;
                v = i >= 0 && i < n ? &(*a)[std::size_t(i)] : nullptr;
            } else if (s.index != 0 && s.index != -1) {
                v = nullptr;
            }
            reached += "[" + std::to_string(s.index) + "]";
        }
    }
    if (v) return;
    std::string w = "`" + p.text + "` read nothing: `" + reached + "` is missing";
    if (p.root == Path::Root::document && ctx.input && ctx.input != ctx.root)
        w += " (`$$` is the document `documents:` found, not the whole input: that is `$input`)";
    else if (p.root == Path::Root::current && ctx.current != ctx.root)
        w += " (`$` is the current `each` item here; `$$` is the document)";
    for (const auto& x : *ctx.warnings)
        if (x == w) return;
    ctx.warnings->push_back(std::move(w));
}

// `$lines[0]`, `$lines[*].Qty`, `$lines[?(@.Qty > 0)]` on a `let:` value that is a list (a
// filter's matches, split(), map()): the list itself is indexed and filtered, where a key
// (`$ship_to.City`) reads its first element.
Val list_variable_path(const Path& p, const Val& var, EvalContext& ctx) {
    const std::vector<Val>& xs = *var.list;
    const PathStep& s = p.steps[0];
    auto& out = ctx.scratch_list();
    auto rest = [&](const Val& x) {
        if (p.steps.size() == 1) {
            out.push_back(x);
        } else if (x.kind == Val::Kind::json) {
            const json::value* single = nullptr;
            walk(p, 1, x.j, ctx, p.multi ? &out : nullptr, &single);
            if (single) out.push_back(from_json(*single));
        }
    };
    if (s.kind == PathStep::Kind::index) {
        std::int64_t n = std::int64_t(xs.size());
        std::int64_t i = s.index < 0 ? n + s.index : s.index;
        if (i >= 0 && i < n) rest(xs[std::size_t(i)]);
        if (!p.multi) return out.empty() ? Val{} : out.front();
    } else {
        for (const auto& x : xs) {
            if (s.kind == PathStep::Kind::filter) {
                const json::value* saved = ctx.at;
                const Val* saved_value = ctx.at_value;
                ctx.at = x.kind == Val::Kind::json ? x.j : nullptr;
                ctx.at_value = &x;
                bool keep = truthy(evaluate(*s.filter, ctx));
                ctx.at = saved;
                ctx.at_value = saved_value;
                if (!keep) continue;
            }
            rest(x);
        }
    }
    Val r;
    r.kind = Val::Kind::list;
    r.list = &out;
    return r;
}

}  // namespace

Val evaluate_path(const Path& p, EvalContext& ctx) {
    if (p.root == Path::Root::variable && p.steps.empty())
        return p.variable < ctx.variables.size() ? ctx.variables[p.variable] : Val{};
    if (p.root == Path::Root::variable && p.variable < ctx.variables.size() &&
        ctx.variables[p.variable].kind == Val::Kind::list &&
        p.steps[0].kind != PathStep::Kind::key && p.steps[0].kind != PathStep::Kind::local)
        return list_variable_path(p, ctx.variables[p.variable], ctx);
    if (p.root == Path::Root::element && !ctx.at && ctx.at_value)  // a scalar element
        return p.steps.empty() ? *ctx.at_value : Val{};
    const json::value* start = start_of(p, ctx);
    if (!p.multi) {
        // The common case, kept tight: keys and indexes only.
        const json::value* v = start;
        for (const auto& s : p.steps) {
            if (!v) break;
            if (s.kind == PathStep::Kind::key) {
                v = child(v, s.key);
            } else if (s.kind == PathStep::Kind::local) {
                v = child_local(v, s.key);
            } else if (const auto* a = v->if_array()) {
                std::int64_t n = std::int64_t(a->size());
                std::int64_t i = s.index < 0 ? n + s.index : s.index;
                v = i >= 0 && i < n ? &(*a)[std::size_t(i)] : nullptr;
            } else if (s.index != 0 && s.index != -1) {
                v = nullptr;
            }
        }
        return v ? from_json(*v) : Val{};
    }
    auto& out = ctx.scratch_list();
    walk(p, 0, start, ctx, &out, nullptr);
    if (out.empty() && ctx.warnings) warn_missing_list(p, start, ctx);
    Val r;
    r.kind = Val::Kind::list;
    r.list = &out;
    return r;
}

bool values_equal(const Val& a, const Val& b) { return equal(a, b); }

std::string why_missing(const Path& p, EvalContext& ctx) {
    std::string prefix = p.text.substr(0, p.text.find_first_of(".["));
    if (p.root == Path::Root::variable && p.variable < ctx.variables.size()) {
        const Val& var = ctx.variables[p.variable];
        if (var.kind == Val::Kind::list && var.list->empty())
            return "`" + prefix + "` is empty: its rule under `let:` matched nothing";
        if (var.missing())
            return "`" + prefix + "` has no value: its rule under `let:` read or matched nothing";
    }
    const json::value* v = start_of(p, ctx);
    for (std::size_t i = 0; v && i < p.steps.size(); ++i) {
        const PathStep& s = p.steps[i];
        bool last = i + 1 == p.steps.size();
        switch (s.kind) {
            case PathStep::Kind::key:
            case PathStep::Kind::local: {
                const json::value* next =
                    s.kind == PathStep::Kind::key ? child(v, s.key) : child_local(v, s.key);
                if (!next) {
                    if (s.kind == PathStep::Kind::key && child(v, "@" + s.key))
                        return "`" + prefix + "` has no `" + s.key + "` but has the attribute `@" +
                               s.key + "`: read `" + prefix + ".@" + s.key + "`";
                    if (!last) return "`" + prefix + "." + s.key + "` is missing";
                    return "";
                }
                prefix += (s.kind == PathStep::Kind::key ? "." : ".*:") + s.key;
                v = next;
                break;
            }
            case PathStep::Kind::index: {
                const auto* a = v->if_array();
                std::int64_t n = a ? std::int64_t(a->size()) : 1;
                std::int64_t k = s.index < 0 ? n + s.index : s.index;
                if (k < 0 || k >= n)
                    return "`" + prefix + "` has " + std::to_string(n) + " element" +
                           (n == 1 ? "" : "s");
                if (a) v = &(*a)[std::size_t(k)];
                prefix += "[" + std::to_string(s.index) + "]";
                break;
            }
            default: {
                std::vector<const json::value*> xs;
                if (const auto* a = v->if_array())
                    for (const auto& x : *a) xs.push_back(&x);
                else
                    xs.push_back(v);
                const json::value* first = nullptr;
                for (const auto* x : xs)
                    if (s.kind == PathStep::Kind::wildcard || filter_accepts(*s.filter, *x, ctx)) {
                        first = x;
                        break;
                    }
                if (!first)
                    return s.kind == PathStep::Kind::filter
                               ? "the filter of `" + p.text + "` matched none of the " +
                                     std::to_string(xs.size()) + " elements of `" + prefix + "`"
                               : "`" + prefix + "` is an empty list";
                v = first;
                prefix += "[…]";
            }
        }
    }
    return "";
}

Val evaluate(const Expr& e, EvalContext& ctx) {
    switch (e.op) {
        case Expr::Op::literal:
            return e.literal;
        case Expr::Op::path:
            return evaluate_path(*e.path, ctx);
        case Expr::Op::list: {
            auto& out = ctx.scratch_list();
            for (const auto& a : e.args) out.push_back(evaluate(*a, ctx));
            Val r;
            r.kind = Val::Kind::list;
            r.list = &out;
            return r;
        }
        case Expr::Op::call:
            return e.fn->call(e, ctx);
        case Expr::Op::neg: {
            Val v = evaluate(*e.args[0], ctx);
            Val n = number_of(*e.args[0], v);
            // -INT64_MIN overflows: it becomes a real, as + - * do on overflow.
            if (n.kind == Val::Kind::integer && n.i != INT64_MIN) return Val::of_int(-n.i);
            return Val::of_real(-n.number());
        }
        case Expr::Op::not_: {
            Val v = evaluate(*e.args[0], ctx);
            if (v.kind != Val::Kind::list) return Val::of_bool(!truthy(v));
            auto& out = ctx.scratch_list();
            for (const auto& x : *v.list) out.push_back(Val::of_bool(!truthy(x)));
            Val r;
            r.kind = Val::Kind::list;
            r.list = &out;
            return r;
        }
        case Expr::Op::and_:
            return Val::of_bool(truthy(evaluate(*e.args[0], ctx)) &&
                                truthy(evaluate(*e.args[1], ctx)));
        case Expr::Op::or_:
            return Val::of_bool(truthy(evaluate(*e.args[0], ctx)) ||
                                truthy(evaluate(*e.args[1], ctx)));
        default:
            return binary(e, ctx);
    }
}

}  // namespace fb::mapping
