// Dynamics 365 Business Central writeback (mappings/business-central/: look the shipment up by its
// number, PATCH it by id with If-Match from the lookup's @odata.etag, read it back) against two
// simulators: a Microsoft Entra token endpoint (OAuth2 client credentials, form-encoded, tokens
// that expire) on one host and the BC API on another. A 412 (changed since the read) reads again.
#include <catch2/catch.hpp>

#include "writeback_http_support.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

const std::string client_secret = "bc~Se+cr/et=SECRET&x";  // every character a form must escape
const std::string company = "/v2.0/contoso/production/api/v2.0/companies(c0ffee00-0000-4000-8000-000000000001)";

std::string form_value(const std::string& body, const std::string& key) {
    std::string out;
    for (std::size_t at = 0; at <= body.size();) {
        auto end = std::min(body.find('&', at), body.size());
        auto pair = body.substr(at, end - at);
        at = end + 1;
        if (pair.rfind(key + "=", 0) != 0) continue;
        auto v = pair.substr(key.size() + 1);
        for (std::size_t i = 0; i < v.size(); ++i)
            if (v[i] == '%' && i + 2 < v.size()) {
                out += static_cast<char>(std::stoi(v.substr(i + 1, 2), nullptr, 16));
                i += 2;
            } else out += v[i] == '+' ? ' ' : v[i];
        return out;
    }
    return "(absent)";
}

struct Entra {
    std::mutex mutex;
    int issued = 0;
    std::vector<std::string> bodies, content_types;
    std::optional<fb::test::Response> handle(const Received& r) {
        std::lock_guard lock(mutex);
        bodies.push_back(r.body);
        content_types.push_back(r.header("content-type"));
        if (r.target != "/contoso/oauth2/v2.0/token" || form_value(r.body, "grant_type") != "client_credentials" ||
            form_value(r.body, "client_secret") != client_secret)
            return answer(401, R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."})");
        return answer(200, json::serialize(json::object{{"token_type", "Bearer"}, {"expires_in", 3599},
                                                        {"access_token", "eyJ0eXAi.bc-token-SECRET-" + std::to_string(++issued)}}),
                      {{"Content-Type", "application/json"}});
    }
};

struct BusinessCentral {
    struct Shipment {
        std::string id;
        int version = 1;
        json::object fields;
    };
    std::mutex mutex;
    std::map<std::string, Shipment> by_number;
    std::set<std::string> changed_after_lookup;  // a user edits it between our read and our write
    int uses_left = 3;                           // requests the current token is still good for
    std::string token;
    std::vector<std::string> if_match;           // of every PATCH, in order

    static std::string etag(int version) { return "W/\"JzQ0O0VBQUFBQUo" + std::to_string(version) + "7MTswMDsn\""; }
    json::object entity(const std::string& number, const Shipment& s) const {
        json::object e{{"@odata.etag", etag(s.version)}, {"id", s.id}, {"number", number}};
        for (const auto& kv : s.fields) e[kv.key()] = kv.value();
        return e;
    }
    std::optional<fb::test::Response> handle(const Received& r) {
        std::lock_guard lock(mutex);
        auto auth = r.header("authorization");
        if (auth.rfind("Bearer eyJ0eXAi.bc-token-SECRET-", 0) != 0 || auth != "Bearer " + token || uses_left-- <= 0)
            return answer(401, R"({"error":{"code":"Authentication_InvalidCredentials","message":"The credentials provided are incorrect"}})",
                          {{"WWW-Authenticate", "Bearer realm=\"\", error=\"invalid_token\""}});
        if (r.target.rfind(company + "/salesShipments", 0) != 0) return answer(404, R"({"error":{"code":"BadRequest_NotFound"}})");
        auto rest = r.target.substr(company.size() + std::string("/salesShipments").size());
        const std::string filter = "?$filter=number%20eq%20'";
        if (r.method == "GET" && rest.rfind(filter, 0) == 0) {
            auto number = rest.substr(filter.size(), rest.size() - filter.size() - 1);
            json::array value;
            if (auto it = by_number.find(number); it != by_number.end()) {
                value.push_back(entity(number, it->second));
                if (changed_after_lookup.erase(number)) ++it->second.version;
            }
            return answer(200, json::serialize(json::object{{"@odata.context", "…/$metadata#salesShipments"}, {"value", value}}));
        }
        for (auto& [number, s] : by_number) {
            if (rest != "(" + s.id + ")") continue;
            if (r.method == "GET") return answer(200, json::serialize(entity(number, s)));
            if (r.method != "PATCH") return answer(405, "{}");
            if_match.push_back(r.header("if-match"));
            if (r.header("if-match") != etag(s.version))
                return answer(412, R"({"error":{"code":"Request_EntityChanged","message":"Another user has already changed the record."}})");
            auto patch = json::parse(r.body);
            for (const auto& kv : patch.as_object()) s.fields[kv.key()] = kv.value();
            ++s.version;
            return answer(200, json::serialize(entity(number, s)));
        }
        return answer(404, R"({"error":{"code":"BadRequest_NotFound","message":"The shipment does not exist."}})");
    }
};

}  // namespace

TEST_CASE("Business Central: OAuth2 form login on its own host, lookup by number then PATCH by id with the body's ETag, a 412 reads again, an expired token logs in again") {
    StateFile state("wb-business-central.db");
    Entra entra;
    BusinessCentral bc;
    bc.by_number["102001"] = {"5a1d0e7c-0000-4000-8000-000000102001", 1, {}};
    bc.by_number["102002"] = {"5a1d0e7c-0000-4000-8000-000000102002", 1, {}};
    bc.changed_after_lookup.insert("102002");
    ErpSimulator login([&](const Received& r) {
        auto res = entra.handle(r);
        if (res && res->result_int() == 200) {
            std::lock_guard lock(bc.mutex);
            bc.token = "eyJ0eXAi.bc-token-SECRET-" + std::to_string(entra.issued);
            bc.uses_left = 3;  // then it has "expired"
        }
        return res;
    });
    ErpSimulator api([&](const Received& r) { return bc.handle(r); });

    FlowYaml flow;
    flow.name = "bc";
    flow.writeback = "[mappings/business-central/shipment-lookup.yaml, mappings/business-central/shipment-writeback.yaml]";
    flow.verify = "mappings/business-central/shipment-verify.yaml";
    flow.sink = "base_url: \"" + api.url(company) + "\", login_base_url: \"" + login.url() + "\", "
                "vars: { tenant: contoso, client_id: 3f1c-fsm, client_secret: \"" + client_secret + "\" }, "
                "login: { request: mappings/business-central/login.yaml, from: body, name: $.access_token }, "
                "session_header: { name: Authorization, prefix: \"Bearer \" }";
    RunningApp daemon(http_loop_config(state.path, {flow}));
    for (auto number : {"102001", "102002"}) {
        auto doc = json::parse(shipment_doc("S-SHP" + std::string(number))).as_object();
        doc["number"] = number;
        REQUIRE(http_request(daemon.port(), "POST", "/webhooks/bc", json::serialize(doc)).status == 202);
    }
    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                   {status_event("4-completed.json", "WO-bc-S-SHP102001", "b-1")});
    REQUIRE(wait_for([&] { return writebacks_in(state.path, "done") == 1; }));
    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                   {status_event("4-completed.json", "WO-bc-S-SHP102002", "b-2")});
    REQUIRE(wait_for([&] { return writebacks_in(state.path, "done") == 2; }));

    CHECK(attempt_results(state.path, "bc", "S-SHP102001") == std::vector<std::string>{"success", "success", "success"});
    CHECK(attempt_results(state.path, "bc", "S-SHP102002") ==
          std::vector<std::string>{"success", "conflict", "success", "success", "success"});
    {
        std::lock_guard lock(bc.mutex);
        CHECK(bc.by_number["102001"].fields.at("fsmStatus") == "Delivered");
        CHECK(bc.by_number["102002"].fields.at("fsmStatus") == "Delivered");
        CHECK(bc.by_number["102002"].fields.at("fsmSignedBy") == "李女士");
        // 102001 with the ETag of its lookup; 102002 first with the stale one, then the new one.
        CHECK(bc.if_match == std::vector<std::string>{BusinessCentral::etag(1), BusinessCentral::etag(1),
                                                      BusinessCentral::etag(2)});
    }
    {
        std::lock_guard lock(entra.mutex);
        // Three requests per token: the fourth was refused 401 and sent again after a new login,
        // inside its attempt (no attempt above is a retry).
        CHECK(entra.issued >= 2);
        CHECK(entra.content_types.at(0) == "application/x-www-form-urlencoded");
        CHECK(form_value(entra.bodies.at(0), "scope") == "https://api.businesscentral.dynamics.com/.default");
        CHECK(form_value(entra.bodies.at(0), "client_id") == "3f1c-fsm");
    }
    CHECK(api.received("POST", "/contoso/oauth2").empty());  // the login went to its own host
    auto bytes = state_bytes(state.path);
    CHECK(bytes.find(client_secret) == std::string::npos);
    CHECK(bytes.find("bc-token-SECRET") == std::string::npos);
}
