#include "ledger/ledger.h"

#include <boost/json/serialize.hpp>

#include <map>
#include <optional>

#include "core/ids.h"
#include "core/pack.h"
#include "status/work_orders.h"

namespace fb::ledger {
namespace json = boost::json;

const char* to_string(Outcome::Kind kind) {
    switch (kind) {
        case Outcome::Kind::created: return "created";
        case Outcome::Kind::updated: return "updated";
        case Outcome::Kind::cancelled: return "cancelled";
        case Outcome::Kind::unchanged: return "unchanged";
        case Outcome::Kind::stale: return "stale";
        case Outcome::Kind::filtered: return "filtered";
        case Outcome::Kind::dead_lettered: return "dead_lettered";
        case Outcome::Kind::error: return "error";
    }
    return "error";
}

namespace {

// A work order serialised field by field: its text, and one short hash per top-level field, so
// the ledger keeps a small fingerprint (not the whole work order) to name what changed.
struct Serialised {
    std::string body;
    std::string fingerprint;  // "field=hash\n" per top-level field
    std::string largest;      // the top-level field with the longest text, and its length
    std::size_t largest_bytes = 0;
};

Serialised serialise(const std::string& id, const json::object& fields) {
    Serialised out;
    out.body = "{\"id\":" + json::serialize(json::value(id));
    for (const auto& [k, v] : fields) {
        auto key = json::serialize(json::value(json::string_view(k)));
        auto text = json::serialize(v);
        out.body.append(",").append(key).append(":").append(text);
        if (text.size() > out.largest_bytes) out.largest = k, out.largest_bytes = text.size();
        out.fingerprint.append(k).append("=").append(core::content_hash(text), 0, 8).append("\n");
    }
    out.body += "}";
    return out;
}

std::map<std::string_view, std::string_view> parse_fingerprint(std::string_view text) {
    std::map<std::string_view, std::string_view> fields;
    while (!text.empty()) {
        auto nl = text.find('\n');
        auto line = text.substr(0, nl);
        text = nl == text.npos ? std::string_view() : text.substr(nl + 1);
        auto eq = line.rfind('=');
        if (eq != line.npos) fields[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return fields;
}

json::array changed_fields(std::string_view before_text, std::string_view after_text) {
    auto before = parse_fingerprint(before_text), after = parse_fingerprint(after_text);
    json::array changed;
    for (const auto& [k, h] : after)
        if (auto it = before.find(k); it == before.end() || it->second != h) changed.emplace_back(k);
    for (const auto& [k, h] : before)
        if (!after.count(k)) changed.emplace_back(k);
    return changed;
}

}  // namespace

Ledger::Ledger(store::Database& db, config::Topics topics)
    : db_(db),
      topics_(std::move(topics)),
      find_(db.handle(),
            "SELECT version, content_hash, state, fields, version_key FROM documents "
            "WHERE flow = ?1 AND document_id = ?2"),
      upsert_(db.handle(),
              "INSERT INTO documents (flow, document_id, version, content_hash, work_order_id, "
              "state, fields, first_seen_at, updated_at, version_key) "
              "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?8,?9) "
              "ON CONFLICT (flow, document_id) DO UPDATE SET version = ?3, content_hash = ?4, "
              "state = ?6, fields = ?7, updated_at = ?8, version_key = ?9"),
      insert_outbox_(db.handle(),
                     "INSERT INTO outbox (topic, key, event_id, event_type, flow, document_id, "
                     "occurred_at, created_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)"),
      insert_payload_(db.handle(), "INSERT INTO outbox_payload (id, payload) VALUES (?1, ?2)"),
      dead_letters_(db, topics_.dead_letter),
      record_version_(db.handle(),
                      "UPDATE documents SET version = ?3, version_key = ?4, updated_at = ?5 "
                      "WHERE flow = ?1 AND document_id = ?2"),
      record_stale_(db.handle(),
                    "UPDATE documents SET stale_arrivals = stale_arrivals + 1, "
                    "last_stale_version = ?3, last_stale_at = ?4 "
                    "WHERE flow = ?1 AND document_id = ?2"),
      work_orders_(std::make_unique<status::WorkOrders>(db, topics_)) {}

Ledger::~Ledger() = default;

void Ledger::enqueue(const std::string& topic, const std::string& key, const std::string& event_id,
                     const std::string& type, const std::string& flow,
                     const std::string& document_id, const std::string& now,
                     const std::string& payload) {
    insert_outbox_.bind(1, topic).bind(2, key).bind(3, event_id).bind(4, type).bind(5, flow);
    insert_outbox_.bind(6, document_id).bind(7, now).bind(8, core::now_unix_ms());
    insert_outbox_.step();
    insert_payload_.bind(1, db_.last_insert_id()).bind_blob(2, core::pack(payload)).step();
}

Outcome Ledger::dead_letter(const Submission& s, const std::string& document_id,
                            const std::string& now) {
    auto added = dead_letters_.add(s.flow, s.stage, document_id, s.reason, s.input, now);
    Outcome out{Outcome::Kind::dead_lettered, document_id};
    out.dead_letter_id = added.id;
    out.reason = s.reason;
    out.outbox_rows = added.fresh ? 1 : 0;
    return out;
}

namespace {

// The most the event around a work order adds to it on the wire: the envelope (ids, type, time,
// source, changed field names), the key, the CloudEvents headers and librdkafka's framing.
std::size_t envelope_bytes(const Submission& s) {
    const auto& r = s.result;
    return 1024 + s.fingerprint.size() +
           6 * (2 * s.flow.size() + s.document_type.size() + 3 * r.document_id.size() + r.version.size());
}

}  // namespace

std::string prepare(Submission& s, std::size_t max_message_bytes) {
    using Kind = mapping::MapResult::Kind;
    if (s.result.kind != Kind::mapped && s.result.kind != Kind::cancelled) return {};
    auto [body, fingerprint, largest, largest_bytes] =
        serialise(core::work_order_id(s.flow, s.result.document_id), s.result.work_order);
    s.body = std::move(body);
    s.fingerprint = std::move(fingerprint);
    s.hash = core::content_hash(s.body);
    s.result.work_order = {};
    auto bytes = s.body.size() + envelope_bytes(s);
    if (bytes <= max_message_bytes) return {};
    return "the work order would be a Kafka message of about " + std::to_string(bytes) +
           " bytes, over message.max.bytes (" + std::to_string(max_message_bytes) +
           "); its longest field is `" + largest + "` (" + std::to_string(largest_bytes) +
           " bytes): shorten it in the mapping, or raise kafka.properties message.max.bytes "
           "(and the topic's max.message.bytes)";
}

void add_mapped(std::vector<Submission>& out, const config::FlowConfig& flow,
                const config::KafkaConfig& kafka, const mapping::Mapping& mapping,
                const json::value& document, std::string_view raw) {
    bool keep_document = flow.writeback.enabled();  // its writeback mapping reads the document
    for (auto& r : mapping.map(document, false, keep_document)) {
        Submission s{flow.name, flow.document_type, std::move(r)};
        if (keep_document && s.result.kind != mapping::MapResult::Kind::failed &&
            !s.result.document.is_null()) {
            s.document = json::serialize(s.result.document);
            s.result.document = nullptr;
        }
        s.order = mapping.version_order();
        s.reopen = mapping.reopens();
        if (auto too_large = prepare(s, kafka.max_message_bytes); !too_large.empty()) {
            // Refused before it is acknowledged: in the outbox it could never be sent, and the
            // versions after it would overtake it. The dead-letter entry replays once it fits.
            s.result.kind = mapping::MapResult::Kind::failed;
            s.result.error.reset();
            s.body.clear();
            s.document.clear();
            s.stage = "validate";
            s.reason = "document `" + s.result.document_id + "`: " + too_large;
            s.input = std::string(raw);
        } else if (s.result.kind == mapping::MapResult::Kind::failed) {
            s.reason = s.result.error ? s.result.error->message() : "mapping failed";
            s.stage = s.result.error && s.result.error->rule == "schema" ? "validate" : "map";
            s.input = s.result.document.is_null() ? std::string(raw)
                                                  : json::serialize(s.result.document);
        }
        out.push_back(std::move(s));
    }
}

Submission decode_failure(const std::string& flow, const std::string& document_type,
                          std::string reason, std::string input) {
    Submission s{flow, document_type};
    s.result.kind = mapping::MapResult::Kind::failed;
    s.stage = "decode";
    s.reason = std::move(reason);
    s.input = std::move(input);
    return s;
}

// The ledger row of a document already seen.
struct Ledger::Recorded {
    std::string version, hash, state, fingerprint, key;
};

namespace {

// The recorded version as the ERP wrote it: without the "#<hash>" the ledger adds when the ERP
// changed content under the same version.
std::string_view base_version(const std::string& version, const std::string& hash) {
    auto suffix = "#" + hash.substr(0, 8);
    std::string_view v(version);
    if (v.size() > suffix.size() && v.ends_with(suffix)) v.remove_suffix(suffix.size());
    return v;
}

// How the incoming version compares with the recorded one; nullopt when they cannot be ordered
// (no version, or versions of different kinds). A row written before version keys existed, or
// under another `order`, is re-read from its version text under the mapping's order.
std::optional<int> compare_versions(const Submission& s, const std::string& key,
                                    const std::string& old_version, const std::string& old_hash,
                                    std::string old_key) {
    if (key.empty()) return std::nullopt;
    bool had_version = old_version != old_hash;  // without one, the ledger stored the hash
    if (had_version && old_key.compare(0, 2, key, 0, 2) != 0)
        old_key = mapping::version_key(s.order, base_version(old_version, old_hash)).value_or("");
    return mapping::compare_version_keys(key, old_key);
}

}  // namespace

Outcome Ledger::record(const Submission& s) {
    using Kind = mapping::MapResult::Kind;
    const auto& r = s.result;
    auto now = core::now_rfc3339();
    if (r.kind == Kind::failed) return dead_letter(s, r.document_id, now);
    Outcome out{Outcome::Kind::filtered, r.document_id};
    if (r.kind == Kind::filtered) return out;
    out.work_order_id = core::work_order_id(s.flow, r.document_id);
    bool cancel = r.kind == Kind::cancelled;
    std::string version = r.version.empty() ? s.hash : r.version;

    find_.bind(1, s.flow).bind(2, r.document_id);
    if (find_.step()) {
        Recorded old{std::string(find_.text(0)), std::string(find_.text(1)),
                     std::string(find_.text(2)), std::string(find_.text(3)),
                     std::string(find_.text(4))};
        find_.reset();
        return record_known(s, old, std::move(out), now);
    }
    find_.reset();
    if (cancel) {
        // First seen already cancelled: nothing to cancel on the platform. The row keeps the
        // version, so an older version arriving later is stale, not a new work order.
        upsert_.bind(1, s.flow).bind(2, r.document_id).bind(3, version).bind(4, s.hash);
        upsert_.bind(5, out.work_order_id).bind(6, "cancelled").bind(7, s.fingerprint);
        upsert_.bind(8, now).bind(9, r.version_key).step();
        out.kind = Outcome::Kind::cancelled;
        out.note = "first seen already cancelled: nothing was published";
        return out;
    }
    return publish(s, std::move(out), version, "work_order.created", "open", now, {});
}

Outcome Ledger::record_known(const Submission& s, const Recorded& old, Outcome out,
                             const std::string& now) {
    const auto& r = s.result;
    bool cancel = r.kind == mapping::MapResult::Kind::cancelled;
    std::string version = r.version.empty() ? s.hash : r.version;
    auto order = compare_versions(s, r.version_key, old.version, old.hash, old.key);
    if (order && *order < 0) {
        record_stale_.bind(1, s.flow).bind(2, r.document_id).bind(3, version).bind(4, now).step();
        out.kind = Outcome::Kind::stale;
        out.note = "version " + version + " is older than the recorded version " + old.version +
                   ": nothing was published";
        return out;
    }
    bool newer = order && *order > 0;
    // A newer version that publishes nothing still moves the recorded version forward, so an
    // older version with other content that arrives later is stale.
    auto keep_version = [&] {
        if (!newer) return;
        record_version_.bind(1, s.flow).bind(2, r.document_id).bind(3, version);
        record_version_.bind(4, r.version_key).bind(5, now).step();
    };
    bool same = order ? *order == 0 : base_version(old.version, old.hash) == version;
    // The ERP changed the content without bumping the version: keep the event id unique.
    auto distinct = [&] { return same ? version + "#" + s.hash.substr(0, 8) : version; };

    if (old.state == "cancelled") {
        if (!cancel && newer && s.reopen)
            return publish(s, std::move(out), version, "work_order.created", "open", now, {});
        keep_version();
        if (cancel) {
            out.kind = Outcome::Kind::unchanged;
            return out;
        }
        out.kind = Outcome::Kind::cancelled;
        out.note = newer ? "the work order is cancelled and this mapping does not reopen it "
                           "(reopen: false): nothing was published"
                         : "the work order is cancelled; only a strictly newer version can "
                           "reopen it: nothing was published";
        return out;
    }
    if (cancel)
        return publish(s, std::move(out), distinct(), "work_order.cancelled", "cancelled", now, {});
    if (old.hash == s.hash) {
        keep_version();
        out.kind = Outcome::Kind::unchanged;
        return out;
    }
    return publish(s, std::move(out), distinct(), "work_order.updated", "open", now,
                   changed_fields(old.fingerprint, s.fingerprint));
}

Outcome Ledger::publish(const Submission& s, Outcome out, std::string version, std::string type,
                        const std::string& state, const std::string& now, json::array changed) {
    const auto& r = s.result;
    out.event_id = core::event_id(out.work_order_id, version, type);
    json::object event{{"event_id", out.event_id},
                       {"type", type},
                       {"occurred_at", now},
                       {"source",
                        {{"flow", s.flow},
                         {"document_type", s.document_type},
                         {"document_id", r.document_id},
                         {"document_version", version}}}};
    if (type == "work_order.updated") event["changed_fields"] = std::move(changed);
    // The work order is already serialised: splice it in rather than serialise it twice.
    auto payload = json::serialize(event);
    payload.back() = ',';
    payload.append("\"work_order\":").append(s.body).append("}");
    enqueue(topics_.work_orders, out.work_order_id, out.event_id, type, s.flow, r.document_id, now,
            payload);
    out.outbox_rows = 1;

    upsert_.bind(1, s.flow).bind(2, r.document_id).bind(3, version).bind(4, s.hash);
    upsert_.bind(5, out.work_order_id).bind(6, state).bind(7, s.fingerprint);
    upsert_.bind(8, now).bind(9, r.version_key).step();
    work_orders_->on_erp_event(s.flow, r.document_id, out.work_order_id, type, version, s.body,
                               s.document);
    out.kind = type == "work_order.cancelled" ? Outcome::Kind::cancelled
               : type == "work_order.updated" ? Outcome::Kind::updated
                                              : Outcome::Kind::created;
    return out;
}

}  // namespace fb::ledger
