// The poll source's paging keys for Link headers and end-of-data flags as an integrator writes
// them, and their mistakes named with file:line:col.
#include <catch2/catch.hpp>

#include <atomic>

#include "config/section.h"
#include "connectors/http_poll/poller.h"
#include "connectors/http_poll/spec.h"
#include "support/loopback_server.h"
#include "support/source_dir.h"

using namespace fb::connectors::http_poll;

namespace {

std::shared_ptr<const Spec> read(const std::string& paging, const std::string& more_yaml = "") {
    auto root = YAML::Load("source:\n  request: mappings/shopify/poll-orders.yaml\n  cursor: { time: $.updated_at }\n  paging: " + paging + "\n" + more_yaml);
    fb::config::Section s(root["source"], "erp.yaml", "flows[0].source");
    return std::dynamic_pointer_cast<const Spec>(read_spec(s, FB_SOURCE_DIR));
}

std::string error_of(const std::string& paging) {
    try {
        read(paging);
    } catch (const std::exception& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("paging: link_header with its rel, and a more: flag with any paging type") {
    auto link = read("{ type: link_header, size: 250 }");
    CHECK(link->paging == Spec::Paging::link_header);
    CHECK(link->rel == "next");
    CHECK(read("{ type: link_header, rel: older }")->rel == "older");
    auto flag = read("{ type: offset, size: 1000, more: $.hasMore }");
    CHECK(flag->paging == Spec::Paging::offset);
    CHECK(flag->more == "$.hasMore");
    CHECK(read("{ type: page_number, more: $.page_context.has_more_page }")->more == "$.page_context.has_more_page");
}

TEST_CASE("paging: mistakes in link_header and more: name file:line:col") {
    CHECK_THAT(error_of("{ type: offset, more: hasMore }"), Catch::Contains("erp.yaml:4:") && Catch::Contains("more is a path"));
    CHECK_THAT(error_of("{ type: none, more: $.hasMore }"), Catch::Contains("erp.yaml:4:") && Catch::Contains("needs a paging type"));
    CHECK_THAT(error_of("{ type: offset, rel: next }"), Catch::Contains("erp.yaml:4:") && Catch::Contains("rel"));  // rel is for link_header
    CHECK_THAT(error_of("{ type: link_headers }"), Catch::Contains("erp.yaml:4:") && Catch::Contains("link_header"));
}

TEST_CASE("paging.more: a short page with the flag true goes on, false ends, a missing flag is a failure naming it") {
    // Zoho Inventory-like: pages of 2, 2, 1 under a page size of 3, the flag saying true, true, false.
    std::atomic<int> asked{0};
    std::atomic<bool> drop_flag{false};
    fb::test::LoopbackServer server([&](const fb::test::Request&) {
        int n = ++asked;
        std::string more = n < 3 ? "true" : "false";
        std::string rows = n < 3 ? R"([{"updated_at":"2026-11-20T10:00:00Z"},{"updated_at":"2026-11-20T10:01:00Z"}])"
                                 : R"([{"updated_at":"2026-11-20T10:02:00Z"}])";
        std::string context = drop_flag ? "{}" : R"({"page":)" + std::to_string(n) + R"(,"has_more_page":)" + more + "}";
        return fb::test::reply(200, R"({"code":0,"orders":)" + rows + R"(,"page_context":)" + context + "}");
    });
    auto spec = read("{ type: page_number, size: 3, more: $.page_context.has_more_page }",
                     "  records: $.orders\n  vars: { base: \"" + server.url("") + "\" }\n");
    Poller poller(*spec);
    Cursor cursor;
    PageState state;
    std::vector<std::size_t> numbers;
    for (int i = 0; i < 5; ++i) {
        auto page = poller.fetch(cursor, state, 1'800'000'000'000);
        REQUIRE(page.error == Page::Error::none);
        numbers.push_back(state.number);
        if (!page.next) break;
        state = *page.next;
    }
    CHECK(numbers == std::vector<std::size_t>{1, 2, 3});  // short pages 1 and 2 went on; 3 said false
    CHECK(asked == 3);
    drop_flag = true;
    auto page = poller.fetch(cursor, PageState{}, 1'800'000'000'000);
    CHECK(page.error == Page::Error::decode);
    CHECK_THAT(page.reason, Catch::Contains("$.page_context.has_more_page (paging.more)"));
}
