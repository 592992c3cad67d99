// The operator's pause: a paused flow's source takes nothing in (a webhook answers 503 with
// Retry-After, a poll asks the ERP nothing), its writeback worker sends nothing while the status
// events are still applied, the pause outlives a restart, and a resume lets everything through.
// "Nothing happened while paused" is judged against another flow's progress, never a sleep.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <fstream>
#include <mutex>
#include <sstream>

#include "harness.h"
#include "loop_support.h"
#include "support/eventually.h"
#include "operator/pause_command.h"
#include "support/loopback_server.h"
#include "support/source_dir.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

const std::map<std::string, std::string> admin{{"Authorization", "Bearer pause-token-8d2e"},
                                               {"Content-Type", "application/json"}};

std::string head(const std::string& flows, const std::string& http = "listen: 127.0.0.1:0, admin_token: pause-token-8d2e") {
    return "kafka: { brokers: embedded, embedded_brokers: 1 }\n"
           "http: { " + http + " }\n"
           "status: { group_id: pause-test }\n"
           "flows:\n" + flows;
}

fb::config::Config config(const std::string& state, const std::string& flows) {
    return fb::config::parse("state: { path: " + state + ", synchronous: normal }\n" + head(flows),
                             "pause.yaml", FB_SOURCE_DIR);
}

fb::config::Config config_with_http(const std::string& state, const std::string& flows, const std::string& http) {
    return fb::config::parse("state: { path: " + state + ", synchronous: normal }\n" + head(flows, http),
                             "pause.yaml", FB_SOURCE_DIR);
}

std::string shipment(const std::string& doc_no) {
    auto v = json::parse(sample("generic-rest/shipment-CK20261120-0042.json")).as_object();
    v["DocNo"] = doc_no;
    return json::serialize(v);
}

long long metric(unsigned short port, const std::string& series) {
    auto text = http_request(port, "GET", "/metrics").body;
    auto at = text.find(series + " ");
    return at == std::string::npos ? -1 : std::stoll(text.substr(at + series.size() + 1));
}

HttpReply post(unsigned short port, const std::string& target, const std::string& body = "") {
    return http_request(port, "POST", target, body, admin);
}

}  // namespace

TEST_CASE("a paused webhook flow answers 503 with Retry-After, stays paused across a restart, resumes") {
    StateFile state("pause-webhook.db");
    auto cfg = [&] {
        return config(state.path, "  - name: delivery\n"
                                  "    document_type: shipment\n"
                                  "    source: { type: webhook }\n"
                                  "    mapping: mappings/generic-rest/shipment-to-delivery.yaml\n");
    };
    const std::string intake_series = "fieldbridge_flow_paused{flow=\"delivery\",part=\"intake\"}";
    {
        RunningApp daemon(cfg());
        auto port = daemon.port();
        REQUIRE(http_request(port, "POST", "/webhooks/delivery", shipment("P-1")).status == 202);

        auto paused = post(port, "/api/flows/delivery/pause", R"({"reason":"ERP upgrade until 04:00","writeback":false})");
        REQUIRE(paused.status == 200);
        CHECK(paused.json().at("paused").at("intake") == true);
        CHECK(paused.json().at("paused").at("writeback") == false);
        CHECK(paused.json().at("paused").at("reason") == "ERP upgrade until 04:00");

        auto refused = http_request(port, "POST", "/webhooks/delivery", shipment("P-2"));
        CHECK(refused.status == 503);
        CHECK(refused.headers["Retry-After"] == "30");
        CHECK_THAT(refused.body, Catch::Contains("paused by the operator"));
        CHECK(metric(port, intake_series) == 1);

        // The operator's choice, not a fault: ready (once Kafka's first statistics came in).
        REQUIRE(eventually([&] { return http_request(port, "GET", "/readyz").status == 200; }));
        CHECK(http_request(port, "GET", "/readyz").json().at("paused").at("delivery").at("intake") == true);
        auto overview = http_request(port, "GET", "/api/overview", "", admin).json();
        CHECK(overview.at("flows").at(0).at("paused").at("reason") == "ERP upgrade until 04:00");

        // Every wrong request is refused and changes nothing.
        CHECK(http_request(port, "POST", "/api/flows/delivery/resume").status == 401);
        CHECK(post(port, "/api/flows/nowhere/pause").status == 404);
        CHECK(post(port, "/api/flows/delivery/pause", R"({"intake":"yes"})").status == 400);
        CHECK(post(port, "/api/flows/delivery/pause", "[1,2]").status == 400);
        CHECK(post(port, "/api/flows/delivery/resume", R"({"intake":false,"writeback":false})").status == 400);
        CHECK(http_request(port, "GET", "/api/flows/delivery/pause", "", admin).status == 405);
        CHECK(http_request(port, "POST", "/webhooks/delivery", shipment("P-2")).status == 503);
    }
    RunningApp daemon(cfg());  // the pause is in the state file: it holds from the first request
    auto port = daemon.port();
    CHECK(http_request(port, "POST", "/webhooks/delivery", shipment("P-2")).status == 503);
    CHECK(metric(port, intake_series) == 1);
    auto resumed = post(port, "/api/flows/delivery/resume");
    REQUIRE(resumed.status == 200);
    CHECK(resumed.json().at("paused").is_null());
    CHECK(http_request(port, "POST", "/webhooks/delivery", shipment("P-2")).status == 202);
    CHECK(metric(port, intake_series) == 0);
    CHECK(http_request(port, "GET", "/api/overview", "", admin).json().at("flows").at(0).at("paused").is_null());
    CHECK(query_int(state.path, "SELECT count(*) FROM documents") == 2);  // P-1 and P-2, once each
    CHECK(query_int(state.path, "SELECT count(*) FROM flow_pauses") == 0);
}

TEST_CASE("a paused poll flow asks its ERP nothing while another flow polls on, and polls again on resume") {
    std::mutex mutex;
    std::map<std::string, int> asked;  // by path: /a, /b
    fb::test::LoopbackServer erp([&](const fb::test::Request& req) -> std::optional<fb::test::Response> {
        std::lock_guard lock(mutex);
        ++asked[std::string(req.target())];
        return fb::test::reply(200, "[]");
    });
    auto count = [&](const std::string& path) {
        std::lock_guard lock(mutex);
        return asked[path];
    };
    TempDir dir("pause-poll");
    auto request = (dir.path / "request.yaml").string();
    std::ofstream(request) << "name: pause-poll\nrequest:\n  method: GET\n  url: { template: \"{{$.vars.base}}\" }\n";
    std::string flows;
    for (std::string name : {"a", "b"})
        flows += "  - name: " + name + "\n"
                 "    document_type: shipment\n"
                 "    mapping: mappings/generic-rest/shipment-to-delivery.yaml\n"
                 "    source:\n"
                 "      type: http_poll\n"
                 "      request: " + request + "\n"
                 "      vars: { base: \"" + erp.url("/" + name) + "\" }\n"
                 "      every: 20ms\n"
                 "      cursor: { time: $.ModifyTime, id: $.DocNo }\n";
    StateFile state("pause-poll.db");
    RunningApp daemon(config(state.path, flows));
    REQUIRE(eventually([&] { return count("/a") >= 2 && count("/b") >= 2; }));

    REQUIRE(post(daemon.port(), "/api/flows/a/pause", R"({"reason":"mapping being fixed"})").status == 200);
    int a_paused = count("/a"), b_paused = count("/b");
    REQUIRE(eventually([&] { return count("/b") >= b_paused + 10; }));  // b polled on, ten times
    CHECK(count("/a") <= a_paused + 1);  // at most the request already on its way when paused

    REQUIRE(post(daemon.port(), "/api/flows/a/resume").status == 200);
    REQUIRE(eventually([&] { return count("/a") >= a_paused + 3; }));
}

TEST_CASE("a paused writeback sends nothing while its status events are applied, and lands on resume") {
    StateFile state("pause-writeback.db");
    TempDir held("pause-writeback-held"), running("pause-writeback-running");
    std::string flows;
    for (auto [name, folder] : {std::pair{"delivery", held.str()}, std::pair{"second", running.str()}})
        flows += std::string("  - name: ") + name + "\n"
                 "    document_type: shipment\n"
                 "    source: { type: webhook }\n"
                 "    mapping: mappings/generic-rest/shipment-to-delivery.yaml\n"
                 "    writeback:\n"
                 "      mapping: mappings/generic-rest/delivery-completion-export.yaml\n"
                 "      sink: { type: file_export, folder: " + folder + " }\n"
                 "      retry: { initial: 100ms, max: 1s }\n";
    RunningApp daemon(config(state.path, flows));
    auto port = daemon.port();
    REQUIRE(post(port, "/api/flows/delivery/pause", R"({"intake":false,"reason":"ERP closing its books"})").status == 200);
    CHECK(metric(port, "fieldbridge_flow_paused{flow=\"delivery\",part=\"writeback\"}") == 1);
    CHECK(metric(port, "fieldbridge_flow_paused{flow=\"delivery\",part=\"intake\"}") == 0);

    // The paused writeback's flow still takes documents; both flows' work orders complete.
    for (auto flow : {"delivery", "second"})
        REQUIRE(http_request(port, "POST", std::string("/webhooks/") + flow, shipment("W-1")).status == 202);
    auto complete = [&](const std::string& wo) {
        publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                       {status_event("1-accepted.json", wo),
                        status_event("2-en-route.json", wo),
                        status_event("3-arrived.json", wo),
                        status_event("4-completed.json", wo)});
    };
    complete("WO-delivery-W-1");
    complete("WO-second-W-1");
    auto state_of = [&](const std::string& wo) {
        return query_int(state.path, "SELECT state = 'completed' FROM work_orders WHERE work_order_id = '" + wo + "'");
    };
    REQUIRE(wait_for([&] { return state_of("WO-delivery-W-1") == 1; }));
    REQUIRE(wait_for([&] { return files_in(running.path).size() == 1; }));
    // Another writeback of the running flow after the held one was queued: the held worker was
    // woken by its queueing long before this one landed, and still sent nothing.
    REQUIRE(http_request(port, "POST", "/webhooks/second", shipment("W-2")).status == 202);
    complete("WO-second-W-2");
    REQUIRE(wait_for([&] { return files_in(running.path).size() == 2; }));
    CHECK(files_in(held.path).empty());
    CHECK(query_int(state.path, "SELECT count(*) FROM writebacks WHERE flow = 'delivery' AND state = 'pending'") == 1);
    CHECK(query_int(state.path, "SELECT count(*) FROM writeback_attempts a JOIN writebacks w ON w.id = a.writeback_id "
                                "WHERE w.flow = 'delivery'") == 0);

    REQUIRE(post(port, "/api/flows/delivery/resume", R"({"writeback":true})").status == 200);
    REQUIRE(wait_for([&] { return files_in(held.path).size() == 1; }));
    CHECK(query_int(state.path, "SELECT count(*) FROM writebacks WHERE flow = 'delivery' AND state = 'done'") == 1);
}

TEST_CASE("a writeback held past its age limit is tried once after the resume, then dead-lettered with the ERP's answer") {
    std::atomic<int> asked{0};
    fb::test::LoopbackServer erp([&](const fb::test::Request&) -> std::optional<fb::test::Response> {
        ++asked;
        return fb::test::reply(500, R"({"error":"ledger locked for the year-end close"})");
    });
    StateFile state("pause-max-age.db");
    RunningApp daemon(config(state.path, "  - name: delivery\n"
                                         "    document_type: shipment\n"
                                         "    source: { type: webhook }\n"
                                         "    mapping: mappings/generic-rest/shipment-to-delivery.yaml\n"
                                         "    writeback:\n"
                                         "      mapping: mappings/generic-rest/delivery-completion.yaml\n"
                                         "      sink: { type: http, base_url: \"" + erp.url() + "\" }\n"
                                         "      retry: { initial: 50ms, max: 100ms, max_age: 1ms }\n"));
    auto port = daemon.port();
    REQUIRE(post(port, "/api/flows/delivery/pause", R"({"intake":false})").status == 200);
    REQUIRE(http_request(port, "POST", "/webhooks/delivery", shipment("A-1")).status == 202);
    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                   {status_event("3-arrived.json", "WO-delivery-A-1"),
                    status_event("4-completed.json", "WO-delivery-A-1")});
    // Queued while held, and older than max_age the moment it was queued.
    REQUIRE(wait_for([&] {
        return query_int(state.path, "SELECT count(*) FROM writebacks WHERE state = 'pending'") == 1;
    }));
    CHECK(asked == 0);
    REQUIRE(post(port, "/api/flows/delivery/resume").status == 200);
    REQUIRE(wait_for([&] { return query_int(state.path, "SELECT count(*) FROM writebacks WHERE state = 'dead'") == 1; }));
    CHECK(asked == 1);
    auto t = trace(state.path, "delivery", "A-1");
    INFO(json::serialize(t));
    const auto& wb = t.at("writebacks").at(0);
    REQUIRE(wb.at("attempts").as_array().size() == 1);
    CHECK(wb.at("attempts").at(0).at("http_status") == 500);
    CHECK(query_int(state.path, "SELECT count(*) FROM dead_letter WHERE stage = 'writeback' AND reason LIKE "
                                "'%writeback.retry.max_age (1 attempts)%ledger locked%'") == 1);
}

namespace {

struct Shell {
    int rc;
    std::string out, err;
};

Shell run_pause(const fb::config::Config& cfg, fb::operator_page::PauseCommand command) {
    std::ostringstream out, err;
    int rc = fb::operator_page::pause_command(cfg, command, out, err);
    return {rc, out.str(), err.str()};
}

// A port nothing listens on: taken from the kernel, then let go.
unsigned short closed_port() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

}  // namespace

TEST_CASE("fieldbridge pause/resume: through the running daemon at once, or in the state file while it is stopped") {
    StateFile state("pause-cli.db");
    const std::string flows = "  - name: delivery\n"
                              "    document_type: shipment\n"
                              "    source: { type: webhook }\n"
                              "    mapping: mappings/generic-rest/shipment-to-delivery.yaml\n";
    using fb::operator_page::PauseCommand;

    // Stopped: nothing listens at the config's address, so the pause goes into the state file.
    auto stopped = config_with_http(state.path, flows, "listen: 127.0.0.1:" + std::to_string(closed_port()) +
                                                           ", admin_token: pause-token-8d2e");
    auto offline = run_pause(stopped, PauseCommand{"delivery", true, "", "ERP upgrade", ""});
    REQUIRE(offline.rc == 0);
    CHECK_THAT(offline.out, Catch::Contains("intake paused, writeback paused since") && Catch::Contains("(ERP upgrade)"));
    CHECK_THAT(offline.out, Catch::Contains("recorded in " + state.path));
    CHECK(query_int(state.path, "SELECT count(*) FROM flow_pauses WHERE flow = 'delivery' AND intake = 1") == 1);

    auto unknown = run_pause(stopped, PauseCommand{"nowhere", true, "", "", ""});
    CHECK(unknown.rc == 2);
    CHECK_THAT(unknown.err, Catch::Contains("no flow `nowhere`") && Catch::Contains("delivery"));

    RunningApp daemon(config(state.path, flows));
    auto port = daemon.port();
    CHECK(http_request(port, "POST", "/webhooks/delivery", shipment("C-1")).status == 503);  // held from the start
    const std::string url = "http://127.0.0.1:" + std::to_string(port);
    auto cfg = config(state.path, flows);

    // Running: the daemon changes at once, and says what now holds.
    auto intake_only = run_pause(cfg, PauseCommand{"delivery", false, "intake", "", url});
    REQUIRE(intake_only.rc == 0);
    CHECK_THAT(intake_only.out, Catch::Contains("intake running, writeback paused"));
    CHECK(http_request(port, "POST", "/webhooks/delivery", shipment("C-1")).status == 202);
    auto resumed = run_pause(cfg, PauseCommand{"delivery", false, "", "", url});
    REQUIRE(resumed.rc == 0);
    CHECK_THAT(resumed.out, Catch::Contains("running (nothing held)"));
    CHECK(query_int(state.path, "SELECT count(*) FROM flow_pauses") == 0);

    // A daemon that refuses says why: a wrong token, an admin API that is off.
    auto wrong = config_with_http(state.path, flows, "listen: 127.0.0.1:0, admin_token: not-the-token");
    auto refused = run_pause(wrong, PauseCommand{"delivery", true, "", "", url});
    CHECK(refused.rc == 1);
    CHECK_THAT(refused.err, Catch::Contains("HTTP 401") && Catch::Contains("missing or wrong admin token"));
    // An explicit --url nobody answers at is an error, never silently written to the file.
    auto nobody = run_pause(cfg, PauseCommand{"delivery", true, "", "", "http://127.0.0.1:" + std::to_string(closed_port())});
    CHECK(nobody.rc == 1);
    CHECK_THAT(nobody.err, Catch::Contains("did not answer"));
    CHECK(query_int(state.path, "SELECT count(*) FROM flow_pauses") == 0);
}
