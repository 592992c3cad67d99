// XML namespaces by URI: a decoded XML tree renamed to the prefixes a mapping declares
// (`namespaces:`), each name resolved with the xmlns declarations in scope where it is written.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <vector>

namespace fb::mapping {

// One `namespaces:` entry: the mapping's own prefix for a namespace URI.
struct Namespace {
    std::string prefix;
    std::string uri;
};
using Namespaces = std::vector<Namespace>;

// A copy of `input` (a tree as decode_xml makes it: elements as keys, "@name" attributes,
// "#text") in which every element and attribute in a declared namespace is named
// `<mapping prefix>:<local name>`, whatever prefix (or default namespace) the sender used.
// A name in an undeclared namespace keeps its written name, except one whose written prefix is
// a declared prefix bound to another URI: it becomes `{uri}local`, so the mapping's prefix never
// reads another namespace. Unprefixed attributes, `@xmlns…` declarations and `#text` are kept.
// Elements that come to share a name become one list (in the order their written names first
// appear). A tree without xmlns declarations (a JSON input) comes back unchanged.
boost::json::value resolve_namespaces(const boost::json::value& input, const Namespaces& declared);

}  // namespace fb::mapping
