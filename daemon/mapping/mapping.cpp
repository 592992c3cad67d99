// The Mapping facade: load and compile, split an input into documents (documents/columns/
// group_by), and map each one to a result that never throws.
#include "mapping/mapping.h"

#include <boost/json/serialize.hpp>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "mapping/evaluate_rule.h"
#include "support/control_chars.h"
#include "support/utf8_cut.h"
#include "mapping/schema_check.h"
#include "schema/validator.h"

namespace fb::mapping {

CompileError::CompileError(std::string file_, int line_, int column_, const std::string& message)
    : std::runtime_error(file_ + ":" + std::to_string(line_) + ":" + std::to_string(column_) +
                         ": " + message),
      file(std::move(file_)),
      line(line_),
      column(column_) {}

std::string MapError::message() const {
    std::string m = "document " + (document_id.empty() ? std::string("(no id)") : document_id);
    if (!field.empty()) m += ", field " + field;
    if (!rule.empty()) m += ", rule `" + rule + "`";
    if (!path.empty()) m += ", input " + path;
    m += ": expected " + expected + ", found " + found;
    return m;
}

json::object RequestResult::to_json() const {
    json::object h;
    for (const auto& [k, v] : headers) h[k] = v;
    return json::object{
        {"method", method}, {"url", url}, {"headers", std::move(h)}, {"body", body}};
}

namespace {

constexpr std::size_t max_id_chars = 200;  // as the work order's source_ref (schemas/work_order.schema.json)

// Why `id` cannot be a document's id, or "" when it can.
std::string id_problem(const std::string& id) {
    std::size_t chars = 0;
    for (unsigned char c : id) chars += (c & 0xC0) != 0x80;
    if (chars > max_id_chars)
        return std::to_string(chars) + " characters: `" + support::escape_control(support::utf8_cut(id, 60)) + "`";
    if (support::has_control(id)) return "`" + support::escape_control(id) + "` (a control character)";
    return "";
}

EvalContext& thread_context() {
    static thread_local EvalContext ctx;
    return ctx;
}

Evaluator::Stacks& thread_stacks() {
    static thread_local Evaluator::Stacks stacks;
    return stacks;
}

MapResult failure(MapError e, const json::value& document) {
    MapResult r;
    r.kind = MapResult::Kind::failed;
    r.document_id = e.document_id;
    r.error = std::move(e);
    r.document = document;
    return r;
}

std::string text_of(const Val& v) {
    std::string s;
    to_text(v, s);
    return s;
}

// `when` and `cancelled` are document-level conditions; a failure in them fails the document.
bool condition(Evaluator& ev, const Plan& plan, const Expr& e, const char* name, EvalContext& ctx) {
    try {
        return holds(evaluate(e, ctx), ctx);
    } catch (const EvalError& err) {
        ev.fail(*plan.output, std::string(name) + ": " + e.source, err);
    }
}

// Valijson names a place "[items][0][quantity]"; people read "items[0].quantity".
std::string schema_field(const std::string& where) {
    std::string out;
    for (std::size_t p = 0; p < where.size();) {
        if (where[p] != '[') {
            out += where[p++];
            continue;
        }
        auto close = where.find(']', p);
        if (close == std::string::npos) return out + where.substr(p);
        std::string part = where.substr(p + 1, close - p - 1);
        bool index = !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
        out += index ? "[" + part + "]" : (out.empty() ? "" : ".") + part;
        p = close + 1;
    }
    return out == "/" ? "" : out;
}

// `let:` values, in order (a later one may read an earlier one). A filter's list is kept whole;
// paths from it start at its first match.
void bind_variables(const Plan& plan, Evaluator& ev, EvalContext& ctx) {
    ctx.variables.clear();
    for (const auto& v : plan.variables) {
        // A bare list path keeps all its matches, so `$lines[1]` and `$lines[?(…)]` work; an
        // empty list is no value. A rule with modifiers makes one value, as anywhere.
        bool list = v->source == Rule::Source::path && v->path->multi && !v->when &&
                    !v->required && !v->default_value && !v->has_lookup &&
                    v->as == Coercion::none && !v->time && !v->is_phone();
        if (!list) {
            ctx.variables.push_back(ev.value(*v));
            continue;
        }
        try {
            Val l = evaluate_path(*v->path, ctx);
            ctx.variables.push_back(l.kind == Val::Kind::list && l.list->empty() ? Val{} : l);
        } catch (const EvalError& e) {
            ev.fail(*v, "", e);
        }
    }
}

// The calling thread's context, reset to evaluate `root`.
EvalContext& fresh_context(const json::value& root) {
    EvalContext& ctx = thread_context();
    ctx.reset();
    ctx.root = ctx.current = &root;
    ctx.position = 0;
    return ctx;
}

// A writeback condition (`success:`, `classify:`) over the whole context, as the input too.
EvalContext& condition_context(const Plan& plan, json::value& root) {
    EvalContext& ctx = fresh_context(root);
    ctx.input = &root;
    ctx.warnings = nullptr;
    ctx.empty_values = plan.empty_vals.empty() ? nullptr : &plan.empty_vals;
    ctx.variable_names = &plan.variable_names;
    return ctx;
}

std::string condition_error(const std::string& label, const Expr& condition, const EvalError& e) {
    return label + ": " + condition.source + ": expected " + e.expected + ", found " + e.found +
           (e.path.empty() ? "" : " at " + e.path);
}

// What an input's top level holds, for the error of a `documents:` path that found nothing:
// the integrator sees at once that the envelope is `ns0:DELVRY07`, not `DELVRY07`.
std::string top_level(const json::value& input) {
    if (const auto* o = input.if_object()) {
        if (o->empty()) return "an empty object";
        std::string keys;
        std::size_t n = 0;
        for (const auto& kv : *o) {
            if (n++ == 8) {
                keys += ", … (" + std::to_string(o->size()) + " keys)";
                break;
            }
            std::string what = describe(from_json(kv.value()));
            if (what.size() > 60) what = what.substr(0, 57) + "…";
            keys += (keys.empty() ? "" : ", ") + std::string("`") + std::string(kv.key()) + "` (" +
                    what + ")";
        }
        return "an object with " + keys;
    }
    if (const auto* a = input.if_array())
        return "a list of " + std::to_string(a->size()) + " element" + (a->size() == 1 ? "" : "s");
    return describe(from_json(input));
}

MapError no_documents(const Plan& plan, const json::value& input, const std::string& found) {
    std::string mapping = plan.name.empty() ? plan.file : plan.name;
    return MapError{"",
                    "documents",
                    "documents: " + plan.documents->text,
                    plan.documents_container ? plan.documents_container->text
                                             : plan.documents->text,
                    "documents for mapping `" + mapping + "`",
                    found + ": the input's top level is " + top_level(input)};
}

MapResult map_one(const Plan& plan, const json::value& document, const json::value* input,
                  std::vector<std::string>* warnings) {
    EvalContext& ctx = fresh_context(document);
    ctx.input = input ? input : &document;
    ctx.warnings = warnings;
    ctx.empty_values = plan.empty_vals.empty() ? nullptr : &plan.empty_vals;
    ctx.variable_names = &plan.variable_names;
    Evaluator ev(ctx, thread_stacks());
    MapResult result;
    try {
        bind_variables(plan, ev, ctx);
        Val key = ev.value(*plan.key);
        if (key.absent() || !to_text(key, result.document_id)) {
            MapError e{"",
                       "key",
                       plan.key->text,
                       std::string(plan.key->input_path()),
                       "the document id",
                       describe(key)};
            if (!document.is_object() && !document.is_array())
                e.found += " (the document itself is " + describe(from_json(document)) +
                           (plan.documents ? ", not an object: look at what `documents:` selects)"
                                           : ", not an object: a list at the top level is read "
                                             "as a list of documents)");
            else if (plan.key->path)
                if (auto why = why_missing(*plan.key->path, ctx); !why.empty())
                    e.found += " (" + why + ")";
            return failure(std::move(e), document);
        }
        // The id names the document in logs, the trace, the Kafka key and the work order id: one
        // line of plain text an operator can read and type. An ERP's newline or escape sequence
        // in it would forge log lines and CLI entries; 2 MB of it would be stored in every row.
        if (auto why = id_problem(result.document_id); !why.empty()) {
            MapError e{"", "key", plan.key->text, std::string(plan.key->input_path()),
                       "a document id of at most " + std::to_string(max_id_chars) +
                           " characters without control characters",
                       why};
            return failure(std::move(e), document);
        }
        if (plan.version) {
            Val version = ev.value(*plan.version);
            result.version = text_of(version);
            auto key = version_key(plan.version_order, result.version);
            if (!key) {
                MapError e{result.document_id,
                           "version",
                           plan.version->text,
                           std::string(plan.version->input_path()),
                           std::string(describe_order(plan.version_order)) + " (order: " +
                               to_string(plan.version_order) + ")",
                           describe(version)};
                return failure(std::move(e), document);
            }
            result.version_key = std::move(*key);
        }
        bool cancelled = plan.cancelled && condition(ev, plan, *plan.cancelled, "cancelled", ctx);
        if (!cancelled && plan.when && !condition(ev, plan, *plan.when, "when", ctx)) {
            result.kind = MapResult::Kind::filtered;
            return result;
        }
        // Default storage on purpose: a shared arena costs an atomic count per node, and a
        // borrowed one could not outlive this result.
        json::value out;
        ev.produce(*plan.output, out);
        if (!out.is_object()) out.emplace_object();
        if (plan.validate_work_order && (!plan.checks_as_made || ev.schema_violation)) {
            // The compiled check says yes or no quickly; valijson gives the reason for a no.
            const SchemaCheck* fast = work_order_check();
            auto problems = fast && fast->valid(out)
                                ? std::vector<std::string>{}
                                : fb::schema::Validator::work_order().check(out);
            if (!problems.empty()) {
                auto colon = problems.front().find(": ");
                MapError e{result.document_id,
                           schema_field(problems.front().substr(0, colon)),
                           "schema",
                           "",
                           "a work order valid against work_order.schema.json",
                           colon == std::string::npos ? problems.front()
                                                      : problems.front().substr(colon + 2)};
                return failure(std::move(e), document);
            }
        }
        return MapResult{cancelled ? MapResult::Kind::cancelled : MapResult::Kind::mapped,
                         std::move(result.document_id),
                         std::move(result.version),
                         std::move(result.version_key),
                         json::object(std::move(out.get_object())),
                         std::nullopt,
                         json::value()};
    } catch (MapFailure& f) {
        f.error.document_id = result.document_id;
        return failure(std::move(f.error), document);
    } catch (const std::exception& e) {
        // Not expected: an invariant of the engine broke. Still one failed document, not a crash.
        return failure(MapError{result.document_id, "", "", "", "a mappable document", e.what()},
                       document);
    }
}

}  // namespace

MapResult map_document(const Plan& plan, const json::value& document, const json::value* input,
                       bool warn) {
    std::vector<std::string> found;
    MapResult r = map_one(plan, document, input, warn ? &found : nullptr);
    thread_context().warnings = nullptr;
    r.warnings = std::move(found);
    return r;
}

RequestResult map_request_document(const Plan& plan, const json::value& context) {
    EvalContext& ctx = fresh_context(context);
    ctx.input = &context;
    ctx.warnings = nullptr;
    ctx.empty_values = plan.empty_vals.empty() ? nullptr : &plan.empty_vals;
    ctx.variable_names = &plan.variable_names;
    Evaluator ev(ctx, thread_stacks());
    RequestResult result;
    std::string id;
    try {
        bind_variables(plan, ev, ctx);
        if (plan.key) id = text_of(ev.value(*plan.key));
        if (plan.when && !condition(ev, plan, *plan.when, "when", ctx)) {
            result.kind = MapResult::Kind::filtered;
            return result;
        }
        json::value out;
        ev.produce(*plan.output, out);
        auto& o = out.as_object();
        auto str = [&](const char* k) -> std::string {
            auto it = o.find(k);
            if (it == o.end() || !it->value().is_string())
                throw MapFailure{
                    MapError{id, std::string("request.") + k, "", "", "a string",
                             it == o.end() ? "nothing" : json::serialize(it->value())}};
            return std::string(it->value().get_string());
        };
        result.method = str("method");
        result.url = str("url");
        if (auto h = o.find("headers"); h != o.end() && h->value().is_object())
            for (const auto& kv : h->value().get_object()) {
                if (kv.value().is_null()) continue;  // a literal null header: not sent
                std::string v = kv.value().is_string() ? std::string(kv.value().get_string())
                                                       : json::serialize(kv.value());
                result.headers.emplace_back(std::string(kv.key()), std::move(v));
            }
        if (auto b = o.find("body"); b != o.end()) result.body = b->value();
        result.kind = MapResult::Kind::mapped;
    } catch (MapFailure& f) {
        f.error.document_id = id;
        result.kind = MapResult::Kind::failed;
        result.error = std::move(f.error);
    } catch (const std::exception& e) {
        result.kind = MapResult::Kind::failed;
        result.error = MapError{id, "", "", "", "a mappable status event", e.what()};
    }
    return result;
}

Mapping::Mapping(std::unique_ptr<Plan> plan) : plan_(std::move(plan)) {}
Mapping::~Mapping() = default;

std::shared_ptr<const Mapping> Mapping::compile(const std::string& yaml_text,
                                                const std::string& file_name) {
    return std::make_shared<const Mapping>(compile_plan(yaml_text, file_name));
}

std::shared_ptr<const Mapping> Mapping::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw CompileError(path, 0, 0, "cannot read the mapping file");
    std::ostringstream text;
    text << in.rdbuf();
    return compile(text.str(), path);
}

const std::string& Mapping::name() const { return plan_->name; }
bool Mapping::is_request() const { return plan_->is_request; }
bool Mapping::has_success_rule() const { return bool(plan_->success); }

std::optional<bool> Mapping::success(const json::object& context, std::string& error) const {
    if (!plan_->success) return std::nullopt;
    json::value root(context);
    EvalContext& ctx = condition_context(*plan_, root);
    try {
        return truthy(evaluate(*plan_->success, ctx));
    } catch (const EvalError& e) {
        error = condition_error("success", *plan_->success, e);
    } catch (const std::exception& e) {
        error = std::string("success: ") + e.what();
    }
    return false;
}
bool Mapping::has_classify_rules() const { return !plan_->classify.empty(); }

std::optional<std::string> Mapping::classify(const json::object& context, std::string& error) const {
    if (plan_->classify.empty()) return std::nullopt;
    json::value root(context);
    EvalContext& ctx = condition_context(*plan_, root);
    for (const auto& [verdict, condition] : plan_->classify) {
        try {
            if (truthy(evaluate(*condition, ctx))) return verdict;
        } catch (const EvalError& e) {
            error += condition_error("classify." + verdict, *condition, e) + "; ";
        } catch (const std::exception& e) {
            error += "classify." + verdict + ": " + e.what() + "; ";
        }
    }
    return std::nullopt;
}

VersionOrder Mapping::version_order() const { return plan_->version_order; }
bool Mapping::reopens() const { return plan_->reopen; }
const InputOptions& Mapping::input() const { return plan_->input; }
const std::string& Mapping::file() const { return plan_->file; }

RequestResult Mapping::map_request(const json::object& context) const {
    if (!plan_->is_request) {
        RequestResult r;
        r.error = MapError{
            "", "", "", "", "a writeback mapping (with `request:`)", "a work-order mapping"};
        return r;
    }
    return map_request_document(*plan_, json::value(context));
}

std::vector<MapResult> Mapping::map(const json::value& input) const { return map(input, false); }

std::vector<MapResult> Mapping::map(const json::value& input, bool warn) const {
    return map(input, warn, false);
}

namespace {

// Splits one input into documents and maps each (Mapping::map after namespaces are resolved).
std::vector<MapResult> map_input(const Plan& plan, const json::value& input, bool warn,
                                 bool keep_documents) {
    // A flow that writes back keeps each mapped document (its writeback mapping reads it).
    auto one = [&](const json::value& d) {
        MapResult r = map_document(plan, d, &input, warn);
        if (keep_documents && r.kind != MapResult::Kind::failed && r.kind != MapResult::Kind::filtered)
            r.document = d;
        return r;
    };
    std::vector<MapResult> results;
    if (plan.is_request) {
        results.push_back(failure(MapError{"", "", "", "", "a work-order mapping",
                                           "a writeback mapping (use map_request)"},
                                  input));
        return results;
    }
    {
        // What every evaluation below (success, documents, group_by) may read beside its root.
        EvalContext& ctx = thread_context();
        ctx.input = &input;
        ctx.warnings = nullptr;
        ctx.empty_values = plan.empty_vals.empty() ? nullptr : &plan.empty_vals;
        ctx.variable_names = &plan.variable_names;
    }
    if (plan.success) {
        EvalContext& ctx = thread_context();
        ctx.reset();
        ctx.root = ctx.current = &input;
        std::string found;
        try {
            if (!truthy(evaluate(*plan.success, ctx)))
                found = "false: the input's top level is " + top_level(input);
        } catch (const EvalError& e) {
            found = e.found + " (" + e.expected + " expected" +
                    (e.path.empty() ? "" : " at " + e.path) + ")";
        }
        if (!found.empty()) {
            results.push_back(failure(MapError{"", "success", "success: " + plan.success->source,
                                               "", "an input the ERP marks as a success", found},
                                      input));
            return results;
        }
    }
    // Fast path: one object in, no splitting.
    if (!plan.documents && plan.columns.empty() && !plan.group_by && input.is_object()) {
        results.push_back(one(input));
        return results;
    }
    std::vector<json::value> rows;
    std::vector<const json::value*> refs;
    if (plan.documents) {
        EvalContext& ctx = thread_context();
        ctx.reset();
        ctx.root = ctx.current = &input;
        Val v = evaluate_path(*plan.documents, ctx);
        bool none = v.absent() || (v.kind == Val::Kind::list && v.list->empty());
        if (none) {
            // Only an empty list where the list belongs is an empty page; anything else means
            // the path does not fit this input, and saying nothing would lose the input.
            Val where = plan.documents_container
                            ? evaluate_path(*plan.documents_container, ctx)
                            : Val{};
            bool empty_page = where.kind == Val::Kind::json && where.j->is_array();
            if (!empty_page) {
                std::string found = v.kind == Val::Kind::list ? "no match" : describe(v);
                results.push_back(failure(no_documents(plan, input, found), input));
                return results;
            }
        }
        if (v.kind == Val::Kind::list) {
            for (const auto& e : *v.list)
                if (e.kind == Val::Kind::json)
                    refs.push_back(e.j);
                else
                    rows.push_back(to_json(e));
        } else if (v.kind == Val::Kind::json && v.j->is_array()) {
            for (const auto& e : v.j->get_array()) refs.push_back(&e);
        } else if (v.kind == Val::Kind::json) {
            refs.push_back(v.j);
        } else if (!v.absent()) {
            results.push_back(
                failure(MapError{"", "documents", plan.documents->text, plan.documents->text,
                                 "a list of documents", describe(v)},
                        input));
            return results;
        }
    } else if (input.is_array()) {
        for (const auto& e : input.get_array()) refs.push_back(&e);
    } else {
        refs.push_back(&input);
    }

    // Rows grouped into documents (group_by) count as the documents they make.
    auto too_many = [&](std::size_t n) {
        if (n <= plan.max_documents) return false;
        results.clear();
        results.push_back(failure(MapError{"", "documents", plan.documents ? plan.documents->text : "", "",
                                           "at most " + std::to_string(plan.max_documents) +
                                               " documents in one input (the mapping's max_documents)",
                                           std::to_string(n) + ": send smaller batches or pages, or raise max_documents"},
                                  input));
        return true;
    };
    if (!plan.group_by && too_many(refs.size() + rows.size())) return results;
    std::vector<json::value> documents;
    if (!plan.columns.empty()) {
        const auto& cols = plan.columns;
        for (const auto* r : refs) {
            if (!r->is_array() || r->get_array().size() != cols.size()) {
                results.push_back(failure(
                    MapError{"", "columns", "columns", "",
                             "a row of " + std::to_string(cols.size()) + " values",
                             r->is_array()
                                 ? "a row of " + std::to_string(r->get_array().size()) + " values"
                                 : describe(from_json(*r))},
                    *r));
                continue;
            }
            json::object o(cols.size());
            for (std::size_t i = 0; i < cols.size(); ++i) o.emplace(cols[i], r->get_array()[i]);
            documents.emplace_back(std::move(o));
        }
        refs.clear();
        for (const auto& d : documents) refs.push_back(&d);
    }

    if (plan.group_by) {
        // Rows of one document keep their order; documents keep the order of their first row.
        std::vector<std::pair<std::string, json::array>> groups;
        std::unordered_map<std::string, std::size_t> group_of;  // key → index in groups
        EvalContext& ctx = thread_context();
        for (const auto* r : refs) {
            ctx.reset();
            ctx.root = ctx.current = r;
            std::string key;
            try {
                Val k = evaluate(*plan.group_by, ctx);
                if (k.absent() || !to_text(k, key))
                    throw EvalError{"a value to group by", describe(k), plan.group_by_text};
            } catch (const EvalError& e) {
                results.push_back(
                    failure(MapError{"", "group_by", "group_by: " + plan.group_by_text, e.path,
                                     e.expected, e.found},
                            *r));
                continue;
            }
            // A hash lookup, not a search of the groups: 100 000 distinct keys were quadratic.
            auto [at, added] = group_of.try_emplace(key, groups.size());
            if (added) groups.emplace_back(std::move(key), json::array{});
            groups[at->second].second.push_back(*r);
        }
        if (too_many(groups.size())) return results;
        for (auto& [key, lines] : groups) {
            json::object doc =
                lines.front().is_object() ? lines.front().get_object() : json::object{};
            doc["lines"] = std::move(lines);
            json::value d(std::move(doc));
            results.push_back(one(d));
        }
        return results;
    }
    for (const auto* r : refs) results.push_back(one(*r));
    for (auto& row : rows) results.push_back(one(row));
    return results;
}

}  // namespace

std::vector<MapResult> Mapping::map(const json::value& input, bool warn, bool keep_documents) const {
    // Renamed once, before `success`, `documents` and `$input` read it, so every path sees the
    // mapping's prefixes; a kept or failed document carries the renamed tree.
    if (!plan_->namespaces.empty())
        return map_input(*plan_, resolve_namespaces(input, plan_->namespaces), warn, keep_documents);
    return map_input(*plan_, input, warn, keep_documents);
}

}  // namespace fb::mapping
