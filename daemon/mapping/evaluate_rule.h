// The rule evaluator: one per document, reusing the thread's scratch space.
#pragma once

#include <algorithm>

#include "mapping/plan.h"

namespace fb::mapping {

struct MapFailure {
    MapError error;
};

class Evaluator {
  public:
    struct FieldStep {
        std::string_view name;
        std::int64_t index;
    };
    struct Scope {
        const Path* each;
        std::int64_t index;
    };
    // Where in the output the evaluation is: pushed and popped per field, read only on failure.
    class FieldStack {
      public:
        void push_back(FieldStep f) {
            if (n_ < capacity) steps_[n_] = f;
            ++n_;
        }
        void pop_back() { --n_; }
        void clear() { n_ = 0; }
        const FieldStep* begin() const { return steps_; }
        const FieldStep* end() const { return steps_ + std::min(n_, capacity); }

      private:
        static constexpr std::size_t capacity = 64;
        FieldStep steps_[capacity];
        std::size_t n_ = 0;
    };
    // The stacks outlive one document so their capacity is reused.
    struct Stacks {
        FieldStack fields;
        std::vector<Scope> scopes;
    };

    Evaluator(EvalContext& ctx, Stacks& stacks)
        : ctx_(ctx), fields_(stacks.fields), scopes_(stacks.scopes) {
        fields_.clear();
        scopes_.clear();
    }

    // Builds the rule's output into `out`; false when the field is left out. Throws MapFailure.
    bool produce(const Rule& r, json::value& out);
    // One value (a scalar rule). Throws MapFailure.
    Val value(const Rule& r);
    // A failure outside any rule's own evaluation (`when`, `cancelled`, the key…).
    [[noreturn]] void fail(const Rule& r, const std::string& rule_text, const EvalError& e) const;

    std::string field_name() const;
    std::string because(const Rule& r, const std::string& path) const;

    // A value broke its field's schema check (the document then gets the full check's reason).
    bool schema_violation = false;
    std::string input_path(std::string_view path) const;

  private:
    EvalContext& ctx_;
    FieldStack& fields_;
    std::vector<Scope>& scopes_;

    Val source(const Rule& r);
    Val lookup(const Rule& r, const Val& v);
    Val time(const Rule& r, const Val& v);
    Val phone(const Rule& r, const Val& v);
    const date::time_zone* zone(const Rule& r);
    bool produce_each(const Rule& r, json::value& out);
};

}  // namespace fb::mapping
