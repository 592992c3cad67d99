// http_poll against a Kingdee K/3 Cloud simulator on loopback: ValidateUser login with the
// kdservice-sessionid cookie, ExecuteBillQuery answering rows as arrays (one per line item) with
// StartRow/Limit paging, a lost session answered in HTTP 200 (MsgCode 1) → login again.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <mutex>
#include <regex>
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

const char* login_path = "/k3cloud/Kingdee.BOS.WebApi.ServicesStub.AuthService.ValidateUser.common.kdsvc";
const char* query_path = "/k3cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteBillQuery.common.kdsvc";

class Kingdee {
public:
    Kingdee() : server_([this](const fb::test::Request& r) { return handle(r); }) {}
    std::string base() const { return server_.url(""); }

    // One SAL_OUTSTOCK row (a line item of bill `no`), values in FieldKeys order.
    void row(const std::string& no, const std::string& sku, double qty, const std::string& modified) {
        std::lock_guard lock(mutex_);
        rows_.push_back(json::array{no, "2026-11-20T00:00:00", "C", "CUST0042", "海口美居建材有限公司",
                                    "海南省海口市美兰区海府路88号", "黄经理", "13876001234", sku, "杜拉维特 台盆",
                                    qty, "个", modified});
    }
    void touch(const std::string& no, double qty, const std::string& modified) {
        std::lock_guard lock(mutex_);
        for (auto& r : rows_)
            if (r.as_array()[0] == no.c_str()) {
                r.as_array()[10] = qty;
                r.as_array()[12] = modified;
            }
    }
    void drop_sessions() {
        std::lock_guard lock(mutex_);
        session_.clear();
    }
    int logins() const {
        std::lock_guard lock(mutex_);
        return logins_;
    }
    int lost_session_answers() const {
        std::lock_guard lock(mutex_);
        return lost_;
    }

private:
    std::optional<fb::test::Response> handle(const fb::test::Request& req) {
        std::lock_guard lock(mutex_);
        auto body = json::parse(req.body());
        if (req.target() == login_path) {
            if (body.at("password") != "kd-pass" || body.at("acctID") != "6523a1")
                return fb::test::reply(200, R"({"LoginResultType":0,"Message":"用户名或密码错误"})");
            session_ = "kd-" + std::to_string(++logins_);
            auto res = fb::test::reply(200, R"({"LoginResultType":1,"Context":{"UserName":"fieldbridge"}})");
            res.insert(bhttp::field::set_cookie, "ASP.NET_SessionId=x; path=/; HttpOnly");
            res.insert(bhttp::field::set_cookie, "kdservice-sessionid=" + session_ + "; path=/");
            return res;
        }
        if (req.target() != query_path) return fb::test::reply(404, "{}");
        if (session_.empty() || std::string(req[bhttp::field::cookie]) != "kdservice-sessionid=" + session_) {
            ++lost_;  // what K/3 Cloud answers when the session is gone: HTTP 200, an error inside
            return fb::test::reply(200, R"([[{"Result":{"ResponseStatus":{"IsSuccess":false,"MsgCode":1,)"
                                        R"("Errors":[{"Message":"会话信息已丢失，请重新登录"}]}}}]])");
        }
        const auto& data = body.at("data").as_object();
        std::smatch m;
        std::string filter(data.at("FilterString").as_string());
        static const std::regex since_re(R"(FModifyDate>='([^']+)')");
        if (!std::regex_search(filter, m, since_re)) return fb::test::reply(400, R"({"error":"no FModifyDate filter"})");
        auto time = [](const json::value& v) { return fb::connectors::http_poll::parse_time(v, 8 * 60).value_or(0); };
        auto since = time(json::value(m[1].str()));
        std::vector<json::array> hits;
        for (const auto& r : rows_)
            if (time(r.as_array()[12]) >= since) hits.push_back(r.as_array());
        std::stable_sort(hits.begin(), hits.end(), [&](const auto& a, const auto& b) {
            auto ta = time(a[12]), tb = time(b[12]);
            return ta != tb ? ta < tb : std::string_view(a[0].as_string()) < std::string_view(b[0].as_string());
        });
        auto start = data.at("StartRow").to_number<std::int64_t>(), limit = data.at("Limit").to_number<std::int64_t>();
        json::array page;
        for (std::int64_t i = start; i < std::min<std::int64_t>(start + limit, hits.size()); ++i) page.push_back(hits[i]);
        return fb::test::reply(200, json::serialize(page));
    }

    mutable std::mutex mutex_;
    std::vector<json::value> rows_;
    std::string session_;
    int logins_ = 0, lost_ = 0;
    fb::test::LoopbackServer server_;
};

std::string cursor_id(const std::string& state) { return fb::test::committed_cursor(state); }

}  // namespace

TEST_CASE("Kingdee ExecuteBillQuery: login cookie, StartRow paging, rows grouped per bill, lost session → login again") {
    fb::test::TempDir dir("kingdee");
    fb::publish::EmbeddedCluster kafka(1, 2, {"fsm.work-orders", "fsm.dead-letter"});
    Kingdee erp;
    // Pages of 2 rows: bill 001 (2 lines), bill 002 (2 lines), bill 003 (1 line: a short page).
    erp.row("XSCKD20261120001", "DV-2337600000", 4, "2026-11-20T15:32:10.45");
    erp.row("XSCKD20261120001", "HG-71400000", 4, "2026-11-20T15:32:10.45");
    erp.row("XSCKD20261120002", "VB-5614R001", 1, "2026-11-20T16:01:44.2");
    erp.row("XSCKD20261120002", "HG-26457000", 2, "2026-11-20T16:01:44.2");
    erp.row("XSCKD20261120003", "VB-4A2200R1", 1, "2026-11-20T16:30:00");
    auto state = dir.str("state.db");
    auto yaml = "state: { path: " + state + ", synchronous: normal }\n"
                "kafka: { brokers: \"" + kafka.bootstrap() + "\" }\n"
                "http: { listen: 127.0.0.1:0 }\n"
                "flows:\n"
                "  - name: kd-outstock\n"
                "    document_type: sal_outstock\n"
                "    mapping: mappings/kingdee/sal-outstock-poll-to-delivery.yaml\n"
                "    source:\n"
                "      type: http_poll\n"
                "      request: mappings/kingdee/poll-sal-outstock.yaml\n"
                "      vars: { base: \"" + erp.base() + "\", acct_id: 6523a1, user: fieldbridge, password: kd-pass }\n"
                "      login:\n"
                "        request: mappings/kingdee/poll-login.yaml\n"
                "        from: cookie\n"
                "        name: kdservice-sessionid\n"
                "        expired: { path: \"$[0][0].Result.ResponseStatus.MsgCode\", equals: \"1\" }\n"
                "      error: { path: \"$[0][0].Result.ResponseStatus.IsSuccess\", equals: \"false\" }\n"
                "      every: 200ms\n"
                "      records: $\n"
                "      group_rows: true\n"
                "      paging: { type: offset, size: 2 }\n"
                "      cursor: { time: \"$[12]\", id: \"$[0]\", tz_offset: \"+08:00\", overlap: 10m }\n";
    RunningApp app(fb::config::parse(yaml, "kingdee.yaml", FB_SOURCE_DIR));
    REQUIRE(eventually([&] { return cursor_id(state) == "XSCKD20261120003"; }));
    CHECK(erp.logins() == 1);

    auto orders = [&](std::size_t n) {
        std::map<std::string, json::object> out;
        for (const auto& m : consume_at_least(kafka.bootstrap(), "fsm.work-orders", n, 60000))
            out[std::string(json::parse(m.value).at("event_id").as_string())] = json::parse(m.value).as_object();
        return out;
    };
    auto first = orders(3);
    REQUIRE(first.size() == 3);
    for (auto& [id, e] : first) {
        CHECK(e.at("type") == "work_order.created");
        auto ref = std::string(e.at("work_order").at("source_ref").as_string());
        CHECK(e.at("work_order").at("items").as_array().size() == (ref == "XSCKD20261120003" ? 1u : 2u));
        CHECK(e.at("work_order").at("customer").at("phone") == "+8613876001234");
    }

    // The session is lost; bill 002 changes: the poll logs in again and publishes one update. Its
    // two rows now come after bill 003's, straddling a page boundary: held together, not split.
    erp.drop_sessions();
    erp.touch("XSCKD20261120002", 3, "2026-11-20T17:05:00");
    REQUIRE(eventually([&] { return cursor_id(state) == "XSCKD20261120002"; }));
    CHECK(erp.lost_session_answers() >= 1);
    CHECK(erp.logins() == 2);
    auto all = orders(4);
    REQUIRE(all.size() == 4);
    auto updates = std::count_if(all.begin(), all.end(), [](const auto& e) { return e.second.at("type") == "work_order.updated"; });
    CHECK(updates == 1);
}
