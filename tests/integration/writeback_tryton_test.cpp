// Tryton writeback (mappings/tryton/: the customer shipment's `done` button, read back) over the
// plain http sink against a Tryton simulator: envelope {id, method, params} POSTed to /<db>/,
// login common.db.login → [user_id, session], `Authorization: Session base64(login:uid:session)`
// (session_header.template), 401 for a session that is gone, errors as ["UserError", [...]] in a
// 200 (classify), and a button that does nothing on a shipment that is not packed.
#include <catch2/catch.hpp>

#include "http/auth.h"
#include "writeback_http_support.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

const std::string password = "tryton-pass-SECRET";

struct Tryton {
    std::mutex mutex;
    std::string session;
    int logins = 0;
    std::map<std::int64_t, std::string> state{{11, "packed"}, {12, "waiting"}, {13, "packed"}};
    std::vector<json::object> calls;

    std::string expected_authorization() const {
        return "Session " + fb::http::base64("fsm:7:" + session);
    }
    std::optional<fb::test::Response> handle(const Received& r) {
        std::lock_guard lock(mutex);
        if (r.method != "POST" || r.target != "/tryton/") return answer(404, "Not Found");
        auto body = json::parse(r.body).as_object();
        auto id = body.at("id");
        auto method = std::string(body.at("method").as_string());
        const auto& params = body.at("params").as_array();
        if (method == "common.db.login") {
            if (params.at(0) != "fsm" || params.at(1).at("password") != json::value(password))
                return answer(200, json::serialize(json::object{{"id", id}, {"result", nullptr}}));
            session = "a3f9c0-session-SECRET-" + std::to_string(++logins);
            return answer(200, json::serialize(json::object{{"id", id}, {"result", json::array{7, session}}}));
        }
        calls.push_back(body);
        if (session.empty() || r.header("authorization") != expected_authorization())
            return answer(401, "Unauthorized");
        auto shipment = params.at(0).at(0).as_int64();
        json::object out{{"id", id}};
        if (method == "model.stock.shipment.out.read") {
            out["result"] = json::array{json::object{{"id", shipment}, {"state", state[shipment]}}};
        } else if (method == "model.stock.shipment.out.done") {
            if (shipment == 13)
                out["error"] = json::array{"UserError", json::array{"To process shipment \"CS13\" you must pick its moves.", ""}};
            else if (state[shipment] == "packed") {
                state[shipment] = "done";
                out["result"] = nullptr;
            } else {
                out["result"] = nullptr;  // the workflow transition skips it: nothing changed
            }
        } else {
            out["error"] = json::array{"UserError", json::array{"Unknown method " + method, ""}};
        }
        return answer(200, json::serialize(out));
    }
};

}  // namespace

TEST_CASE("Tryton: the done button in Tryton's own envelope, Session header from the login's parts, errors by classify, a no-op caught by the read-back") {
    StateFile state("wb-tryton.db");
    Tryton tryton;
    ErpSimulator erp([&](const Received& r) { return tryton.handle(r); });
    FlowYaml flow;
    flow.name = "tryton";
    flow.writeback = "mappings/tryton/shipment-done-writeback.yaml";
    flow.verify = "mappings/tryton/shipment-done-verify.yaml";
    flow.sink = "base_url: \"" + erp.url("/tryton") + "\", vars: { db: tryton, user: fsm, password: " + password + " }, "
                "login: { request: mappings/tryton/login.yaml, from: body, name: $.result }, "
                "session_header: { name: Authorization, template: "
                "\"Session {{ base64(concat($.vars.user, ':', $.session[0], ':', $.session[1])) }}\" }";
    flow.extra = "      verify_attempts: 2\n";
    RunningApp daemon(http_loop_config(state.path, {flow}));
    for (std::int64_t id : {11, 12, 13})
        REQUIRE(http_request(daemon.port(), "POST", "/webhooks/tryton", shipment_doc("CS" + std::to_string(id), id)).status == 202);
    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                   {status_event("4-completed.json", "WO-tryton-CS11", "t-11")});
    REQUIRE(wait_for([&] { return writebacks_in(state.path, "done") == 1; }));
    {
        std::lock_guard lock(tryton.mutex);
        CHECK(tryton.state[11] == "done");
        REQUIRE(tryton.calls.size() == 2);
        const auto& call = tryton.calls[0];
        CHECK(call.at("method") == "model.stock.shipment.out.done");
        CHECK(!call.contains("jsonrpc"));  // Tryton's envelope, as the mapping wrote it
        CHECK(call.at("params").at(0) == json::array{11});
        CHECK(call.at("params").at(1).at("fieldbridge_idempotency_key").is_string());
        tryton.session.clear();  // the server restarted: every session is gone (401)
    }
    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                   {status_event("4-completed.json", "WO-tryton-CS12", "t-12"),
                    status_event("4-completed.json", "WO-tryton-CS13", "t-13")});
    REQUIRE(wait_for([&] { return writebacks_in(state.path, "dead") == 2; }));

    // Not packed: `done` answered null and changed nothing; the read-back says so, twice.
    CHECK(attempt_results(state.path, "tryton", "CS12") ==
          std::vector<std::string>{"success", "unverified", "success", "unverified"});
    auto noop = trace(state.path, "tryton", "CS12").at("writebacks").at(0).as_object();
    CHECK(noop.at("last_error").as_string().find("ERP did not apply the change") != json::string::npos);
    // A UserError in an HTTP 200 is permanent, with Tryton's message.
    CHECK(attempt_results(state.path, "tryton", "CS13") == std::vector<std::string>{"permanent"});
    auto refused = trace(state.path, "tryton", "CS13").at("writebacks").at(0).as_object();
    INFO(json::serialize(refused));
    CHECK(refused.at("last_error").as_string().find("classify: permanent") != json::string::npos);
    CHECK(refused.at("last_answer").as_string().find("you must pick its moves") != json::string::npos);
    {
        std::lock_guard lock(tryton.mutex);
        CHECK(tryton.logins == 2);  // the 401 logged in again inside the attempt
        CHECK(tryton.state[12] == "waiting");
    }
    auto bytes = state_bytes(state.path);
    CHECK(bytes.find(password) == std::string::npos);
    CHECK(bytes.find("session-SECRET") == std::string::npos);
}
