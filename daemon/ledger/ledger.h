// The ledger: every ERP document seen, by flow and document id, with its version and content hash.
// Decides created / updated / cancelled / unchanged and writes the event into the outbox in the
// caller's transaction, so the ledger row and the outbox row commit together or not at all.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "ledger/dead_letter.h"
#include "mapping/mapping.h"
#include "store/database.h"

namespace fb::status {
class WorkOrders;
}

namespace fb::ledger {

// One document on its way in: its mapping result, or why it could not be decoded.
struct Submission {
    std::string flow;
    std::string document_type;
    mapping::MapResult result;
    std::string stage = "map";  // where it failed, when result.kind is failed: decode|map|validate
    std::string reason;         // the failure, when result.kind is failed
    std::string input;          // the input as received, kept for the dead-letter

    // The work order serialised, filled by prepare() on the caller's thread so the one thread
    // that writes the state file spends its time writing.
    std::string body;         // the work order with its id, as JSON
    std::string fingerprint;  // "field=hash" per top-level field
    std::string hash;         // of body
    // From the mapping: how versions compare (to re-read a recorded version written before
    // version keys existed) and whether a strictly newer version may reopen a cancelled one.
    mapping::VersionOrder order = mapping::VersionOrder::automatic;
    bool reopen = false;
    std::string document;     // the ERP document as JSON, for flows that write back; else empty
};

// Serialises a mapped or cancelled submission's work order and releases the tree; returns why
// its event would be larger than `max_message_bytes` on Kafka, or "".
std::string prepare(Submission& submission, std::size_t max_message_bytes);

// The submissions one decoded input (`raw` is its JSON text) yields through `flow`'s mapping,
// prepared, keeping each document when the flow writes back; a failure carries its reason, its
// stage (map; validate for a schema violation or a work order too large for Kafka) and its input.
void add_mapped(std::vector<Submission>& out, const config::FlowConfig& flow,
                const config::KafkaConfig& kafka, const mapping::Mapping& mapping,
                const boost::json::value& document, std::string_view raw);
// An input that could not be decoded.
Submission decode_failure(const std::string& flow, const std::string& document_type,
                          std::string reason, std::string input);

struct Outcome {
    // stale: older than the recorded version; answered 2xx (the ERP must not retry), publishes
    // nothing.
    enum class Kind { created, updated, cancelled, unchanged, stale, filtered, dead_lettered, error };
    Kind kind = Kind::error;
    std::string document_id;
    std::string work_order_id;
    std::string event_id;
    std::int64_t dead_letter_id = 0;
    std::string reason;   // why a document failed
    std::string note;     // why nothing was published, when that is not obvious (stale, cancelled)
    int outbox_rows = 0;  // rows this outcome added to the outbox
};

const char* to_string(Outcome::Kind kind);

class Ledger {
public:
    Ledger(store::Database& db, config::Topics topics);
    ~Ledger();
    // Must run inside a transaction on `db`; `submission` comes from add_mapped/decode_failure.
    Outcome record(const Submission& submission);

private:
    Outcome dead_letter(const Submission& s, const std::string& document_id, const std::string& now);
    // Decides and writes the outcome for a document the ledger already holds.
    struct Recorded;
    Outcome record_known(const Submission& s, const Recorded& old, Outcome out,
                         const std::string& now);
    Outcome publish(const Submission& s, Outcome out, std::string version, std::string type,
                    const std::string& state, const std::string& now, boost::json::array changed);
    void enqueue(const std::string& topic, const std::string& key, const std::string& event_id,
                 const std::string& type, const std::string& flow, const std::string& document_id,
                 const std::string& now, const std::string& payload);

    store::Database& db_;
    config::Topics topics_;
    store::Statement find_, upsert_, insert_outbox_, insert_payload_;
    DeadLetters dead_letters_;
    store::Statement record_version_, record_stale_;
    std::unique_ptr<status::WorkOrders> work_orders_;  // the ERP side of each work order's state
};

}  // namespace fb::ledger
