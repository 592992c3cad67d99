// The rule evaluator: one per document, reusing the thread's scratch space.
#pragma once

#include "mapping/plan.h"

namespace fb::mapping {

struct MapFailure {
    MapError error;
};

class Evaluator {
public:
    explicit Evaluator(EvalContext& ctx) : ctx_(ctx) {}

    // Builds the rule's output into `out`; false when the field is left out. Throws MapFailure.
    bool produce(const Rule& r, json::value& out);
    // One value (a scalar rule). Throws MapFailure.
    Val value(const Rule& r);
    // A failure outside any rule's own evaluation (`when`, `cancelled`, the key…).
    [[noreturn]] void fail(const Rule& r, const std::string& rule_text, const EvalError& e) const;

    std::string field_name() const;
    std::string input_path(std::string_view path) const;

private:
    struct FieldStep {
        std::string_view name;
        std::int64_t index;
    };
    struct Scope {
        const Path* each;
        std::int64_t index;
    };
    EvalContext& ctx_;
    std::vector<FieldStep> fields_;
    std::vector<Scope> scopes_;

    Val source(const Rule& r);
    Val lookup(const Rule& r, const Val& v);
    Val time(const Rule& r, const Val& v);
    Val phone(const Rule& r, const Val& v);
    bool produce_each(const Rule& r, json::value& out);
};

}  // namespace fb::mapping
