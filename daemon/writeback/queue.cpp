#include "writeback/queue.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <fstream>

#include "connectors/http_sink/spec.h"
#include "core/ids.h"
#include "core/pack.h"
#include "core/stored_json.h"
#include "http/auth.h"
#include "ledger/dead_letter.h"

namespace fb::writeback {
namespace json = boost::json;

bool Plan::writes_back_on(std::string_view state) const {
    const auto& on = flow->writeback.on;
    return std::find(on.begin(), on.end(), state) != on.end();
}

std::shared_ptr<const Plan> Plan::load(const config::FlowConfig& flow) {
    auto plan = std::make_shared<Plan>();
    plan->flow = &flow;
    auto load_request = [](const std::string& path) {
        auto m = mapping::Mapping::load(path);
        if (!m->is_request())
            throw mapping::CompileError(path, 1, 1,
                                        "a writeback mapping needs `request:` (it has `work_order:`)");
        return m;
    };
    if (const auto* sink = dynamic_cast<const connectors::http_sink::Spec*>(flow.writeback.sink.spec.get())) {
        plan->vars = sink->vars;
        plan->var_secrets = sink->var_secrets;
    } else {
        for (const auto& [k, v] : flow.writeback.sink.vars) plan->vars[k] = v;  // file_export
        plan->var_secrets = flow.writeback.sink.var_secrets;
    }
    // Whether a mapping reads the answers before it (or the vars): as plain as its text
    // (comments aside) naming them.
    auto names = [](const std::string& path, std::initializer_list<const char*> paths) {
        std::ifstream in(path, std::ios::binary);
        std::string line;
        while (std::getline(in, line)) {
            for (std::size_t i = 0; i < line.size(); ++i)
                if (line[i] == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
                    line.resize(i);  // a YAML comment
                    break;
                }
            for (const char* p : paths)
                if (line.find(p) != std::string::npos) return true;
        }
        return false;
    };
    auto reads_answers = [&](const std::string& path) { return names(path, {"$.previous", "$.steps"}); };
    for (const auto& path : flow.writeback.mappings) {
        plan->requests.push_back(load_request(path));
        plan->reads_answers.push_back(reads_answers(path));
        plan->at_send.push_back(plan->reads_answers.back() || names(path, {"$.vars"}));
        plan->keeps_answers |= plan->reads_answers.back();
    }
    if (!plan->reads_answers.empty() && plan->reads_answers.front())
        throw mapping::CompileError(flow.writeback.mappings.front(), 1, 1,
                                    "the first request of a writeback sequence has no earlier "
                                    "answer to read ($.previous / $.steps)");
    if (!flow.writeback.verify.empty()) {
        plan->keeps_answers |= reads_answers(flow.writeback.verify);
        plan->verify = load_request(flow.writeback.verify);
        if (!plan->verify->has_success_rule())
            throw mapping::CompileError(flow.writeback.verify, 1, 1,
                                        "a verification mapping needs `success:` (the condition "
                                        "on the read-back answer that proves the change)");
    }
    return plan;
}

json::object Plan::with_vars(json::object context) const {
    if (!vars.empty()) context["vars"] = vars;
    return context;
}

std::string Plan::mask(std::string text) const { return http::mask_secrets(std::move(text), var_secrets); }

std::string idempotency_key(std::string_view work_order_id, std::string_view to_state) {
    return core::event_id(work_order_id, "writeback", to_state);
}

Mapped map_requests(const Plan& plan, const json::object& stored) {
    Mapped out;
    bool any_mapped = false;
    const auto context = plan.with_vars(stored);
    for (std::size_t i = 0; i < plan.requests.size(); ++i) {
        const auto& m = plan.requests[i];
        if (plan.reads_answers[i]) {  // mapped when it is sent, from the answers before it
            out.requests.push_back(json::object{{"mapping", i}, {"at_send", true}});
            continue;
        }
        auto r = m->map_request(context);
        if (r.kind == mapping::MapResult::Kind::filtered) {
            // Kept in its place when later requests read answers by position ($.previous[i]).
            if (plan.keeps_answers) out.requests.push_back(json::object{{"mapping", i}, {"skipped", true}});
            continue;
        }
        if (r.kind == mapping::MapResult::Kind::failed) {
            out.error = plan.mask(m->file() + ": " + (r.error ? r.error->message() : "mapping failed"));
            out.requests.clear();
            return out;
        }
        if (plan.at_send[i]) {  // reads $.vars: mapped now for its `when` and errors, kept unmapped
            out.requests.push_back(json::object{{"mapping", i}, {"at_send", true}, {"vars", true}});
            any_mapped = true;
            continue;
        }
        auto request = r.to_json();
        request["mapping"] = i;  // whose `success:` rule judges the answer
        out.requests.push_back(std::move(request));
        any_mapped = true;
    }
    // Only requests mapped at send time (from answers of requests that were all skipped): none.
    if (!any_mapped) out.requests.clear();
    return out;
}

json::object send_context(const json::object& context, const json::array& answers) {
    auto out = context;
    json::object steps;
    for (const auto& a : answers)
        if (a.is_object())
            if (auto name = a.get_object().if_contains("mapping"); name && name->is_string())
                steps[name->get_string()] = a;
    out["previous"] = answers;
    out["steps"] = std::move(steps);
    return out;
}

namespace {

std::int64_t insert_dead_letter(store::Database& db, const config::Topics& topics,
                                std::int64_t id, const std::string& flow,
                                const std::string& document_id, const std::string& key,
                                const std::string& reason, const std::string& answer) {
    json::object input{{"writeback_id", id}, {"idempotency_key", key}};
    if (!answer.empty()) input["erp_answer"] = answer;
    auto dl = ledger::add_dead_letter(db, topics, flow, "writeback", document_id, reason,
                                      json::serialize(input));
    store::Statement mark(db.handle(),
                          "UPDATE writebacks SET state = 'dead', dead_letter_id = ?2, "
                          "last_error = ?3 WHERE id = ?1");
    mark.bind(1, id).bind(2, dl).bind(3, reason).step();
    return dl;
}

}  // namespace

std::int64_t enqueue(store::Database& db, const config::Topics& topics, const Plan& plan,
                     const std::string& work_order_id, const std::string& document_id,
                     const std::string& from, const std::string& to, json::object context) {
    auto key = idempotency_key(work_order_id, to);
    context["writeback"] = {{"idempotency_key", key},
                            {"flow", plan.flow->name},
                            {"from", from},
                            {"to", to}};
    auto mapped = map_requests(plan, context);
    if (mapped.error.empty() && mapped.requests.empty()) return 0;
    auto now = core::now_unix_ms();
    store::Statement insert(db.handle(),
                            "INSERT INTO writebacks (flow, work_order_id, document_id, transition, "
                            "idempotency_key, context, requests, state, next_attempt_at, "
                            "created_at) VALUES (?1,?2,?3,?4,?5,?6,?7,'pending',?8,?8) "
                            "ON CONFLICT (idempotency_key) DO NOTHING");
    insert.bind(1, plan.flow->name).bind(2, work_order_id).bind(3, document_id);
    insert.bind(4, from + "→" + to).bind(5, key).bind_blob(6, core::pack(json::serialize(context)));
    insert.bind(7, json::serialize(mapped.requests)).bind(8, now).step();
    if (db.changes() == 0) return 0;  // this transition was queued before: never a second one
    auto id = db.last_insert_id();
    if (!mapped.error.empty())
        insert_dead_letter(db, topics, id, plan.flow->name, document_id, key,
                           "writeback mapping failed: " + mapped.error, "");
    return id;
}

void dead_letter(store::Database& db, const config::Topics& topics, std::int64_t writeback_id,
                 const std::string& reason, const std::string& answer) {
    store::Statement row(db.handle(),
                         "SELECT flow, document_id, idempotency_key FROM writebacks WHERE id = ?1");
    row.bind(1, writeback_id);
    if (!row.step()) return;
    std::string flow(row.text(0)), document_id(row.text(1)), key(row.text(2));
    row.reset();
    insert_dead_letter(db, topics, writeback_id, flow, document_id, key, reason, answer);
    store::Statement last(db.handle(), "UPDATE writebacks SET last_answer = ?2 WHERE id = ?1");
    last.bind(1, writeback_id).bind(2, answer).step();
}

std::string replay(store::Database& db, const config::Config& config, std::int64_t dead_letter_id) {
    store::Statement row(db.handle(),
                         "SELECT id, flow, context FROM writebacks WHERE dead_letter_id = ?1 AND "
                         "state = 'dead'");
    row.bind(1, dead_letter_id);
    if (!row.step()) return "no dead-lettered writeback has this entry";
    auto id = row.integer(0);
    std::string flow_name(row.text(1));
    std::string packed(row.text(2));
    row.reset();
    const auto* flow = config.flow(flow_name);
    if (!flow || !flow->writeback.enabled())
        return "flow `" + flow_name + "` no longer writes back";
    auto plan = Plan::load(*flow);
    auto context = core::unpack_stored(packed).as_object();
    auto mapped = map_requests(*plan, context);
    if (!mapped.error.empty()) {
        store::Statement again(db.handle(), "UPDATE dead_letter SET reason = ?2 WHERE id = ?1");
        again.bind(1, dead_letter_id).bind(2, "writeback mapping failed: " + mapped.error).step();
        return "writeback mapping failed: " + mapped.error;
    }
    // Queued again from the first request, with a fresh age; the key stays the same.
    store::Statement requeue(db.handle(),
                             "UPDATE writebacks SET state = 'pending', requests = ?2, step = 0, answers = NULL, "
                             "attempts = 0, verify_failures = 0, next_attempt_at = ?3, "
                             "created_at = ?3, dead_letter_id = NULL WHERE id = ?1");
    requeue.bind(1, id).bind(2, json::serialize(mapped.requests)).bind(3, core::now_unix_ms()).step();
    return "";
}

}  // namespace fb::writeback
