// Fuzz target: decode_csv. The first byte picks the charset, the delimiter and (sometimes) small
// limits, so conversion, quoting and every limit are reached; the rest is the file. Every row it
// accepts has exactly the header's columns, and its strings are valid UTF-8.
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "decode/decode.h"

namespace {
const char* const charsets[] = {"UTF-8",    "GBK",        "GB18030",      "UTF-16",
                                "UTF-16LE", "ISO-8859-1", "WINDOWS-1252", "BIG5"};
const char delimiters[] = {',', ';', '\t', '|'};

[[noreturn]] void broken(const char* what) {
    std::fprintf(stderr, "decode_csv: %s\n", what);
    std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::uint8_t selector = data[0];
    fb::decode::CsvOptions options;
    options.charset = charsets[selector & 7];
    options.delimiter = delimiters[(selector >> 3) & 3];
    fb::decode::Limits limits;
    if (selector & 0x20) limits.max_columns = 4;
    if (selector & 0x40) limits.max_field_bytes = 16;
    std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);

    auto decoded = fb::decode::decode_csv(bytes, options, limits);
    if (!decoded.ok()) return 0;
    if (!decoded.value.is_array()) broken("accepted a CSV that is not an array of rows");
    std::size_t columns = 0;
    for (const auto& row : decoded.value.get_array()) {
        if (!row.is_object()) broken("a row is not an object");
        auto n = row.get_object().size();
        if (columns == 0) columns = n;
        if (n != columns || n > limits.max_columns) broken("rows of different widths");
        for (const auto& field : row.get_object()) {
            if (!field.value().is_string()) broken("a value is not a string");
            if (field.value().get_string().size() > limits.max_field_bytes)
                broken("a field past the field limit");
        }
    }
    auto again = fb::decode::decode_json(boost::json::serialize(decoded.value));
    if (!again.ok()) {
        std::fprintf(stderr, "CSV decoded to invalid JSON: %s\n", again.error.c_str());
        std::abort();
    }
    return 0;
}
