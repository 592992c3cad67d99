// The compiler's shared parts: YAML node helpers and the rule compiler, which checks every rule
// against the output schema (field names, constants, required fields) as it goes.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>

#include "mapping/plan.h"

namespace fb::mapping {

class Compiler {
  public:
    explicit Compiler(std::string file) : file_(std::move(file)) {}

    const std::string& file() const { return file_; }
    Origin origin(const YAML::Node& n) const;
    [[noreturn]] void fail(const YAML::Node& n, const std::string& message) const;
    std::string scalar(const YAML::Node& n, const char* what) const;
    // A plain YAML scalar as JSON (true, 3, 2.5, null, text); a quoted one is always text.
    json::value constant(const YAML::Node& n) const;
    ExprPtr expression(const YAML::Node& n) const;
    std::unique_ptr<Path> path(const YAML::Node& n) const;

    // `schema` is the JSON Schema of the output at this place (nullptr: anything goes);
    // `where` names the place for messages ("work_order.customer.phone").
    RulePtr rule(const YAML::Node& n, const json::object* schema, const std::string& where,
                 bool schema_required = false);

    std::map<std::string, YAML::Node> lookups;
    // Set while compiling the work_order tree: rules get their schema checks.
    bool attach_checks = false;
    bool checks_complete = true;  // no schema keyword was beyond the compiled check
    // Set for the top of the `version` rule, which may also say its `order`.
    bool version_rule = false;
    // Set while compiling a request: a literal `null` (or `~`) is sent as JSON null.
    bool request_nulls = false;
    const std::string* source = nullptr;  // the YAML text, to tell `x: null` from `x:`
    bool explicit_null(const YAML::Node& n) const;

  private:
    std::string file_;

    RulePtr object_fields(const YAML::Node& n, const json::object* schema,
                          const std::string& where);
    RulePtr object_rule(const YAML::Node& n, const json::object* schema, const std::string& where);
    RulePtr scalar_rule(const YAML::Node& n, const json::object* schema, const std::string& where);
    void modifiers(Rule& r, const YAML::Node& n, const json::object* schema,
                   const std::string& where);
    void time_rule(Rule& r, const YAML::Node& n, const std::string& where);
    void lookup_rule(Rule& r, const YAML::Node& n, const json::object* schema,
                     const std::string& where);
    void check_constant(const YAML::Node& at, const json::value& v, const json::object* schema,
                        const std::string& where) const;
    void template_rule(Rule& r, const YAML::Node& n);
};

// The properties, items, enum… of a schema object; nullptr when absent.
const json::object* schema_child(const json::object* schema, std::string_view property);
const json::object* schema_items(const json::object* schema);
const json::object& work_order_schema();

}  // namespace fb::mapping
