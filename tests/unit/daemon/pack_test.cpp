#include <catch2/catch.hpp>

#include "core/pack.h"

using fb::core::pack;
using fb::core::unpack;

TEST_CASE("a packed payload unpacks to the same bytes, and is smaller when repetitive") {
    std::string event = R"({"work_order":{"items":[)";
    for (int i = 0; i < 20; ++i) event += R"({"sku":"SKU-100)" + std::to_string(i) + R"(","qty":1},)";
    event += "]}}";
    auto packed = pack(event);
    CHECK(packed.size() < event.size() / 2);
    CHECK(unpack(packed) == event);
    CHECK(unpack(pack("")).empty());
}

TEST_CASE("a damaged packed payload is refused, never read past its end") {
    auto packed = pack(std::string(1000, 'a'));
    CHECK_THROWS_WITH(unpack(packed.substr(0, 2)), "stored payload is truncated");
    CHECK_THROWS_WITH(unpack(packed.substr(0, packed.size() - 3)), "stored payload is corrupt");
    auto liar = packed;
    liar[0] = 'x';  // claims another size
    CHECK_THROWS_WITH(unpack(liar), "stored payload is corrupt");
    CHECK_THROWS_WITH(unpack(std::string("\xff\xff\xff\x7f", 4) + "x"),
                      "stored payload claims an impossible size");
}
