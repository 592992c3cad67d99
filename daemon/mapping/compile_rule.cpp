// Compiling one output rule: a bare `$.path`, a constant, a list, an object of fields, or a map
// of rule keys ({path, as, lookup, time, phone, …}). Mistakes are CompileErrors at their line.
#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <set>
#include <utility>

#include "mapping/compiler.h"
#include "mapping/phone.h"
#include "schema/validator.h"

namespace fb::mapping {

namespace {

const std::vector<std::string_view> source_keys = {"path",  "expr", "template", "concat",
                                                   "value", "each", "fields"};
const std::vector<std::string_view> rule_keys = {
    "path",  "expr",   "template", "concat",   "separator", "value",    "each",
    "where", "fields", "when",     "required", "default",   "fallback", "lookup",
    "as",    "time",   "tz",       "at",       "add",       "format",   "phone",  "output_tz"};
const std::vector<std::string_view> add_units = {"days", "hours", "minutes", "seconds"};

bool is_rule_key(const std::string& k) {
    return std::find(rule_keys.begin(), rule_keys.end(), k) != rule_keys.end();
}

void set_flow(YAML::Node n) {
    if (!n.IsMap() && !n.IsSequence()) return;
    n.SetStyle(YAML::EmitterStyle::Flow);
    if (n.IsMap())
        for (auto kv : n) set_flow(kv.second);
    else
        for (auto e : n) set_flow(e);
}

// The rule on one line for messages, even when written as a block map: a multi-line rule
// would break the one-line error of a dead-letter entry and of `map --explain`.
std::string flow_text(const YAML::Node& n) {
    YAML::Node copy = YAML::Clone(n);
    set_flow(copy);
    YAML::Emitter e;
    e << YAML::Flow << copy;
    return e.c_str();
}

// "string", "object", … as the schema says; an enum of strings counts as "string".
std::string schema_type(const json::object* schema) {
    if (!schema) return "";
    auto it = schema->find("type");
    if (it != schema->end() && it->value().is_string())
        return std::string(it->value().get_string());
    if (auto e = schema->find("enum"); e != schema->end() && e->value().is_array() &&
                                       !e->value().get_array().empty() &&
                                       e->value().get_array()[0].is_string())
        return "string";
    return "";
}

bool type_accepts(const json::value& type, const json::value& v) {
    auto one = [&](std::string_view t) {
        if (t == "string") return v.is_string();
        if (t == "number") return v.is_number();
        if (t == "integer") return v.is_int64() || v.is_uint64();
        if (t == "boolean") return v.is_bool();
        if (t == "array") return v.is_array();
        if (t == "object") return v.is_object();
        if (t == "null") return v.is_null();
        return true;
    };
    if (type.is_string()) return one(type.get_string());
    if (type.is_array())
        for (const auto& t : type.get_array())
            if (t.is_string() && one(t.get_string())) return true;
    return !type.is_string() && !type.is_array();
}

}  // namespace

const json::object& work_order_schema() {
    static const json::object schema =
        json::parse(fb::schema::embedded_schema("work_order.schema.json")).as_object();
    return schema;
}

const json::object* schema_child(const json::object* schema, std::string_view property) {
    if (!schema) return nullptr;
    if (auto p = schema->find("properties"); p != schema->end() && p->value().is_object()) {
        const auto& props = p->value().get_object();
        if (auto c = props.find(property); c != props.end()) return c->value().if_object();
    }
    if (auto a = schema->find("additionalProperties"); a != schema->end() && a->value().is_object())
        return &a->value().get_object();
    return nullptr;
}

const json::object* schema_items(const json::object* schema) {
    if (!schema) return nullptr;
    auto it = schema->find("items");
    return it == schema->end() ? nullptr : it->value().if_object();
}

std::string_view Rule::input_path() const {
    if (path) return path->text;
    if (each) return each->text;
    return {};
}

Origin Compiler::origin(const YAML::Node& n) const {
    auto m = n.Mark();
    // A quoted scalar's mark is its quote; its text starts one column later.
    int quoted = n.IsScalar() && n.Tag() == "!" ? 1 : 0;
    return Origin{&file_, m.line + 1, m.column + 1 + quoted};
}

void Compiler::fail(const YAML::Node& n, const std::string& message) const {
    auto m = n.Mark();
    throw CompileError(file_, m.line + 1, m.column + 1, message);
}

std::string Compiler::scalar(const YAML::Node& n, const char* what) const {
    if (!n.IsScalar())
        fail(n, std::string(what) + " must be a single value, not a " +
                    (n.IsMap()        ? "map"
                     : n.IsSequence() ? "list"
                                      : "null"));
    return n.Scalar();
}

// yaml-cpp gives `x: null`, `x: ~` and `x:` alike; the first two have their mark on the word.
bool Compiler::explicit_null(const YAML::Node& n) const {
    if (!n.IsNull() || !source) return false;
    auto m = n.Mark();
    if (m.pos < 0 || std::size_t(m.pos) >= source->size()) return false;
    std::string_view at = std::string_view(*source).substr(std::size_t(m.pos));
    auto word = [&](std::string_view w) {
        return at.starts_with(w) &&
               (at.size() == w.size() || std::string_view(" \t\r\n,]}#").find(at[w.size()]) !=
                                            std::string_view::npos);
    };
    return word("null") || word("Null") || word("NULL") || word("~");
}

json::value Compiler::constant(const YAML::Node& n) const {
    if (n.IsNull()) return nullptr;
    if (n.IsSequence()) {
        json::array a;
        for (const auto& e : n) a.push_back(constant(e));
        return a;
    }
    if (n.IsMap()) {
        json::object o;
        for (const auto& kv : n) o[kv.first.Scalar()] = constant(kv.second);
        return o;
    }
    const std::string& s = n.Scalar();
    if (n.Tag() == "!") return json::string(s);
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
    if (s == "null" || s == "Null" || s == "NULL" || s == "~" || s.empty()) return nullptr;
    if (!s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-' ||
                       s[0] == '+' || s[0] == '.')) {
        Val n2;
        // Zero-padded codes ("007", SAP's "000010") stay text: YAML would say so too.
        bool padded = s.size() > 1 && s[0] == '0' && s[1] != '.';
        if (!padded && to_number(Val::of_string(s), n2))
            return n2.kind == Val::Kind::integer ? json::value(n2.i) : json::value(n2.d);
    }
    return json::string(s);
}

ExprPtr Compiler::expression(const YAML::Node& n) const {
    if (n.IsScalar() && n.Tag() != "!" && (n.Scalar() == "true" || n.Scalar() == "false")) {
        auto e = std::make_unique<Expr>();
        e->literal = Val::of_bool(n.Scalar() == "true");
        e->type = Type::boolean;
        return e;
    }
    return parse_expression(scalar(n, "an expression"), origin(n));
}

std::unique_ptr<Path> Compiler::path(const YAML::Node& n) const {
    return parse_path(scalar(n, "a path"), origin(n));
}

RulePtr Compiler::rule(const YAML::Node& n, const json::object* schema, const std::string& where,
                       bool schema_required) {
    RulePtr r;
    if (n.IsScalar()) {
        r = scalar_rule(n, schema, where);
    } else if (n.IsSequence()) {
        if (!schema_type(schema).empty() && schema_type(schema) != "array")
            fail(n, where + " is " + schema_type(schema) + " in the work-order schema, not a list");
        r = std::make_unique<Rule>();
        r->source = Rule::Source::list;
        r->origin = origin(n);
        r->text = flow_text(n);
        std::size_t i = 0;
        for (const auto& e : n)
            r->parts.push_back(
                rule(e, schema_items(schema), where + "[" + std::to_string(i++) + "]"));
    } else if (n.IsMap()) {
        // A map with a value key (path, expr, …) is a rule; otherwise it is an object of output
        // fields, where a rule key the schema does not know is a rule missing its value.
        bool is_rule = false;
        for (const auto& kv : n) {
            const std::string& k = kv.first.Scalar();
            if (std::find(source_keys.begin(), source_keys.end(), k) != source_keys.end())
                is_rule = true;
        }
        if (!is_rule)
            for (const auto& kv : n) {
                const std::string& k = kv.first.Scalar();
                if (is_rule_key(k) && !(schema_child(schema, k) && schema->contains("properties") &&
                                        schema->at("properties").as_object().contains(k)))
                    fail(kv.first, "`" + k +
                                       "` needs a value to work on: one of `path`, `expr`, "
                                       "`template`, `concat`, `value`, `each` or `fields` (for "
                                       "an output object with a field named `" + k +
                                       "`, put the object under `fields:`: `{ fields: { " + k +
                                       ": … } }`)");
            }
        r = is_rule ? object_rule(n, schema, where) : object_fields(n, schema, where);
    } else if (request_nulls && explicit_null(n)) {
        r = std::make_unique<Rule>();
        r->origin = origin(n);
        r->text = "null";
        r->sends_null = true;
    } else {
        fail(n, where + " has no rule (an empty value)" +
                    (request_nulls ? "; to send JSON null write `null`" : ""));
    }
    if (schema_required && r->source != Rule::Source::object) r->required = true;
    r->schema_required = schema_required;
    // `related_refs: "$.Lines[*].OrderNo"`: a list path where the schema wants a list keeps all
    // its matches (elsewhere a list path used for one value is its first match).
    if (r->source == Rule::Source::path && r->path->multi && schema_type(schema) == "array")
        r->keeps_list = true;
    if (attach_checks && schema) {
        auto check = SchemaCheck::compile(*schema);
        if (!check) {
            checks_complete = false;
        } else if (r->source == Rule::Source::constant) {
            if (!check->valid(r->constant))
                fail(n, "`" +
                            (r->constant.is_string() ? std::string(r->constant.get_string())
                                                     : json::serialize(r->constant)) +
                            "` does not fit " + where + " in the work-order schema");
        } else if (r->source != Rule::Source::object && r->source != Rule::Source::each &&
                   r->source != Rule::Source::list) {
            r->check = std::move(check);
        }
    }
    // A value goes out as the type the schema gives its field: an ERP's numeric code becomes
    // text, SAP's "2.000" a number, "Y" a boolean. An explicit `as` says otherwise.
    bool scalar = r->source != Rule::Source::object && r->source != Rule::Source::each &&
                  r->source != Rule::Source::list && r->source != Rule::Source::constant;
    if (scalar && r->as == Coercion::none && !r->time && !r->is_phone()) {
        std::string type = schema_type(schema);
        if (type == "string")
            r->as = Coercion::string;
        else if (type == "number")
            r->as = Coercion::number;
        else if (type == "integer")
            r->as = Coercion::integer;
        else if (type == "boolean")
            r->as = Coercion::boolean;
    }
    return r;
}

// An object of output fields: every key is a field name, taken as written, and every value a
// rule. `fields: {…}` compiles its map here directly, so a field may be named like a rule key.
RulePtr Compiler::object_fields(const YAML::Node& n, const json::object* schema,
                                const std::string& where) {
    std::string type = schema_type(schema);
    if (!type.empty() && type != "object") {
        std::string key = n.begin()->first.Scalar();
        fail(n.begin()->first, "`" + key + "` is not a rule key" +
                                   did_you_mean(key, rule_keys) + "; " + where + " is a " +
                                   type + " in the work-order schema, not an object");
    }
    auto r = std::make_unique<Rule>();
    r->source = Rule::Source::object;
    r->origin = origin(n);
    r->text = flow_text(n);
    bool closed = false;
    std::vector<std::string_view> known;
    if (schema) {
        auto a = schema->find("additionalProperties");
        closed = a != schema->end() && a->value().is_bool() && !a->value().get_bool();
        if (auto p = schema->find("properties");
            p != schema->end() && p->value().is_object())
            for (const auto& kv : p->value().get_object()) known.push_back(kv.key());
    }
    std::set<std::string> required;
    if (schema)
        if (auto q = schema->find("required"); q != schema->end() && q->value().is_array())
            for (const auto& x : q->value().get_array()) required.emplace(x.get_string());
    for (const auto& kv : n) {
        std::string key = kv.first.Scalar();
        if (closed && std::find(known.begin(), known.end(), key) == known.end()) {
            auto hint = did_you_mean(key, known);
            if (hint.empty()) hint = did_you_mean(key, rule_keys);
            fail(kv.first, "unknown field `" + key + "` in " + where + hint);
        }
        r->fields.emplace_back(key, rule(kv.second, schema_child(schema, key),
                                         where + "." + key, required.count(key) > 0));
    }
    for (const auto& q : required) {
        bool present = std::any_of(r->fields.begin(), r->fields.end(), [&](const auto& f) {
            return f.first == q && q != "id";
        });
        if (!present)
            fail(n, where + " needs `" + q + "`: the work-order schema requires it");
    }
    return r;
}

RulePtr Compiler::scalar_rule(const YAML::Node& n, const json::object* schema,
                              const std::string& where) {
    auto r = std::make_unique<Rule>();
    r->origin = origin(n);
    r->text = n.Scalar();
    const std::string& s = n.Scalar();
    if (!s.empty() && (s[0] == '$' || s[0] == '@')) {
        auto e = parse_expression(s, r->origin);
        if (e->op == Expr::Op::path) {
            r->source = Rule::Source::path;
            r->path = std::move(e->path);
        } else {
            r->source = Rule::Source::expr;
            r->expr = std::move(e);
        }
        return r;
    }
    r->source = Rule::Source::constant;
    r->constant = constant(n);
    check_constant(n, r->constant, schema, where);
    r->constant_val = from_json(r->constant);
    return r;
}

void Compiler::check_constant(const YAML::Node& at, const json::value& v,
                              const json::object* schema, const std::string& where) const {
    if (!schema || v.is_null()) return;
    if (auto e = schema->find("enum"); e != schema->end() && e->value().is_array()) {
        const auto& options = e->value().get_array();
        if (std::find(options.begin(), options.end(), v) == options.end()) {
            std::vector<std::string_view> names;
            std::string list;
            for (const auto& o : options)
                if (o.is_string()) {
                    names.emplace_back(o.get_string());
                    list += (list.empty() ? "" : ", ") + std::string(o.get_string());
                }
            std::string text = v.is_string() ? std::string(v.get_string()) : json::serialize(v);
            fail(at, "`" + text + "` is not a valid " + where + " (one of " + list + ")" +
                         did_you_mean(text, names));
        }
    }
    if (auto t = schema->find("type"); t != schema->end() && !type_accepts(t->value(), v))
        fail(at, where + " must be " + json::serialize(t->value()) +
                     " in the work-order schema, not " + json::serialize(v));
}

RulePtr Compiler::object_rule(const YAML::Node& n, const json::object* schema,
                              const std::string& where) {
    auto r = std::make_unique<Rule>();
    r->origin = origin(n);
    r->text = flow_text(n);
    std::vector<std::string> sources;
    bool order_allowed = std::exchange(version_rule, false);
    for (const auto& kv : n) {
        std::string k = kv.first.Scalar();
        if (k == "order" && order_allowed) continue;
        if (!is_rule_key(k)) {
            // `kwargs: { fields: [id, name], limit: 5 }` (Odoo): an object meant, a rule read.
            std::string source;
            for (const auto& x : n)
                if (std::find(source_keys.begin(), source_keys.end(), x.first.Scalar()) !=
                    source_keys.end())
                    source = x.first.Scalar();
            auto hint = did_you_mean(k, rule_keys);
            if (!hint.empty())
                fail(kv.first, "unknown key `" + k + "` in a rule" + hint +
                                   " (to make an object with this field, put it under `fields:`)");
            fail(kv.first, "unknown key `" + k + "` in a rule: this map reads as a rule because "
                               "of its `" + source + "` key; for an output object with fields `" +
                               source + "` and `" + k + "`, put the object under `fields:`: "
                               "`{ fields: { " + source + ": …, " + k + ": … } }`");
        }
        if (std::find(source_keys.begin(), source_keys.end(), k) != source_keys.end())
            sources.push_back(k);
    }
    if (n["each"] && sources.size() == 2 && (n["fields"] || n["value"])) sources = {"each"};
    if (sources.empty())
        fail(n,
             "a rule needs a value: one of `path`, `expr`, `template`, `concat`, `value`, `each` "
             "or `fields`");
    if (sources.size() > 1)
        fail(n[sources[1]],
             "a rule takes one of `" + sources[0] + "` and `" + sources[1] + "`, not both");
    const std::string& src = sources[0];
    auto only_with = [&](const char* key, const char* owner) {
        if (n[key] && src != owner)
            fail(n[key], std::string("`") + key + "` belongs with `" + owner + "`");
    };
    only_with("where", "each");
    only_with("separator", "concat");

    if (src == "path") {
        r->source = Rule::Source::path;
        r->path = path(n["path"]);
    } else if (src == "expr") {
        r->source = Rule::Source::expr;
        r->expr = expression(n["expr"]);
    } else if (src == "template") {
        r->source = Rule::Source::template_;
        template_rule(*r, n["template"]);
    } else if (src == "concat") {
        r->source = Rule::Source::concat;
        const auto& parts = n["concat"];
        if (!parts.IsSequence()) fail(parts, "`concat` takes a list of values");
        for (const auto& p : parts) r->parts.push_back(rule(p, nullptr, where));
        if (n["separator"]) r->separator = scalar(n["separator"], "`separator`");
    } else if (src == "value") {
        r->source = Rule::Source::constant;
        r->sends_null = request_nulls && explicit_null(n["value"]);
        r->constant = constant(n["value"]);
        check_constant(n["value"], r->constant, schema, where);
        r->constant_val = from_json(r->constant);
    } else if (src == "fields") {
        if (!n["fields"].IsMap())
            fail(n["fields"], "`fields` takes a map of output fields (for an output object with "
                              "a field named `fields`, write `{ fields: { fields: … } }`)");
        auto inner = object_fields(n["fields"], schema, where);
        inner->origin = r->origin;
        inner->text = r->text;
        r = std::move(inner);
    } else {  // each
        if (!schema_type(schema).empty() && schema_type(schema) != "array")
            fail(n, where + " is " + schema_type(schema) + " in the work-order schema, not a list");
        r->source = Rule::Source::each;
        r->each = path(n["each"]);
        if (!r->each->multi)
            fail(n["each"],
                 "`each` needs a path that yields a list, such as `" + r->each->text + "[*]`");
        if (n["where"]) r->where = expression(n["where"]);
        if (n["fields"] && n["value"])
            fail(n["value"], "`each` takes `fields` or `value`, not both");
        if (n["fields"]) {
            if (!n["fields"].IsMap()) fail(n["fields"], "`fields` takes a map of output fields");
            r->item = object_fields(n["fields"], schema_items(schema), where + "[]");
        } else if (n["value"]) {
            r->item = rule(n["value"], schema_items(schema), where + "[]");
        } else {
            fail(n, "`each` needs `fields` (an object per item) or `value` (a value per item)");
        }
    }
    modifiers(*r, n, schema, where);
    return r;
}

void Compiler::template_rule(Rule& r, const YAML::Node& n) {
    std::string t = scalar(n, "`template`");
    Origin o = origin(n);
    std::size_t p = 0;
    while (p < t.size()) {
        auto open = t.find("{{", p);
        Rule::Piece piece;
        piece.literal = t.substr(p, open == std::string::npos ? std::string::npos : open - p);
        if (open != std::string::npos) {
            auto close = t.find("}}", open + 2);
            if (close == std::string::npos)
                compile_error(o, open, "`{{` without `}}` in the template");
            Origin inner = o;
            inner.column += int(open + 2);
            piece.expr =
                parse_expression(std::string_view(t).substr(open + 2, close - open - 2), inner);
            p = close + 2;
        } else {
            p = t.size();
        }
        r.pieces.push_back(std::move(piece));
    }
}

void Compiler::modifiers(Rule& r, const YAML::Node& n, const json::object* schema,
                         const std::string& where) {
    if (n["when"]) r.when = expression(n["when"]);
    if (n["required"]) {
        auto v = constant(n["required"]);
        if (!v.is_bool()) fail(n["required"], "`required` is true or false");
        r.required = v.get_bool();
    }
    if (n["default"]) {
        r.default_value = constant(n["default"]);
        check_constant(n["default"], *r.default_value, schema, where);
        r.default_val = from_json(*r.default_value);
    }
    bool lookup = bool(n["lookup"]);
    if (n["fallback"] && !lookup) fail(n["fallback"], "`fallback` belongs with `lookup`");
    if (lookup) lookup_rule(r, n, schema, where);
    if (n["as"]) {
        std::string as = scalar(n["as"], "`as`");
        auto c = coercion_named(as);
        if (!c)
            fail(n["as"], "`as` is one of string, number, integer, boolean, not `" + as + "`" +
                              did_you_mean(as, {"string", "number", "integer", "boolean"}));
        r.as = *c;
    }
    for (const char* k : {"as", "time", "format"})
        if (n[k] && n[k].IsScalar() && !n[k].Scalar().empty() &&
            (n[k].Scalar()[0] == '$' || n[k].Scalar()[0] == '@'))
            fail(n[k], std::string("`") + k + "` must be a constant written in the mapping, not `" +
                           n[k].Scalar() + "` (only `tz`, `output_tz`, `at`, `add` and "
                           "`phone` may read the document)");
    for (const char* k : {"as", "time", "format"})
        if (n[k] && n[k].IsMap())
            fail(n[k], std::string("`") + k + "` must be a constant written in the mapping, not a rule");
    for (const char* k : {"tz", "at", "add", "format", "output_tz"})
        if (n[k] && !n["time"]) fail(n[k], std::string("`") + k + "` belongs with `time`");
    if (n["time"]) time_rule(r, n, where);
    if (n["phone"]) {
        // A region is a constant, or a rule read per document (`phone: $.shipToCountry`, or a
        // lookup from the ERP's country names) for an ERP whose customers span countries.
        const YAML::Node& p = n["phone"];
        bool from_document = p.IsMap() || (p.IsScalar() && !p.Scalar().empty() &&
                                           (p.Scalar()[0] == '$' || p.Scalar()[0] == '@'));
        if (from_document)
            r.phone_region_rule = rule(p, nullptr, where + " (phone)");
        else
            r.phone_region = scalar(p, "`phone`");
        if (!from_document && !is_phone_region(r.phone_region))
            fail(n["phone"], "`" + r.phone_region +
                                 "` is not a phone region (a two-letter country code such as CN)");
        if (n["time"]) fail(n["phone"], "a rule is a time or a phone number, not both");
    }
    if ((r.source == Rule::Source::object || r.source == Rule::Source::each) &&
        (lookup || n["as"] || n["time"] || n["phone"] || n["default"]))
        fail(n,
             "`lookup`, `as`, `time`, `phone` and `default` apply to single values, not to objects "
             "or lists");
}

void Compiler::lookup_rule(Rule& r, const YAML::Node& n, const json::object* schema,
                           const std::string& where) {
    YAML::Node table = n["lookup"];
    if (table.IsScalar()) {
        auto it = lookups.find(table.Scalar());
        if (it == lookups.end()) {
            std::vector<std::string_view> names;
            for (const auto& kv : lookups) names.push_back(kv.first);
            fail(table, "no lookup table named `" + table.Scalar() + "` under `lookups:`" +
                            did_you_mean(table.Scalar(), names));
        }
        table = it->second;
    }
    if (!table.IsMap())
        fail(table,
             "`lookup` takes a map of input value → output value, or a table name from `lookups:`");
    r.has_lookup = true;
    for (const auto& kv : table) {
        auto v = constant(kv.second);
        check_constant(kv.second, v, schema, where);
        r.lookup.emplace_back(kv.first.Scalar(), std::move(v));
    }
    for (const auto& [k, v] : r.lookup) r.lookup_vals.push_back(from_json(v));
    if (n["fallback"]) {
        r.fallback = constant(n["fallback"]);
        check_constant(n["fallback"], *r.fallback, schema, where);
        r.fallback_val = from_json(*r.fallback);
    } else if (!n["default"] && !r.required) {
        fail(n["lookup"],
             "a lookup needs `fallback:` (or `default:`) for values not in its table, "
             "or `required: true` to fail on them");
    }
}

void Compiler::time_rule(Rule& r, const YAML::Node& n, const std::string& where) {
    auto t = std::make_unique<TimeRule>();
    std::string format = scalar(n["time"], "`time`");
    if (format == "rfc3339" || format == "iso8601") {
        t->format.kind = TimeFormat::Kind::rfc3339;
    } else if (format == "sap") {
        t->format.kind = TimeFormat::Kind::sap;
    } else if (format == "unix") {
        t->format.kind = TimeFormat::Kind::unix_seconds;
    } else if (format == "unix_ms") {
        t->format.kind = TimeFormat::Kind::unix_ms;
    } else if (format.find('%') != std::string::npos) {
        t->format.kind = TimeFormat::Kind::pattern;
        try {
            t->format.pattern = TimePattern::compile(format);
        } catch (const std::invalid_argument& e) {
            fail(n["time"], std::string("bad time format: ") + e.what());
        }
    } else {
        fail(n["time"],
             "`time` is a pattern such as \"%Y-%m-%d %H:%M\", `rfc3339`, `sap`, `unix` or `unix_ms`, not `" +
                 format + "`" + did_you_mean(format, {"rfc3339", "sap", "iso8601", "unix", "unix_ms"}));
    }
    // A zone is a constant IANA name, or a path/expression read per document (`$.partner.tz`).
    auto zone_of = [&](const char* key, const date::time_zone*& zone, RulePtr& from_document) {
        if (n[key].IsMap()) {  // a rule: `tz: { path: $.Country, lookup: { DE: Europe/Berlin } }`
            from_document = rule(n[key], nullptr, where + " (" + key + ")");
            return;
        }
        std::string name = scalar(n[key], key);
        if (!name.empty() && (name[0] == '$' || name[0] == '@')) {
            from_document = rule(n[key], nullptr, where + " (" + key + ")");
            return;
        }
        zone = find_zone(name);
        if (!zone)
            fail(n[key], "unknown time zone `" + name + "`" + did_you_mean(name, zone_names()) +
                             " (a zone from the document is a path: `" + key +
                             ": $.partner.tz`)");
    };
    if (n["output_tz"]) zone_of("output_tz", t->output_zone, t->output_zone_rule);
    if (n["tz"]) {
        zone_of("tz", t->zone, t->zone_rule);
    } else if (t->format.kind == TimeFormat::Kind::pattern && !t->format.pattern.has_zone) {
        fail(n["time"],
             "the format has no %z, so the rule needs `tz:` (the zone the times are in, such as "
             "Asia/Shanghai)");
    }
    if (n["at"]) t->at = rule(n["at"], nullptr, where + " (at)");
    if (const auto& add = n["add"]) {
        if (!add.IsMap()) fail(add, "`add` takes a map such as { hours: $.DeliverWindowHours }");
        for (const auto& kv : add) {
            std::string unit = kv.first.Scalar();
            std::int64_t seconds = unit == "days"      ? 86400
                                   : unit == "hours"   ? 3600
                                   : unit == "minutes" ? 60
                                   : unit == "seconds" ? 1
                                                       : 0;
            if (!seconds)
                fail(kv.first, "`add` takes days, hours, minutes or seconds, not `" + unit + "`" +
                                   did_you_mean(unit, add_units));
            t->add.emplace_back(seconds, rule(kv.second, nullptr, where + " (add " + unit + ")"));
        }
    }
    if (n["format"]) {
        try {
            t->output = TimePattern::compile(scalar(n["format"], "`format`"));
        } catch (const std::invalid_argument& e) {
            fail(n["format"], std::string("bad time format: ") + e.what());
        }
    }
    r.time = std::move(t);
}

}  // namespace fb::mapping
