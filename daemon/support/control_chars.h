// Text from an ERP or the platform shown to an operator (a log line, the CLI's lists) with its
// control characters written out: an answer cannot forge a log line with a newline, nor drive
// the terminal with an escape sequence. Tabs stay; C0 controls, DEL and the C1 controls (as
// UTF-8, U+0080–U+009F: 0x9B is a CSI too) are shown as \n, \r, \x1b, \u009b.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace fb::support {

// The length of the control character at `text[i]` (1, or 2 for a C1 in UTF-8), 0 for none.
inline std::size_t control_at(std::string_view text, std::size_t i) {
    auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return 1;
    if (c == 0xc2 && i + 1 < text.size()) {
        auto n = static_cast<unsigned char>(text[i + 1]);
        if (n >= 0x80 && n <= 0x9f) return 2;
    }
    return 0;
}

inline bool has_control(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i)
        if (control_at(text, i)) return true;
    return false;
}

inline std::string escape_control(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto n = control_at(text, i);
        if (!n) {
            out += text[i];
            continue;
        }
        char buf[8];
        auto c = static_cast<unsigned char>(text[i]);
        if (n == 2) std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(text[++i]));
        else if (c == '\n') std::snprintf(buf, sizeof buf, "\\n");
        else if (c == '\r') std::snprintf(buf, sizeof buf, "\\r");
        else std::snprintf(buf, sizeof buf, "\\x%02x", c);
        out += buf;
    }
    return out;
}

}  // namespace fb::support
