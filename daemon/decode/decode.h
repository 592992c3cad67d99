// Decoders: bytes from an ERP (JSON, XML, CSV in any charset) → one Boost.JSON document tree.
// Every decoder is hostile-input safe: size and depth limits, no entity expansion, no throw.
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <string>
#include <string_view>

namespace fb::decode {

struct Limits {
    std::size_t max_bytes = 16u << 20;       // whole input
    std::size_t max_depth = 64;              // nesting of objects/arrays/elements
    std::size_t max_field_bytes = 1u << 20;  // CSV: one field, so a line without end stops early
    std::size_t max_columns = 1024;          // CSV: fields in one row
};

enum class Format { json, ndjson, xml, csv };

struct CsvOptions {
    std::string charset = "UTF-8";  // GBK, GB18030, UTF-16, … converted to UTF-8 first
    char delimiter = ',';
};

// A decoded document, or the reason it could not be decoded ("line 3, column 7: …").
struct Decoded {
    boost::json::value value;
    std::string error;
    bool ok() const { return error.empty(); }
};

Decoded decode_json(std::string_view bytes, const Limits& limits = {});
// XML: elements become objects, repeated elements arrays, attributes "@name", text "#text"
// (or the plain string when an element has only text). No DTD, no entities beyond the five.
Decoded decode_xml(std::string_view bytes, const Limits& limits = {});
// CSV with a header row: an array of objects keyed by the header's column names; all values
// strings. Blank lines are skipped; a row of another width, an unclosed quote, an unnamed or
// repeated column is an error naming the line.
Decoded decode_csv(std::string_view bytes, const CsvOptions& options = {},
                   const Limits& limits = {});

// Converts `bytes` in `charset` to UTF-8; sets `error` and returns "" when it cannot.
// UTF-8 (or "") is validated; a leading byte-order mark is dropped; GB2312 is read as GBK.
std::string to_utf8(std::string_view bytes, std::string_view charset, std::string& error);

// "json", "ndjson"/"jsonl", "xml", "csv" by file extension; json when unknown.
Format format_for_path(std::string_view path);

}  // namespace fb::decode
