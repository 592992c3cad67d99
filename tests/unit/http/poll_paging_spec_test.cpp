// The poll source's paging keys for Link headers and end-of-data flags as an integrator writes
// them, and their mistakes named with file:line:col.
#include <catch2/catch.hpp>

#include "config/section.h"
#include "connectors/http_poll/spec.h"

using namespace fb::connectors::http_poll;

namespace {

std::shared_ptr<const Spec> read(const std::string& paging) {
    auto root = YAML::Load("source:\n  request: mappings/shopify/poll-orders.yaml\n  cursor: { time: $.updated_at }\n  paging: " + paging + "\n");
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
