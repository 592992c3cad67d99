// How two versions of one ERP document compare: the mapping's `order` turns a version's text into
// a key that sorts like the versions do, so the ledger can tell a newer version from a stale one.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fb::mapping {

enum class VersionOrder {
    automatic,  // numbers as numbers, timestamps as instants, other text as text
    timestamp,  // RFC 3339 / ISO 8601 (an offset, or UTC when none), SAP /Date(ms)/
    integer,    // decimal integers of any length, optionally signed
    string,     // byte order of the UTF-8 text
    none        // versions are labels: equal or not; content decides
};

const char* to_string(VersionOrder order);
std::optional<VersionOrder> parse_version_order(std::string_view name);

// The sortable key of `version` under `order`: "<kind>:<text>", where two keys of the same kind
// compare as their versions do (plain byte comparison). Empty for `none` and for an empty version.
// nullopt when the text is not a version of that order (e.g. "abc" for integer).
std::optional<std::string> version_key(VersionOrder order, std::string_view version);

// What a key's kind says, for messages: "a timestamp", "an integer", …
const char* describe_order(VersionOrder order);

// <0, 0, >0 like the versions behind the keys; nullopt when they cannot be ordered (one is empty
// or they are of different kinds, e.g. an integer then a text under `automatic`).
std::optional<int> compare_version_keys(std::string_view a, std::string_view b);

}  // namespace fb::mapping
