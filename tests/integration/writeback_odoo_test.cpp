// Odoo writeback over the jsonrpc sink (mappings/odoo/picking-validate-writeback.yaml, verified by
// picking-validate-verify.yaml) against an Odoo simulator: /web/session/authenticate sets the
// session_id cookie; errors come in HTTP 200s, read by their error.data.name: a session expiry logs
// in again, a ValidationError is permanent (dead-lettered with Odoo's answer, replayed after the
// fix); a validate that answers a wizard and changes nothing is caught by the read-back.
#include <catch2/catch.hpp>

#include "ledger/dead_letter.h"
#include "writeback_http_support.h"
#include "support/source_dir.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

const std::string password = "odoo-pass-SECRET";

struct Odoo {
    std::mutex mutex;
    std::string session;
    int logins = 0;
    bool reservation_missing = true;               // picking 42 cannot be validated until fixed
    std::map<std::int64_t, std::string> state{{41, "assigned"}, {42, "assigned"}, {43, "assigned"}};
    std::vector<json::object> calls;                // the JSON-RPC envelopes received

    void drop_sessions() {
        std::lock_guard lock(mutex);
        session.clear();
    }
    static fb::test::Response error(const json::value& id, const std::string& name, const std::string& message,
                                    const std::string& debug = "") {
        return answer(200, json::serialize(json::object{
            {"jsonrpc", "2.0"}, {"id", id},
            {"error", {{"code", 200}, {"message", "Odoo Server Error"},
                       {"data", {{"name", name}, {"message", message}, {"debug", debug}}}}}}));
    }
    std::optional<fb::test::Response> handle(const Received& r) {
        std::lock_guard lock(mutex);
        auto body = json::parse(r.body).as_object();
        if (r.target == "/web/session/authenticate") {
            if (body.at("params").at("password").as_string() != password)
                return error(nullptr, "odoo.exceptions.AccessDenied", "Access Denied");
            session = "odoo-sess-SECRET-" + std::to_string(++logins);
            return answer(200, R"({"jsonrpc":"2.0","id":null,"result":{"uid":2}})",
                          {{"Set-Cookie", "session_id=" + session + "; Expires=Thu, 01 Jan 2037 00:00:00 GMT; HttpOnly; Path=/"}});
        }
        calls.push_back(body);
        auto id = body.at("id");
        if (session.empty() || r.header("cookie").find("session_id=" + session) == std::string::npos)
            return error(id, "odoo.http.SessionExpiredException", "Session expired");
        const auto& params = body.at("params");
        auto picking = params.at("args").at(0).at(0).as_int64();
        auto method = params.at("method").as_string();
        json::object out{{"jsonrpc", "2.0"}, {"id", id}};
        if (method == "read") {
            out["result"] = json::array{json::object{{"id", picking}, {"state", state[picking]}}};
        } else if (method == "button_validate") {
            if (picking == 42 && reservation_missing)
                return error(id, "odoo.exceptions.ValidationError",
                             "You cannot validate a transfer if no quantities are reserved.",
                             "Traceback … request cookie session_id=" + session);
            if (picking == 43) {  // needs a decision in a wizard: answered, nothing changed
                out["result"] = {{"res_model", "stock.immediate.transfer"}, {"type", "ir.actions.act_window"}};
            } else {
                state[picking] = "done";
                out["result"] = true;
            }
        }
        return answer(200, json::serialize(out));
    }
};

FlowYaml odoo_flow(const ErpSimulator& erp) {
    FlowYaml flow;
    flow.name = "odoo";
    flow.type = "jsonrpc";
    flow.writeback = "mappings/odoo/picking-validate-writeback.yaml";
    flow.verify = "mappings/odoo/picking-validate-verify.yaml";
    flow.sink = "base_url: \"" + erp.url() + "\", vars: { db: fsm, user: fieldbridge, password: " + password + " }, "
                "login: { request: mappings/odoo/picking-validate-writeback-login.yaml, from: cookie, name: session_id }";
    flow.extra = "      verify_attempts: 2\n";
    return flow;
}

}  // namespace

TEST_CASE("Odoo JSON-RPC: validate then read back, an expired session logs in again, a wizard answer is 'ERP did not apply'") {
    StateFile state("wb-odoo.db");
    Odoo odoo;
    ErpSimulator erp([&](const Received& r) { return odoo.handle(r); });
    RunningApp daemon(http_loop_config(state.path, {odoo_flow(erp)}));
    for (std::int64_t id : {41, 43})
        REQUIRE(http_request(daemon.port(), "POST", "/webhooks/odoo", shipment_doc("WH-OUT-" + std::to_string(id), id)).status == 202);
    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                   {status_event("4-completed.json", "WO-odoo-WH-OUT-41", "o-41")});
    REQUIRE(wait_for([&] { return writebacks_in(state.path, "done") == 1; }));
    CHECK(attempt_results(state.path, "odoo", "WH-OUT-41") == std::vector<std::string>{"success", "success"});
    {
        std::lock_guard lock(odoo.mutex);
        CHECK(odoo.state[41] == "done");
        REQUIRE(odoo.calls.size() == 2);
        const auto& call = odoo.calls[0];
        CHECK(call.at("jsonrpc") == "2.0");
        CHECK(call.at("method") == "call");
        CHECK(call.at("params").at("model") == "stock.picking");
        CHECK(call.at("params").at("method") == "button_validate");
        CHECK(odoo.calls[1].at("params").at("method") == "read");
        CHECK(odoo.logins == 1);
    }

    odoo.drop_sessions();
    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                   {status_event("4-completed.json", "WO-odoo-WH-OUT-43", "o-43")});
    REQUIRE(wait_for([&] { return writebacks_in(state.path, "dead") == 1; }));
    // The expired session was renewed inside the first send: no attempt was lost to it.
    CHECK(attempt_results(state.path, "odoo", "WH-OUT-43") ==
          std::vector<std::string>{"success", "unverified", "success", "unverified"});
    auto t = trace(state.path, "odoo", "WH-OUT-43");
    INFO(json::serialize(t));
    CHECK(t.at("writebacks").at(0).at("last_error").as_string().find("ERP did not apply the change") != json::string::npos);
    std::lock_guard lock(odoo.mutex);
    CHECK(odoo.logins == 2);
    CHECK(odoo.state[43] == "assigned");
    auto expired = std::count_if(odoo.calls.begin(), odoo.calls.end(), [](const json::object& c) {
        return c.at("params").at("args").at(0).at(0) == 43 && c.at("params").at("method") == "button_validate";
    });
    CHECK(expired == 3);  // refused once for the session, then sent again, then the retry after the read-back
}

TEST_CASE("Odoo JSON-RPC: a ValidationError in an HTTP 200 is dead-lettered with Odoo's answer, replay after the fix lands it, no secret is stored") {
    StateFile state("wb-odoo-refusal.db");
    Odoo odoo;
    ErpSimulator erp([&](const Received& r) { return odoo.handle(r); });
    auto config = http_loop_config(state.path, {odoo_flow(erp)});
    {
        RunningApp daemon(config);
        REQUIRE(http_request(daemon.port(), "POST", "/webhooks/odoo", shipment_doc("WH-OUT-42", 42)).status == 202);
        publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                       {status_event("4-completed.json", "WO-odoo-WH-OUT-42", "o-42")});
        REQUIRE(wait_for([&] { return writebacks_in(state.path, "dead") == 1; }));
        auto wb = trace(state.path, "odoo", "WH-OUT-42").at("writebacks").at(0).as_object();
        INFO(json::serialize(wb));
        // The session's login, then the call, refused for good: not retried.
        CHECK(attempt_steps(state.path, "odoo", "WH-OUT-42") ==
              std::vector<std::string>{"login: success", "request: permanent"});
        CHECK(wb.at("attempts").at(1).at("http_status") == 200);
        CHECK_THAT(std::string(wb.at("attempts").at(1).at("reason").as_string()),
                   Catch::Contains("JSON-RPC error odoo.exceptions.ValidationError"));
        CHECK(wb.at("last_error").as_string().find("JSON-RPC error odoo.exceptions.ValidationError") != json::string::npos);
        CHECK(wb.at("last_answer").as_string().find("no quantities are reserved") != json::string::npos);
    }
    {
        std::lock_guard lock(odoo.mutex);
        odoo.reservation_missing = false;
    }
    {
        fb::store::Database db(state.path);
        CHECK(fb::ledger::replay_dead_letters(db, config, {}, {}).replayed == 1);
    }
    RunningApp daemon(config);
    REQUIRE(wait_for([&] { return writebacks_in(state.path, "done") == 1; }));
    {
        std::lock_guard lock(odoo.mutex);
        CHECK(odoo.state[42] == "done");
    }
    auto bytes = state_bytes(state.path);
    CHECK(bytes.find(password) == std::string::npos);
    CHECK(bytes.find("odoo-sess-SECRET") == std::string::npos);  // echoed in Odoo's traceback
    CHECK(bytes.find("no quantities are reserved") != std::string::npos);  // the answer itself is kept
}

TEST_CASE("Odoo JSON-RPC: the mapping's classify: rules come before the sink's reading of the error, as on the http sink") {
    // The same mapping as the flow's, plus a rule that makes Odoo's ValidationError (permanent by
    // the sink's reading) a retry: the picking lands once its reservation is there.
    TempDir dir("wb-odoo-classify");
    auto rules = dir.path / "picking-validate-retry.yaml";
    {
        std::ifstream in(std::string(FB_SOURCE_DIR) + "/mappings/odoo/picking-validate-writeback.yaml");
        std::stringstream text;
        text << in.rdbuf();
        std::ofstream(rules) << text.str()
                             << "classify:\n"
                                "  retry: $.response.body.error.data.name == \"odoo.exceptions.ValidationError\"\n";
    }
    StateFile state("wb-odoo-classify.db");
    Odoo odoo;
    ErpSimulator erp([&](const Received& r) { return odoo.handle(r); });
    auto flow = odoo_flow(erp);
    flow.writeback = rules.string();
    RunningApp daemon(http_loop_config(state.path, {flow}));
    REQUIRE(http_request(daemon.port(), "POST", "/webhooks/odoo", shipment_doc("WH-OUT-42", 42)).status == 202);
    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                   {status_event("4-completed.json", "WO-odoo-WH-OUT-42", "o-42")});
    REQUIRE(wait_for([&] { return query_int(state.path, "SELECT count(*) FROM writeback_attempts WHERE kind IS NULL") >= 2; }));
    CHECK(writebacks_in(state.path, "dead") == 0);
    auto results = attempt_results(state.path, "odoo", "WH-OUT-42");
    REQUIRE(results.size() >= 2);
    CHECK(results[0] == "retry");
    CHECK(results[1] == "retry");
    auto wb = trace(state.path, "odoo", "WH-OUT-42").at("writebacks").at(0).as_object();
    INFO(json::serialize(wb));
    CHECK(wb.at("last_error").as_string().find("classify: retry") != json::string::npos);
    {
        std::lock_guard lock(odoo.mutex);
        odoo.reservation_missing = false;
    }
    REQUIRE(wait_for([&] { return writebacks_in(state.path, "done") == 1; }));
    std::lock_guard lock(odoo.mutex);
    CHECK(odoo.state[42] == "done");
}
