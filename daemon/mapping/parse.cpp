// The expression and path parser: recursive descent over the text as written in the YAML.
//
//   or      := and ( ("or" | "||") and )*
//   and     := not ( ("and" | "&&") not )*
//   not     := ("not" | "!") not | compare
//   compare := sum ( ("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in") sum )?
//   sum     := product ( ("+" | "-") product )*
//   product := unary ( ("*" | "/" | "%") unary )*
//   unary   := "-" unary | primary
//   primary := number | string | true | false | null | path | "[" list "]" | "(" or ")" | name "("
//   args ")" path    := ("$$" | "$" | "@") ( "." name | "." "*" | "[" (int | "*" | string | "?" or)
//   "]" )*
#include <algorithm>
#include <cstring>

#include "mapping/expr.h"
#include "mapping/mapping.h"

namespace fb::mapping {

void compile_error(const Origin& at, std::size_t offset, const std::string& message) {
    throw CompileError(at.file ? *at.file : std::string("<mapping>"), at.line,
                       at.column + int(offset), message);
}

const char* type_name(Type t) {
    switch (t) {
        case Type::boolean:
            return "a boolean";
        case Type::number:
            return "a number";
        case Type::string:
            return "a string";
        case Type::list:
            return "a list";
        default:
            return "any value";
    }
}

namespace {

thread_local const std::vector<std::string>* variable_names = nullptr;
thread_local const std::vector<std::string>* declared_prefixes = nullptr;

bool name_char(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }

// Walking a path recurses once per `[*]` or filter, and evaluates each filter inside that.
int path_depth(const Path& p) {
    int multi = 0, filter = 0;
    for (const auto& s : p.steps) {
        if (s.kind == PathStep::Kind::wildcard || s.kind == PathStep::Kind::filter) ++multi;
        if (s.filter) filter = std::max(filter, s.filter->depth);
    }
    return 1 + multi + filter;
}

class Parser {
  public:
    Parser(std::string_view text, const Origin& at) : t_(text), at_(at) {}

    ExprPtr whole() {
        auto e = parse_or();
        skip();
        if (p_ < t_.size()) fail("unexpected `" + std::string(t_.substr(p_, 1)) + "`");
        return e;
    }

    std::unique_ptr<Path> whole_path() {
        skip();
        auto path = parse_path_here();
        skip();
        if (p_ < t_.size()) fail("unexpected `" + std::string(t_.substr(p_, 1)) + "` in a path");
        return path;
    }

  private:
    std::string_view t_;
    Origin at_;
    std::size_t p_ = 0;
    int nesting_ = 0;  // parse_or(), `not` and unary `-` calls open now

    [[noreturn]] void fail(const std::string& message) { fail_at(p_, message); }
    [[noreturn]] void fail_at(std::size_t offset, const std::string& message) {
        compile_error(at_, offset, message + " in `" + quoted_text() + "`");
    }
    // A generated expression can be megabytes; the error names its start, and line:col the spot.
    std::string quoted_text() const {
        if (t_.size() <= 400) return std::string(t_);
        std::size_t cut = 200;
        while (cut > 0 && (static_cast<unsigned char>(t_[cut]) & 0xC0) == 0x80) --cut;
        return std::string(t_.substr(0, cut)) + "…";
    }

    [[noreturn]] void too_deep() {
        fail("the expression nests more than " + std::to_string(max_expression_depth) +
             " levels deep (parentheses, calls, filters, `not`/`-` or operators in a row); split "
             "it into parts under `let:`");
    }
    // Parsing recurses once per parenthesis, call, filter, `not` or `-`: bounded, so that
    // 10 000 `(` fail to compile instead of overflowing the stack.
    struct Deeper {
        Parser& p;
        explicit Deeper(Parser& parser) : p(parser) {
            if (++p.nesting_ > max_expression_depth) p.too_deep();
        }
        ~Deeper() { --p.nesting_; }
    };
    // Every child goes through here, so the tree's depth (what evaluating recurses on) is bounded
    // too: `1 + 1 + …` parses in a loop but makes a tree as deep as it is long.
    void adopt(Expr& parent, ExprPtr child) {
        parent.depth = std::max(parent.depth, child->depth + 1);
        if (parent.depth > max_expression_depth) too_deep();
        parent.args.push_back(std::move(child));
    }

    void check_prefix(const std::string& prefix, std::size_t at, const std::string& written) {
        if (!declared_prefixes || prefix == "xml" || prefix == "xmlns") return;
        const auto& known = *declared_prefixes;
        if (std::find(known.begin(), known.end(), prefix) != known.end()) return;
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "`" : ", `") + k + "`";
        std::vector<std::string_view> names(known.begin(), known.end());
        fail_at(at, "namespace prefix `" + prefix + "` is not declared under `namespaces:` (" +
                        list + ")" + did_you_mean(prefix, names) +
                        "; to read an element by the name a sender wrote, use $[\"" + written +
                        "\"]");
    }

    void skip() {
        while (p_ < t_.size() && std::isspace(static_cast<unsigned char>(t_[p_]))) ++p_;
    }
    bool eat(std::string_view s) {
        skip();
        if (t_.substr(p_, s.size()) != s) return false;
        p_ += s.size();
        return true;
    }
    // A keyword such as `and`, not the start of a longer name.
    bool eat_word(std::string_view w) {
        skip();
        if (t_.substr(p_, w.size()) != w) return false;
        if (p_ + w.size() < t_.size() && name_char(t_[p_ + w.size()])) return false;
        p_ += w.size();
        return true;
    }
    void expect(std::string_view s, const char* what) {
        if (!eat(s)) fail(std::string("expected ") + what);
    }

    ExprPtr node(Expr::Op op, std::size_t at) {
        auto e = std::make_unique<Expr>();
        e->op = op;
        e->offset = at;
        return e;
    }
    ExprPtr binary(Expr::Op op, ExprPtr a, ExprPtr b, Type type) {
        auto e = node(op, a->offset);
        e->type = type;
        adopt(*e, std::move(a));
        adopt(*e, std::move(b));
        return e;
    }

    ExprPtr parse_or() {
        Deeper guard(*this);
        auto e = parse_and();
        while (eat_word("or") || eat("||"))
            e = binary(Expr::Op::or_, std::move(e), parse_and(), Type::boolean);
        return e;
    }
    ExprPtr parse_and() {
        auto e = parse_not();
        while (eat_word("and") || eat("&&"))
            e = binary(Expr::Op::and_, std::move(e), parse_not(), Type::boolean);
        return e;
    }
    ExprPtr parse_not() {
        skip();
        std::size_t at = p_;
        if (eat_word("not") || (t_.substr(p_, 1) == "!" && t_.substr(p_, 2) != "!=" && eat("!"))) {
            Deeper guard(*this);
            auto e = node(Expr::Op::not_, at);
            e->type = Type::boolean;
            adopt(*e, parse_not());
            return e;
        }
        return parse_compare();
    }
    ExprPtr parse_compare() {
        auto e = parse_sum();
        static const std::pair<std::string_view, Expr::Op> ops[] = {
            {"==", Expr::Op::eq}, {"!=", Expr::Op::ne}, {"<=", Expr::Op::le},
            {">=", Expr::Op::ge}, {"<", Expr::Op::lt},  {">", Expr::Op::gt}};
        for (auto [s, op] : ops)
            if (eat(s)) return binary(op, std::move(e), parse_sum(), Type::boolean);
        if (t_.substr(p_, 1) == "=") fail("`=` compares nothing: write `==`");
        if (eat_word("in")) return in(std::move(e));
        std::size_t save = p_;
        if (eat_word("not")) {
            if (eat_word("in")) {
                auto n = node(Expr::Op::not_, e->offset);
                n->type = Type::boolean;
                adopt(*n, in(std::move(e)));
                return n;
            }
            p_ = save;
        }
        return e;
    }
    ExprPtr in(ExprPtr e) {
        skip();
        std::size_t at = p_;
        auto set = parse_sum();
        if (set->type != Type::any && set->type != Type::list && set->type != Type::string)
            fail_at(at, "`in` needs a list or a string on its right, not " +
                            std::string(type_name(set->type)));
        return binary(Expr::Op::in, std::move(e), std::move(set), Type::boolean);
    }
    ExprPtr parse_sum() {
        auto e = parse_product();
        for (;;) {
            skip();
            if (eat("+")) {
                auto r = parse_product();
                Type t = e->type == Type::number && r->type == Type::number   ? Type::number
                         : e->type == Type::string && r->type == Type::string ? Type::string
                                                                              : Type::any;
                e = binary(Expr::Op::add, std::move(e), std::move(r), t);
            } else if (eat("-")) {
                e = arithmetic(Expr::Op::sub, std::move(e), parse_product());
            } else {
                return e;
            }
        }
    }
    ExprPtr parse_product() {
        auto e = parse_unary();
        for (;;) {
            if (eat("*"))
                e = arithmetic(Expr::Op::mul, std::move(e), parse_unary());
            else if (eat("/"))
                e = arithmetic(Expr::Op::div, std::move(e), parse_unary());
            else if (eat("%"))
                e = arithmetic(Expr::Op::mod, std::move(e), parse_unary());
            else
                return e;
        }
    }
    ExprPtr arithmetic(Expr::Op op, ExprPtr a, ExprPtr b) {
        for (const auto* x : {a.get(), b.get()})
            if (x->type == Type::boolean || x->type == Type::list || x->type == Type::string)
                fail_at(x->offset,
                        std::string("arithmetic needs numbers, not ") + type_name(x->type));
        return binary(op, std::move(a), std::move(b), Type::number);
    }
    ExprPtr parse_unary() {
        skip();
        std::size_t at = p_;
        if (p_ < t_.size() && t_[p_] == '-' &&
            !(p_ + 1 < t_.size() && std::isdigit(static_cast<unsigned char>(t_[p_ + 1])))) {
            ++p_;
            Deeper guard(*this);
            auto e = node(Expr::Op::neg, at);
            e->type = Type::number;
            adopt(*e, parse_unary());
            return e;
        }
        return parse_primary();
    }

    ExprPtr parse_primary() {
        skip();
        std::size_t at = p_;
        if (p_ >= t_.size()) fail("the expression ends too early");
        char c = t_[p_];
        if (c == '(') {
            ++p_;
            auto e = parse_or();
            expect(")", "`)`");
            return e;
        }
        if (c == '[') {
            ++p_;
            auto e = node(Expr::Op::list, at);
            e->type = Type::list;
            if (!eat("]")) {
                do adopt(*e, parse_or());
                while (eat(","));
                expect("]", "`,` or `]`");
            }
            return e;
        }
        if (c == '"' || c == '\'') return string_literal();
        if (std::isdigit(static_cast<unsigned char>(c)) || c == '-') return number_literal();
        if (c == '$' || c == '@') {
            auto e = node(Expr::Op::path, at);
            e->path = parse_path_here();
            e->depth = path_depth(*e->path);
            return e;
        }
        if (name_char(c)) {
            std::size_t start = p_;
            while (p_ < t_.size() && name_char(t_[p_])) ++p_;
            std::string_view name = t_.substr(start, p_ - start);
            if (name == "true" || name == "false") {
                auto e = node(Expr::Op::literal, at);
                e->literal = Val::of_bool(name == "true");
                e->type = Type::boolean;
                return e;
            }
            if (name == "null") {
                auto e = node(Expr::Op::literal, at);
                e->literal = Val::null();
                return e;
            }
            skip();
            if (p_ < t_.size() && t_[p_] == '(') return call(name, start);
            fail_at(start, "unknown name `" + std::string(name) +
                               "` (a path starts with `$.`: did you mean `$." + std::string(name) +
                               "`?)");
        }
        fail("unexpected `" + std::string(t_.substr(p_, 1)) + "`");
    }

    ExprPtr call(std::string_view name, std::size_t at) {
        const Function* fn = find_function(name);
        if (!fn) {
            std::vector<std::string_view> names;
            for (const auto& f : functions()) names.push_back(f.name);
            fail_at(at, "unknown function `" + std::string(name) + "`" + did_you_mean(name, names));
        }
        ++p_;  // (
        auto e = node(Expr::Op::call, at);
        e->fn = fn;
        e->type = fn->result;
        if (!eat(")")) {
            do adopt(*e, parse_or());
            while (eat(","));
            expect(")", "`,` or `)`");
        }
        int n = int(e->args.size());
        if (n < fn->min_args || (fn->max_args >= 0 && n > fn->max_args)) {
            std::string want = fn->min_args == fn->max_args ? std::to_string(fn->min_args)
                               : fn->max_args < 0 ? "at least " + std::to_string(fn->min_args)
                                                  : std::to_string(fn->min_args) + " to " +
                                                        std::to_string(fn->max_args);
            fail_at(at, std::string(name) + "() takes " + want + " argument" +
                            (want == "1" ? "" : "s") + ", not " + std::to_string(n));
        }
        if (fn->prepare) {
            std::size_t bad = 0;
            std::string error = fn->prepare(*e, bad);
            if (!error.empty())
                fail_at(bad < e->args.size() ? e->args[bad]->offset : at, error);
        }
        for (int i = 0; i < n && !fn->params.empty(); ++i) {
            Type want = fn->params[std::min<std::size_t>(i, fn->params.size() - 1)];
            Type got = e->args[i]->type;
            if (want == Type::any || got == Type::any || want == got) continue;
            fail_at(e->args[i]->offset, std::string(name) + "() takes " + type_name(want) +
                                            " as argument " + std::to_string(i + 1) + ", not " +
                                            type_name(got));
        }
        return e;
    }

    ExprPtr string_literal() {
        std::size_t at = p_;
        char quote = t_[p_++];
        auto e = node(Expr::Op::literal, at);
        e->type = Type::string;
        while (p_ < t_.size() && t_[p_] != quote) {
            if (t_[p_] == '\\' && p_ + 1 < t_.size()) {
                char n = t_[++p_];
                e->literal_text += n == 'n' ? '\n' : n == 't' ? '\t' : n == 'r' ? '\r' : n;
            } else {
                e->literal_text += t_[p_];
            }
            ++p_;
        }
        if (p_ >= t_.size()) fail_at(at, "unclosed string");
        ++p_;
        e->literal = Val::of_string(e->literal_text);
        return e;
    }

    ExprPtr number_literal() {
        std::size_t at = p_;
        if (t_[p_] == '-') ++p_;
        while (p_ < t_.size() && (std::isdigit(static_cast<unsigned char>(t_[p_])) ||
                                  t_[p_] == '.' || t_[p_] == 'e' || t_[p_] == 'E'))
            ++p_;
        auto e = node(Expr::Op::literal, at);
        e->type = Type::number;
        Val text = Val::of_string(t_.substr(at, p_ - at));
        if (!to_number(text, e->literal))
            fail_at(at, "malformed number `" + std::string(text.s) + "`");
        return e;
    }

    std::unique_ptr<Path> parse_path_here() {
        std::size_t start = p_;
        auto path = std::make_unique<Path>();
        if (t_.substr(p_, 2) == "$$") {
            path->root = Path::Root::document;
            p_ += 2;
        } else if (p_ + 1 < t_.size() && t_[p_] == '$' && name_char(t_[p_ + 1])) {
            std::size_t s = ++p_;
            while (p_ < t_.size() && name_char(t_[p_])) ++p_;
            std::string name(t_.substr(s, p_ - s));
            std::vector<std::string_view> known;
            if (variable_names) known.assign(variable_names->begin(), variable_names->end());
            auto it = std::find(known.begin(), known.end(), name);
            if (it == known.end() && name == "input") {
                path->root = Path::Root::input;  // the whole input, before `documents:`
            } else if (it == known.end()) {
                fail_at(start, "unknown variable `$" + name + "` (name it under `let:`)" +
                                   did_you_mean(name, known));
            } else {
                path->root = Path::Root::variable;
                path->variable = std::size_t(it - known.begin());
            }
        } else if (p_ < t_.size() && t_[p_] == '$') {
            path->root = Path::Root::current;
            ++p_;
        } else if (p_ < t_.size() && t_[p_] == '@') {
            path->root = Path::Root::element;
            ++p_;
        } else {
            fail("a path starts with `$`, `$$` or `@`");
        }
        for (;;) {
            if (p_ < t_.size() && t_[p_] == '.') {
                ++p_;
                PathStep step;
                if (t_.substr(p_, 2) == "*:") {
                    p_ += 2;
                    std::size_t s = p_;
                    if (p_ < t_.size() && t_[p_] == '@') ++p_;
                    while (p_ < t_.size() && (name_char(t_[p_]) || t_[p_] == '-')) ++p_;
                    if (p_ == s) fail("expected a local name after `*:`, such as `$.*:Order`");
                    step.kind = PathStep::Kind::local;
                    step.key = std::string(t_.substr(s, p_ - s));
                } else if (p_ < t_.size() && t_[p_] == '*') {
                    ++p_;
                    step.kind = PathStep::Kind::wildcard;
                    path->multi = true;
                } else {
                    std::size_t s = p_;
                    if (p_ < t_.size() && (t_[p_] == '@' || t_[p_] == '#')) ++p_;
                    std::size_t name = p_;
                    while (p_ < t_.size() && name_char(t_[p_])) ++p_;
                    if (p_ == s) fail("expected a field name after `.`");
                    // `.cac:DespatchLine`: a prefixed XML name (a `namespaces:` prefix, or as
                    // written when the mapping declares none).
                    if (p_ + 1 < t_.size() && t_[p_] == ':' && name_char(t_[p_ + 1]) &&
                        p_ > name) {
                        std::string prefix(t_.substr(name, p_ - name));
                        ++p_;
                        while (p_ < t_.size() && name_char(t_[p_])) ++p_;
                        check_prefix(prefix, name, std::string(t_.substr(s, p_ - s)));
                    }
                    step.key = std::string(t_.substr(s, p_ - s));
                }
                path->steps.push_back(std::move(step));
            } else if (p_ < t_.size() && t_[p_] == '[') {
                ++p_;
                skip();
                PathStep step;
                if (eat("*")) {
                    step.kind = PathStep::Kind::wildcard;
                    path->multi = true;
                } else if (eat("?")) {
                    step.kind = PathStep::Kind::filter;
                    step.filter = parse_or();
                    path->multi = true;
                } else if (p_ < t_.size() && (t_[p_] == '"' || t_[p_] == '\'')) {
                    auto lit = string_literal();
                    step.key = lit->literal_text;
                } else if (p_ < t_.size() &&
                           (std::isdigit(static_cast<unsigned char>(t_[p_])) || t_[p_] == '-')) {
                    std::size_t s = p_;
                    if (t_[p_] == '-') ++p_;
                    std::size_t digits = p_;
                    while (p_ < t_.size() && std::isdigit(static_cast<unsigned char>(t_[p_]))) ++p_;
                    // Found by fuzzing: `[-]` and `[99999999999999999999]` made stoll throw.
                    if (p_ == digits) fail_at(s, "expected digits after `-` in an index");
                    if (p_ - digits > 9) fail_at(s, "an index of more than 9 digits");
                    step.kind = PathStep::Kind::index;
                    step.index = std::stoll(std::string(t_.substr(s, p_ - s)));
                } else {
                    fail("expected an index, `*`, a quoted name or `?` filter after `[`");
                }
                expect("]", "`]`");
                path->steps.push_back(std::move(step));
            } else {
                break;
            }
        }
        path->text = std::string(t_.substr(start, p_ - start));
        if (path_depth(*path) > max_expression_depth) too_deep();
        return path;
    }
};

}  // namespace

VariableScope::VariableScope(const std::vector<std::string>* names) : saved(variable_names) {
    variable_names = names;
}
VariableScope::~VariableScope() { variable_names = saved; }

PrefixScope::PrefixScope(const std::vector<std::string>* prefixes) : saved(declared_prefixes) {
    declared_prefixes = prefixes;
}
PrefixScope::~PrefixScope() { declared_prefixes = saved; }

ExprPtr parse_expression(std::string_view text, const Origin& at) {
    auto e = Parser(text, at).whole();
    e->source = std::string(text);
    return e;
}

std::unique_ptr<Path> parse_path(std::string_view text, const Origin& at) {
    return Parser(text, at).whole_path();
}

}  // namespace fb::mapping
