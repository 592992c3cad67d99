// The compiled form of a mapping: a tree of rules with every path, expression, time format,
// zone and lookup resolved, so evaluating a document parses nothing.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mapping/coerce.h"
#include "mapping/expr.h"
#include "mapping/mapping.h"
#include "mapping/namespaces.h"
#include "mapping/schema_check.h"
#include "mapping/time.h"
#include "mapping/version_order.h"

namespace fb::mapping {

struct Rule;
using RulePtr = std::unique_ptr<Rule>;

struct TimeRule {
    TimeFormat format;
    const date::time_zone* zone = nullptr;  // reads zoneless input, and writes the output offset
    RulePtr zone_rule;                      // `tz: $.partner.tz`: the zone from the document
    const date::time_zone* output_zone = nullptr;  // `output_tz:`: the output's zone, when apart
    RulePtr output_zone_rule;
    RulePtr at;                             // time of day that replaces the parsed one
    std::vector<std::pair<std::int64_t, RulePtr>> add;  // unit in seconds, amount
    std::optional<TimePattern> output;                  // RFC 3339 when absent
};

struct Rule {
    enum class Source : std::uint8_t {
        constant,
        path,
        expr,
        template_,
        concat,
        list,
        object,
        each
    };
    Source source = Source::constant;
    Origin origin;
    std::string text;  // the rule as written, for error messages

    json::value constant;
    Val constant_val;
    std::unique_ptr<Path> path;
    ExprPtr expr;
    struct Piece {
        std::string literal;
        ExprPtr expr;
    };
    std::vector<Piece> pieces;                            // template
    std::vector<RulePtr> parts;                           // concat, list
    std::string separator;                                // concat
    std::vector<std::pair<std::string, RulePtr>> fields;  // object; each with `fields`
    std::unique_ptr<Path> each;
    ExprPtr where;
    RulePtr item;  // each: the rule for one item (an object rule or a value rule)

    ExprPtr when;
    bool required = false;
    bool keeps_list = false;  // a list path into a list field: all matches, not the first
    bool sends_null = false;  // a request's literal `null`: JSON null, not "no value"
    std::optional<json::value> default_value;
    Val default_val;
    std::vector<std::pair<std::string, json::value>> lookup;
    std::vector<Val> lookup_vals;
    bool has_lookup = false;
    std::optional<json::value> fallback;
    Val fallback_val;
    Coercion as = Coercion::none;
    std::unique_ptr<TimeRule> time;
    std::string phone_region;
    RulePtr phone_region_rule;  // `phone: $.shipToCountry`: the region from the document
    bool is_phone() const { return !phone_region.empty() || phone_region_rule; }

    // The output schema's demands on this value (work-order mappings), checked as it is made;
    // the compiler has already checked field names and required fields.
    std::unique_ptr<SchemaCheck> check;
    bool schema_required = false;

    // The input path this rule reads, for error messages ("$.Lines[*]" for each).
    std::string_view input_path() const;
};

class Plan {
  public:
    std::string file;
    std::string name;
    InputOptions input;
    Namespaces namespaces;  // `namespaces:`: the XML input is renamed to these prefixes first
    std::vector<std::string> namespace_prefixes;  // the same prefixes, for the parser
    RulePtr key;
    RulePtr version;
    VersionOrder version_order = VersionOrder::automatic;
    bool reopen = false;  // a strictly newer version may reopen a cancelled work order
    std::unique_ptr<Path> documents;
    std::unique_ptr<Path> documents_container;
    std::vector<std::string> columns;
    // `max_documents:`: an input that splits into more fails whole, before any is mapped (each
    // document costs ~2 KiB on its way into the state file, whose one writer it would hold).
    std::size_t max_documents = 100000;
    ExprPtr success;  // on the whole input: false makes the input one failed result; in a
                      // writeback mapping: on the ERP's answer (Mapping::success)
    // A writeback mapping's `classify:` rules, in the order written: verdict name → condition
    // on the ERP's answer, checked before the engine's built-in table (Mapping::classify).
    std::vector<std::pair<std::string, ExprPtr>> classify;
    json::array empty_values;    // `empty:` as written: values that mean "no value"
    std::vector<Val> empty_vals;  // the same, as the evaluator compares them
    ExprPtr group_by;
    std::string group_by_text;
    ExprPtr when;
    ExprPtr cancelled;
    std::vector<std::string> variable_names;  // `let:`, evaluated in order per document
    std::vector<RulePtr> variables;
    RulePtr output;  // the work_order or request object
    bool is_request = false;
    bool validate_work_order = true;
    // Every output value carries its own check: the whole-tree check runs only after one fails.
    bool checks_as_made = false;
};

// The compiler: YAML text → Plan. Throws CompileError.
std::unique_ptr<Plan> compile_plan(const std::string& yaml_text, const std::string& file_name);

// One document through the plan. Never throws.
// `input` is what `$input` reads (the whole input); `warn` fills the result's `warnings`.
MapResult map_document(const Plan& plan, const json::value& document,
                       const json::value* input = nullptr, bool warn = false);
RequestResult map_request_document(const Plan& plan, const json::value& context);

}  // namespace fb::mapping
