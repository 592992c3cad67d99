// to_utf8: any charset an ERP writes (GBK, GB18030, UTF-16, Latin-1, Windows-1252, …) → UTF-8 via
// glibc iconv. UTF-8 input is validated, not converted. Errors name the byte offset of the first
// bad sequence, so whoever exported the file can find it.
#include "decode/charset.h"

#include <iconv.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>

#include "decode/decode.h"

namespace fb::decode {
namespace {

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

std::string upper(std::string_view name) {
    std::string out(name);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

// Charset names come from configuration and from XML declarations, i.e. from outside: only plain
// names go to iconv, never its "//IGNORE" or "//TRANSLIT" suffixes, which would hide bad bytes.
bool is_plain_charset_name(std::string_view name) {
    return !name.empty() && name.size() <= 40 && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
               c == ':';
    });
}

bool is_utf8_name(const std::string& name) { return name == "UTF-8" || name == "UTF8"; }

// Files labelled GB2312 routinely hold characters only GBK has (GB2312 lacks many names and place
// names); GBK is a superset with the same byte values, so reading them as GBK loses nothing.
std::string iconv_name(const std::string& name) {
    if (name == "GB2312" || name == "EUC-CN" || name == "GB_2312-80") return "GBK";
    return name;
}

std::string hex_bytes(std::string_view bytes, std::size_t offset) {
    std::string out;
    static constexpr char digits[] = "0123456789ABCDEF";
    for (std::size_t i = offset; i < bytes.size() && i < offset + 4; ++i) {
        auto b = static_cast<unsigned char>(bytes[i]);
        if (!out.empty()) out += ' ';
        out += "0x";
        out += digits[b >> 4];
        out += digits[b & 0xF];
    }
    return out;
}

struct IconvCloser {
    void operator()(void* cd) const { iconv_close(static_cast<iconv_t>(cd)); }
};

std::string convert(std::string_view bytes, const std::string& charset, std::string& error) {
    iconv_t raw = iconv_open("UTF-8", iconv_name(charset).c_str());
    if (raw == reinterpret_cast<iconv_t>(-1)) {
        error = "unknown charset \"" + charset + "\"";
        return "";
    }
    std::unique_ptr<void, IconvCloser> cd(raw);

    std::string out(bytes.size() * 2 + 16, '\0');
    char* in = const_cast<char*>(bytes.data());  // iconv's signature; it does not write to it
    std::size_t in_left = bytes.size();
    std::size_t used = 0;
    while (in_left > 0) {
        char* to = out.data() + used;
        std::size_t to_left = out.size() - used;
        std::size_t result = iconv(raw, &in, &in_left, &to, &to_left);
        int failure = errno;
        used = out.size() - to_left;
        if (result != static_cast<std::size_t>(-1)) break;  // all of the input converted
        if (failure == E2BIG) {
            out.resize(out.size() * 2);
            continue;
        }
        std::size_t offset = static_cast<std::size_t>(in - bytes.data());
        if (failure == EILSEQ)
            error = "invalid " + charset + " byte sequence at byte offset " +
                    std::to_string(offset) + " (" + hex_bytes(bytes, offset) + ")";
        else if (failure == EINVAL)
            error = "incomplete " + charset + " byte sequence at byte offset " +
                    std::to_string(offset) + ": the input ends inside a character";
        else
            error = "cannot convert from " + charset + " at byte offset " + std::to_string(offset) +
                    ": " + std::strerror(failure);
        return "";
    }
    out.resize(used);
    // UTF-16LE/BE and friends keep a leading byte-order mark as U+FEFF; nobody wants it as data.
    if (out.starts_with(utf8_bom)) out.erase(0, utf8_bom.size());
    return out;
}

std::optional<std::size_t> first_invalid_utf8(std::string_view text) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    std::size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t length;
        unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
        if (c >= 0xC2 && c <= 0xDF)
            length = 2;
        else if (c >= 0xE0 && c <= 0xEF) {
            length = 3;
            if (c == 0xE0) low = 0xA0;   // overlong
            if (c == 0xED) high = 0x9F;  // UTF-16 surrogates
        } else if (c >= 0xF0 && c <= 0xF4) {
            length = 4;
            if (c == 0xF0) low = 0x90;   // overlong
            if (c == 0xF4) high = 0x8F;  // past U+10FFFF
        } else
            return i;
        if (i + length > n || s[i + 1] < low || s[i + 1] > high) return i;
        for (std::size_t k = 2; k < length; ++k)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF) return i;
        i += length;
    }
    return std::nullopt;
}

}  // namespace

std::string_view without_utf8_bom(std::string_view text) {
    if (text.starts_with(utf8_bom)) text.remove_prefix(utf8_bom.size());
    return text;
}

std::string utf8_problem(std::string_view bytes) {
    std::string_view text = without_utf8_bom(bytes);
    auto bad = first_invalid_utf8(text);
    if (!bad) return "";
    std::size_t offset = *bad + (bytes.size() - text.size());
    return "invalid UTF-8 at byte offset " + std::to_string(offset) + " (" +
           hex_bytes(bytes, offset) + ")";
}

std::string to_utf8(std::string_view bytes, std::string_view charset, std::string& error) {
    error.clear();
    std::string name = upper(charset.empty() ? std::string_view("UTF-8") : charset);
    if (!is_plain_charset_name(name)) {
        error = "unsupported charset name \"" + std::string(charset) + "\"";
        return "";
    }
    if (!is_utf8_name(name)) return convert(bytes, name, error);
    // A UTF-16 byte-order mark is never UTF-8 (0xFF and 0xFE are invalid there): an export
    // labelled UTF-8, or not labelled at all, that starts with one is UTF-16 (Windows ERPs
    // write "Unicode" text files so).
    if (bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF")) return convert(bytes, "UTF-16", error);

    if (error = utf8_problem(bytes); !error.empty()) return "";
    return std::string(without_utf8_bom(bytes));
}

}  // namespace fb::decode
