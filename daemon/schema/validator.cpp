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
}

Validator::~Validator() = default;

std::vector<std::string> Validator::check(const boost::json::value& doc) const {
    valijson::Validator validator(valijson::Validator::kStrongTypes);
    valijson::ValidationResults results;
    valijson::adapters::BoostJsonAdapter adapter(doc);
    std::vector<std::string> problems;
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
