// Paths and expressions: parsed once at compile time into a tree, evaluated per document.
#pragma once

#include "support/suggest.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mapping/value.h"

namespace re2 {
class RE2;
}

namespace fb::mapping {

// Where a piece of text starts in the mapping file, so an error inside it names line and column.
struct Origin {
    const std::string* file = nullptr;
    int line = 0;    // 1-based
    int column = 0;  // 1-based column of the text's first character
};
[[noreturn]] void compile_error(const Origin& at, std::size_t offset, const std::string& message);

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct PathStep {
    // local: `.*:Name`, an XML element by its local name, whatever prefix the sender chose
    enum class Kind : std::uint8_t { key, index, wildcard, filter, local };
    Kind kind = Kind::key;
    std::string key;
    std::int64_t index = 0;
    ExprPtr filter;
};

struct Path {
    // $  $$  @  $name  $input
    enum class Root : std::uint8_t { current, document, element, variable, input };
    Root root = Root::current;
    std::size_t variable = 0;  // index into the mapping's `let:` values
    std::vector<PathStep> steps;
    bool multi = false;  // has [*] or a filter: yields a list
    std::string text;    // as written
};

enum class Type : std::uint8_t { any, boolean, number, string, list };
const char* type_name(Type t);

struct Function;

struct Expr {
    enum class Op : std::uint8_t {
        literal,
        path,
        list,
        call,
        neg,
        not_,
        and_,
        or_,
        eq,
        ne,
        lt,
        le,
        gt,
        ge,
        in,
        add,
        sub,
        mul,
        div,
        mod
    };
    Op op = Op::literal;
    Type type = Type::any;
    Val literal;
    std::string literal_text;  // storage for a string literal
    std::unique_ptr<Path> path;
    std::vector<ExprPtr> args;
    const Function* fn = nullptr;
    std::size_t offset = 0;  // where it starts in the text
    std::string source;      // the whole expression as written (set on the root only)
    bool per_element = false;  // count(list, x): x reads `@`, so it is a predicate
    std::shared_ptr<const re2::RE2> regex;  // matches()/capture()/replace_re(): compiled once
    // Levels of the tree from here down (filters in a path included). Evaluating recurses once a
    // level, so the parser bounds it (max_expression_depth): no expression overflows the stack.
    int depth = 1;
};
constexpr int max_expression_depth = 200;

// Built-in functions. Each evaluates its own arguments, so `if` and `coalesce` stay lazy.
struct Function {
    std::string_view name;
    int min_args;
    int max_args;  // -1: any number
    Type result;
    std::vector<Type> params;  // the last one repeats
    Val (*call)(const Expr& e, EvalContext& ctx);
    std::string_view summary;
    // Checks and prepares a call once its arguments are parsed (a regular expression is
    // compiled here); returns an error for argument `bad`, or "" when the call is fine.
    std::string (*prepare)(Expr& e, std::size_t& bad) = nullptr;
};
// True when the expression reads `@` outside a filter of its own.
bool mentions_element(const Expr& e);
const Function* find_function(std::string_view name);
const std::vector<Function>& functions();

// The `let:` names visible to the parser while a mapping compiles (set by the compiler).
struct VariableScope {
    explicit VariableScope(const std::vector<std::string>* names);
    ~VariableScope();
    const std::vector<std::string>* saved;
};

// The `namespaces:` prefixes visible to the parser while a mapping compiles: with them set,
// `.p:Name` must use one of them (a typo would read nothing); without, it is the written name.
struct PrefixScope {
    explicit PrefixScope(const std::vector<std::string>* prefixes);
    ~PrefixScope();
    const std::vector<std::string>* saved;
};

// The whole text must be one expression (or path); throws CompileError.
ExprPtr parse_expression(std::string_view text, const Origin& at);
std::unique_ptr<Path> parse_path(std::string_view text, const Origin& at);

// Throw EvalError on a run-time mistake (a word where a number must be, …).
Val evaluate(const Expr& e, EvalContext& ctx);
Val evaluate_path(const Path& p, EvalContext& ctx);
// `==` as the language means it: numeric text equals its number, null equals missing.
bool values_equal(const Val& a, const Val& b);
// Why a path read nothing, for error messages: the empty `let:` value, the filter that matched
// nothing, the intermediate that is missing, the attribute it should have read; "" if no reason.
std::string why_missing(const Path& p, EvalContext& ctx);

using support::did_you_mean;

}  // namespace fb::mapping
