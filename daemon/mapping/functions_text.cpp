// Text functions beyond the basic ones: regular expressions (RE2, compiled once when the mapping
// compiles, linear time, bounded input), HTML tag stripping and entity decoding, index_of.
#include "mapping/functions_text.h"
#include "support/base64.h"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace fb::mapping {

namespace {

constexpr std::size_t max_pattern = 1000;    // bytes of a pattern as written
constexpr std::size_t max_text = 64 * 1024;  // bytes of a text a pattern runs on

std::size_t utf8_length(std::string_view s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

// The text argument: a single value (a path's lone match stands for itself); absent → missing.
bool text_of(const Expr& e, std::size_t i, EvalContext& ctx, std::string_view& out) {
    Val v = evaluate(*e.args[i], ctx);
    if (v.kind == Val::Kind::list && v.list->size() <= 1)
        v = v.list->empty() ? Val{} : v.list->front();
    if (v.missing() || v.kind == Val::Kind::null) return false;
    if (v.kind == Val::Kind::string) {
        out = v.s;
        return true;
    }
    auto& s = ctx.scratch_string();
    if (!to_text(v, s)) {
        EvalError err{"a string as argument " + std::to_string(i + 1) + " of " +
                          std::string(e.fn->name) + "()",
                      describe(v), ""};
        if (v.kind == Val::Kind::list)
            err.expected += " (for a list use map(list, " + std::string(e.fn->name) +
                            "(@, …)) or join(list, \",\") first)";
        if (e.args[i]->op == Expr::Op::path) err.path = e.args[i]->path->text;
        throw err;
    }
    out = s;
    return true;
}

void check_length(const Expr& e, std::string_view text) {
    if (text.size() > max_text)
        throw EvalError{"a text of at most " + std::to_string(max_text) + " bytes for " +
                            std::string(e.fn->name) + "()",
                        "a text of " + std::to_string(text.size()) + " bytes", ""};
}

re2::StringPiece piece(std::string_view s) { return re2::StringPiece(s.data(), s.size()); }

// Bytes of the UTF-8 character at `p` (1 for a byte that starts none, as RE2 steps).
std::size_t char_length(std::string_view s, std::size_t p) {
    auto c = static_cast<unsigned char>(s[p]);
    std::size_t n = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF8 ? 4 : 1;
    if (p + n > s.size()) return 1;
    for (std::size_t i = 1; i < n; ++i)
        if ((static_cast<unsigned char>(s[p + i]) & 0xC0) != 0x80) return 1;
    return n;
}

// RE2::GlobalReplace's loop, checking the result as it grows: GlobalReplace would build the whole
// result first, and a document's long rewrite on every match makes gigabytes.
void replace_all(const Expr& e, std::string_view s, std::string_view rewrite, std::string& out) {
    const RE2& re = *e.regex;
    int nvec = 1 + RE2::MaxSubmatch(piece(rewrite));
    if (nvec > 1 + re.NumberOfCapturingGroups() || nvec > 10) {  // GlobalReplace replaces nothing
        out.assign(s);
        return;
    }
    re2::StringPiece vec[10];
    std::size_t given = utf8_length(s), made = 0, counted = 0, p = 0;
    const char* last_end = nullptr;
    while (p <= s.size() && re.Match(piece(s), p, s.size(), RE2::UNANCHORED, vec, nvec)) {
        std::size_t at = std::size_t(vec[0].data() - s.data());
        out.append(s.substr(p, at - p));
        if (vec[0].data() == last_end && vec[0].empty()) {
            // An empty match just where the last one ended: step over one character.
            std::size_t n = p < s.size() ? char_length(s, p) : 1;
            out.append(s.substr(std::min(p, s.size()), n));
            p += n;
        } else {
            re.Rewrite(&out, piece(rewrite), vec, nvec);
            p = at + vec[0].size();
            last_end = s.data() + p;
        }
        made += utf8_length(std::string_view(out).substr(counted));
        counted = out.size();
        check_made_length(e, made, given);
    }
    if (p < s.size()) out.append(s.substr(p));
}

}  // namespace

void check_made_length(const Expr& e, std::size_t made, std::size_t given) {
    std::size_t limit = std::max(max_made_text, given);
    if (made <= limit) return;
    throw EvalError{"a result of at most " + std::to_string(limit) + " characters from " +
                        std::string(e.fn->name) + "()",
                    "one of more than " + std::to_string(limit), ""};
}

bool text_argument(const Expr& e, std::size_t i, EvalContext& ctx, std::string_view& out) {
    return text_of(e, i, ctx, out);
}

Val call_matches(const Expr& e, EvalContext& ctx) {
    std::string_view s;
    if (!text_of(e, 0, ctx, s)) return Val::of_bool(false);
    check_length(e, s);
    return Val::of_bool(RE2::PartialMatch(piece(s), *e.regex));
}

Val call_capture(const Expr& e, EvalContext& ctx) {
    std::string_view s;
    if (!text_of(e, 0, ctx, s)) return Val{};
    check_length(e, s);
    const RE2& re = *e.regex;
    std::int64_t group = re.NumberOfCapturingGroups() > 0 ? 1 : 0;
    if (e.args.size() > 2) {
        Val g = evaluate(*e.args[2], ctx), n;
        if (!to_number(g, n) || n.kind != Val::Kind::integer || n.i < 0 ||
            n.i > re.NumberOfCapturingGroups())
            throw EvalError{"a group number from 0 to " +
                                std::to_string(re.NumberOfCapturingGroups()) + " for capture()",
                            describe(g), ""};
        group = n.i;
    }
    std::vector<re2::StringPiece> groups(std::size_t(group) + 1);
    if (!re.Match(piece(s), 0, s.size(), RE2::UNANCHORED, groups.data(), int(groups.size())))
        return Val{};
    const auto& m = groups[std::size_t(group)];
    if (m.data() == nullptr) return Val{};
    return Val::of_string(std::string_view(m.data(), m.size()));
}

Val call_replace_re(const Expr& e, EvalContext& ctx) {
    std::string_view s, to;
    if (!text_of(e, 0, ctx, s)) return Val{};
    check_length(e, s);
    if (!text_of(e, 2, ctx, to)) to = {};
    auto& out = ctx.scratch_string();
    replace_all(e, s, to, out);
    return Val::of_string(out);
}

namespace {

// &amp; &#39; &#x4E2D; … → the character; an unknown entity stays as written.
void append_entity(std::string_view name, std::string& out) {
    static const std::pair<std::string_view, std::string_view> named[] = {
        {"amp", "&"},       {"lt", "<"},        {"gt", ">"},       {"quot", "\""},
        {"apos", "'"},      {"nbsp", "\u00a0"}, {"copy", "\u00a9"}, {"reg", "\u00ae"},
        {"mdash", "\u2014"}, {"ndash", "\u2013"}, {"hellip", "\u2026"}, {"yen", "\u00a5"}};
    if (!name.empty() && name[0] == '#') {
        bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
        std::string digits(name.substr(hex ? 2 : 1));
        char* end = nullptr;
        unsigned long cp = digits.empty() ? 0 : std::strtoul(digits.c_str(), &end, hex ? 16 : 10);
        if (digits.empty() || *end != '\0' || cp == 0 || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
            out.append("&").append(name).append(";");
            return;
        }
        if (cp < 0x80) {
            out += char(cp);
        } else if (cp < 0x800) {
            out += char(0xC0 | (cp >> 6));
            out += char(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += char(0xE0 | (cp >> 12));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        } else {
            out += char(0xF0 | (cp >> 18));
            out += char(0x80 | ((cp >> 12) & 0x3F));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        }
        return;
    }
    for (const auto& [n, text] : named)
        if (n == name) {
            out.append(text);
            return;
        }
    out.append("&").append(name).append(";");
}

void decode_into(std::string_view s, std::string& out) {
    for (std::size_t p = 0; p < s.size();) {
        if (s[p] == '&') {
            // An entity is at most 9 characters: looking no further keeps "&&&…" linear.
            auto semi = s.substr(p + 1, 10).find(';');
            if (semi != std::string_view::npos) {
                append_entity(s.substr(p + 1, semi), out);
                p += semi + 2;
                continue;
            }
        }
        out += s[p++];
    }
}

}  // namespace

Val call_decode_entities(const Expr& e, EvalContext& ctx) {
    std::string_view s;
    if (!text_of(e, 0, ctx, s)) return Val{};
    auto& out = ctx.scratch_string();
    decode_into(s, out);
    return Val::of_string(out);
}

namespace {

bool ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// One past the '>' that closes the tag at `p`, or npos. A quoted attribute value may hold a '>'
// (`<a title="1>2">`), so quotes after `=` are skipped whole.
std::size_t tag_end(std::string_view s, std::size_t p) {
    for (std::size_t q = p + 1; q < s.size(); ++q) {
        if (s[q] == '>') return q + 1;
        if (s[q] != '=') continue;
        std::size_t v = q + 1;
        while (v < s.size() && std::isspace(static_cast<unsigned char>(s[v]))) ++v;
        if (v < s.size() && (s[v] == '"' || s[v] == '\'')) {
            q = s.find(s[v], v + 1);
            if (q == std::string_view::npos) return q;
        } else {
            q = v - 1;
        }
    }
    return std::string_view::npos;
}

// Where `</tag` starts at or after `from`, in any case (`</SCRIPT>`), or npos.
std::size_t closing_tag(std::string_view s, std::size_t from, std::string_view tag) {
    for (auto q = s.find("</", from); q != std::string_view::npos; q = s.find("</", q + 2)) {
        auto name = s.substr(q + 2, tag.size());
        if (name.size() == tag.size() &&
            std::equal(name.begin(), name.end(), tag.begin(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) == b;
            }))
            return q;
    }
    return std::string_view::npos;
}

// The markup gone from `s`: a tag becomes a space, a comment nothing, <script> and <style> go with
// their contents. A '<' that starts no tag (not a letter, '/', '!' or '?' after it) is text:
// "Qty < 5". What is left unclosed at the end is dropped.
void strip_tags(std::string_view s, std::string& text) {
    for (std::size_t p = 0; p < s.size();) {
        char next = p + 1 < s.size() ? s[p + 1] : '\0';
        if (s[p] != '<' || !(ascii_letter(next) || next == '/' || next == '!' || next == '?')) {
            text += s[p++];
            continue;
        }
        if (s.substr(p, 4) == "<!--") {  // `<!-->` and `<!--->` are empty comments too
            auto close = s.find("-->", p + 2);
            if (close == std::string_view::npos) return;
            p = close + 3;
            continue;
        }
        auto end = tag_end(s, p);
        if (end == std::string_view::npos) return;
        std::string tag;
        for (std::size_t q = p + 1; q < end && std::isalnum(static_cast<unsigned char>(s[q])); ++q)
            tag += char(std::tolower(static_cast<unsigned char>(s[q])));
        p = end;
        if (tag == "script" || tag == "style") {
            p = closing_tag(s, p, tag);
            if (p == std::string_view::npos) return;
            continue;
        }
        text += ' ';
    }
}

// Runs of spaces become one, and none at the ends. &nbsp; (U+00A0) is layout, not content: in
// plain text it is a space like any other.
void collapse_spaces(std::string_view s, std::string& out) {
    bool space = true;  // also trims the start
    for (std::size_t i = 0; i < s.size(); ++i) {
        bool nbsp = s.substr(i, 2) == "\u00a0";
        if (nbsp || s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
            if (!space) out += ' ';
            space = true;
            i += nbsp;
        } else {
            out += s[i];
            space = false;
        }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
}

}  // namespace

// Tags go, entities are decoded (&nbsp; to a space), and runs of spaces become one; one pass
// each, so the time is linear in the text.
Val call_strip_html(const Expr& e, EvalContext& ctx) {
    std::string_view s;
    if (!text_of(e, 0, ctx, s)) return Val{};
    std::string text, decoded;
    strip_tags(s, text);
    decode_into(text, decoded);
    auto& out = ctx.scratch_string();
    collapse_spaces(decoded, out);
    return Val::of_string(out);
}

Val call_index_of(const Expr& e, EvalContext& ctx) {
    std::string_view s, part;
    if (!text_of(e, 0, ctx, s)) return Val::of_int(-1);
    if (!text_of(e, 1, ctx, part)) part = {};
    auto at = s.find(part);
    if (at == std::string_view::npos) return Val::of_int(-1);
    return Val::of_int(std::int64_t(utf8_length(s.substr(0, at))));
}

std::string prepare_regex(Expr& e, std::size_t& bad) {
    bad = 1;
    const Expr& pattern = *e.args[1];
    std::string name(e.fn->name);
    if (pattern.op != Expr::Op::literal || pattern.literal.kind != Val::Kind::string)
        return "the pattern of " + name +
               "() must be a constant string such as \"^[A-Z]{2}[0-9]+$\" (it is compiled "
               "once, with the mapping)";
    if (pattern.literal_text.size() > max_pattern)
        return "a pattern has at most " + std::to_string(max_pattern) + " bytes";
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(1 << 20);
    auto re = std::make_shared<const RE2>(pattern.literal_text, options);
    if (!re->ok()) return "bad regular expression: " + re->error();
    if (name == "replace_re" && e.args[2]->op == Expr::Op::literal &&
        e.args[2]->literal.kind == Val::Kind::string) {
        std::string why;
        if (!re->CheckRewriteString(e.args[2]->literal_text, &why)) {
            bad = 2;
            return "bad replacement: " + why + " (\\\\1 is the first group)";
        }
    }
    e.regex = std::move(re);
    return "";
}

}  // namespace fb::mapping

namespace fb::mapping {

// url_encode(text): RFC 3986 percent-encoding of everything but the unreserved characters, so a
// JSON filter (ERPNext `filters=[["modified",">=","…"]]`), an OData `$filter` or a name with a
// space (`Delivery Note`) can go into a URL's query or path.
Val call_url_encode(const Expr& e, EvalContext& ctx) {
    std::string_view s;
    if (!text_of(e, 0, ctx, s)) return Val{};
    check_length(e, s);
    auto& out = ctx.scratch_string();
    out = boost::urls::encode(s, boost::urls::unreserved_chars);
    return Val::of_string(out);
}

// base64(text): standard base64 with padding (RFC 4648 §4) of the text's UTF-8 bytes, for
// headers such as Tryton's `Authorization: Session base64(login:user_id:session)`.
Val call_base64(const Expr& e, EvalContext& ctx) {
    std::string_view s;
    if (!text_of(e, 0, ctx, s)) return Val{};
    check_length(e, s);
    auto& out = ctx.scratch_string();
    support::base64_into(out, s);
    return Val::of_string(out);
}

}  // namespace fb::mapping
