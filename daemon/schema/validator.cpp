#include "schema/validator.h"

#include <boost/json.hpp>
#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <map>
#include <stdexcept>

namespace fb::schema {

struct Validator::Impl {
    valijson::Schema schema;
    std::map<std::string, boost::json::value> documents;  // keeps referenced schemas alive
    std::vector<std::vector<std::string>> formatted;        // property paths with a `format`
};

namespace {

const boost::json::value* fetch(std::map<std::string, boost::json::value>& docs,
                                const std::string& uri) {
    std::string name = uri.substr(uri.find_last_of('/') + 1);
    auto text = embedded_schema(name);
    if (text.empty()) return nullptr;
    auto [it, _] = docs.emplace(name, boost::json::parse(text));
    return &it->second;
}

// valijson checks `format` (date-time and the like) with std::regex, which recurses once per
// character: 50,000 characters there overflowed the stack (a webhook document copied into due_by
// crashed the daemon). No date or time is longer than this; longer strings never reach valijson.
constexpr std::size_t max_formatted_bytes = 64;

void collect_formats(const boost::json::object& schema, std::vector<std::string>& path,
                     std::vector<std::vector<std::string>>& out) {
    if (const auto* f = schema.if_contains("format"); f && f->is_string()) out.push_back(path);
    if (const auto* p = schema.if_contains("properties"); p && p->is_object())
        for (const auto& [name, sub] : p->get_object())
            if (sub.is_object()) {
                path.emplace_back(name);
                collect_formats(sub.get_object(), path, out);
                path.pop_back();
            }
}

}  // namespace

Validator::Validator(std::string_view schema_name) : impl_(std::make_unique<Impl>()) {
    auto text = embedded_schema(schema_name);
    if (text.empty()) throw std::logic_error("no embedded schema " + std::string(schema_name));
    auto& root = impl_->documents[std::string(schema_name)] = boost::json::parse(text);
    valijson::SchemaParser parser;
    valijson::adapters::BoostJsonAdapter adapter(root);
    auto& docs = impl_->documents;
    parser.populateSchema(
        adapter, impl_->schema,
        [&docs](const std::string& uri) { return fetch(docs, uri); },
        [](const boost::json::value*) {});
    std::vector<std::string> path;
    if (root.is_object()) collect_formats(root.get_object(), path, impl_->formatted);
}

Validator::~Validator() = default;

std::vector<std::string> Validator::check(const boost::json::value& doc) const {
    // One valijson validator per thread and schema, kept: it caches the std::regex of each
    // `pattern`, which it would otherwise compile again for every document (the status
    // consumer spent most of its CPU there; README "Benchmarks").
    thread_local std::map<const Impl*, valijson::Validator> validators;
    auto& validator = validators.try_emplace(impl_.get(), valijson::Validator::kStrongTypes).first->second;
    valijson::ValidationResults results;
    valijson::adapters::BoostJsonAdapter adapter(doc);
    std::vector<std::string> problems;
    for (const auto& path : impl_->formatted) {
        const boost::json::value* at = &doc;
        std::string where;
        for (const auto& name : path) {
            at = at->is_object() ? at->get_object().if_contains(name) : nullptr;
            if (!at) break;
            where += "[" + name + "]";
        }
        if (at && at->is_string() && at->get_string().size() > max_formatted_bytes)
            problems.push_back(where + ": " + std::to_string(at->get_string().size()) +
                               " bytes, no date or time is over " + std::to_string(max_formatted_bytes));
    }
    if (!problems.empty()) return problems;
    if (validator.validate(impl_->schema, adapter, &results)) return problems;
    valijson::ValidationResults::Error error;
    while (results.popError(error)) {
        std::string where;
        for (const auto& part : error.context) where += part == "<root>" ? "" : part;
        problems.push_back((where.empty() ? "/" : where) + ": " + error.description);
    }
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
