// An ERP's text shown to an operator (log lines, the CLI's lists) cannot forge a line or drive
// the terminal: its control characters are written out, the rest (tabs, any script) stays.
#include <catch2/catch.hpp>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "support/control_chars.h"
#include "support/escaping_sink.h"

using fb::support::escape_control;
using fb::support::has_control;

TEST_CASE("control characters are written out, tabs and other scripts stay") {
    CHECK(escape_control("oops\n2026-12-08 info FORGED") == "oops\\n2026-12-08 info FORGED");
    CHECK(escape_control("a\rb\x07") == "a\\rb\\x07");
    CHECK(escape_control("\x1b[31mRED\x1b[0m") == "\\x1b[31mRED\\x1b[0m");
    CHECK(escape_control(std::string("nul\0end", 7)) == "nul\\x00end");
    CHECK(escape_control("\x7f") == "\\x7f");
    CHECK(escape_control("csi\xc2\x9b" "31m") == "csi\\u009b31m");  // C1 CSI, as UTF-8
    CHECK(escape_control("tab\tstays 望京西路 café") == "tab\tstays 望京西路 café");
    CHECK_FALSE(has_control("Größe\t望京"));
    CHECK(has_control("x\n"));
}

TEST_CASE("the log sink writes one line per message, whatever the message quotes") {
    std::ostringstream out;
    auto inner = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
    auto logger = std::make_shared<spdlog::logger>("t", std::make_shared<fb::support::EscapingSink>(inner));
    logger->set_pattern("%l %v");  // reaches the wrapped sink's formatter
    logger->warn("ERP refused: {}", "oops\ninfo FORGED log line: all good\x1b[31m");
    logger->info("plain {}", "text");
    CHECK(out.str() == "warning ERP refused: oops\\ninfo FORGED log line: all good\\x1b[31m\ninfo plain text\n");
}
