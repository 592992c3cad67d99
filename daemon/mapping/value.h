// Values as the evaluator sees them: views into the decoded document or into the evaluation's
// scratch space, so reading a field never copies it.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace fb::mapping {

namespace json = boost::json;

struct Val {
    enum class Kind : std::uint8_t { missing, null, boolean, integer, real, string, json, list };
    Kind kind = Kind::missing;
    union {  // 32 bytes in all: values are copied a lot
        std::int64_t i = 0;
        bool b;
        double d;
        const json::value* j;          // json: an object or array of the document
        const std::vector<Val>* list;  // list: what a path with [*] or a filter matched
    };
    std::string_view s;  // string: into the document, a constant or scratch

    static Val of_bool(bool v) {
        Val r;
        r.kind = Kind::boolean;
        r.b = v;
        return r;
    }
    static Val of_int(std::int64_t v) {
        Val r;
        r.kind = Kind::integer;
        r.i = v;
        return r;
    }
    static Val of_real(double v) {
        Val r;
        r.kind = Kind::real;
        r.d = v;
        return r;
    }
    static Val of_string(std::string_view v) {
        Val r;
        r.kind = Kind::string;
        r.s = v;
        return r;
    }
    static Val null() {
        Val r;
        r.kind = Kind::null;
        return r;
    }

    bool missing() const { return kind == Kind::missing; }
    // Missing, null and "" all mean "no value" to defaults and required fields.
    bool absent() const {
        return kind == Kind::missing || kind == Kind::null || (kind == Kind::string && s.empty());
    }
    bool is_number() const { return kind == Kind::integer || kind == Kind::real; }
    double number() const { return kind == Kind::integer ? double(i) : d; }
};

Val from_json(const json::value& v);
// Deep copy into an owned JSON value (for the output tree), allocated from `sp`.
json::value to_json(const Val& v, json::storage_ptr sp = {});
// For error messages: `"two"`, `42`, `an object`, `nothing`.
std::string describe(const Val& v);
// A number from a number or a numeric string ("2.000", " 42 "); false when it is neither.
bool to_number(const Val& v, Val& out);
bool truthy(const Val& v);
// A scalar's text (strings as they are, numbers as JSON writes them); false for containers.
bool to_text(const Val& v, std::string& out);

struct EvalContext;
// No value: missing, null, "" or one of the mapping's `empty:` values.
bool blank(const Val& v, const EvalContext& ctx);
// True and not one of the mapping's `empty:` values (`when`, `cancelled`, filters' results).
bool holds(const Val& v, const EvalContext& ctx);

// What an evaluation needs beyond the plan: the document, the current item, and scratch space
// reused from one document to the next so evaluating allocates only when it grows.
struct EvalContext {
    const json::value* root = nullptr;     // $$: the whole document
    const json::value* current = nullptr;  // $: the document, or the item of an `each`
    const json::value* at = nullptr;       // @: the element a filter is testing
    std::int64_t position = 0;             // 1-based index of the current `each` item
    std::vector<Val> variables;            // the `let:` values of the current document
    const json::value* input = nullptr;    // $input: the whole input, before `documents:`
    const Val* at_value = nullptr;         // @ when the element is a scalar (map(), any(), …)
    // Set by the tools (`test`, `map --explain`): paths that read nothing where a list was meant.
    std::vector<std::string>* warnings = nullptr;
    // The mapping's `empty:` values (Odoo's `false`, "0001-01-01"): treated like missing.
    const std::vector<Val>* empty_values = nullptr;
    const std::vector<std::string>* variable_names = nullptr;  // to read a path in an error

    std::string& scratch_string() {
        if (strings_used_ == strings_.size()) strings_.emplace_back();
        auto& s = strings_[strings_used_++];
        s.clear();
        return s;
    }
    std::vector<Val>& scratch_list() {
        if (lists_used_ == lists_.size()) lists_.emplace_back();
        auto& l = lists_[lists_used_++];
        l.clear();
        return l;
    }
    void reset() { strings_used_ = lists_used_ = 0; }

  private:
    std::deque<std::string> strings_;
    std::deque<std::vector<Val>> lists_;
    std::size_t strings_used_ = 0, lists_used_ = 0;
};

// A run-time failure inside an expression or a conversion; the rule evaluator adds the field,
// the rule and the document id.
struct EvalError {
    std::string expected;
    std::string found;
    std::string path;  // the input path read, when the failure is about one
};

}  // namespace fb::mapping
