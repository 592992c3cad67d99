// The daemon's configuration: YAML → typed, validated structs. Every mistake names file:line:col.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/sink.h"
#include "core/source_spec.h"

namespace fb::config {

class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct StateConfig {
    std::string path = "fieldbridge-state.db";
    std::string synchronous = "full";  // full: a committed document survives power loss; normal: a crash
    std::int64_t wal_max_bytes = 16 << 20;  // checkpoint the WAL at this size, cut it back to it
    // Kept allocated beside the state file and released when the disk fills, so a checkpoint
    // and the marks of sent events still fit; 0 = none. At least wal_max_bytes.
    std::int64_t reserve_bytes = 64 << 20;
};

struct Topics {
    std::string work_orders = "fsm.work-orders";
    std::string status = "fsm.work-order-status";
    std::string dead_letter = "fsm.dead-letter";
};

struct KafkaConfig {
    std::string brokers = "embedded";  // "embedded" = librdkafka's mock cluster in this process
    int embedded_brokers = 3;
    int embedded_partitions = 6;
    std::map<std::string, std::string> properties;  // passed to librdkafka unchanged
    // The producer's message.max.bytes (librdkafka's default unless properties set it): a work
    // order that would make a larger message is dead-lettered at intake, never stuck in the outbox.
    std::size_t max_message_bytes = 1000000;
    Topics topics;
    // Readiness fails when messages are in flight and no delivery report came for this long.
    std::chrono::milliseconds delivery_stall{30000};
    bool embedded() const { return brokers == "embedded"; }
};

struct HttpConfig {
    std::string address = "127.0.0.1";
    unsigned short port = 8088;  // 0 = any free port (tests)
    std::string admin_token;     // secret: never logged
    std::size_t max_body_bytes = 1u << 20;
    std::size_t max_batch_body_bytes = 64u << 20;
    std::chrono::milliseconds request_timeout{10000};
    std::size_t max_connections = 1024;
    std::size_t workers = 0;  // threads that decode and map request bodies; 0 = one per core
};

struct OutboxConfig {
    std::size_t high_water = 20000;  // unsent rows above which intake answers 503 / pauses
    std::size_t low_water = 10000;   // intake resumes below this
    std::chrono::seconds retention{3600};  // sent rows are kept this long for tracing, then pruned
    std::size_t max_batch = 2000;          // documents committed in one transaction at most
    std::chrono::milliseconds housekeeping_every{5000};  // prune sent rows, recount the outbox
};

struct SourceConfig {
    std::string type = "webhook";
    std::shared_ptr<const core::SourceSpec> spec;  // the connector's own (connectors/<type>/spec.h)
};

// The status consumer (top-level `status:`): the platform's events on kafka.topics.status.
struct StatusConfig {
    std::string group_id = "fieldbridge";
    std::size_t max_event_bytes = 256u << 10;  // larger events are dead-lettered unread
    int max_depth = 32;                        // JSON nesting beyond this is refused
    std::size_t max_batch = 500;               // events applied in one transaction at most
};

// A work order's life in one flow. `states` is in order of progress: an event naming a state
// before the current one is late. Without `transitions`, a state may move to any later one;
// terminal states absorb.
struct LifecycleConfig {
    std::vector<std::string> states = {"created",   "accepted", "en_route", "arrived",
                                       "completed", "failed",   "cancelled"};
    std::vector<std::string> terminal = {"completed", "failed", "cancelled"};
    std::map<std::string, std::vector<std::string>> transitions;  // from → to; "*" = any open state
};

// Where a flow's writeback requests go (`writeback.sink`). One type per connector folder.
struct SinkConfig {
    std::string type;  // file_export, http, jsonrpc
    std::shared_ptr<const core::SinkSpec> spec;  // http, jsonrpc: connectors/http_sink/spec.h
    // file_export
    std::string folder;
    std::string format = "json";   // json | csv
    std::string charset = "UTF-8";  // the charset the ERP imports
    std::string csv_rows;          // csv: the body's array whose elements become rows
    std::map<std::string, std::string> vars;  // file_export: $.vars of its mappings (http, jsonrpc: in spec)
    std::vector<std::string> var_secrets;
};

struct WritebackConfig {
    std::vector<std::string> mappings;  // request mappings, sent in order (one request each)
    std::string verify;                 // optional read-back mapping with a `success:` rule
    std::vector<std::string> on = {"completed", "failed"};  // target states that write back
    SinkConfig sink;
    std::chrono::milliseconds timeout{10000};
    std::chrono::milliseconds backoff_initial{1000};
    std::chrono::milliseconds backoff_max{300000};
    std::chrono::milliseconds max_age{24 * 3600 * 1000};  // then dead-lettered, never dropped
    int breaker_failures = 5;                               // in a row, per endpoint
    std::chrono::milliseconds breaker_cooldown{30000};
    int verify_attempts = 3;  // writes that do not verify, then "ERP did not apply"
    std::chrono::milliseconds retention{7 * 24 * 3600 * 1000ll};  // closed documents kept this long
    bool enabled() const { return !mappings.empty(); }
};

struct FlowConfig {
    std::string name;
    std::string document_type;  // free text for the event's source.document_type
    SourceConfig source;
    std::string mapping;  // path, resolved against the config file's folder
    LifecycleConfig lifecycle;
    WritebackConfig writeback;
};

struct Config {
    std::string file;  // where it was loaded from
    StateConfig state;
    KafkaConfig kafka;
    HttpConfig http;
    OutboxConfig outbox;
    StatusConfig status;
    std::string log_level = "info";
    std::vector<FlowConfig> flows;

    const FlowConfig* flow(std::string_view name) const;
};

// Loads and validates; throws ConfigError("file:line:col: message").
Config load(const std::string& path);
Config parse(const std::string& yaml_text, const std::string& file_name,
             const std::string& base_dir = ".");
// For the commands that only read the state file (trace, dead-letter list): `state:` and the
// flows' names, nothing else checked, an unset ${env:} or unreadable ${file:} left as written —
// an operator's shell lacks the service's secrets, and nothing here would use them.
Config load_state_only(const std::string& path);

}  // namespace fb::config
