// RFC 8288 Link headers as REST ERPs page with them (Shopify, WooCommerce, GitHub-style), and
// what a hostile ERP may put in one: the reader takes the `next` target or nothing, never more
// than its limits, never a crash.
#include <catch2/catch.hpp>

#include <random>

#include "http/link_header.h"

using fb::http::Headers;
using fb::http::link_target;

TEST_CASE("Link headers: the rel=\"next\" target among several links and several headers") {
    // Shopify: previous and next in one header, each with its own rel.
    Headers shopify{{"Link", "<https://shop.example/admin/api/2024-10/orders.json?limit=2&page_info=abc>; rel=\"previous\", "
                             "<https://shop.example/admin/api/2024-10/orders.json?limit=2&page_info=def>; rel=\"next\""}};
    CHECK(link_target(shopify, "next") == "https://shop.example/admin/api/2024-10/orders.json?limit=2&page_info=def");
    CHECK(link_target(shopify, "previous") == "https://shop.example/admin/api/2024-10/orders.json?limit=2&page_info=abc");
    // WooCommerce/WordPress: several Link headers, unquoted rel, other parameters, any case.
    Headers woo{{"X-WP-Total", "12"},
                {"link", "</wp-json/wc/v3/orders?page=1>; rel=prev"},
                {"LINK", "</wp-json/wc/v3/orders?page=3>; title=\"n, ext; page\"; REL=Next"}};
    CHECK(link_target(woo, "next") == "/wp-json/wc/v3/orders?page=3");
    // GitHub: a rel holding several relation types.
    Headers gh{{"Link", "<https://api.example/x?page=2>; rel=\"next last\", <https://api.example/x?page=1>; rel=\"first\""}};
    CHECK(link_target(gh, "next") == "https://api.example/x?page=2");
    CHECK(link_target(gh, "last") == "https://api.example/x?page=2");
    // The last page: no next (or no Link at all).
    CHECK(link_target(Headers{{"Link", "<https://api.example/x?page=1>; rel=\"prev\""}}, "next") == std::nullopt);
    CHECK(link_target(Headers{}, "next") == std::nullopt);
    // Only a link's first rel counts (RFC 8288 3.3); "nextish" is not "next".
    CHECK(link_target(Headers{{"Link", "<a>; rel=prev; rel=next, <b>; rel=nextish"}}, "next") == std::nullopt);
}

TEST_CASE("Link headers from a hostile ERP: garbage, unterminated parts and floods read nothing or the limit") {
    for (const char* bad : {"", "garbage", "<", "<https://x", "https://x>; rel=next", "<x>; rel", "<x> rel=next",
                            "<x>; rel=\"next", ";;;,,,<<>>", "<>; rel=next", "<   >; rel=next", "\x01\xff<x>; rel=next"}) {
        INFO(bad);
        auto t = link_target(Headers{{"Link", bad}}, "next");
        if (std::string_view(bad) == "<x>; rel=\"next") CHECK(t == "x");  // a missing closing quote ends at the end
        else CHECK(t == std::nullopt);
    }
    // A malformed header does not hide a good one after it.
    CHECK(link_target(Headers{{"Link", "<x; rel=next"}, {"Link", "<y>; rel=next"}}, "next") == "y");
    // A target over the size limit is ignored; the links after the 64th are never read.
    std::string huge = "<" + std::string(fb::http::max_link_bytes + 1, 'a') + ">; rel=next";
    CHECK(link_target(Headers{{"Link", huge}}, "next") == std::nullopt);
    std::string flood;
    for (std::size_t i = 0; i < fb::http::max_links; ++i) flood += "<p" + std::to_string(i) + ">; rel=prev, ";
    CHECK(link_target(Headers{{"Link", flood + "<n>; rel=next"}}, "next") == std::nullopt);
    CHECK(link_target(Headers{{"Link", "<p>; rel=prev, <n>; rel=next"}}, "next") == "n");
    // Random bytes: no crash, and anything found is a target without the angle brackets.
    std::mt19937 rng(7);
    const std::string alphabet = "<>;=,\" \t\\relnxtp/a?&";
    for (int round = 0; round < 20000; ++round) {
        std::string v;
        auto len = rng() % 64;
        for (std::size_t i = 0; i < len; ++i) v += alphabet[rng() % alphabet.size()];
        auto t = link_target(Headers{{"Link", v}}, "next");
        if (t) {
            INFO(v);
            CHECK(!t->empty());
            CHECK(t->find('>') == std::string::npos);
            CHECK(v.find(*t) != std::string::npos);
        }
    }
}
