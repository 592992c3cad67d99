// decode_xml: bytes in the charset the document declares → UTF-8 → pugixml tree → JSON.
// Hostile input: the size is checked before anything else, a DTD with declarations (an internal
// subset) is refused and an external one is never read (cXML's `<!DOCTYPE cXML SYSTEM "…">` is
// accepted as a name and nothing more), so no entity is ever defined or expands; references other
// than the five predefined entities and character references are refused, and nesting is bounded
// while converting.
// pugixml's own parser and tree are not recursive, so a deep document cannot overflow the stack.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cctype>
#include <pugixml.hpp>

#include "decode/decode.h"
#include "decode/errors.h"

namespace fb::decode {
namespace {

bool starts_with_bytes(std::string_view bytes, std::string_view prefix) {
    return bytes.substr(0, prefix.size()) == prefix;
}

// The encoding named in `<?xml version="1.0" encoding="GBK"?>`, or "" when there is none.
std::string declared_encoding(std::string_view bytes) {
    if (!bytes.starts_with("<?xml")) return "";
    std::string_view declaration = bytes.substr(0, bytes.find("?>"));
    std::size_t at = declaration.find("encoding");
    if (at == std::string_view::npos) return "";
    at = declaration.find_first_not_of(" \t\r\n", at + 8);
    if (at == std::string_view::npos || declaration[at] != '=') return "";
    at = declaration.find_first_not_of(" \t\r\n", at + 1);
    if (at == std::string_view::npos || (declaration[at] != '"' && declaration[at] != '\''))
        return "";
    std::size_t end = declaration.find(declaration[at], at + 1);
    if (end == std::string_view::npos) return "";
    return std::string(declaration.substr(at + 1, end - at - 1));
}

// The charset to read the document in: a byte-order mark or the UTF-16 shape of the first '<'
// decide first (XML 1.0, appendix F), then the declaration, then the default, UTF-8.
std::string charset_of(std::string_view bytes, std::string& error) {
    using namespace std::string_view_literals;
    if (starts_with_bytes(bytes, "\xEF\xBB\xBF"sv)) return "UTF-8";
    if (starts_with_bytes(bytes, "\xFF\xFE\0\0"sv) || starts_with_bytes(bytes, "\0\0\xFE\xFF"sv))
        return "UTF-32";
    if (starts_with_bytes(bytes, "\xFF\xFE"sv) || starts_with_bytes(bytes, "\xFE\xFF"sv))
        return "UTF-16";
    if (starts_with_bytes(bytes, "<\0"sv)) return "UTF-16LE";  // "<?xml" or a root, no BOM
    if (starts_with_bytes(bytes, "\0<"sv)) return "UTF-16BE";
    std::string declared = declared_encoding(bytes);
    if (declared.empty()) return "UTF-8";
    std::string upper = declared;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper.starts_with("UTF-16") || upper.starts_with("UTF-32") || upper.starts_with("UCS")) {
        error = "the XML declaration says " + declared +
                ", but the document is written in single bytes (no byte-order mark)";
        return "";
    }
    return declared;
}

void append_utf8(std::string& out, unsigned long cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

bool is_xml_char(unsigned long cp) {
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
           (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

// Decodes one reference (the text between '&' and ';'); false when it is not one XML allows
// without a DTD.
bool decode_reference(std::string_view name, std::string& out) {
    if (name == "lt")
        out += '<';
    else if (name == "gt")
        out += '>';
    else if (name == "amp")
        out += '&';
    else if (name == "apos")
        out += '\'';
    else if (name == "quot")
        out += '"';
    else if (name.size() >= 2 && name[0] == '#') {
        bool hex = name[1] == 'x';
        std::string_view digits = name.substr(hex ? 2 : 1);
        if (digits.empty() || digits.size() > 8) return false;
        unsigned long cp = 0;
        for (char c : digits) {
            auto u = static_cast<unsigned char>(c);
            if (hex ? !std::isxdigit(u) : !std::isdigit(u)) return false;
            cp = cp * (hex ? 16 : 10) + (std::isdigit(u) ? u - '0' : std::tolower(u) - 'a' + 10);
        }
        if (!is_xml_char(cp)) return false;
        append_utf8(out, cp);
    } else
        return false;
    return true;
}

// Text and attribute values as pugixml leaves them without parse_escapes; we decode the
// references ourselves so that an undefined entity is an error, not text that looks decoded.
bool unescape(std::string_view raw, std::string& out, std::string& problem) {
    for (std::size_t i = 0; i < raw.size();) {
        std::size_t amp = raw.find('&', i);
        out.append(raw.substr(i, amp - i));
        if (amp == std::string_view::npos) break;
        std::size_t semicolon = raw.find(';', amp);
        std::string_view name = semicolon == std::string_view::npos
                                    ? std::string_view()
                                    : raw.substr(amp + 1, semicolon - amp - 1);
        if (name.empty() || name.size() > 32 || !decode_reference(name, out)) {
            std::string shown(raw.substr(amp, std::min<std::size_t>(12, raw.size() - amp)));
            problem = "undefined or malformed entity reference \"" + shown +
                      "\" (only &lt; &gt; &amp; &apos; &quot; and &#…; are allowed)";
            return false;
        }
        i = semicolon + 1;
    }
    return true;
}

// Walks the tree recursively: max_depth bounds the recursion as well as the output's nesting.
struct Converter {
    std::string_view text;  // the UTF-8 text pugixml parsed, for line numbers
    std::size_t max_depth;
    std::string error;

    bool fail(pugi::xml_node at, const std::string& what) {
        error = what + " (line " + std::to_string(position_of(text, at.offset_debug()).line) + ")";
        return false;
    }

    static void add_child(boost::json::object& parent, std::string_view name,
                          boost::json::value child) {
        auto it = parent.find(name);
        if (it == parent.end()) {
            parent.emplace(name, std::move(child));
        } else if (it->value().is_array()) {  // only we make arrays: an element is never one
            it->value().as_array().push_back(std::move(child));
        } else {
            boost::json::array repeated;
            repeated.push_back(std::move(it->value()));
            repeated.push_back(std::move(child));
            it->value() = std::move(repeated);
        }
    }

    bool element(pugi::xml_node node, std::size_t depth, boost::json::value& out) {
        if (depth > max_depth)
            return fail(node, "elements nested deeper than " + std::to_string(max_depth) +
                                  " levels in <" + node.name() + ">");
        boost::json::object fields;
        std::string problem;
        for (pugi::xml_attribute attribute : node.attributes()) {
            std::string value;
            if (!unescape(attribute.value(), value, problem))
                return fail(node, "attribute " + std::string(attribute.name()) + ": " + problem);
            fields.insert_or_assign(std::string("@") + attribute.name(), std::move(value));
        }
        std::string text_content;
        for (pugi::xml_node child : node.children()) {
            if (child.type() == pugi::node_element) {
                boost::json::value converted;
                if (!element(child, depth + 1, converted)) return false;
                add_child(fields, child.name(), std::move(converted));
            } else if (child.type() == pugi::node_pcdata) {
                if (!unescape(child.value(), text_content, problem)) return fail(child, problem);
            } else if (child.type() == pugi::node_cdata) {
                text_content += child.value();
            } else if (child.type() == pugi::node_doctype) {
                return fail(child, "a DOCTYPE inside an element is not XML");
            }
        }
        if (fields.empty()) {
            out = boost::json::string(text_content);
            return true;
        }
        if (text_content.find_first_not_of(" \t\r\n") != std::string::npos)
            fields.insert_or_assign("#text", std::move(text_content));
        out = std::move(fields);
        return true;
    }
};

}  // namespace

Decoded decode_xml(std::string_view bytes, const Limits& limits) {
    Decoded out;
    if (bytes.size() > limits.max_bytes) {
        out.error = size_limit_error(bytes.size(), limits.max_bytes);
        return out;
    }
    std::string charset = charset_of(bytes, out.error);
    if (!out.error.empty()) return out;
    std::string conversion_error;
    std::string text = to_utf8(bytes, charset, conversion_error);
    if (!conversion_error.empty()) {
        out.error = "cannot read the XML as " + charset + ": " + conversion_error;
        return out;
    }

    // No parse_escapes (Converter decodes references strictly); parse_doctype so that a DTD
    // becomes a node we can refuse instead of something pugixml silently skips. load_buffer
    // copies: `text` stays intact for counting lines in error messages.
    const unsigned options = pugi::parse_cdata | pugi::parse_wconv_attribute | pugi::parse_eol |
                             pugi::parse_doctype | pugi::parse_ws_pcdata_single;
    pugi::xml_document document;
    pugi::xml_parse_result parsed =
        document.load_buffer(text.data(), text.size(), options, pugi::encoding_utf8);
    Position at = position_of(text, static_cast<std::size_t>(parsed.offset));
    if (parsed.status == pugi::status_bad_doctype) {
        out.error = "invalid or unsupported DOCTYPE (line " + std::to_string(at.line) + ")";
        return out;
    }
    if (!parsed) {
        out.error = "invalid XML at " + describe(at) + ": " + parsed.description();
        return out;
    }

    Converter converter{text, limits.max_depth, {}};
    pugi::xml_node root;
    int doctypes = 0;
    for (pugi::xml_node node : document.children()) {
        if (node.type() == pugi::node_doctype) {
            // Only the document type's name and external id: the DTD it names is never fetched.
            // Declarations inline ("[<!ENTITY …>]") are what XXE and billion laughs need.
            if (doctypes++ || root) {
                converter.fail(node, "a second DOCTYPE, or one after the root element");
                break;
            }
            if (std::string_view(node.value()).find('[') != std::string_view::npos) {
                converter.fail(node, "a DTD with declarations (<!DOCTYPE … [ … ]>) is not allowed: "
                                     "entities are never defined or expanded");
                break;
            }
            continue;
        }
        if (node.type() != pugi::node_element) continue;
        if (root) {
            converter.fail(node, std::string("a second root element <") + node.name() + ">");
            break;
        }
        root = node;
    }
    boost::json::value converted;
    if (converter.error.empty() && converter.element(root, 1, converted)) {
        boost::json::object document_object;
        document_object.emplace(root.name(), std::move(converted));
        out.value = std::move(document_object);
    }
    out.error = std::move(converter.error);
    return out;
}

}  // namespace fb::decode
