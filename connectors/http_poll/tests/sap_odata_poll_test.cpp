// http_poll against an SAP S/4HANA OData v2 simulator on loopback: basic auth, sap-client,
// $filter on LastChangeDateTime (/Date(…)/ values), `d.results` and `__next` server-driven paging,
// the whole answer handed to the mapping (its `documents: $.d.results[*]`).
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "connectors/http_poll/cursor.h"
#include "harness.h"
#include "publish/kafka.h"
#include "store/database.h"
#include "support/loopback_server.h"
#include "support/state_query.h"
#include "support/temp_dir.h"
#include "support/eventually.h"
#include "support/source_dir.h"

using namespace fb::testing;
namespace json = boost::json;
namespace bhttp = boost::beast::http;

namespace {

class S4 {
public:
    S4() : server_([this](const fb::test::Request& r) { return handle(r); }) {}
    std::string base() const { return server_.url(""); }
    void delivery(const std::string& no, std::int64_t changed_ms) {
        std::lock_guard lock(mutex_);
        auto d = template_;
        d["DeliveryDocument"] = no;
        d["LastChangeDateTime"] = "/Date(" + std::to_string(changed_ms) + "+0000)/";
        entries_.push_back(d);
    }
    std::string last() const {
        std::lock_guard lock(mutex_);
        return last_.substr(0, 600);
    }
    int pages() const {
        std::lock_guard lock(mutex_);
        return pages_;
    }

private:
    std::optional<fb::test::Response> handle(const fb::test::Request& req) {
        std::lock_guard lock(mutex_);
        last_ = std::string(req.target());
        if (std::string(req[bhttp::field::authorization]) != "Basic " + std::string("RkJfUE9MTDpzNC1wYXNz"))  // FB_POLL:s4-pass
            return fb::test::reply(401, R"({"error":{"code":"/IWFND/MED/170","message":{"value":"No service found"}}})");
        const std::string target_text(req.target());  // the view below points into it
        auto target = boost::urls::parse_origin_form(target_text);
        if (!target) return fb::test::reply(400, "{}");
        std::string filter, client;
        std::size_t top = 100, skip = 0;
        for (auto p : target->params()) {
            if (p.key == "$filter") filter = p.value;
            if (p.key == "sap-client") client = p.value;
            if (p.key == "$top") top = std::stoul(std::string(p.value));
            if (p.key == "$skiptoken") skip = std::stoul(std::string(p.value));
        }
        if (client != "100") return fb::test::reply(403, R"({"error":{"message":{"value":"wrong client"}}})");
        std::smatch m;
        static const std::regex since_re(R"(LastChangeDateTime ge datetimeoffset'([^']+)')");
        if (!std::regex_search(filter, m, since_re)) return fb::test::reply(400, R"({"error":{"message":{"value":"$filter"}}})");
        auto since = fb::connectors::http_poll::parse_time(json::value(m[1].str()), 0).value_or(0);
        auto time = [](const json::object& e) { return fb::connectors::http_poll::parse_time(e.at("LastChangeDateTime"), 0).value_or(0); };
        std::vector<json::object> hits;
        for (const auto& e : entries_)
            if (time(e) >= since) hits.push_back(e);
        std::sort(hits.begin(), hits.end(), [&](const auto& a, const auto& b) {
            return time(a) != time(b) ? time(a) < time(b)
                                      : std::string_view(a.at("DeliveryDocument").as_string()) < std::string_view(b.at("DeliveryDocument").as_string());
        });
        json::array results;
        for (std::size_t i = skip; i < std::min(skip + top, hits.size()); ++i) results.push_back(hits[i]);
        json::object d{{"results", results}};
        if (skip + top < hits.size()) {
            std::string url = base() + std::string(target->path()) + "?";
            for (auto p : target->params())
                if (p.key != "$skiptoken") url += std::string(p.key) + "=" + boost::urls::encode(p.value, boost::urls::unreserved_chars) + "&";
            d["__next"] = url + "$skiptoken=" + std::to_string(skip + top);
        }
        ++pages_;
        last_ = std::string(req.target()) + " -> " + json::serialize(json::object{{"d", d}}).substr(0, 300);
        return fb::test::reply(200, json::serialize(json::object{{"d", d}}));
    }

    mutable std::mutex mutex_;
    json::object template_ = json::parse(read_file(std::string(FB_SOURCE_DIR) +
                                                   "/tests/fixtures/samples/sap-s4-odata/A_OutbDeliveryHeader-page1.json"))
                                 .at("d").at("results").at(0).as_object();
    std::vector<json::object> entries_;
    int pages_ = 0;
    std::string last_;
    fb::test::LoopbackServer server_;
};

}  // namespace

TEST_CASE("SAP OData v2: basic auth, sap-client, $filter on /Date()/ times, __next paging, one work order per delivery") {
    fb::test::TempDir dir("sap");
    fb::publish::EmbeddedCluster kafka(1, 2, {"fsm.work-orders", "fsm.dead-letter"});
    S4 sap;
    const std::int64_t t0 = 1763626542123;  // 2025-11-20T08:15:42.123Z, as in the sample
    for (int i = 0; i < 5; ++i) sap.delivery("8000471" + std::to_string(i), t0 + i * 60'000);
    auto state = dir.str("state.db");
    auto yaml = "state: { path: " + state + ", synchronous: normal }\n"
                "kafka: { brokers: \"" + kafka.bootstrap() + "\" }\n"
                "http: { listen: 127.0.0.1:0 }\n"
                "flows:\n"
                "  - name: s4-delivery\n"
                "    document_type: outbound_delivery\n"
                "    mapping: mappings/sap-s4/outbound-delivery-to-delivery.yaml\n"
                "    source:\n"
                "      type: http_poll\n"
                "      request: mappings/sap-s4/poll-outbound-deliveries.yaml\n"
                "      vars: { base: \"" + sap.base() + "\", sap_client: \"100\" }\n"
                "      auth: { basic: { user: FB_POLL, password: s4-pass } }\n"
                "      every: 200ms\n"
                "      records: $.d.results\n"
                "      map: answer\n"
                "      error: { path: $.error }\n"
                "      paging: { type: next_link, next: $.d.__next, size: 2 }\n"
                "      cursor: { time: $.LastChangeDateTime, id: $.DeliveryDocument, initial: \"2025-01-01T00:00:00Z\" }\n";
    RunningApp app(fb::config::parse(yaml, "sap.yaml", FB_SOURCE_DIR));
    auto cursor = [&] { return fb::test::committed_cursor(state); };
    bool done = eventually([&] { return cursor() == "80004714"; });
    INFO("cursor " << cursor() << ", pages served " << sap.pages() << ", last answer " << sap.last());
    REQUIRE(done);
    CHECK(sap.pages() >= 3);  // 2 + 2 + 1, by __next
    std::set<std::string> refs;
    for (const auto& m : consume_at_least(kafka.bootstrap(), "fsm.work-orders", 5, 60000)) {
        auto e = json::parse(m.value);
        CHECK(e.at("type") == "work_order.created");
        refs.insert(std::string(e.at("work_order").at("source_ref").as_string()));
    }
    CHECK(refs == std::set<std::string>{"80004710", "80004711", "80004712", "80004713", "80004714"});
}
