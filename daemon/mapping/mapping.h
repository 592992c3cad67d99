// The mapping language's public face: a YAML file compiled once into a plan, then evaluated on
// decoded documents. No I/O happens during evaluation.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "mapping/version_order.h"

namespace fb::mapping {

// A mistake in a mapping file, found while compiling it. what() reads "file:line:col: message".
class CompileError : public std::runtime_error {
  public:
    CompileError(std::string file, int line, int column, const std::string& message);
    std::string file;
    int line;
    int column;
};

// Why one document could not be mapped: enough for a person to find and fix it.
struct MapError {
    std::string document_id;      // empty when the key itself could not be read
    std::string field;            // output field, e.g. "items[2].quantity"
    std::string rule;             // the rule as written, e.g. "{ path: $.Qty, as: number }"
    std::string path;             // input path that was read, e.g. "$.Lines[2].Qty"
    std::string expected;         // e.g. "a number"
    std::string found;            // e.g. "\"two\""
    std::string message() const;  // one line with all of the above
};

struct MapResult {
    enum class Kind { mapped, filtered, cancelled, failed };
    Kind kind = Kind::failed;
    std::string document_id;         // the mapping's `key`
    std::string version;             // the mapping's `version`; empty when it has none
    std::string version_key;         // version_key(order, version): sorts like the versions
    boost::json::object work_order;  // for mapped and cancelled
    std::optional<MapError> error;   // for failed
    boost::json::value document;     // for failed: the document (after grouping) that failed;
                                     // for mapped/cancelled when map() was asked to keep it
    std::vector<std::string> warnings;  // with map(input, true): paths that read nothing, …
};

// A writeback: the ERP request a status event (with its work order and original document) maps to.
struct RequestResult {
    MapResult::Kind kind = MapResult::Kind::failed;  // mapped, filtered (`when` said no) or failed
    std::string method;
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    boost::json::value body;              // null when the request has none
    std::optional<MapError> error;        // for failed
    boost::json::object to_json() const;  // {method, url, headers, body}
};

// How the mapping's documents arrive, when the mapping says (`input:`); the tools use it.
struct InputOptions {
    std::string format;   // "", "json", "ndjson", "xml", "csv"
    std::string charset;  // "" means UTF-8
    char delimiter = ',';
};

class Plan;  // the compiled form; defined by the engine

class Mapping {
  public:
    // Compile a mapping file. Throws CompileError naming file, line and column.
    static std::shared_ptr<const Mapping> load(const std::string& path);
    static std::shared_ptr<const Mapping> compile(const std::string& yaml_text,
                                                  const std::string& file_name);
    ~Mapping();

    const std::string& name() const;
    // Splits one decoded input into documents (grouping rows when the mapping says so) and
    // maps each. Never throws on bad input: a document that cannot be mapped is a `failed` result.
    std::vector<MapResult> map(const boost::json::value& input) const;
    // The same, noting in each result's `warnings` what looks like a mistake that maps silently
    // (a list path whose way is missing); slower, for the tools.
    std::vector<MapResult> map(const boost::json::value& input, bool warn) const;
    // With `keep_documents`, a mapped or cancelled result carries its document in `document`
    // (a flow that writes back keeps it for its writeback mapping).
    std::vector<MapResult> map(const boost::json::value& input, bool warn, bool keep_documents) const;

    // A writeback mapping (one with `request:`): `context` holds `event`, `work_order` and
    // `document`. Never throws.
    RequestResult map_request(const boost::json::object& context) const;
    bool is_request() const;
    // A writeback mapping's `success:` condition on the ERP's answer (`context` holds `response`
    // {status, headers, body} beside event, work_order and document). nullopt when the mapping
    // has none; false with `error` set when the rule itself could not be evaluated.
    std::optional<bool> success(const boost::json::object& context, std::string& error) const;
    bool has_success_rule() const;
    // A writeback mapping's `classify:` rules over the same context: the first verdict
    // ("success", "retry", "conflict", "permanent") whose condition holds, in the order written;
    // nullopt when none holds (the engine's table decides). A rule that cannot be evaluated
    // counts as not holding and adds its reason to `error`.
    std::optional<std::string> classify(const boost::json::object& context, std::string& error) const;
    bool has_classify_rules() const;
    // How versions compare (`version: { order: … }`) and whether a strictly newer version may
    // reopen a cancelled work order (`reopen:`).
    VersionOrder version_order() const;
    bool reopens() const;
    const InputOptions& input() const;
    const std::string& file() const;
    const Plan& plan() const { return *plan_; }  // for the tools (`map --explain`)

    explicit Mapping(std::unique_ptr<Plan> plan);

  private:
    std::unique_ptr<Plan> plan_;
};

}  // namespace fb::mapping
