// Acumatica writeback (mappings/acumatica/), written from the READMEs alone, against an Acumatica
// simulator: a JSON cookie login (POST /entity/auth/login answers 204 and sets several session
// cookies, all of which must come back), a PUT of the Shipment with value-wrapped fields and the
// endpoint version from the sink's `vars`, a 401 once the session is gone, a 422 with the
// entity's field errors, and a read-back by key. Also: `vars` in writeback requests, and their
// secrets masked in the trace, the dead-letter queue and the state file.
#include <catch2/catch.hpp>

#include "ledger/dead_letter.h"
#include "writeback/queue.h"
#include "writeback_http_support.h"
#include "support/log_capture.h"
#include "support/source_dir.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

const std::string password = "acu-pass-SECRET";
const std::string shipment_path = "/entity/Default/22.200.001/Shipment";

struct Acumatica {
    std::mutex mutex;
    std::string session, auth;  // ASP.NET_SessionId and .ASPXAUTH of the live session
    int logins = 0;
    std::map<std::string, std::string> status{{"SH000101", "Open"}, {"SH000102", "On Hold"}};
    std::map<std::string, json::array> details;

    void drop_sessions() {
        std::lock_guard lock(mutex);
        session.clear();
        auth.clear();
    }
    static std::string value(const json::value& v, const char* field) {
        const auto* f = v.as_object().if_contains(field);
        return f && f->is_object() && f->as_object().contains("value") && f->at("value").is_string()
                   ? std::string(f->at("value").as_string())
                   : "";
    }
    json::object entity(const std::string& nbr) {
        return {{"id", "5f2b-" + nbr}, {"ShipmentNbr", {{"value", nbr}}}, {"Status", {{"value", status[nbr]}}},
                {"Details", details[nbr]}};
    }
    std::optional<fb::test::Response> handle(const Received& r) {
        std::lock_guard lock(mutex);
        if (r.method == "POST" && r.target == "/entity/auth/login") {
            auto body = json::parse(r.body);
            if (body.at("name") != "fsm" || body.at("password") != json::value(password) || body.at("company") != "ACME")
                return answer(500, R"({"message":"An error has occurred.","exceptionMessage":"Invalid credentials."})");
            ++logins;
            session = "sess-SECRET-" + std::to_string(logins);
            auth = "auth-SECRET-" + std::to_string(logins);
            auto res = answer(204, "");
            res.insert("Set-Cookie", "ASP.NET_SessionId=" + session + "; path=/; HttpOnly; SameSite=Lax");
            res.insert("Set-Cookie", ".ASPXAUTH=" + auth + "; path=/; HttpOnly");
            res.insert("Set-Cookie", "UserBranch=16; path=/");
            res.insert("Set-Cookie", "Locale=Culture=en-US&TimeZone=GMTM0500A; path=/");
            return res;
        }
        auto cookie = r.header("cookie");
        if (session.empty() || cookie.find("ASP.NET_SessionId=" + session) == std::string::npos ||
            cookie.find(".ASPXAUTH=" + auth) == std::string::npos)
            return answer(401, R"({"message":"You are not logged in."})");
        if (r.method == "GET" && r.target.rfind(shipment_path + "/", 0) == 0) {
            auto nbr = r.target.substr(shipment_path.size() + 1);
            if (!status.contains(nbr)) return answer(404, R"({"message":"No entity satisfies the condition."})");
            return answer(200, json::serialize(entity(nbr)));
        }
        if (r.method != "PUT" || r.target != shipment_path) return answer(404, "");
        auto body = json::parse(r.body);
        auto nbr = value(body, "ShipmentNbr");
        if (!status.contains(nbr)) return answer(422, R"({"ShipmentNbr":{"value":")" + nbr + R"(","error":"'Shipment Nbr.' cannot be found in the system."}})");
        if (status[nbr] == "On Hold") {
            auto out = entity(nbr);
            out["Status"] = {{"value", "Completed"}, {"error", "The shipment is on hold and cannot be completed."}};
            return answer(422, json::serialize(out));
        }
        status[nbr] = value(body, "Status");
        details[nbr] = body.at("Details").as_array();
        return answer(200, json::serialize(entity(nbr)));
    }
};

}  // namespace

TEST_CASE("Acumatica: cookie login with a JSON body, value-wrapped PUT with the version from vars, a 401 logs in again, a 422 is dead-lettered") {
    StateFile state("wb-acumatica.db");
    Acumatica acu;
    ErpSimulator erp([&](const Received& r) { return acu.handle(r); });
    FlowYaml flow;
    flow.name = "acumatica";
    flow.writeback = "mappings/acumatica/shipment-writeback.yaml";
    flow.verify = "mappings/acumatica/shipment-verify.yaml";
    flow.sink = "base_url: \"" + erp.url() + "\", "
                "vars: { user: fsm, password: " + password + ", company: ACME, api_version: \"22.200.001\" }, "
                "login: { request: mappings/acumatica/login.yaml, from: cookies }";
    RunningApp daemon(http_loop_config(state.path, {flow}));
    for (const char* nbr : {"SH000101", "SH000102"})
        REQUIRE(http_request(daemon.port(), "POST", "/webhooks/acumatica", shipment_doc(nbr)).status == 202);
    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                   {status_event("4-completed.json", "WO-acumatica-SH000101", "a-1")});
    REQUIRE(wait_for([&] { return writebacks_in(state.path, "done") == 1; }));
    auto puts = erp.received("PUT", shipment_path);
    REQUIRE(puts.size() == 1);
    auto body = json::parse(puts[0].body);
    INFO(puts[0].body);
    CHECK(body.at("ShipmentNbr") == json::object{{"value", "SH000101"}});
    CHECK(body.at("Status") == json::object{{"value", "Completed"}});
    CHECK(body.at("Details") == json::parse(R"([{"LineNbr":{"value":1},"ShippedQty":{"value":1}},
        {"LineNbr":{"value":2},"ShippedQty":{"value":1}},{"LineNbr":{"value":3},"ShippedQty":{"value":2}}])"));
    CHECK(puts[0].header("idempotency-key") == fb::writeback::idempotency_key("WO-acumatica-SH000101", "completed"));
    CHECK(puts[0].header("cookie").find("ASP.NET_SessionId=sess-SECRET-1") != std::string::npos);
    CHECK(puts[0].header("cookie").find("UserBranch=16") != std::string::npos);  // every cookie the login set
    {
        std::lock_guard lock(acu.mutex);
        CHECK(acu.logins == 1);
        CHECK(acu.status["SH000101"] == "Completed");
    }
    CHECK(erp.received("GET", shipment_path + "/SH000101").size() == 1);  // the read-back
    auto t = trace(state.path, "acumatica", "SH000101");
    INFO(json::serialize(t));
    CHECK(t.at("writebacks").at(0).at("requests").at(0) == "(mapped when sent, with the sink's vars)");
    // The login is in the attempts, before the request it was made for (its body, the password, is not).
    CHECK(attempt_steps(state.path, "acumatica", "SH000101") ==
          std::vector<std::string>{"login: success", "request: success", "request: success"});
    CHECK(t.at("writebacks").at(0).at("attempts").at(0).at("request").as_string() ==
          "POST " + erp.url() + "/entity/auth/login");
    CHECK(t.at("writebacks").at(0).at("attempts").at(0).at("http_status") == 204);
    CHECK(t.at("writebacks").at(0).at("attempts").at(1).at("request") ==
          "PUT https://acumatica.example.com/entity/Default/22.200.001/Shipment");

    acu.drop_sessions();  // the instance recycled: the cookies are no longer valid
    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                   {status_event("4-completed.json", "WO-acumatica-SH000102", "a-2")});
    REQUIRE(wait_for([&] { return writebacks_in(state.path, "dead") == 1; }));
    {
        std::lock_guard lock(acu.mutex);
        CHECK(acu.logins == 2);  // the 401 logged in again inside the attempt
    }
    auto wb = trace(state.path, "acumatica", "SH000102").at("writebacks").at(0).as_object();
    INFO(json::serialize(wb));
    CHECK(attempt_steps(state.path, "acumatica", "SH000102") ==
          std::vector<std::string>{"login: success", "request: permanent"});  // the 401's new login
    REQUIRE(wb.at("attempts").as_array().size() == 2);
    CHECK(wb.at("attempt_count") == 1);  // the request refused for good counts, not the login
    CHECK(wb.at("attempts").at(1).at("result") == "permanent");
    CHECK(wb.at("attempts").at(1).at("http_status") == 422);
    CHECK_THAT(std::string(wb.at("attempts").at(1).at("reason").as_string()), Catch::Contains("on hold and cannot be completed"));
    CHECK(wb.at("last_answer").as_string().find("on hold and cannot be completed") != json::string::npos);
    auto bytes = state_bytes(state.path);
    CHECK(bytes.find(password) == std::string::npos);
    CHECK(bytes.find("sess-SECRET") == std::string::npos);
    CHECK(bytes.find("auth-SECRET") == std::string::npos);
}

TEST_CASE("Writeback mappings read the sink's vars, and a secret var is masked in the trace, the dead-letter queue and the state file") {
    TempDir dir("wb-vars");
    auto mapping = dir.path / "vars-writeback.yaml";
    std::ofstream(mapping) << R"(name: vars-writeback
when: $.event.status == "completed"
request:
  method: POST
  url: { template: "https://erp.example.com/api/{{$.vars.company}}/deliveries?apikey={{$.vars.api_key}}" }
  headers:
    X-Api-Key: $.vars.api_key
  body:
    DocNo: $.document.DocNo
    Company: $.vars.company
    Warehouse: { path: $.vars.warehouse, required: true }
)";
    const std::string key = "k-SECRET-4711";
    LogCapture log;
    StateFile state("wb-vars.db");
    std::mutex mutex;
    ErpSimulator erp([&](const Received& r) -> std::optional<fb::test::Response> {
        if (json::parse(r.body).at("DocNo") == "CK-VARS-2")
            return answer(403, "{\"error\":\"key " + key + " may not write to ACME\"}");  // echoes the key
        return answer(201, "{}");
    });
    FlowYaml flow;
    flow.writeback = mapping.string();
    flow.sink = "base_url: \"" + erp.url() + "\", vars: { company: ACME, warehouse: WH-07, api_key: " + key + " }";
    auto config = http_loop_config(state.path, {flow});
    {
        RunningApp daemon(config);
        for (const char* doc : {"CK-VARS-1", "CK-VARS-2"})
            REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", shipment_doc(doc)).status == 202);
        publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                       {status_event("4-completed.json", "WO-delivery-CK-VARS-1", "v-1"),
                        status_event("4-completed.json", "WO-delivery-CK-VARS-2", "v-2")});
        REQUIRE(wait_for([&] { return writebacks_in(state.path, "done") == 1 && writebacks_in(state.path, "dead") == 1; }));
    }
    auto posts = erp.received("POST", "/api/ACME/deliveries");
    REQUIRE(posts.size() == 2);
    CHECK(posts[0].target == "/api/ACME/deliveries?apikey=" + key);
    CHECK(posts[0].header("x-api-key") == key);
    auto body = json::parse(posts[0].body);
    CHECK(body.at("Company") == "ACME");
    CHECK(body.at("Warehouse") == "WH-07");

    auto wb = trace(state.path, "delivery", "CK-VARS-2").at("writebacks").at(0).as_object();
    INFO(json::serialize(wb));
    CHECK(wb.at("attempts").at(0).at("request") == "POST https://erp.example.com/api/ACME/deliveries?apikey=***");
    CHECK(wb.at("last_answer").as_string().find("key *** may not write") != json::string::npos);
    {
        fb::store::Database db(state.path);
        auto letters = fb::ledger::list_dead_letters(db, false);
        REQUIRE(letters.size() == 1);
        CHECK(letters[0].reason.find(key) == std::string::npos);
        CHECK_THAT(letters[0].reason, Catch::Contains("apikey=***"));
    }
    CHECK(state_bytes(state.path).find(key) == std::string::npos);
    // The dead letter is in the log, with the ERP's reason, the secret masked there too.
    INFO(log.text());
    CHECK(log.contains("warning writeback for flow delivery: work order WO-delivery-CK-VARS-2 dead-lettered: "
                       "ERP refused POST https://erp.example.com/api/ACME/deliveries?apikey=***"));
    CHECK(log.contains("key *** may not write"));
    CHECK(!log.contains(key));
}

TEST_CASE("A file_export sink's vars are read by its writeback mappings too") {
    TempDir dir("wb-vars-export");
    auto mapping = dir.path / "export-with-vars.yaml";
    std::ofstream(mapping) << R"(name: export-with-vars
when: $.event.status == "completed"
request:
  method: PUT
  url: { template: "{{$.vars.warehouse}}-{{$.document.DocNo}}.json" }
  body: { DocNo: $.document.DocNo, Warehouse: $.vars.warehouse, Company: $.vars.company }
)";
    StateFile state("wb-vars-export.db");
    auto folder = dir.path / "out";
    auto config = fb::config::parse(
        "state: { path: " + state.path + ", synchronous: normal }\n"
        "kafka: { brokers: embedded, embedded_brokers: 1, embedded_partitions: 3 }\n"
        "http: { listen: 127.0.0.1:0 }\n"
        "flows:\n"
        "  - name: delivery\n"
        "    source: { type: webhook }\n"
        "    mapping: mappings/generic-rest/shipment-to-delivery.yaml\n"
        "    writeback:\n"
        "      mapping: " + mapping.string() + "\n"
        "      sink: { type: file_export, folder: " + folder.string() + ", vars: { warehouse: WH-07, company: ACME } }\n",
        "vars-export.yaml", FB_SOURCE_DIR);
    RunningApp daemon(config);
    REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", shipment_doc("CK-EXP-1")).status == 202);
    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                   {status_event("4-completed.json", "WO-delivery-CK-EXP-1", "e-1")});
    REQUIRE(wait_for([&] { return writebacks_in(state.path, "done") == 1; }));
    std::ifstream in(folder / "WH-07-CK-EXP-1.json");
    std::stringstream text;
    text << in.rdbuf();
    REQUIRE(!text.str().empty());
    auto body = json::parse(text.str());
    CHECK(body.at("Warehouse") == "WH-07");
    CHECK(body.at("Company") == "ACME");
}
