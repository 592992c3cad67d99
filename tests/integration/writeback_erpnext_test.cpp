// ERPNext / Frappe writeback (mappings/erpnext/: read, then a PUT mapped from the read's answer,
// then a read-back) against a Frappe simulator: `Authorization: token key:secret`, documents under
// /api/resource/Delivery%20Note/<name>, `modified` checked on every write (HTTP 417
// TimestampMismatchError when stale, made a conflict by the mapping's `classify:`), other refusals
// as 417 with their exc_type, and a submit that answers 200 but leaves the note Draft.
#include <catch2/catch.hpp>

#include "frappe_simulator.h"
#include "ledger/dead_letter.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

FlowYaml erpnext_flow(const ErpSimulator& erp) {
    FlowYaml flow;
    flow.name = "erpnext";
    flow.writeback = "[mappings/erpnext/delivery-note-read.yaml, mappings/erpnext/delivery-note-writeback.yaml]";
    flow.verify = "mappings/erpnext/delivery-note-verify.yaml";
    flow.sink = "base_url: \"" + erp.url() + "\", auth: { api_key: { value: \"token fsm-api-key:" + api_secret +
                "\", header: Authorization } }";
    flow.extra = "      verify_attempts: 2\n";
    return flow;
}

// The generic shipment, named as the ERPNext Delivery Note it stands for ($.document.name).
std::string note_doc(const std::string& name) {
    auto v = json::parse(shipment_doc(name)).as_object();
    v["name"] = name;
    return json::serialize(v);
}

std::vector<std::string> methods(const std::vector<Received>& rs) {
    std::vector<std::string> out;
    for (const auto& r : rs) out.push_back(r.method);
    return out;
}

}  // namespace

TEST_CASE("ERPNext: read, then a PUT mapped from its answer submits the note, a stale `modified` (417) reads again and writes over the new version") {
    StateFile state("wb-erpnext.db");
    Frappe frappe;
    frappe.notes["MAT-DN-0001"] = {};
    frappe.notes["MAT-DN-0002"] = {};
    frappe.edited_after_first_read.insert("MAT-DN-0002");
    ErpSimulator erp([&](const Received& r) { return frappe.handle(r); });
    RunningApp daemon(http_loop_config(state.path, {erpnext_flow(erp)}));
    for (auto name : {"MAT-DN-0001", "MAT-DN-0002"})
        REQUIRE(http_request(daemon.port(), "POST", "/webhooks/erpnext", note_doc(name)).status == 202);
    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                   {status_event("4-completed.json", "WO-erpnext-MAT-DN-0001", "e-1"),
                    status_event("4-completed.json", "WO-erpnext-MAT-DN-0002", "e-2")});
    REQUIRE(wait_for([&] { return writebacks_in(state.path, "done") == 2; }));

    CHECK(frappe.docstatus("MAT-DN-0001") == 1);
    CHECK(frappe.docstatus("MAT-DN-0002") == 1);
    CHECK(attempt_results(state.path, "erpnext", "MAT-DN-0001") ==
          std::vector<std::string>{"success", "success", "success"});  // read, write, read-back
    // The first PUT carried the version read before someone saved the note: refused as stale,
    // read again, and the second PUT carried the new `modified`.
    CHECK(attempt_results(state.path, "erpnext", "MAT-DN-0002") ==
          std::vector<std::string>{"success", "conflict", "success", "success", "success"});
    auto second = erp.received("GET", "/api/resource/Delivery%20Note/MAT-DN-0002");
    auto writes = erp.received("PUT", "/api/resource/Delivery%20Note/MAT-DN-0002");
    CHECK(second.size() == 3);  // read, read again after the conflict, read-back
    REQUIRE(writes.size() == 2);
    CHECK(keys_of(writes).size() == 1);
    std::lock_guard lock(frappe.mutex);
    std::vector<std::string> sent_modified;
    for (const auto& p : frappe.puts)
        if (p.at("fsm_idempotency_key").as_string() == writes[0].header("idempotency-key"))
            sent_modified.emplace_back(p.at("modified").as_string());
    CHECK(sent_modified == std::vector<std::string>{Frappe::modified(1), Frappe::modified(2)});
    CHECK(frappe.notes["MAT-DN-0002"].custom.at("fsm_signed_by") == "李女士");
    auto t = trace(state.path, "erpnext", "MAT-DN-0002");
    INFO(json::serialize(t));
    CHECK(json::serialize(t).find("TimestampMismatchError") != std::string::npos);  // the ERP's answer is in the trace
    const auto& requests = t.at("writebacks").at(0).at("requests").as_array();
    REQUIRE(requests.size() == 2);
    CHECK(requests[0] == "GET https://erp.example.com/api/resource/Delivery%20Note/MAT-DN-0002");
    CHECK(requests[1] == "(mapped when sent, from the answers before it)");
    CHECK(state_bytes(state.path).find(api_secret) == std::string::npos);
}

TEST_CASE("ERPNext: a ValidationError (also 417) is dead-lettered with its answer, a submit left Draft is 'ERP did not apply', a note already submitted is not written again") {
    StateFile state("wb-erpnext-refusals.db");
    Frappe frappe;
    frappe.notes["MAT-DN-0003"] = {};
    frappe.notes["MAT-DN-0004"] = {};
    frappe.notes["MAT-DN-0005"] = {};
    frappe.notes["MAT-DN-0005"].docstatus = 1;  // submitted by a send the daemon did not see confirmed
    frappe.invalid.insert("MAT-DN-0003");
    frappe.workflow_keeps_draft.insert("MAT-DN-0004");
    ErpSimulator erp([&](const Received& r) { return frappe.handle(r); });
    RunningApp daemon(http_loop_config(state.path, {erpnext_flow(erp)}));
    for (auto name : {"MAT-DN-0003", "MAT-DN-0004", "MAT-DN-0005"})
        REQUIRE(http_request(daemon.port(), "POST", "/webhooks/erpnext", note_doc(name)).status == 202);
    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                   {status_event("4-completed.json", "WO-erpnext-MAT-DN-0003", "e-3"),
                    status_event("4-completed.json", "WO-erpnext-MAT-DN-0004", "e-4"),
                    status_event("4-completed.json", "WO-erpnext-MAT-DN-0005", "e-5")});
    REQUIRE(wait_for([&] { return writebacks_in(state.path, "dead") == 2 && writebacks_in(state.path, "done") == 1; }));

    auto refused = trace(state.path, "erpnext", "MAT-DN-0003").at("writebacks").at(0).as_object();
    INFO(json::serialize(refused));
    CHECK(attempt_results(state.path, "erpnext", "MAT-DN-0003") == std::vector<std::string>{"success", "permanent"});
    CHECK(refused.at("last_error").as_string().find("ValidationError") != json::string::npos);
    CHECK(refused.at("last_answer").as_string().find("Qty cannot exceed") != json::string::npos);

    auto draft = trace(state.path, "erpnext", "MAT-DN-0004").at("writebacks").at(0).as_object();
    INFO(json::serialize(draft));
    CHECK(attempt_results(state.path, "erpnext", "MAT-DN-0004") ==
          std::vector<std::string>{"success", "success", "unverified", "success", "success", "unverified"});
    CHECK(draft.at("last_error").as_string().find("ERP did not apply the change") != json::string::npos);
    CHECK(frappe.docstatus("MAT-DN-0004") == 0);

    // Already submitted: read (docstatus 1), the PUT's `when` skips it, the read-back holds.
    CHECK(attempt_results(state.path, "erpnext", "MAT-DN-0005") == std::vector<std::string>{"success", "success"});
    CHECK(erp.received("PUT", "/api/resource/Delivery%20Note/MAT-DN-0005").empty());
    CHECK(methods(erp.received("GET", "/api/resource/Delivery%20Note/MAT-DN-0005")) ==
          std::vector<std::string>{"GET", "GET"});
}

TEST_CASE("ERPNext: a refused read-then-write sequence replayed after the fix reads again and submits over the current version") {
    StateFile state("wb-erpnext-replay.db");
    Frappe frappe;
    frappe.notes["MAT-DN-0006"] = {};
    frappe.invalid.insert("MAT-DN-0006");
    ErpSimulator erp([&](const Received& r) { return frappe.handle(r); });
    auto config = http_loop_config(state.path, {erpnext_flow(erp)});
    {
        RunningApp daemon(config);
        REQUIRE(http_request(daemon.port(), "POST", "/webhooks/erpnext", note_doc("MAT-DN-0006")).status == 202);
        publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                       {status_event("4-completed.json", "WO-erpnext-MAT-DN-0006", "e-6")});
        REQUIRE(wait_for([&] { return writebacks_in(state.path, "dead") == 1; }));
    }
    {
        std::lock_guard lock(frappe.mutex);
        frappe.invalid.clear();
        ++frappe.notes["MAT-DN-0006"].version;  // someone fixed the note in the desk meanwhile
    }
    {
        fb::store::Database db(state.path);
        CHECK(fb::ledger::replay_dead_letters(db, config, {}, {}).replayed == 1);
        CHECK(query_int(state.path, "SELECT count(*) FROM writebacks WHERE answers IS NOT NULL") == 0);  // answers dropped
    }
    RunningApp daemon(config);
    REQUIRE(wait_for([&] { return writebacks_in(state.path, "done") == 1; }));
    CHECK(frappe.docstatus("MAT-DN-0006") == 1);
    auto writes = erp.received("PUT", "/api/resource/Delivery%20Note/MAT-DN-0006");
    REQUIRE(writes.size() == 2);
    CHECK(json::parse(writes[1].body).at("modified") == json::value(Frappe::modified(2)));  // the read after the replay
    CHECK(keys_of(writes).size() == 1);
}
