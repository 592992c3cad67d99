// Fuzz target: to_utf8 and utf8_problem. The first byte picks a charset from the list, or (0xFF)
// the charset name is the input up to the first newline, as a name from an XML declaration or a
// config would be. Whatever to_utf8 returns without an error is valid UTF-8; UTF-8 input comes
// back unchanged but for a leading byte-order mark, and only when utf8_problem finds nothing;
// input that starts with a UTF-16 byte-order mark is read as UTF-16 (decode/charset.h).
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "decode/charset.h"
#include "decode/decode.h"

namespace {
const char* const charsets[] = {
    "UTF-8",    "",       "utf8", "GBK",        "GB2312",       "GB18030",   "UTF-16", "UTF-16LE",
    "UTF-16BE", "UTF-32", "BIG5", "ISO-8859-1", "WINDOWS-1252", "SHIFT_JIS", "EUC-JP", "KOI8-R"};

[[noreturn]] void broken(const char* what, const std::string& charset) {
    std::fprintf(stderr, "to_utf8 from \"%s\": %s\n", charset.c_str(), what);
    std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
    std::string charset;
    if (data[0] == 0xFF) {
        auto nl = rest.find('\n');
        charset = std::string(rest.substr(0, nl));
        rest = nl == rest.npos ? std::string_view() : rest.substr(nl + 1);
    } else {
        charset = charsets[data[0] % (sizeof charsets / sizeof *charsets)];
    }

    std::string error;
    std::string out = fb::decode::to_utf8(rest, charset, error);
    // A UTF-16 byte-order mark wins over the UTF-8 default (FF FE / FE FF are never UTF-8, so no
    // valid UTF-8 input reads differently): such input is checked only for what comes out.
    bool utf16_bom = rest.size() >= 2 && ((rest[0] == '\xFF' && rest[1] == '\xFE') ||
                                          (rest[0] == '\xFE' && rest[1] == '\xFF'));
    bool utf8 = (charset.empty() || charset == "UTF-8" || charset == "utf8") && !utf16_bom;
    if (utf8 && error.empty() != fb::decode::utf8_problem(rest).empty())
        broken("disagrees with utf8_problem", charset);
    if (!error.empty()) {
        if (!out.empty()) broken("an error and a result", charset);
        return 0;
    }
    if (!fb::decode::utf8_problem(out).empty()) broken("returned invalid UTF-8", charset);
    if (utf8 && out != fb::decode::without_utf8_bom(rest)) broken("changed UTF-8 input", charset);
    return 0;
}
