#include "status/consumer.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <set>

#include "core/ids.h"
#include "ledger/dead_letter.h"
#include "publish/kafka.h"
#include "status/event.h"
#include "store/database.h"

namespace fb::status {
namespace {

void set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
    char err[512];
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        throw publish::KafkaError("kafka property " + key + ": " + err);  // the value may be a secret
    }
}

void log_cb(const rd_kafka_t*, int level, const char* fac, const char* buf) {
    if (level <= 3) spdlog::error("kafka consumer {}: {}", fac, buf);
    else if (level <= 4) spdlog::warn("kafka consumer {}: {}", fac, buf);
    else spdlog::debug("kafka consumer {}: {}", fac, buf);
}

rd_kafka_t* make_consumer(const config::Config& config, const std::string& brokers) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", brokers);
    set(conf, "group.id", config.status.group_id);
    // Offsets move only when this code says so: after the effect is committed to SQLite.
    set(conf, "enable.auto.commit", "false");
    set(conf, "enable.auto.offset.store", "false");
    set(conf, "auto.offset.reset", "earliest");
    set(conf, "log_level", "4");
    for (const auto& [k, v] : config.kafka.properties) set(conf, k, v);
    rd_kafka_conf_set_log_cb(conf, log_cb);
    char err[512];
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) throw publish::KafkaError(std::string("status consumer: ") + err);
    rd_kafka_poll_set_consumer(rk);
    return rk;
}

struct Offsets {
    std::map<std::pair<std::string, int>, std::int64_t> next, first;
    void add(const rd_kafka_message_t* m) {
        auto key = std::make_pair(std::string(rd_kafka_topic_name(m->rkt)), int(m->partition));
        next[key] = m->offset + 1;
        first.emplace(key, m->offset);
    }
    rd_kafka_topic_partition_list_t* list(bool rewind) const {
        const auto& src = rewind ? first : next;
        auto* l = rd_kafka_topic_partition_list_new(static_cast<int>(src.size()));
        for (const auto& [k, off] : src)
            rd_kafka_topic_partition_list_add(l, k.first.c_str(), k.second)->offset = off;
        return l;
    }
};

}  // namespace

Consumer::Consumer(const config::Config& config, std::string brokers, const FlowLives& lives,
                   metrics::Registry& metrics, std::function<void(const std::string&)> on_writeback)
    : config_(config),
      brokers_(std::move(brokers)),
      lives_(lives),
      metrics_(metrics),
      on_writeback_(std::move(on_writeback)),
      conflicts_(metrics.gauge("fieldbridge_work_order_conflicts",
                               "Work orders where the ERP and the platform disagree (see the trace)")),
      thread_([this] { run(); }) {}

Consumer::~Consumer() { stop(); }

void Consumer::stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
}

std::string Consumer::last_error() const {
    std::lock_guard lock(error_mutex_);
    return last_error_;
}

void Consumer::count(const std::string& outcome, const Applied& a) {
    metrics_.counter("fieldbridge_status_events_total", "Status events by outcome",
                     "outcome=\"" + outcome + "\"").add();
    if (outcome == "applied" || outcome == "conflict")
        metrics_.counter("fieldbridge_transitions_total", "Work-order state changes",
                         "flow=\"" + a.flow + "\",from=\"" + a.from + "\",to=\"" + a.to + "\"").add();
}

void Consumer::run() {
    pthread_setname_np(pthread_self(), "fb-status");
    rd_kafka_t* rk = nullptr;
    std::unique_ptr<store::Database> db;
    try {
        rk = make_consumer(config_, brokers_);
        auto* topics = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(topics, config_.kafka.topics.status.c_str(),
                                          RD_KAFKA_PARTITION_UA);
        auto err = rd_kafka_subscribe(rk, topics);
        rd_kafka_topic_partition_list_destroy(topics);
        if (err) throw publish::KafkaError(std::string("subscribe: ") + rd_kafka_err2str(err));
        db = std::make_unique<store::Database>(config_.state.path, store::Database::Mode::read_write,
                                               config_.state.synchronous, config_.state.wal_max_bytes);
    } catch (const std::exception& e) {
        spdlog::error("status consumer cannot start: {}", e.what());
        healthy_ = false;
        std::lock_guard lock(error_mutex_);
        last_error_ = e.what();
        if (rk) rd_kafka_destroy(rk);
        return;
    }
    WorkOrders work_orders(*db, config_.kafka.topics);
    store::Statement count_conflicts(db->handle(),
                                     "SELECT count(*) FROM work_orders WHERE conflict IS NOT NULL");
    auto last_housekeeping = std::chrono::steady_clock::time_point{};
    while (!stopping_) {
        if (std::chrono::steady_clock::now() - last_housekeeping > std::chrono::seconds(5)) {
            last_housekeeping = std::chrono::steady_clock::now();
            try {
                store::Database::Transaction tx(*db);
                work_orders.prune_documents(lives_, core::now_unix_ms());
                tx.commit();
                count_conflicts.step();
                conflicts_.set(count_conflicts.integer(0));
                count_conflicts.reset();
            } catch (const std::exception& e) {
                spdlog::warn("status consumer housekeeping: {}", e.what());
            }
        }
        std::vector<rd_kafka_message_t*> batch;
        if (auto* m = rd_kafka_consumer_poll(rk, 200)) batch.push_back(m);
        while (!batch.empty() && batch.size() < config_.status.max_batch)
            if (auto* m = rd_kafka_consumer_poll(rk, 0)) batch.push_back(m);
            else break;
        if (batch.empty()) continue;

        Offsets offsets;
        std::vector<std::pair<std::string, Applied>> outcomes;
        std::set<std::string> wake;
        bool committed = false;
        try {
            store::Database::Transaction tx(*db);
            for (auto* m : batch) {
                if (m->err) {
                    if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                        spdlog::warn("status consumer: {}", rd_kafka_message_errstr(m));
                    continue;
                }
                offsets.add(m);
                std::string_view payload(static_cast<const char*>(m->payload), m->len);
                StatusEvent event;
                std::string reason;
                Applied a;
                if (!parse_status_event(payload, config_.status, event, reason)) {
                    a.outcome = "invalid";
                    a.reason = reason;
                } else {
                    event.partition = m->partition;
                    event.offset = m->offset;
                    a = work_orders.on_status(event, lives_);
                }
                if (a.outcome == "invalid" || a.outcome == "unknown_work_order") {
                    // Dead-lettered with its place on the topic; it never blocks the partition.
                    auto where = "partition " + std::to_string(m->partition) + " offset " +
                                 std::to_string(m->offset) + ": ";
                    ledger::add_dead_letter(*db, config_.kafka.topics, a.flow, "status",
                                            event.work_order_id, where + a.reason,
                                            std::string(payload.substr(0, config_.status.max_event_bytes)));
                }
                if (a.writeback_id) wake.insert(a.flow);
                outcomes.emplace_back(a.outcome, std::move(a));
            }
            tx.commit();
            committed = true;
        } catch (const std::exception& e) {
            spdlog::error("status consumer: transaction of {} events failed, will read them again: {}",
                          batch.size(), e.what());
            healthy_ = false;
            std::lock_guard lock(error_mutex_);
            last_error_ = e.what();
        }
        if (committed && !offsets.next.empty()) {
            auto* list = offsets.list(false);
            // Sent now that the effect is in the state file, without waiting for the broker's
            // answer (waiting held every batch for a round trip behind the fetches): a commit
            // that is lost only re-delivers these events, and their ids make that a no-op.
            auto err = rd_kafka_commit(rk, list, 1);
            rd_kafka_topic_partition_list_destroy(list);
            if (err) spdlog::warn("status consumer: offset commit failed: {}", rd_kafka_err2str(err));
            healthy_ = true;
        } else if (!committed && !offsets.first.empty()) {
            auto* list = offsets.list(true);
            if (auto* e = rd_kafka_seek_partitions(rk, list, 5000)) rd_kafka_error_destroy(e);
            rd_kafka_topic_partition_list_destroy(list);
            std::this_thread::sleep_for(std::chrono::seconds(1));  // the state file is busy or broken
        }
        for (auto* m : batch) rd_kafka_message_destroy(m);
        if (committed) {
            for (const auto& [o, a] : outcomes) count(o, a);
            for (const auto& f : wake) on_writeback_(f);
        }
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

}  // namespace fb::status
