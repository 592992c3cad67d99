#include "schema/validator.h"

#include <boost/json.hpp>
#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <map>
#include <set>
#include <stdexcept>

#include "schema/date_time.h"

namespace fb::schema {
namespace json = boost::json;

namespace {

// Where a `format` applies in a document: property names, and "each item" of an array.
struct Step {
    bool each_item = false;
    std::string name;
};
using FormattedField = std::vector<Step>;

// No date or time is longer than this. The check below is linear, but the guard keeps reasons
// short and refuses a webhook document pasted into due_by before anything reads it.
constexpr std::size_t max_formatted_bytes = 64;

}  // namespace

struct Validator::Impl {
    valijson::Schema schema;
    std::map<std::string, json::value> documents;  // keeps referenced schemas alive
    std::vector<FormattedField> formatted;          // every `format: date-time`, checked here
};

namespace {

std::string file_of(std::string_view uri) {
    uri = uri.substr(0, uri.find('#'));
    return std::string(uri.substr(uri.find_last_of('/') + 1));
}

json::value* load(std::map<std::string, json::value>& docs, const std::string& name) {
    if (auto it = docs.find(name); it != docs.end()) return &it->second;
    auto text = embedded_schema(name);
    if (text.empty()) return nullptr;
    return &docs.emplace(name, json::parse(text)).first->second;
}

// `format` is taken out of the schema valijson compiles (valijson's check builds a std::regex
// for every formatted string it meets: the status consumer's largest CPU cost, README
// "Benchmarks") and checked by Validator::check instead. That is only sound where a format's
// place in a document is fixed: under `properties`, `items`, `allOf` and `$ref` to another file.
// A format under anything else (anyOf, not, if, additionalProperties, a local $ref, …) would be
// checked by neither, so it stops the program at startup instead.
class FormatCollector {
public:
    FormatCollector(std::map<std::string, json::value>& docs, std::vector<FormattedField>& out)
        : docs_(docs), out_(out) {}

    void walk(json::value& node, const std::string& file, const std::string& pointer) {
        auto* schema = node.if_object();
        if (!schema) return;
        for (auto& kv : *schema) {
            std::string key(kv.key());
            auto& value = kv.value();
            std::string at = pointer + "/" + key;
            if (key == "format" && value.is_string()) {
                if (value.get_string() != "date-time")
                    fail(file, at, "format \"" + std::string(value.get_string()) + "\", which fieldbridge does not check");
                out_.push_back(path_);
            } else if (key == "properties" && value.is_object()) {
                for (auto& [name, sub] : value.get_object()) {
                    path_.push_back({false, std::string(name)});
                    walk(sub, file, at + "/" + std::string(name));
                    path_.pop_back();
                }
            } else if (key == "items" && value.is_object()) {
                path_.push_back({true, {}});
                walk(value, file, at);
                path_.pop_back();
            } else if (key == "allOf" && value.is_array()) {
                for (std::size_t i = 0; i < value.get_array().size(); ++i)
                    walk(value.get_array()[i], file, at + "/" + std::to_string(i));
            } else if (key == "$ref" && value.is_string() && follows_file(value.get_string())) {
                std::string target = file_of(value.get_string());
                auto* doc = load(docs_, target);
                if (!doc) continue;  // valijson reports the unknown reference
                files_.push_back(target);
                walk(*doc, target, "");
                files_.pop_back();
            } else if (mentions_format(key == "$ref" ? json::value(json::object{{key, value}}) : value, file)) {
                fail(file, at, "a format under \"" + key + "\", which fieldbridge's format check does not follow");
            }
        }
        if (const auto* f = schema->if_contains("format"); f && f->is_string()) strip_.push_back(schema);
    }

    // After the whole walk, so a format met twice (through a followed and another way) is seen.
    void strip() {
        for (auto* schema : strip_) schema->erase("format");
    }

private:
    bool follows_file(json::string_view ref) const {
        if (ref.empty() || ref.front() == '#' || ref.find('#') != json::string_view::npos) return false;
        std::string target = file_of(ref);
        for (const auto& f : files_)
            if (f == target) return false;  // a cycle: mentions_format decides
        return true;
    }

    // Whether a `format` keyword is anywhere below `node`, through references too.
    bool mentions_format(const json::value& node, const std::string& file) {
        if (const auto* a = node.if_array()) {
            for (const auto& e : *a)
                if (mentions_format(e, file)) return true;
        } else if (const auto* o = node.if_object()) {
            for (const auto& kv : *o) {
                if (kv.key() == "format" && kv.value().is_string()) return true;
                if (kv.key() == "$ref" && kv.value().is_string()) {
                    std::string_view ref = kv.value().get_string();
                    std::string target = ref.starts_with('#') ? file : file_of(ref);
                    std::string fragment = ref.find('#') == ref.npos ? "" : std::string(ref.substr(ref.find('#') + 1));
                    if (!seen_.insert(target + "#" + fragment).second) continue;
                    const json::value* doc = load(docs_, target);
                    boost::system::error_code ec;
                    const json::value* sub = doc ? doc->find_pointer(fragment, ec) : nullptr;
                    if (sub && mentions_format(*sub, target)) return true;
                } else if (mentions_format(kv.value(), file)) {
                    return true;
                }
            }
        }
        return false;
    }

    [[noreturn]] static void fail(const std::string& file, const std::string& at, const std::string& what) {
        throw std::logic_error("schema " + file + " has " + what + " (at " + (at.empty() ? "/" : at) + ")");
    }

    std::map<std::string, json::value>& docs_;
    std::vector<FormattedField>& out_;
    FormattedField path_;
    std::vector<std::string> files_;
    std::set<std::string> seen_;
    std::vector<json::object*> strip_;
};

// Every string a formatted field names in `doc`, with its place as valijson writes it.
void formatted_values(const json::value& at, const FormattedField& field, std::size_t step, std::string& where,
                      std::vector<std::pair<std::string, std::string_view>>& out) {
    if (step == field.size()) {
        if (const auto* s = at.if_string())
            out.emplace_back(where.empty() ? "/" : where, std::string_view(s->data(), s->size()));
        return;  // not a string: valijson reports the type
    }
    std::size_t mark = where.size();
    if (field[step].each_item) {
        if (const auto* a = at.if_array())
            for (std::size_t i = 0; i < a->size(); ++i) {
                where += "[" + std::to_string(i) + "]";
                formatted_values((*a)[i], field, step + 1, where, out);
                where.resize(mark);
            }
    } else if (const auto* o = at.if_object()) {
        if (const auto* v = o->if_contains(field[step].name)) {
            where += "[" + field[step].name + "]";
            formatted_values(*v, field, step + 1, where, out);
            where.resize(mark);
        }
    }
}

}  // namespace

Validator::Validator(std::string_view schema_name) : impl_(std::make_unique<Impl>()) {
    std::string name(schema_name);
    auto& docs = impl_->documents;
    auto* root = load(docs, name);
    if (!root) throw std::logic_error("no embedded schema " + name);
    FormatCollector formats(docs, impl_->formatted);
    formats.walk(*root, name, "");
    formats.strip();
    valijson::SchemaParser parser;
    valijson::adapters::BoostJsonAdapter adapter(*root);
    parser.populateSchema(
        adapter, impl_->schema,
        [&docs](const std::string& uri) -> const json::value* { return load(docs, file_of(uri)); },
        [](const json::value*) {});
}

Validator::~Validator() = default;

std::vector<std::string> Validator::check(const json::value& doc) const {
    std::vector<std::pair<std::string, std::string_view>> values;
    std::string where;
    for (const auto& field : impl_->formatted) formatted_values(doc, field, 0, where, values);
    std::vector<std::string> problems, format_problems;
    for (const auto& [at, text] : values)
        if (text.size() > max_formatted_bytes)
            problems.push_back(at + ": " + std::to_string(text.size()) + " bytes, no date or time is over " +
                               std::to_string(max_formatted_bytes));
        else if (auto why = date_time_problem(text); !why.empty())
            format_problems.push_back(at + ": " + why);
    if (!problems.empty()) return problems;

    // One valijson validator per thread and schema, kept: it caches the std::regex of each
    // `pattern`, which it would otherwise compile again for every document.
    thread_local std::map<const Impl*, valijson::Validator> validators;
    auto& validator = validators.try_emplace(impl_.get(), valijson::Validator::kStrongTypes).first->second;
    valijson::ValidationResults results;
    valijson::adapters::BoostJsonAdapter adapter(doc);
    if (!validator.validate(impl_->schema, adapter, &results)) {
        valijson::ValidationResults::Error error;
        while (results.popError(error)) {
            std::string at;
            for (const auto& part : error.context) at += part == "<root>" ? "" : part;
            problems.push_back((at.empty() ? "/" : at) + ": " + error.description);
        }
    }
    problems.insert(problems.end(), format_problems.begin(), format_problems.end());
    return problems;
}

const Validator& Validator::work_order() {
    static const Validator v("work_order.schema.json");
    return v;
}

const Validator& Validator::work_order_event() {
    static const Validator v("work_order_event.schema.json");
    return v;
}

const Validator& Validator::status_event() {
    static const Validator v("status_event.schema.json");
    return v;
}

}  // namespace fb::schema
