#include "ledger/dead_letter.h"

#include <boost/json/serialize.hpp>

#include "core/ids.h"
#include "core/pack.h"
#include "decode/decode.h"
#include "ledger/ledger.h"
#include "status/replay.h"
#include "support/utf8_cut.h"

namespace fb::ledger {

namespace {

std::string dead_letter_message(std::int64_t id, const std::string& flow, const std::string& stage,
                                const std::string& document_id, const std::string& reason,
                                const std::string& input, const std::string& now) {
    boost::json::object message{{"dead_letter_id", id},         {"flow", flow},
                                {"stage", stage},               {"document_id", document_id},
                                {"reason", reason},             {"occurred_at", now}};
    auto kept = support::utf8_prefix(input, kDeadLetterMessageInput);
    message["input"] = kept;
    if (kept.size() < input.size()) {
        message["input_truncated"] = true;
        message["input_bytes"] = input.size();
    }
    return boost::json::serialize(message);
}

}  // namespace

DeadLetters::DeadLetters(store::Database& db, std::string topic)
    : db_(db),
      topic_(std::move(topic)),
      find_(db.handle(),
            "SELECT id FROM dead_letter WHERE flow = ?1 AND document_id = ?2 AND stage = ?3 AND "
            "reason = ?4 AND input = ?5 AND replayed_at IS NULL ORDER BY id DESC LIMIT 1"),
      repeat_(db.handle(),
              "UPDATE dead_letter SET repeats = repeats + 1, last_seen_at = ?2 WHERE id = ?1"),
      insert_(db.handle(),
              "INSERT INTO dead_letter (flow, stage, document_id, reason, input, created_at) "
              "VALUES (?1,?2,?3,?4,?5,?6)"),
      outbox_(db.handle(),
              "INSERT INTO outbox (topic, key, event_id, event_type, flow, document_id, "
              "occurred_at, created_at) VALUES (?1,?2,?3,'dead_letter',?4,?5,?6,?7)"),
      payload_(db.handle(), "INSERT INTO outbox_payload (id, payload) VALUES (?1, ?2)") {}

DeadLetters::Added DeadLetters::add(const std::string& flow, const std::string& stage,
                                    const std::string& document_id, const std::string& reason,
                                    const std::string& input, const std::string& now) {
    find_.bind(1, flow).bind(2, document_id).bind(3, stage).bind(4, reason).bind(5, input);
    if (find_.step()) {
        Added open{find_.integer(0), false};
        find_.reset();
        repeat_.bind(1, open.id).bind(2, now).step();
        return open;
    }
    insert_.bind(1, flow).bind(2, stage).bind(3, document_id).bind(4, reason).bind(5, input);
    insert_.bind(6, now).step();
    Added added{db_.last_insert_id(), true};
    outbox_.bind(1, topic_).bind(2, flow + ":" + document_id);
    outbox_.bind(3, "dl-" + std::to_string(added.id)).bind(4, flow).bind(5, document_id);
    outbox_.bind(6, now).bind(7, core::now_unix_ms()).step();
    payload_.bind(1, db_.last_insert_id());
    payload_.bind_blob(2, core::pack(dead_letter_message(added.id, flow, stage, document_id, reason,
                                                         input, now)));
    payload_.step();
    return added;
}

std::int64_t add_dead_letter(store::Database& db, const config::Topics& topics,
                             const std::string& flow, const std::string& stage,
                             const std::string& document_id, const std::string& reason,
                             const std::string& input) {
    return DeadLetters(db, topics.dead_letter)
        .add(flow, stage, document_id, reason, input, core::now_rfc3339())
        .id;
}

std::vector<DeadLetterEntry> list_dead_letters(store::Database& db, bool include_replayed) {
    store::Statement q(db.handle(),
                       std::string("SELECT id, flow, stage, document_id, reason, created_at, "
                                   "coalesce(replayed_at, ''), repeats, coalesce(last_seen_at, '') "
                                   "FROM dead_letter") +
                           (include_replayed ? "" : " WHERE replayed_at IS NULL") + " ORDER BY id");
    std::vector<DeadLetterEntry> out;
    while (q.step())
        out.push_back({q.integer(0), std::string(q.text(1)), std::string(q.text(2)),
                       std::string(q.text(3)), std::string(q.text(4)), std::string(q.text(5)),
                       std::string(q.text(6)), static_cast<int>(q.integer(7)),
                       std::string(q.text(8))});
    return out;
}

ReplayReport replay_dead_letters(
    store::Database& db, const config::Config& config,
    const std::map<std::string, std::shared_ptr<const mapping::Mapping>>& mappings,
    const std::vector<std::int64_t>& ids) {
    ReplayReport report;
    store::Database::Transaction tx(db);
    Ledger ledger(db, config.kafka.topics);
    store::Statement pick(db.handle(),
                          "SELECT id, flow, input, stage FROM dead_letter WHERE replayed_at IS NULL AND "
                          "(?1 = 0 OR id = ?1) ORDER BY id");
    store::Statement done(db.handle(), "UPDATE dead_letter SET replayed_at = ?2 WHERE id = ?1");
    store::Statement again(db.handle(), "UPDATE dead_letter SET reason = ?2, stage = ?3 WHERE id = ?1");
    std::vector<std::tuple<std::int64_t, std::string, std::string>> entries;
    std::map<std::int64_t, std::string> loop_stages;  // status and writeback entries
    auto collect = [&](std::int64_t id) {
        pick.bind(1, id);
        while (pick.step()) {
            entries.emplace_back(pick.integer(0), std::string(pick.text(1)), std::string(pick.text(2)));
            std::string stage(pick.text(3));
            if (stage == "status" || stage == "writeback") loop_stages[pick.integer(0)] = stage;
        }
    };
    if (ids.empty()) collect(0);
    for (auto id : ids) collect(id);

    auto now = core::now_rfc3339();
    for (const auto& [id, flow_name, input] : entries) {
        auto line = "#" + std::to_string(id) + " ";
        if (auto st = loop_stages.find(id); st != loop_stages.end()) {
            auto why = status::replay_entry(db, config, id, st->second, input);
            report.lines.push_back(line + st->second + ": " + (why.empty() ? "queued again" : why));
            if (!why.empty()) {
                ++report.still_failing;
            } else {
                ++report.replayed;
                done.bind(1, id).bind(2, now).step();
            }
            continue;
        }
        const auto* flow = config.flow(flow_name);
        auto m = mappings.find(flow_name);
        if (!flow || m == mappings.end()) {
            ++report.still_failing;
            report.lines.push_back(line + "flow `" + flow_name + "` is no longer configured");
            continue;
        }
        auto doc = decode::decode_json(input);
        std::vector<Submission> subs;
        if (!doc.ok())
            subs.push_back(decode_failure(flow_name, flow->document_type, doc.error, input));
        else
            add_mapped(subs, *flow, config.kafka, *m->second, doc.value, input);
        bool failed = false;
        for (const auto& s : subs) {
            if (s.result.kind == mapping::MapResult::Kind::failed) {
                failed = true;
                again.bind(1, id).bind(2, s.reason).bind(3, s.stage).step();
                report.lines.push_back(line + s.result.document_id + ": " + s.reason);
                continue;
            }
            auto outcome = ledger.record(s);
            report.lines.push_back(line + outcome.document_id + ": " + to_string(outcome.kind));
        }
        if (failed) {
            ++report.still_failing;
        } else {
            ++report.replayed;
            done.bind(1, id).bind(2, now).step();
        }
    }
    tx.commit();
    return report;
}

}  // namespace fb::ledger
