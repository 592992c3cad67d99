// http_poll paging against ERP simulators on loopback, one per style: page numbers, cursor
// tokens and OData v4 `@odata.nextLink` (relative, as v4 allows). Each test proves that every
// record is read once and that the end of data is recognised — by an empty page, a short page or
// a missing next link — without asking for a page past it.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <fstream>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "connectors/http_poll/cursor.h"
#include "connectors/http_poll/poller.h"
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

namespace {

enum class Style { page_number, token, odata_v4, odata_v4_lines_apart, offset };

// Shipments sorted by (ModifyTime, DocNo), served in pages of the style asked for. Every page
// request is remembered (its page number, token or skip), so a test can prove which were asked.
class PagedErp {
public:
    PagedErp(Style style, int records, bool token_on_last_page = false, int spacing_minutes = 1)
        : style_(style), token_on_last_(token_on_last_page), spacing_minutes_(spacing_minutes), server_([this](const fb::test::Request& r) { return handle(r); }) {
        auto sample = json::parse(read_file(std::string(FB_SOURCE_DIR) + "/tests/fixtures/samples/generic-rest/shipment-CK20261120-0042.json"));
        for (int i = 0; i < records; ++i) {
            auto doc = sample.as_object();
            doc["DocNo"] = "PG-" + std::to_string(100 + i);
            char at[40];
            std::snprintf(at, sizeof at, "2026-11-20T%02d:%02d:00+08:00", 10 + i * spacing_minutes_ / 60, i * spacing_minutes_ % 60);
            doc["ModifyTime"] = at;
            rows_.push_back(doc);
        }
    }
    std::string base() const { return server_.url(""); }
    std::set<std::string> asked() const {
        std::lock_guard lock(mutex_);
        return asked_;
    }
    int requests() const {
        std::lock_guard lock(mutex_);
        return requests_;
    }
    // Once the first page has been served: the record at `index` is changed (now the latest),
    // so every record after it moves one place up, as in a real ERP between two requests.
    void change_after_first_page(std::size_t index) {
        std::lock_guard lock(mutex_);
        change_index_ = index;
    }
    int expired() const {
        std::lock_guard lock(mutex_);
        return expired_;
    }
    // Next links written absolute, to another host (a hostile or misconfigured ERP).
    void send_next_links_to(const std::string& base) {
        std::lock_guard lock(mutex_);
        next_base_ = base;
    }

    // A broken ERP that answers a page as its own next page: the next link is the link just
    // asked for, the token the one just sent (on the first page, which is sent none, a real one).
    void repeat_pages() {
        std::lock_guard lock(mutex_);
        repeat_ = true;
    }
    // Next links that are server-side state, as OData's $skiptoken and Salesforce's
    // nextRecordsUrl are: each carries the generation it was given out in, and one of an older
    // generation is answered 400 "expired". The generation moves on right after the first page
    // with a next link is answered (its paging state timed out): that link is dead when used.
    void expire_first_next_link() {
        std::lock_guard lock(mutex_);
        expiring_ = true;
        expire_after_first_ = true;
    }

private:
    std::optional<fb::test::Response> handle(const fb::test::Request& req) {
        std::lock_guard lock(mutex_);
        ++requests_;
        const std::string target_text(req.target());
        auto target = boost::urls::parse_origin_form(target_text);
        if (!target) return fb::test::reply(400, R"({"error":"bad target"})");
        std::map<std::string, std::string> q;
        for (auto p : target->params()) q[std::string(p.key)] = std::string(p.value);
        if (style_ == Style::odata_v4_lines_apart && target->path().ends_with("/Lines")) return lines(target->path(), q);
        auto since = fb::connectors::http_poll::parse_time(json::value(q["since"]), 0);
        if (!since) return fb::test::reply(400, R"({"error":"since is missing or not a time"})");
        std::vector<json::object> hits;
        for (const auto& r : rows_)
            if (fb::connectors::http_poll::parse_time(r.at("ModifyTime"), 0) >= since) hits.push_back(r);
        std::size_t size = std::stoul(q.count("size") ? q["size"] : q["$top"]);
        std::size_t from = 0;
        json::object answer;
        switch (style_) {
            case Style::page_number: {
                if (target->path() != "/api/shipments") return fb::test::reply(404, "{}");
                std::size_t page = std::stoul(q["page"]);  // from 1
                asked_.insert("page " + q["page"]);
                from = (page - 1) * size;
                break;
            }
            case Style::token:
                if (target->path() != "/api/shipments") return fb::test::reply(404, "{}");
                asked_.insert("token " + q["page_token"]);
                from = q["page_token"].empty() ? 0 : std::stoul(q["page_token"].substr(1));  // "t6" → 6
                break;
            case Style::offset:
                if (target->path() != "/api/shipments") return fb::test::reply(404, "{}");
                asked_.insert("offset " + q["offset"]);
                from = std::stoul(q["offset"]);
                break;
            case Style::odata_v4:
            case Style::odata_v4_lines_apart:
                if (target->path() != "/odata/v4/Shipments") return fb::test::reply(404, "{}");
                if (auto tilde = q["$skiptoken"].find('~'); tilde != std::string::npos) {  // "3~0": skip 3, generation 0
                    if (std::stoi(q["$skiptoken"].substr(tilde + 1)) != generation_) {
                        asked_.insert("expired " + q["$skiptoken"]);
                        ++expired_;
                        return fb::test::reply(400, R"({"error":{"code":"BadRequest","message":"The skip token has expired"}})");
                    }
                    q["$skiptoken"].resize(tilde);
                }
                asked_.insert("skip " + q["$skiptoken"]);
                from = q["$skiptoken"].empty() ? 0 : std::stoul(q["$skiptoken"]);
                answer["@odata.context"] = "$metadata#Shipments";
                break;
        }
        json::array page;
        for (std::size_t i = from; i < std::min(hits.size(), from + size); ++i) page.push_back(hits[i]);
        if (style_ == Style::odata_v4_lines_apart)
            for (auto& r : page) r.as_object().erase("Lines");
        bool more = from + size < hits.size();
        auto next = std::to_string(from + size);
        if (style_ == Style::token) {
            answer["items"] = page;
            // The last page has no token at all; or, with token_on_last_page, an ERP that always
            // answers a token and ends with an empty page.
            if (more || (token_on_last_ && !page.empty())) answer["next_page_token"] = "t" + next;
            if (repeat_ && !q["page_token"].empty()) answer["next_page_token"] = q["page_token"];
        } else if (style_ == Style::odata_v4 || style_ == Style::odata_v4_lines_apart) {
            answer["value"] = page;
            if (expiring_) next += "~" + std::to_string(generation_);
            if (more)  // relative to the request's URL, as OData v4 allows
                answer["@odata.nextLink"] = (next_base_.empty() ? "" : next_base_ + "/odata/v4/") + "Shipments?since=" + q["since"] +
                                            "&$top=" + q["$top"] + "&$skiptoken=" + next;
            if (more && repeat_) answer["@odata.nextLink"] = target_text;  // the page's own link
            if (more && expire_after_first_) expire_after_first_ = false, ++generation_;
        } else {
            answer["items"] = page;
            answer["total"] = hits.size();
        }
        if (change_index_ && from == 0) {
            auto changed = rows_[*change_index_];
            changed["ModifyTime"] = "2026-11-20T23:00:00+08:00";
            rows_.erase(rows_.begin() + static_cast<std::ptrdiff_t>(*change_index_));
            rows_.push_back(changed);
            change_index_.reset();
        }
        return fb::test::reply(200, json::serialize(answer));
    }

    // /odata/v4/Shipments('PG-100')/Lines?$top=2: a shipment's lines, server-paged by a relative
    // next link ("Lines?$top=2&$skiptoken=2"), as Business Central pages a navigation property.
    fb::test::Response lines(std::string_view path, std::map<std::string, std::string>& q) {
        auto open = path.find("('"), close = path.find("')");
        if (open == path.npos || close == path.npos) return fb::test::reply(404, "{}");
        std::string id(path.substr(open + 2, close - open - 2));
        const json::object* doc = nullptr;
        for (const auto& r : rows_)
            if (r.at("DocNo") == id.c_str()) doc = &r;
        if (!doc) return fb::test::reply(404, R"({"error":{"code":"BadRequest_NotFound"}})");
        std::size_t top = std::stoul(q["$top"]), from = q["$skiptoken"].empty() ? 0 : std::stoul(q["$skiptoken"]);
        asked_.insert("lines " + id + " skip " + q["$skiptoken"]);
        const auto& all = doc->at("Lines").as_array();
        json::array page;
        for (std::size_t i = from; i < std::min(all.size(), from + top); ++i) page.push_back(all[i]);
        json::object answer{{"value", page}};
        if (from + top < all.size())
            answer["@odata.nextLink"] = (next_base_.empty() ? "" : next_base_ + "/odata/v4/Shipments('" + id + "')/") +
                                        "Lines?$top=" + q["$top"] + "&$skiptoken=" + std::to_string(from + top);
        return fb::test::reply(200, json::serialize(answer));
    }

    Style style_;
    bool token_on_last_;
    int spacing_minutes_;
    std::optional<std::size_t> change_index_;
    mutable std::mutex mutex_;
    std::vector<json::object> rows_;
    std::set<std::string> asked_;
    std::string next_base_;
    bool repeat_ = false, expiring_ = false, expire_after_first_ = false;
    int generation_ = 0, expired_ = 0;
    int requests_ = 0;
    fb::test::LoopbackServer server_;
};

struct PagingPoll {
    fb::test::TempDir dir{"paging"};
    fb::publish::EmbeddedCluster kafka{1, 1, {"fsm.work-orders", "fsm.dead-letter"}};
    std::string state = dir.str("state.db");

    // A config polling `erp` with the request `url` (a template) and the source lines `source`.
    fb::config::Config config(const PagedErp& erp, const std::string& url, const std::string& source) {
        auto request = dir.str("poll-request.yaml");
        std::ofstream(request) << "name: paging-test\nrequest:\n  method: GET\n  url: { template: \"" << url << "\" }\n";
        auto yaml = "state: { path: " + state + ", synchronous: normal }\n"
                    "kafka: { brokers: \"" + kafka.bootstrap() + "\" }\n"
                    "http: { listen: 127.0.0.1:0 }\n"
                    "flows:\n"
                    "  - name: delivery\n"
                    "    document_type: shipment\n"
                    "    mapping: mappings/generic-rest/shipment-to-delivery.yaml\n"
                    "    source:\n"
                    "      type: http_poll\n"
                    "      request: " + request + "\n"
                    "      vars: { base: \"" + erp.base() + "\" }\n"
                    "      every: 100ms\n"
                    "      cursor: { time: $.ModifyTime, id: $.DocNo, overlap: 1h }\n" + source;
        return fb::config::parse(yaml, "paging.yaml", FB_SOURCE_DIR);
    }
    std::string cursor_id() const { return fb::test::committed_cursor(state); }
    std::int64_t polls(RunningApp& app) const {
        auto text = http_request(app.port(), "GET", "/metrics").body;
        auto at = text.find("fieldbridge_source_polls_total{flow=\"delivery\"");
        return at == std::string::npos ? 0 : std::stoll(text.substr(text.find('}', at) + 2));
    }
    // After the cursor reached `last` and two more polls ran (re-reading everything: the overlap
    // is an hour): the work orders published, counted by document id.
    std::map<std::string, int> work_orders(RunningApp& app, const std::string& last, std::size_t expected) {
        REQUIRE(eventually([&] { return cursor_id() == last; }));
        auto p = polls(app);
        REQUIRE(eventually([&] { return polls(app) >= p + 2; }));
        std::map<std::string, int> out;
        for (const auto& m : consume_at_least(kafka.bootstrap(), "fsm.work-orders", expected))
            ++out[std::string(json::parse(m.value).at("source").at("document_id").as_string())];
        return out;
    }
};

const char* page_url = "{{$.vars.base}}/api/shipments?since={{$.cursor.since}}&page={{$.page.number}}&size={{$.page.size}}";
const char* offset_url = "{{$.vars.base}}/api/shipments?since={{$.cursor.since}}&offset={{$.page.offset}}&size={{$.page.size}}";
const char* token_url = "{{$.vars.base}}/api/shipments?since={{$.cursor.since}}&size={{$.page.size}}&page_token={{$.page.token}}";

}  // namespace

TEST_CASE("page_number paging: a short last page ends the poll, no page past it is asked for") {
    PagingPoll t;
    PagedErp erp(Style::page_number, 7);  // pages of 3: 3 + 3 + 1
    RunningApp app(t.config(erp, page_url, "      records: $.items\n      paging: { type: page_number, size: 3 }\n"));
    auto orders = t.work_orders(app, "PG-106", 7);
    CHECK(orders.size() == 7);
    for (const auto& [id, n] : orders) CHECK(n == 1);
    CHECK(erp.asked() == std::set<std::string>{"page 1", "page 2", "page 3"});
}

TEST_CASE("page_number paging: an empty page after full ones ends the poll") {
    PagingPoll t;
    PagedErp erp(Style::page_number, 6);  // 3 + 3, then page 3 is empty
    RunningApp app(t.config(erp, page_url, "      records: $.items\n      paging: { type: page_number, size: 3 }\n"));
    auto orders = t.work_orders(app, "PG-105", 6);
    CHECK(orders.size() == 6);
    CHECK(erp.asked() == std::set<std::string>{"page 1", "page 2", "page 3"});
}

TEST_CASE("token paging: the next page's token comes from the answer, no token ends the poll") {
    PagingPoll t;
    PagedErp erp(Style::token, 7);
    RunningApp app(t.config(erp, token_url,
                            "      records: $.items\n      paging: { type: token, next: $.next_page_token, size: 3 }\n"));
    auto orders = t.work_orders(app, "PG-106", 7);
    CHECK(orders.size() == 7);
    for (const auto& [id, n] : orders) CHECK(n == 1);
    CHECK(erp.asked() == std::set<std::string>{"token ", "token t3", "token t6"});
}

TEST_CASE("token paging: an empty page ends the poll even when the ERP still answers a token") {
    PagingPoll t;
    PagedErp erp(Style::token, 6, true);  // t3, t6, then an empty page that still carries t9
    RunningApp app(t.config(erp, token_url,
                            "      records: $.items\n      paging: { type: token, next: $.next_page_token, size: 3 }\n"));
    auto orders = t.work_orders(app, "PG-105", 6);
    CHECK(orders.size() == 6);
    CHECK(erp.asked() == std::set<std::string>{"token ", "token t3", "token t6"});
}

TEST_CASE("OData v4: a relative @odata.nextLink is followed, a page without one is the last") {
    PagingPoll t;
    PagedErp erp(Style::odata_v4, 8);  // 3 + 3 + 2
    RunningApp app(t.config(erp, "{{$.vars.base}}/odata/v4/Shipments?since={{$.cursor.since}}&$top={{$.page.size}}",
                            "      records: $.value\n      paging: { type: next_link, next: \"$['@odata.nextLink']\", size: 3 }\n"));
    auto orders = t.work_orders(app, "PG-107", 8);
    CHECK(orders.size() == 8);
    for (const auto& [id, n] : orders) CHECK(n == 1);
    CHECK(erp.asked() == std::set<std::string>{"skip ", "skip 3", "skip 6"});
}

// An ERP that answers a page as its own next page would be read again and again — up to
// max_pages, with catch_up for ever — while /readyz said healthy: the page fails instead, naming
// the link or the token, and is retried with backoff.
TEST_CASE("a next link or token that repeats the page just asked for fails the page, naming it") {
    PagingPoll t;
    auto failing_because = [&](RunningApp& app, const std::string& part) {
        std::string why;
        REQUIRE(eventually([&] {
            auto ready = http_request(app.port(), "GET", "/readyz").json();
            if (ready.at("status") != "degraded") return false;
            why = std::string(ready.at("sources").at("delivery").as_string());
            return why.find(part) != std::string::npos;
        }));
        return why;
    };
    SECTION("a next link to the page itself") {
        PagedErp erp(Style::odata_v4, 8);
        erp.repeat_pages();
        RunningApp app(t.config(erp, "{{$.vars.base}}/odata/v4/Shipments?since={{$.cursor.since}}&$top={{$.page.size}}",
                                "      records: $.value\n      paging: { type: next_link, next: \"$['@odata.nextLink']\", size: 3 }\n"));
        auto why = failing_because(app, "the next link is the link just requested");
        CHECK_THAT(why, Catch::Contains("(" + erp.base() + "/odata/v4/Shipments?since=") &&
                            Catch::Contains("the ERP repeats its page"));
        CHECK(t.cursor_id().empty());  // nothing of the page is committed
        CHECK(erp.asked() == std::set<std::string>{"skip "});
    }
    SECTION("a token equal to the one just sent") {
        PagedErp erp(Style::token, 8);
        erp.repeat_pages();  // page 1 answers t3; page 2, sent t3, answers t3 again
        RunningApp app(t.config(erp, token_url,
                                "      records: $.items\n      paging: { type: token, next: $.next_page_token, size: 3 }\n"));
        auto why = failing_because(app, "the next page token is the token just sent (`t3`)");
        CHECK(t.cursor_id() == "PG-102");  // page 1 is committed, page 2 is not
        CHECK(erp.asked() == std::set<std::string>{"token ", "token t3"});
    }
}

// Server-side paging state expires (OData's $skiptoken, Salesforce's nextRecordsUrl): page 2's
// link is dead by the time it is used, and asking with it again would fail for ever. After three
// failures in a row the poll ends and the next one starts from the committed cursor, with a new
// first page and new links.
TEST_CASE("a later page that keeps failing ends the poll: the next one starts from the committed cursor") {
    PagingPoll t;
    PagedErp erp(Style::odata_v4, 8);  // 3 + 3 + 2
    erp.expire_first_next_link();
    RunningApp app(t.config(erp, "{{$.vars.base}}/odata/v4/Shipments?since={{$.cursor.since}}&$top={{$.page.size}}",
                            "      records: $.value\n      paging: { type: next_link, next: \"$['@odata.nextLink']\", size: 3 }\n"));
    auto orders = t.work_orders(app, "PG-107", 8);
    CHECK(orders.size() == 8);
    for (const auto& [id, n] : orders) CHECK(n == 1);
    CHECK(erp.expired() == 3);  // the dead link asked for three times, then never again
    CHECK(erp.asked().count("expired 3~0") == 1);
    CHECK(erp.asked().count("skip 6") == 1);  // the new poll's links lead on to the end
    CHECK(http_request(app.port(), "GET", "/readyz").json().at("status") == "ok");
}

// A shipment's lines at their own URL, paged by the ERP (4 lines, 2 a page): the detail follows
// its next links and the work order has every line; a cap that is reached with a next link still
// there fails the page instead of merging part of the lines.
TEST_CASE("a detail follows its answer's next links, and never merges part of the rows") {
    PagingPoll t;
    PagedErp erp(Style::odata_v4_lines_apart, 3);
    std::ofstream(t.dir.str("lines-request.yaml"))
        << "name: lines\nrequest:\n  method: GET\n"
           "  url: { template: \"{{$.vars.base}}/odata/v4/Shipments('{{$.record.DocNo}}')/Lines?$top=2\" }\n";
    const std::string shipments = "{{$.vars.base}}/odata/v4/Shipments?since={{$.cursor.since}}&$top={{$.page.size}}";
    std::string source = "      records: $.value\n      paging: { type: next_link, next: \"$['@odata.nextLink']\", size: 10 }\n"
                         "      details:\n        - { name: Lines, per: record, request: " + t.dir.str("lines-request.yaml") +
                         ", records: $.value, next: \"$['@odata.nextLink']\"";
    SECTION("followed: every line of every shipment") {
        RunningApp app(t.config(erp, shipments, source + " }\n"));
        REQUIRE(eventually([&] { return t.cursor_id() == "PG-102"; }));
        auto messages = consume_at_least(t.kafka.bootstrap(), "fsm.work-orders", 3);
        REQUIRE(messages.size() == 3);
        for (const auto& m : messages) {
            auto v = json::parse(m.value);
            INFO(v.at("source").at("document_id"));
            const auto& items = v.at("work_order").at("items").as_array();
            // The sample's four lines over two detail pages; the mapping leaves out line 4 (Qty 0):
            // line 3 came from the second page.
            REQUIRE(items.size() == 3);
            CHECK(items[2].at("line") == 3);
        }
        for (const char* asked : {"lines PG-100 skip ", "lines PG-100 skip 2", "lines PG-102 skip 2"})
            CHECK(erp.asked().count(asked) == 1);
    }
    SECTION("max_pages reached with a next link left: the page fails, nothing is committed") {
        RunningApp app(t.config(erp, shipments, source + ", max_pages: 1 }\n"));
        REQUIRE(eventually([&] { return http_request(app.port(), "GET", "/readyz").json().at("status") == "degraded"; }));
        auto ready = http_request(app.port(), "GET", "/readyz").json();
        CHECK_THAT(std::string(ready.at("sources").at("delivery").as_string()),
                   Catch::Contains("detail `Lines`: the answer still has a next link") && Catch::Contains("max_pages"));
        CHECK(t.cursor_id().empty());
        CHECK(erp.asked().count("lines PG-100 skip 2") == 0);
    }
}

// A next link is followed only to where the request went: to another host the page's auth, session
// and API key would go with it. The page (or the detail) fails instead, naming both hosts.
TEST_CASE("a next link to another host is not followed: the page fails, the other host gets nothing") {
    std::atomic<int> stolen{0};
    fb::test::LoopbackServer other([&](const fb::test::Request&) {
        ++stolen;
        return fb::test::reply(200, R"({"value":[]})");
    });
    PagingPoll t;
    const std::string shipments = "{{$.vars.base}}/odata/v4/Shipments?since={{$.cursor.since}}&$top={{$.page.size}}";
    auto degraded_because = [&](RunningApp& app) {
        REQUIRE(eventually([&] { return http_request(app.port(), "GET", "/readyz").json().at("status") == "degraded"; }));
        return std::string(http_request(app.port(), "GET", "/readyz").json().at("sources").at("delivery").as_string());
    };
    SECTION("the page's next link") {
        PagedErp erp(Style::odata_v4, 8);
        erp.send_next_links_to(other.url(""));
        RunningApp app(t.config(erp, shipments, "      records: $.value\n      paging: { type: next_link, next: \"$['@odata.nextLink']\", size: 3 }\n"));
        auto why = degraded_because(app);
        CHECK_THAT(why, Catch::Contains("the next link leads to " + other.url("") + ", not to " + erp.base()) &&
                            Catch::Contains("not followed"));
        CHECK(t.cursor_id().empty());  // page 1 is not committed without a way to page 2
    }
    SECTION("a detail's next link") {
        PagedErp erp(Style::odata_v4_lines_apart, 3);
        erp.send_next_links_to(other.url(""));
        std::ofstream(t.dir.str("lines-request.yaml"))
            << "name: lines\nrequest:\n  method: GET\n"
               "  url: { template: \"{{$.vars.base}}/odata/v4/Shipments('{{$.record.DocNo}}')/Lines?$top=2\" }\n";
        RunningApp app(t.config(erp, shipments,
                                "      records: $.value\n      paging: { type: next_link, next: \"$['@odata.nextLink']\", size: 10 }\n"
                                "      details:\n        - { name: Lines, per: record, request: " + t.dir.str("lines-request.yaml") +
                                    ", records: $.value, next: \"$['@odata.nextLink']\" }\n"));
        auto why = degraded_because(app);
        CHECK_THAT(why, Catch::Contains("detail `Lines`: the next link leads to") && Catch::Contains("not followed"));
        CHECK(t.cursor_id().empty());
    }
    CHECK(stolen == 0);
}

// Where a link may go is compared by origin: scheme and host case-blind, user info ignored, and the
// scheme's default port the same as none. Anything else is another place.
TEST_CASE("a next link's origin: default ports and case are the same place, other ports and schemes are not") {
    using fb::connectors::http_poll::foreign_link;
    CHECK(foreign_link("http://erp.local/odata?$top=3", "http://ERP.local:80/odata?$skip=3").empty());
    CHECK(foreign_link("https://erp.local:443/a", "https://erp.local/b").empty());
    CHECK(foreign_link("https://erp.local/a", "https://user:pw@erp.local/b").empty());
    CHECK_THAT(foreign_link("http://erp.local/a", "http://erp.local:8080/b"), Catch::Contains("leads to http://erp.local:8080"));
    CHECK_THAT(foreign_link("https://erp.local/a", "http://erp.local/b"), Catch::Contains("leads to http://erp.local,"));
    CHECK_THAT(foreign_link("http://erp.local/a", "http://erp.local:443/b"), Catch::Contains("not followed"));
    CHECK_THAT(foreign_link("http://erp.local/a", "javascript:x"), Catch::Contains("`javascript:x`"));
    CHECK_THAT(foreign_link("http://erp.local/a", "file:///etc/passwd"),
               Catch::Contains("the next link `file:///etc/passwd` is not an http(s) URL: not followed"));
}

// An absolute link keeps its scheme, written in any case; a scheme-relative one takes the
// request's; another scheme stays what it is, for foreign_link() to refuse by name.
TEST_CASE("a next link in upper case, scheme-relative or of another scheme is resolved as a browser would") {
    using fb::connectors::http_poll::resolve_link;
    const std::string base = "http://127.0.0.1:18080/api/shipments?page=1";
    CHECK(resolve_link(base, "HTTP://127.0.0.1:18080/api/shipments?page=9") == "http://127.0.0.1:18080/api/shipments?page=9");
    CHECK(resolve_link(base, "//127.0.0.1:18999/x") == "http://127.0.0.1:18999/x");
    CHECK(resolve_link(base, "file:///etc/passwd") == "file:///etc/passwd");
    CHECK(resolve_link(base, "gopher://h/1") == "gopher://h/1");
    CHECK(resolve_link(base, "/api/shipments?page=2") == "http://127.0.0.1:18080/api/shipments?page=2");
    CHECK(resolve_link(base, "shipments?page=3") == "http://127.0.0.1:18080/api/shipments?page=3");
}

TEST_CASE("offset paging: a record changed between two pages shifts the rest, and none of them is skipped") {
    // 20 shipments 10 minutes apart (over 3 hours: more than the hour of overlap), pages of 5.
    // After page 1, PG-101 changes: PG-105 moves to offset 4, already read. Asked from offset 5
    // it was never read, and the cursor passed it by more than the overlap.
    PagingPoll t;
    PagedErp erp(Style::offset, 20, false, 10);
    erp.change_after_first_page(1);
    RunningApp app(t.config(erp, offset_url, "      records: $.items\n      paging: { type: offset, size: 5 }\n"));
    auto orders = t.work_orders(app, "PG-101", 20);  // PG-101's change is its time only: unchanged
    CHECK(orders.size() == 20);
    CHECK(orders["PG-105"] == 1);
    for (const auto& [id, n] : orders) CHECK(n == 1);
    CHECK(erp.asked().count("offset 4") == 1);  // page 2 is asked from page 1's last record
}
