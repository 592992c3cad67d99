// Kingdee K/3 Cloud writeback (mappings/kingdee/sal-outstock-signoff.yaml) over the http sink with
// the ValidateUser login session (kdservice-sessionid cookie): a lost session, answered in an
// HTTP 200, logs in again and sends the same request; IsSuccess:false is a refusal, dead-lettered
// with Kingdee's answer, and `dead-letter replay` after the fix lands it.
#include <catch2/catch.hpp>

#include "ledger/dead_letter.h"
#include "writeback_http_support.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

const std::string login_path = "/k3cloud/Kingdee.BOS.WebApi.ServicesStub.AuthService.ValidateUser.common.kdsvc";
const std::string save_path = "/k3cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.Save.common.kdsvc";
const std::string password = "kd-pass-SECRET";

struct K3Cloud {
    std::mutex mutex;
    std::string session;
    int logins = 0;
    bool field_missing = true;  // the partner has not added F_FSM_Driver to bill 002's form yet
    std::map<std::string, std::string> signed_off;  // bill → F_FSM_SignStatus

    void drop_sessions() {
        std::lock_guard lock(mutex);
        session.clear();
    }
    std::optional<fb::test::Response> handle(const Received& r) {
        std::lock_guard lock(mutex);
        auto status = [](bool ok, int code, const std::string& message) {
            return answer(200, json::serialize(json::object{
                {"Result", {{"ResponseStatus", {{"IsSuccess", ok}, {"MsgCode", code},
                                                {"Errors", ok ? json::array{} : json::array{json::object{
                                                                  {"FieldName", "F_FSM_Driver"}, {"Message", message}}}}}},
                            {"Number", "XSCKD"}}}}));
        };
        if (r.target == login_path) {
            auto body = json::parse(r.body);
            if (body.at("password").as_string() != password) return answer(200, R"({"LoginResultType":0,"Message":"用户名或密码错误"})");
            session = "kd-SECRET-" + std::to_string(++logins);
            return answer(200, R"({"LoginResultType":1,"KDSVCSessionId":")" + session + "\"}",
                          {{"Set-Cookie", "kdservice-sessionid=" + session + "; path=/"}});
        }
        if (r.target != save_path) return answer(404, "");
        if (session.empty() || r.header("cookie").find("kdservice-sessionid=" + session) == std::string::npos)
            return status(false, 1, "会话信息已丢失，请重新登录");
        auto model = json::parse(r.body).at("data").at("Model");
        std::string bill(model.at("FBillNo").as_string());
        if (bill == "XSCKD20261120002" && field_missing)
            return status(false, 0, "字段F_FSM_Driver不存在 (session " + session + ")");
        signed_off[bill] = std::string(model.at("F_FSM_SignStatus").as_string());
        return status(true, 0, "");
    }
};

}  // namespace

TEST_CASE("Kingdee: login session, a lost session logs in again, IsSuccess:false is dead-lettered and replay lands it") {
    StateFile state("wb-kingdee.db");
    K3Cloud k3;
    ErpSimulator erp([&](const Received& r) { return k3.handle(r); });
    FlowYaml flow;
    flow.name = "kingdee";
    flow.mapping = "mappings/kingdee/sal-outstock-to-delivery.yaml";
    flow.writeback = "mappings/kingdee/sal-outstock-signoff.yaml";
    flow.sink = "base_url: \"" + erp.url() + "\", "
                "vars: { base: \"" + erp.url() + "\", acct_id: \"6543\", user: fsm, password: " + password + " }, "
                "login: { request: mappings/kingdee/poll-login.yaml, from: cookie, name: kdservice-sessionid, "
                "expired: { path: $.Result.ResponseStatus.MsgCode, equals: \"1\" } }";
    auto config = http_loop_config(state.path, {flow});
    {
        RunningApp daemon(config);
        REQUIRE(http_request(daemon.port(), "POST", "/webhooks/kingdee",
                             sample("kingdee-k3cloud/ExecuteBillQuery-SAL_OUTSTOCK.json")).status == 200);  // two bills
        publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                       {status_event("4-completed.json", "WO-kingdee-XSCKD20261120001", "kd-1")});
        REQUIRE(wait_for([&] { return writebacks_in(state.path, "done") == 1; }));
        CHECK(k3.logins == 1);
        CHECK(k3.signed_off["XSCKD20261120001"] == "1");

        k3.drop_sessions();  // K/3 Cloud restarted: the session is gone
        publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                       {status_event("failed-customer-absent.json", "WO-kingdee-XSCKD20261120002", "kd-2")});
        REQUIRE(wait_for([&] { return writebacks_in(state.path, "dead") == 1; }));
        CHECK(k3.logins == 2);
        auto saves = erp.received("POST", save_path);
        REQUIRE(saves.size() == 3);
        CHECK(saves[1].body == saves[2].body);  // the same request, after the new login
        CHECK(saves[1].header("cookie") == "kdservice-sessionid=kd-SECRET-1");
        CHECK(saves[2].header("cookie") == "kdservice-sessionid=kd-SECRET-2");

        auto t = trace(state.path, "kingdee", "XSCKD20261120002");
        INFO(json::serialize(t));
        const auto& wb = t.at("writebacks").at(0);
        CHECK(wb.at("state") == "dead");
        // The lost session's new login is in the attempts, before the save it was made for.
        CHECK(attempt_steps(state.path, "kingdee", "XSCKD20261120002") ==
              std::vector<std::string>{"login: success", "request: permanent"});
        CHECK(wb.at("last_answer").as_string().find("字段F_FSM_Driver不存在") != json::string::npos);
        CHECK(wb.at("last_error").as_string().find("success") != json::string::npos);
    }
    {
        std::lock_guard lock(k3.mutex);
        k3.field_missing = false;  // the partner fixed the form
    }
    {
        fb::store::Database db(state.path);
        auto letters = fb::ledger::list_dead_letters(db, false);
        REQUIRE(letters.size() == 1);
        CHECK(letters[0].stage == "writeback");
        CHECK_THAT(letters[0].reason, Catch::Contains("ERP refused POST"));
        CHECK(fb::ledger::replay_dead_letters(db, config, {}, {}).replayed == 1);
    }
    RunningApp daemon(config);
    REQUIRE(wait_for([&] { return writebacks_in(state.path, "done") == 2; }));
    CHECK(k3.signed_off["XSCKD20261120002"] == "2");
    auto bytes = state_bytes(state.path);
    CHECK(bytes.find(password) == std::string::npos);
    CHECK(bytes.find("kd-SECRET") == std::string::npos);  // the session, echoed in Kingdee's refusal
}
