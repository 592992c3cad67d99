// A Frappe / ERPNext simulator for the writeback tests: Delivery Notes under
// /api/resource/Delivery%20Note/<name> behind `Authorization: token key:secret`, `modified` checked
// on every PUT (HTTP 417 TimestampMismatchError when stale), other refusals as 417 with their
// exc_type, and the ways a real site misbehaves (edited meanwhile, a workflow that keeps Draft).
#pragma once

#include <boost/json.hpp>

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "writeback_http_support.h"

namespace fb::testing {
namespace {
const std::string api_secret = "frappe-api-SECRET-9f2c";

struct Frappe {
    struct Note {
        int docstatus = 0;
        int version = 1;
        boost::json::object custom;
    };
    std::mutex mutex;
    std::map<std::string, Note> notes;
    std::set<std::string> edited_after_first_read;  // someone saves it in the desk meanwhile
    std::set<std::string> invalid;                  // a server-side validation refuses the submit
    std::set<std::string> workflow_keeps_draft;     // answers the submit, leaves it Draft
    std::vector<boost::json::object> puts;                 // the bodies received
    std::map<std::string, int> applied;             // PUTs that changed a note, per note
    // Applied, then never answered: the daemon dies between sending and recording.
    std::function<bool(const std::string& name)> hold_after_apply;

    static std::string modified(int version) {
        return "2026-12-01 10:0" + std::to_string(version % 10) + ":00.00000" + std::to_string(version % 10);
    }
    static fb::test::Response refuse(const std::string& exc_type, const std::string& message) {
        return answer(417, boost::json::serialize(boost::json::object{
            {"exception", "frappe.exceptions." + exc_type + ": " + message},
            {"exc_type", exc_type},
            {"_server_messages", boost::json::serialize(boost::json::array{boost::json::serialize(boost::json::object{{"message", message}})})}}),
            {{"Content-Type", "application/json"}});
    }
    boost::json::object data(const std::string& name, const Note& n, int docstatus) const {
        boost::json::object d{{"name", name}, {"doctype", "Delivery Note"}, {"docstatus", docstatus},
                       {"modified", modified(n.version)}};
        for (const auto& kv : n.custom) d[kv.key()] = kv.value();
        return d;
    }
    std::optional<fb::test::Response> handle(const Received& r) {
        std::lock_guard lock(mutex);
        if (r.header("authorization") != "token fsm-api-key:" + api_secret)
            return answer(401, R"({"exc_type":"AuthenticationError"})");
        const std::string prefix = "/api/resource/Delivery%20Note/";
        if (r.target.rfind(prefix, 0) != 0) return answer(404, R"({"exc_type":"DoesNotExistError"})");
        auto name = r.target.substr(prefix.size());
        auto it = notes.find(name);
        if (it == notes.end())
            return answer(404, R"({"exc_type":"DoesNotExistError","exception":"Delivery Note not found"})");
        auto& note = it->second;
        if (r.method == "GET") {
            auto out = boost::json::serialize(boost::json::object{{"data", data(name, note, note.docstatus)}});
            if (edited_after_first_read.erase(name)) ++note.version;  // saved by someone after our read
            return answer(200, out, {{"Content-Type", "application/json"}});
        }
        if (r.method != "PUT") return answer(405, "{}");
        auto body = boost::json::parse(r.body).as_object();
        puts.push_back(body);
        if (body.at("modified").as_string() != modified(note.version))
            return refuse("TimestampMismatchError", "Error: Document has been modified after you have opened it (" +
                                                        std::string(body.at("modified").as_string()) + ", " +
                                                        modified(note.version) + "). Please refresh to get the latest document.");
        if (note.docstatus != 0) return refuse("UpdateAfterSubmitError", "Not allowed to change after submission");
        if (invalid.count(name)) return refuse("ValidationError", "Row #1: Qty cannot exceed the Sales Order's 1");
        for (const auto& kv : body)
            if (kv.key().starts_with("fsm_")) note.custom[kv.key()] = kv.value();
        ++note.version;
        ++applied[name];
        int answered = body.at("docstatus").to_number<int>();
        if (!workflow_keeps_draft.count(name)) note.docstatus = answered;
        if (hold_after_apply && hold_after_apply(name)) return std::nullopt;
        return answer(200, boost::json::serialize(boost::json::object{{"data", data(name, note, answered)}}),
                      {{"Content-Type", "application/json"}});
    }
    int docstatus(const std::string& name) {
        std::lock_guard lock(mutex);
        return notes[name].docstatus;
    }
};

}  // namespace
}  // namespace fb::testing
