// Compiling a mapping file's top level: name, key, version, input, documents, columns, group_by,
// when, cancelled, lookups, and the work_order (or writeback request) tree.
#include <algorithm>
#include <cctype>

#include "mapping/compiler.h"
#include "support/yaml_reason.h"

namespace fb::mapping {

namespace {

const std::vector<std::string_view> top_keys = {
    "name",     "description", "key",  "version",   "input",   "documents",  "columns",
    "group_by", "let",         "when", "cancelled", "reopen",  "lookups",     "work_order", "request",
    "success",  "empty",       "classify", "namespaces", "max_documents"};

const json::object& request_schema() {
    static const json::object schema = [] {
        json::object s;
        s["type"] = "object";
        s["additionalProperties"] = false;
        s["required"] = json::array{"method", "url"};
        json::object props;
        props["method"] =
            json::object{{"enum", json::array{"GET", "POST", "PUT", "PATCH", "MERGE", "DELETE"}}};
        props["url"] = json::object{{"type", "string"}};
        props["headers"] = json::object{{"type", "object"},
                                        {"additionalProperties", json::object{{"type", "string"}}}};
        props["body"] = json::object{};
        s["properties"] = std::move(props);
        return s;
    }();
    return schema;
}

void compile_input(Compiler& c, const YAML::Node& n, InputOptions& input) {
    if (!n.IsMap())
        c.fail(n, "`input` takes a map: { format: csv, charset: GBK, delimiter: \",\" }");
    for (const auto& kv : n) {
        std::string k = kv.first.Scalar();
        std::string v = c.scalar(kv.second, "an input option");
        if (k == "format") {
            static const std::vector<std::string_view> formats = {"json", "ndjson", "xml", "csv"};
            if (std::find(formats.begin(), formats.end(), v) == formats.end())
                c.fail(kv.second, "`format` is json, ndjson, xml or csv, not `" + v + "`" +
                                      did_you_mean(v, formats));
            input.format = v;
        } else if (k == "charset") {
            input.charset = v;
        } else if (k == "delimiter") {
            if (v.size() != 1) c.fail(kv.second, "`delimiter` is one character");
            input.delimiter = v[0];
        } else {
            c.fail(kv.first, "unknown key `" + k + "` in input" +
                                 did_you_mean(k, {"format", "charset", "delimiter"}));
        }
    }
}

// `namespaces: { cac: "urn:…" }`: the mapping's own prefixes for namespace URIs.
void compile_namespaces(Compiler& c, const YAML::Node& n, Plan& plan) {
    if (!n.IsMap() || n.size() == 0)
        c.fail(n, "`namespaces` takes a map of prefix → namespace URI: { cbc: \"urn:oasis:names:"
                  "specification:ubl:schema:xsd:CommonBasicComponents-2\" }");
    for (const auto& kv : n) {
        std::string prefix = c.scalar(kv.first, "a namespace prefix");
        bool name = !prefix.empty() && !std::isdigit(static_cast<unsigned char>(prefix[0])) &&
                    std::all_of(prefix.begin(), prefix.end(), [](unsigned char ch) {
                        return std::isalnum(ch) || ch == '_' || ch >= 0x80;
                    });
        if (!name)
            c.fail(kv.first, "a namespace prefix is letters, digits and _ (no `:`, `@`, `-` or "
                             "`.`), not `" + prefix + "`");
        std::string lower = prefix;
        for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (lower.starts_with("xml"))
            c.fail(kv.first, "prefixes starting with `xml` are reserved by XML (`xml:lang` is "
                             "always the XML namespace, `xmlns` declares); choose another");
        if (!kv.second.IsScalar())
            c.fail(kv.second, "namespace `" + prefix + "` takes a URI (a quoted string)");
        std::string uri = kv.second.Scalar();
        if (uri.empty())
            c.fail(kv.second, "namespace `" + prefix + "` has an empty URI (elements in no "
                              "namespace are read by their plain name)");
        for (const auto& other : plan.namespaces) {
            if (other.prefix == prefix) c.fail(kv.first, "prefix `" + prefix + "` is declared twice");
            if (other.uri == uri)
                c.fail(kv.second, "namespace `" + uri + "` is already declared as `" +
                                      other.prefix + "` (one prefix per URI)");
        }
        plan.namespaces.push_back({prefix, uri});
        plan.namespace_prefixes.push_back(prefix);
    }
}

// yaml-cpp reads `{ each: $.Lines[*] }` as a flow map holding a list and says "end of map flow
// not found" somewhere after it. The cause is nearly always an unquoted path with brackets:
// point at that path's start, near the error, and say what to write.
void bracket_path_error(const std::string& text, const YAML::Exception& e, const std::string& file) {
    std::vector<std::string_view> lines;
    for (std::size_t p = 0; p <= text.size();) {
        auto nl = text.find('\n', p);
        if (nl == std::string::npos) nl = text.size();
        lines.emplace_back(std::string_view(text).substr(p, nl - p));
        p = nl + 1;
    }
    int from = std::min<int>(e.mark.line, int(lines.size()) - 1);
    for (int l = from; l >= 0 && l >= from - 20; --l) {
        std::string_view line = lines[std::size_t(l)];
        char quote = 0;
        for (std::size_t c = 0; c < line.size(); ++c) {
            char ch = line[c];
            if (quote) {
                if (ch == quote) quote = 0;
                continue;
            }
            if (ch == '"' || ch == '\'') quote = ch;
            if (ch == '#' && (c == 0 || line[c - 1] == ' ')) break;  // a comment
            if (ch != '$' && ch != '@') continue;
            std::size_t end = c;
            while (end < line.size() && line[end] != ',' && line[end] != '}' && line[end] != ' ' &&
                   line[end] != '[')
                ++end;
            if (end >= line.size() || line[end] != '[') continue;
            auto close = line.find(']', end);
            std::size_t stop = close == std::string_view::npos ? line.size() : close + 1;
            while (stop < line.size() && line[stop] != ',' && line[stop] != '}' && line[stop] != ' ')
                ++stop;
            std::string path(line.substr(c, stop - c));
            throw CompileError(file, l + 1, int(c) + 1,
                               "quote a path that contains brackets: inside `{ … }` YAML reads `[` "
                               "as a list, so write \"" + path + "\"");
        }
    }
}

// `version: $.X` or `version: { path: $.X, order: timestamp, … }`: the rest of the map is an
// ordinary rule (so `time:` can normalise an ERP's own format first).
void compile_version(Compiler& c, const YAML::Node& n, Plan& plan) {
    if (n.IsMap() && n["order"]) {
        const auto& o = n["order"];
        std::string name = c.scalar(o, "`order`");
        auto order = parse_version_order(name);
        if (!order)
            c.fail(o, "`order` is timestamp, integer, string, none or auto, not `" + name + "`" +
                          did_you_mean(name, {"timestamp", "integer", "string", "none", "auto"}));
        plan.version_order = *order;
    }
    c.version_rule = true;
    plan.version = c.rule(n, nullptr, "version");
    c.version_rule = false;
}

}  // namespace

std::unique_ptr<Plan> compile_plan(const std::string& yaml_text, const std::string& file_name) {
    YAML::Node root;
    try {
        root = YAML::Load(yaml_text);
    } catch (const YAML::Exception& e) {
        if (e.msg.find("flow not found") != std::string::npos) bracket_path_error(yaml_text, e, file_name);
        throw CompileError(file_name, e.mark.line + 1, e.mark.column + 1, yaml_reason(e));
    }
    Compiler c(file_name);
    if (!root.IsMap())
        throw CompileError(file_name, 1, 1,
                           "a mapping file is a YAML map (name, key, work_order, …)");
    auto plan = std::make_unique<Plan>();
    plan->file = file_name;
    for (const auto& kv : root) {
        std::string k = kv.first.Scalar();
        if (std::find(top_keys.begin(), top_keys.end(), k) == top_keys.end())
            c.fail(kv.first, "unknown key `" + k + "`" + did_you_mean(k, top_keys));
    }
    if (root["name"]) plan->name = c.scalar(root["name"], "`name`");
    if (root["input"]) compile_input(c, root["input"], plan->input);
    if (const auto& ns = root["namespaces"]) {
        // A request reads the event, the work order and a kept document already renamed by
        // the work-order mapping; an ERP's XML answer is not renamed.
        if (root["request"])
            c.fail(ns, "`namespaces` belongs to work-order mappings (a writeback's `document` "
                   "already has the work-order mapping's prefixes)");
        compile_namespaces(c, ns, *plan);
    }
    PrefixScope prefixes(plan->namespaces.empty() ? nullptr : &plan->namespace_prefixes);
    if (const auto& t = root["lookups"]) {
        if (!t.IsMap()) c.fail(t, "`lookups` takes a map of table name → { input: output, … }");
        for (const auto& kv : t) {
            if (!kv.second.IsMap())
                c.fail(kv.second, "a lookup table is a map of input value → output value");
            c.lookups[kv.first.Scalar()] = kv.second;
        }
    }
    if (root["documents"]) {
        plan->documents = c.path(root["documents"]);
        // Where the list lives ($.d.results for $.d.results[*]): an input without it is an
        // error, where an empty list is an empty page.
        const std::string& text = plan->documents->text;
        if (text.size() > 3 && text.compare(text.size() - 3, 3, "[*]") == 0)
            plan->documents_container =
                parse_path(text.substr(0, text.size() - 3), c.origin(root["documents"]));
    }
    if (const auto& n = root["max_documents"]) {
        long long v = 0;
        if (!n.IsScalar() || !YAML::convert<long long>::decode(n, v) || v < 1 || v > 10000000)
            c.fail(n, "`max_documents` is a whole number from 1 to 10000000: how many documents one input may hold");
        plan->max_documents = static_cast<std::size_t>(v);
    }
    // Checked on the whole input before `documents:`: an ERP's error answer ({errcode: 40001,
    // data: []}) is one failed result, not an empty page.
    if (root["success"]) plan->success = c.expression(root["success"]);
    if (const auto& rules = root["classify"]) {
        // The ERP's own codes (a 417 that means "stale", an error name that means "try later").
        if (!rules.IsMap() || rules.size() == 0)
            c.fail(rules, "`classify` takes a map of verdict → condition on $.response: "
                          "{ conflict: …, retry: …, permanent: …, success: … }");
        for (const auto& kv : rules) {
            auto verdict = kv.first.Scalar();
            if (verdict != "success" && verdict != "retry" && verdict != "conflict" && verdict != "permanent")
                c.fail(kv.first, "`classify` verdict `" + verdict +
                                     "` is not one of success, retry, conflict, permanent");
            plan->classify.emplace_back(verdict, c.expression(kv.second));
        }
    }
    if (const auto& empty = root["empty"]) {
        if (!empty.IsSequence())
            c.fail(empty, "`empty` takes a list of values that mean \"no value\": [null, \"\", false]");
        for (const auto& v : empty) {
            if (!v.IsScalar() && !v.IsNull()) c.fail(v, "an `empty` value is a single value");
            plan->empty_values.push_back(c.constant(v));
        }
        for (const auto& v : plan->empty_values) plan->empty_vals.push_back(from_json(v));
    }
    if (const auto& cols = root["columns"]) {
        if (!cols.IsSequence() || cols.size() == 0)
            c.fail(cols, "`columns` takes a list of column names");
        for (const auto& col : cols) {
            auto name = c.scalar(col, "a column name");
            if (std::find(plan->columns.begin(), plan->columns.end(), name) != plan->columns.end())
                c.fail(col, "column `" + name + "` is named twice");
            plan->columns.push_back(name);
        }
    }
    if (root["group_by"]) {
        plan->group_by = c.expression(root["group_by"]);
        plan->group_by_text = root["group_by"].Scalar();
    }
    // Variables next: every later rule may read them as $name (not `documents`/`group_by`,
    // which run before a document exists).
    VariableScope scope(&plan->variable_names);
    if (const auto& let = root["let"]) {
        if (!let.IsMap())
            c.fail(let,
                   "`let` takes a map of name → rule, such as ship_to: $.Partners[?(@.Role == "
                   "\"WE\")]");
        for (const auto& kv : let) {
            std::string name = kv.first.Scalar();
            bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char ch) {
                return std::isalnum(ch) || ch == '_' || ch >= 0x80;
            });
            if (!ok)
                c.fail(kv.first, "a variable name is letters, digits and _, not `" + name + "`");
            if (std::find(plan->variable_names.begin(), plan->variable_names.end(), name) !=
                plan->variable_names.end())
                c.fail(kv.first, "variable `" + name + "` is named twice");
            plan->variables.push_back(c.rule(kv.second, nullptr, "let." + name));
            plan->variable_names.push_back(name);
        }
    }
    if (root["when"]) plan->when = c.expression(root["when"]);
    if (root["cancelled"]) plan->cancelled = c.expression(root["cancelled"]);

    bool wo = bool(root["work_order"]), req = bool(root["request"]);
    if (wo == req)
        throw CompileError(
            file_name, 1, 1,
            wo ? "a mapping has `work_order` or `request`, not both"
               : "a mapping needs `work_order:` (the output) or `request:` (a writeback)");
    plan->is_request = req;
    if (req) {
        const auto& r = root["request"];
        if (!r.IsMap()) c.fail(r, "`request` takes a map: method, url, headers, body");
        c.source = &yaml_text;
        c.request_nulls = true;
        plan->output = c.rule(r, &request_schema(), "request");
        c.request_nulls = false;
        if (plan->output->source != Rule::Source::object)
            c.fail(r, "`request` takes a map: method, url, headers, body");
        if (root["key"]) plan->key = c.rule(root["key"], nullptr, "key");
        if (root["cancelled"])
            c.fail(root["cancelled"], "`cancelled` belongs to work-order mappings");
        if (root["reopen"]) c.fail(root["reopen"], "`reopen` belongs to work-order mappings");
    } else {
        if (!root["key"])
            throw CompileError(
                file_name, 1, 1,
                "a work-order mapping needs `key:` (the path of the ERP document id)");
        plan->key = c.rule(root["key"], nullptr, "key");
        if (const auto& v = root["version"]) compile_version(c, v, *plan);
        if (const auto& r = root["reopen"]) {
            auto flag = c.constant(r);
            if (!flag.is_bool())
                c.fail(r, "`reopen` is true or false (may a newer version reopen a cancelled "
                          "work order?)");
            plan->reopen = flag.get_bool();
        }
        const auto& w = root["work_order"];
        if (!w.IsMap()) c.fail(w, "`work_order` takes a map of output fields");
        c.attach_checks = true;
        plan->output = c.rule(w, &work_order_schema(), "work_order");
        c.attach_checks = false;
        plan->checks_as_made = c.checks_complete;
        if (plan->output->source != Rule::Source::object)
            c.fail(w, "`work_order` takes a map of output fields");
        for (const auto& f : plan->output->fields)
            if (f.first == "id")
                c.fail(
                    w["id"],
                    "`id` is given by fieldbridge (from the flow and the key), not by the mapping");
    }
    return plan;
}

}  // namespace fb::mapping
