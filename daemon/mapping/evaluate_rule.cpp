// Evaluating the rule tree on one document into a JSON object. The first failure stops the
// document with a MapError naming the output field, the rule, the input path, expected and found.
#include "mapping/evaluate_rule.h"

#include <boost/json/array.hpp>
#include <cmath>

#include "mapping/phone.h"

namespace fb::mapping {

namespace {

// JSON has no infinity (Boost.JSON would write `Infinity`): `$.Qty * $.Price` past ±1.8e308
// cannot go into a work order.
bool finite(const Val& v) {
    if (v.kind == Val::Kind::real) return std::isfinite(v.d);
    if (v.kind == Val::Kind::list)
        for (const auto& e : *v.list)
            if (!finite(e)) return false;
    return true;
}

// 0001-01-01T00:00 and 10000-01-01T00:00 in seconds since 1970: the years a date/time is
// written in (four digits), and where a work order's dates must fall.
constexpr std::int64_t start_of_0001 = -62135596800;
constexpr std::int64_t end_of_9999 = 253402300800;

[[noreturn]] void out_of_years(const TimeRule& t, const Val& v) {
    throw EvalError{t.add.empty() ? "a date/time within the years 0001–9999"
                                  : "a date/time within the years 0001–9999 after `add:`",
                    describe(v), ""};
}

}  // namespace

std::string Evaluator::field_name() const {
    std::string out;
    for (const auto& f : fields_) {
        if (f.index >= 0) {
            out += "[" + std::to_string(f.index) + "]";
        } else {
            if (!out.empty()) out += '.';
            out.append(f.name);
        }
    }
    return out;
}

// "$.Qty" read inside `each: $.Lines[*]` at item 2 is "$.Lines[2].Qty".
std::string Evaluator::input_path(std::string_view path) const {
    if (path.empty()) return {};
    if (scopes_.empty() || path.substr(0, 2) == "$$" || path[0] != '$') return std::string(path);
    std::string prefix;
    for (const auto& s : scopes_) {
        std::string_view each = s.each->text;
        std::string part;
        if (each.size() >= 3 && each.substr(each.size() - 3) == "[*]")
            part =
                std::string(each.substr(0, each.size() - 3)) + "[" + std::to_string(s.index) + "]";
        else
            part = std::string(each) + "#" + std::to_string(s.index);
        prefix = prefix.empty() || part.substr(0, 2) == "$$" ? part : prefix + part.substr(1);
    }
    return prefix + std::string(path.substr(1));
}

// " (`$ship_to` is empty: …)" when the path that read nothing can say why; "" otherwise.
std::string Evaluator::because(const Rule& r, const std::string& path) const {
    std::string why;
    try {
        if (r.path && (path.empty() || path == r.path->text)) {
            why = why_missing(*r.path, ctx_);
        } else if (!path.empty()) {
            VariableScope scope(ctx_.variable_names);
            why = why_missing(*parse_path(path, Origin{}), ctx_);
        }
    } catch (...) {
        // Only a hint: a path that does not read back (or a filter that fails) gives none.
    }
    return why.empty() ? "" : " (" + why + ")";
}

void Evaluator::fail(const Rule& r, const std::string& rule_text, const EvalError& e) const {
    MapError err;
    err.field = field_name();
    err.rule = rule_text.empty() ? r.text : rule_text;
    err.path = input_path(e.path.empty() ? r.input_path() : std::string_view(e.path));
    err.expected = e.expected;
    err.found = e.found;
    if (e.found == "nothing") err.found += because(r, e.path);
    throw MapFailure{std::move(err)};
}

Val Evaluator::source(const Rule& r) {
    switch (r.source) {
        case Rule::Source::constant:
            return r.constant_val;
        case Rule::Source::path:
            return evaluate_path(*r.path, ctx_);
        case Rule::Source::expr:
            return evaluate(*r.expr, ctx_);
        case Rule::Source::template_: {
            auto& out = ctx_.scratch_string();
            std::string piece;
            bool placeholders = false, filled = false;
            for (const auto& p : r.pieces) {
                out += p.literal;
                if (!p.expr) continue;
                placeholders = true;
                Val v = evaluate(*p.expr, ctx_);
                if (v.kind == Val::Kind::list && v.list->size() <= 1)
                    v = v.list->empty() ? Val{} : v.list->front();
                if (blank(v, ctx_)) continue;
                filled = true;
                if (v.kind == Val::Kind::list) {
                    EvalError e{"one value in the template (for a list use {{ join(list, \", \") }})",
                                describe(v), ""};
                    if (p.expr->op == Expr::Op::path) e.path = p.expr->path->text;
                    throw e;
                }
                if (!to_text(v, piece)) {
                    EvalError e{"a text value in the template", describe(v), ""};
                    if (p.expr->op == Expr::Op::path) e.path = p.expr->path->text;
                    throw e;
                }
                out += piece;
            }
            // Every placeholder empty: no value ("+  " from "+{{cc}} {{number}}" is not one), so
            // `default:` and `required:` apply as to a missing path.
            if (placeholders && !filled) return Val{};
            return Val::of_string(out);
        }
        case Rule::Source::concat: {
            auto& out = ctx_.scratch_string();
            std::string piece;
            bool first = true;
            for (const auto& p : r.parts) {
                Val v = value(*p);
                if (v.kind == Val::Kind::list && v.list->size() <= 1)
                    v = v.list->empty() ? Val{} : v.list->front();
                if (blank(v, ctx_)) continue;
                if (v.kind == Val::Kind::list || (v.kind == Val::Kind::json && v.j->is_array()))
                    throw EvalError{
                        "single values to concatenate (for a list use "
                        "{ expr: 'join(list, \" \")' })",
                        describe(v), std::string(p->input_path())};
                if (!to_text(v, piece))
                    throw EvalError{"text values to concatenate", describe(v),
                                    std::string(p->input_path())};
                if (!first) out += r.separator;
                out += piece;
                first = false;
            }
            return Val::of_string(out);
        }
        default:
            return Val{};
    }
}

Val Evaluator::value(const Rule& r) {
    Val v;
    try {
        if (r.when && !holds(evaluate(*r.when, ctx_), ctx_)) return Val{};
        if (r.sends_null) return Val::null();  // a request clearing an ERP field
        v = source(r);
        if (v.kind == Val::Kind::list && r.source == Rule::Source::path && !r.keeps_list) {
            // A filter path used for one value: its first match. (An `expr` may yield a list.)
            v = v.list->empty() ? Val{} : v.list->front();
        }
        if (blank(v, ctx_)) {
            if (r.default_value) return r.default_val;
            if (r.required) throw EvalError{"a value (the field is required)", describe(v), ""};
            return Val{};
        }
        if (r.has_lookup) v = lookup(r, v);
        if (r.as != Coercion::none) v = coerce(v, r.as, ctx_);
        if (r.time) v = time(r, v);
        if (r.is_phone()) v = phone(r, v);
        if (!finite(v)) throw EvalError{"a number within ±1.8e308", describe(v), ""};
    } catch (const EvalError& e) {
        fail(r, "", e);
    }
    return v;
}

Val Evaluator::lookup(const Rule& r, const Val& v) {
    std::string_view key = v.s;
    std::string text;
    if (v.kind != Val::Kind::string) {
        if (!to_text(v, text)) throw EvalError{"a value to look up", describe(v), ""};
        key = text;
    }
    for (std::size_t i = 0; i < r.lookup.size(); ++i)
        if (r.lookup[i].first == key) return r.lookup_vals[i];
    if (r.fallback) return r.fallback_val;
    if (r.default_value) return r.default_val;
    std::string options;
    for (const auto& [k, _] : r.lookup) options += (options.empty() ? "" : ", ") + k;
    throw EvalError{"one of " + options, describe(v), ""};
}

Val Evaluator::time(const Rule& r, const Val& v) {
    const TimeRule& t = *r.time;
    const bool epoch = t.format.kind == TimeFormat::Kind::unix_seconds || t.format.kind == TimeFormat::Kind::unix_ms;
    std::string number_text;  // unix times come as JSON numbers too (Dolibarr: 1795167667)
    if (epoch && v.is_number() && !to_text(v, number_text))
        throw EvalError{"a whole number of seconds since 1970", describe(v), ""};
    if (v.kind != Val::Kind::string && number_text.empty())
        throw EvalError{v.is_number() ? "a date/time text (seconds since 1970 read with `time: unix`, milliseconds with `time: unix_ms`)"
                                      : "a date/time text",
                        describe(v), ""};
    WallTime w;
    if (!parse_time(t.format, number_text.empty() ? std::string_view(v.s) : std::string_view(number_text), w)) {
        const char* what = t.format.kind == TimeFormat::Kind::sap
                               ? "a SAP date such as /Date(1763769600000)/"
                           : t.format.kind == TimeFormat::Kind::rfc3339
                               ? "an RFC 3339 time such as 2026-11-22T09:30:00+08:00"
                           : t.format.kind == TimeFormat::Kind::unix_seconds
                               ? "a whole number of seconds since 1970 such as 1795167667"
                           : t.format.kind == TimeFormat::Kind::unix_ms
                               ? "a whole number of milliseconds since 1970 such as 1795167667123"
                               : "a date/time in the rule's format";
        throw EvalError{what, describe(v), ""};
    }
    if (t.at) {
        Val a = value(*t.at);
        if (!a.absent()) {
            std::string text;
            std::optional<std::int64_t> sod;
            if (to_text(a, text)) sod = parse_time_of_day(text);
            if (!sod)
                throw EvalError{"a time of day such as PT09H30M00S or 09:30", describe(a),
                                std::string(t.at->input_path())};
            std::int64_t local = w.local_seconds;
            std::int64_t day = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
            w.local_seconds = day * 86400 + *sod;
            w.millis = 0;
            // SAP dates are UTC midnights standing for a calendar day: the time is local.
            if (t.format.kind == TimeFormat::Kind::sap) w.has_offset = false;
        }
    }
    const date::time_zone* in_zone = t.zone_rule ? zone(*t.zone_rule) : t.zone;
    const date::time_zone* out_zone = t.output_zone_rule ? zone(*t.output_zone_rule)
                                      : t.output_zone    ? t.output_zone
                                                         : in_zone;
    std::int64_t utc;
    if (w.has_offset)
        utc = w.local_seconds - w.offset_seconds;
    else if (in_zone)
        utc = to_utc(in_zone, w.local_seconds);
    else if (t.format.kind == TimeFormat::Kind::sap)
        utc = w.local_seconds;
    else
        throw EvalError{"a time with a zone offset (or give the rule `tz:`)", describe(v), ""};
    for (const auto& [unit, amount] : t.add) {
        Val n = value(*amount), num;
        if (n.absent()) continue;
        if (!to_number(n, num))
            throw EvalError{"a number to add", describe(n), std::string(amount->input_path())};
        // More than the years 0001–9999 span is no date, and past int64 converting is undefined.
        double shift = num.number() * double(unit);
        if (!(std::fabs(shift) < double(end_of_9999 - start_of_0001)))
            throw EvalError{"an amount to add that keeps the date within the years 0001–9999",
                            describe(n), std::string(amount->input_path())};
        utc += std::int64_t(shift);
    }
    // A day's margin for the offset: the zone database is asked only about writable years.
    if (utc < start_of_0001 - 86400 || utc >= end_of_9999 + 86400) out_of_years(t, v);
    int offset = out_zone ? offset_at(out_zone, utc) : w.has_offset ? w.offset_seconds : 0;
    if (utc + offset < start_of_0001 || utc + offset >= end_of_9999) out_of_years(t, v);
    auto& out = ctx_.scratch_string();
    if (t.output)
        format_pattern(*t.output, utc, offset, out);
    else
        format_rfc3339(utc, w.millis, offset, !out_zone && offset == 0, out);
    return Val::of_string(out);
}

// A zone read from the document; nothing read means none (the input's own offset then counts).
const date::time_zone* Evaluator::zone(const Rule& r) {
    Val z = value(r);
    if (blank(z, ctx_)) return nullptr;
    std::string name;
    const date::time_zone* found = to_text(z, name) ? find_zone(name) : nullptr;
    if (!found)
        throw EvalError{"an IANA time zone such as Asia/Shanghai", describe(z),
                        std::string(r.input_path())};
    return found;
}

Val Evaluator::phone(const Rule& r, const Val& v) {
    std::string text;
    if (!to_text(v, text)) throw EvalError{"a phone number", describe(v), ""};
    std::string region = r.phone_region;
    if (r.phone_region_rule) {
        // Nothing read leaves no region: a number in international form (+46 …) still converts.
        Val from = value(*r.phone_region_rule);
        if (!blank(from, ctx_) && (!to_text(from, region) || !is_phone_region(region)))
            throw EvalError{"a phone region (a two-letter country code such as CN)",
                            describe(from), std::string(r.phone_region_rule->input_path())};
        if (blank(from, ctx_)) region = "ZZ";
    }
    auto& out = ctx_.scratch_string();
    if (!to_e164(text, region, out))
        throw EvalError{"a phone number (region " +
                            (region == "ZZ" ? std::string("unknown: not in international form")
                                            : region) +
                            ")",
                        describe(v), ""};
    return Val::of_string(out);
}

bool Evaluator::produce(const Rule& r, json::value& out) {
    switch (r.source) {
        case Rule::Source::object: {
            try {
                if (r.when && !holds(evaluate(*r.when, ctx_), ctx_)) return false;
            } catch (const EvalError& e) {
                fail(r, "when: " + r.when->source, e);
            }
            json::object& o = out.emplace_object();
            o.reserve(r.fields.size());
            for (const auto& [name, field] : r.fields) {
                fields_.push_back({name, -1});
                if (field->source == Rule::Source::object || field->source == Rule::Source::each ||
                    field->source == Rule::Source::list) {
                    json::value v(o.storage());
                    if (produce(*field, v))
                        o.emplace(name, std::move(v));
                    else if (field->schema_required)
                        schema_violation = true;
                } else {
                    Val v = value(*field);
                    if (!v.missing()) {
                        json::value j = to_json(v, o.storage());
                        if (field->check && !field->check->valid(j)) schema_violation = true;
                        o.emplace(name, std::move(j));
                    }
                }
                fields_.pop_back();
            }
            return !o.empty();
        }
        case Rule::Source::each:
            return produce_each(r, out);
        case Rule::Source::list: {
            json::array& a = out.emplace_array();
            for (std::size_t i = 0; i < r.parts.size(); ++i) {
                fields_.push_back({{}, std::int64_t(i)});
                json::value v(a.storage());
                if (produce(*r.parts[i], v)) a.push_back(std::move(v));
                fields_.pop_back();
            }
            return true;
        }
        default: {
            Val v = value(r);
            if (v.missing()) return false;
            out = to_json(v, out.storage());
            if (r.check && !r.check->valid(out)) schema_violation = true;
            return true;
        }
    }
}

bool Evaluator::produce_each(const Rule& r, json::value& out) {
    Val items;
    try {
        if (r.when && !holds(evaluate(*r.when, ctx_), ctx_)) return false;
        items = evaluate_path(*r.each, ctx_);
    } catch (const EvalError& e) {
        fail(r, "", e);
    }
    json::array& a = out.emplace_array();
    a.reserve(items.list->size());
    const json::value* saved = ctx_.current;
    std::int64_t saved_position = ctx_.position;
    std::int64_t index = 0;
    for (const auto& item : *items.list) {
        if (item.kind != Val::Kind::json && item.kind != Val::Kind::missing) {
            // Scalars in the list (an array of strings): `$` is the scalar itself.
        }
        const json::value* element = item.kind == Val::Kind::json ? item.j : nullptr;
        json::value scalar_holder;
        if (!element) {
            scalar_holder = to_json(item);
            element = &scalar_holder;
        }
        scopes_.push_back({r.each.get(), index});
        fields_.push_back({{}, std::int64_t(a.size())});
        ctx_.current = element;
        ctx_.position = index + 1;
        bool keep = true;
        if (r.where) {
            try {
                keep = holds(evaluate(*r.where, ctx_), ctx_);
            } catch (const EvalError& e) {
                fail(r, "where: " + r.where->source, e);
            }
        }
        if (keep) {
            json::value v(a.storage());
            if (produce(*r.item, v)) a.push_back(std::move(v));
        }
        fields_.pop_back();
        scopes_.pop_back();
        ++index;
    }
    ctx_.current = saved;
    ctx_.position = saved_position;
    if (r.required && a.empty())
        fail(r, "", EvalError{"at least one item", "none", std::string(r.each->text)});
    return true;
}

}  // namespace fb::mapping
