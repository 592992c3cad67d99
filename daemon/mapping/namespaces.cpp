// resolve_namespaces: the XML Namespaces rules (a prefix means the URI its nearest xmlns:prefix
// declaration gives; an unprefixed element is in the default namespace, an unprefixed attribute
// in none) applied to the JSON tree decode_xml makes, so a mapping reads namespace URIs.
#include "mapping/namespaces.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace fb::mapping {
namespace {

namespace json = boost::json;

constexpr std::string_view xml_namespace = "http://www.w3.org/XML/1998/namespace";
// Deeper than any decoder lets a document be (decode::Limits::max_depth is 64 elements): what
// lies below is copied as written rather than risk the stack.
constexpr std::size_t max_depth = 512;

struct Binding {
    std::string_view prefix;  // "" for the default namespace
    std::string_view uri;     // "" undeclares (xmlns="")
};

class Resolver {
  public:
    explicit Resolver(const Namespaces& declared) : declared_(declared) {}

    // One element written `written` with value `v`: its new name and its renamed content.
    std::string element(std::string_view written, const json::value& v, json::value& out,
                        std::size_t depth) {
        std::size_t mark = scope_.size();
        if (const auto* o = v.if_object()) declare(*o);
        std::string name = rename(written, false);
        out = content(v, depth + 1);
        scope_.resize(mark);
        return name;
    }

    json::value top(const json::value& v) { return content(v, 0); }

  private:
    const Namespaces& declared_;
    std::vector<Binding> scope_;  // views into the input, which outlives the resolver

    void declare(const json::object& o) {
        for (const auto& kv : o) {
            std::string_view k = kv.key();
            if (!k.starts_with("@xmlns") || !kv.value().is_string()) continue;
            if (k.size() == 6)
                scope_.push_back({"", kv.value().get_string()});
            else if (k[6] == ':')
                scope_.push_back({k.substr(7), kv.value().get_string()});
        }
    }

    std::optional<std::string_view> uri_of(std::string_view prefix) const {
        for (auto it = scope_.rbegin(); it != scope_.rend(); ++it)
            if (it->prefix == prefix) return it->uri;
        if (prefix == "xml") return xml_namespace;
        return std::nullopt;
    }

    const std::string* mapping_prefix(std::string_view uri) const {
        for (const auto& n : declared_)
            if (n.uri == uri) return &n.prefix;
        return nullptr;
    }

    bool declared_prefix(std::string_view prefix) const {
        for (const auto& n : declared_)
            if (n.prefix == prefix) return true;
        return false;
    }

    // `written` without its "@" for an attribute.
    std::string rename(std::string_view written, bool attribute) const {
        auto colon = written.find(':');
        std::string_view prefix = colon == std::string_view::npos ? "" : written.substr(0, colon);
        std::string_view local = colon == std::string_view::npos ? written : written.substr(colon + 1);
        if (colon == std::string_view::npos && attribute) return std::string(written);
        if (prefix == "xmlns" || local.empty()) return std::string(written);
        auto uri = uri_of(prefix);
        // No binding in scope: not namespace-well-formed (or a JSON key), read as written. This
        // also keeps an already-renamed tree (a dead letter replayed) as it is.
        if (!uri || uri->empty()) return std::string(written);
        if (const std::string* mine = mapping_prefix(*uri))
            return *mine + ":" + std::string(local);
        if (!prefix.empty() && declared_prefix(prefix))
            return "{" + std::string(*uri) + "}" + std::string(local);
        return std::string(written);
    }

    // Adds one element under its resolved name: a second one makes (or extends) a list.
    static void add(json::object& out, std::string name, json::value v, bool as_list) {
        auto it = out.find(name);
        if (it == out.end()) {
            if (as_list) {
                json::array a;
                a.push_back(std::move(v));
                out.emplace(name, std::move(a));
            } else {
                out.emplace(name, std::move(v));
            }
        } else if (it->value().is_array()) {
            it->value().as_array().push_back(std::move(v));
        } else {
            json::array a;
            a.push_back(std::move(it->value()));
            a.push_back(std::move(v));
            it->value() = std::move(a);
        }
    }

    json::value content(const json::value& v, std::size_t depth) {
        if (depth > max_depth) return v;
        if (const auto* a = v.if_array()) {  // only in a JSON input: a list inside a list
            json::array out;
            for (const auto& e : *a) out.push_back(content(e, depth + 1));
            return out;
        }
        const auto* o = v.if_object();
        if (!o) return v;
        json::object out;
        for (const auto& kv : *o) {
            std::string_view k = kv.key();
            if (k == "#text" || k.starts_with("@xmlns")) {
                out.insert_or_assign(k, kv.value());
            } else if (k.starts_with("@")) {
                // Two attributes of one expanded name are not namespace-well-formed XML, but a
                // parser lets them through: both are kept (a list), none silently dropped.
                add(out, "@" + rename(k.substr(1), true), kv.value(), false);
            } else if (const auto* items = kv.value().if_array()) {
                // Repeated elements: each has its own declarations, so each its own name. A
                // list keeps being a list (a JSON input's one-element or empty array too).
                // Items that come apart (one redeclares its prefix) are each what the decoder
                // makes of its name: a lone one a value, repeats a list.
                if (items->empty()) out.insert_or_assign(rename(k, false), json::array());
                std::vector<std::pair<std::string, json::value>> renamed(items->size());
                bool one_name = true;
                for (std::size_t i = 0; i < items->size(); ++i) {
                    renamed[i].first = element(k, (*items)[i], renamed[i].second, depth);
                    one_name = one_name && renamed[i].first == renamed[0].first;
                }
                std::unordered_map<std::string, std::size_t> count;
                if (!one_name)
                    for (const auto& r : renamed) ++count[r.first];
                for (auto& [name, v] : renamed) {
                    bool as_list = one_name || count[name] > 1;
                    add(out, std::move(name), std::move(v), as_list);
                }
            } else {
                json::value renamed;
                std::string name = element(k, kv.value(), renamed, depth);
                add(out, std::move(name), std::move(renamed), false);
            }
        }
        return out;
    }
};

}  // namespace

json::value resolve_namespaces(const json::value& input, const Namespaces& declared) {
    if (declared.empty()) return input;
    Resolver resolver(declared);
    // The top level holds the root element (decode_xml) or a JSON document's fields: the
    // content of an element that declares nothing.
    return resolver.top(input);
}

}  // namespace fb::mapping
