#include "publish/kafka.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace fb::publish {
namespace {

void set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
    char err[512];
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        throw KafkaError("kafka property " + key + ": " + err);  // the value may be a secret
    }
}

void log_cb(const rd_kafka_t*, int level, const char* fac, const char* buf) {
    if (level <= 3) spdlog::error("kafka {}: {}", fac, buf);
    else if (level <= 4) spdlog::warn("kafka {}: {}", fac, buf);
    else spdlog::debug("kafka {}: {}", fac, buf);
}

// Brokers in state UP in a librdkafka statistics document (bootstrap entries included: before
// the first metadata they are the only connections).
int brokers_up(const char* stats, std::size_t size) {
    boost::json::error_code ec;
    auto doc = boost::json::parse(std::string_view(stats, size), ec);
    if (ec || !doc.is_object()) return -1;
    auto* brokers = doc.as_object().if_contains("brokers");
    if (!brokers || !brokers->is_object()) return -1;
    int up = 0;
    for (const auto& [name, b] : brokers->as_object())
        if (auto* state = b.is_object() ? b.as_object().if_contains("state") : nullptr;
            state && state->is_string() && state->as_string() == "UP")
            ++up;
    return up;
}

}  // namespace

EmbeddedCluster::EmbeddedCluster(int brokers, int partitions, const std::vector<std::string>& topics)
    : brokers_(brokers) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    set(conf, "log_level", "3");
    rd_kafka_conf_set_log_cb(conf, log_cb);
    char err[512];
    owner_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!owner_) throw KafkaError(std::string("embedded kafka: ") + err);
    cluster_ = rd_kafka_mock_cluster_new(owner_, brokers);
    if (!cluster_) {
        rd_kafka_destroy(owner_);
        throw KafkaError("embedded kafka: cannot start the mock cluster");
    }
    bootstrap_ = rd_kafka_mock_cluster_bootstraps(cluster_);
    for (const auto& t : topics)
        rd_kafka_mock_topic_create(cluster_, t.c_str(), partitions, std::min(brokers, 3));
}

EmbeddedCluster::~EmbeddedCluster() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(owner_);
}

void EmbeddedCluster::set_broker_down(int broker_id, bool down) {
    if (down) rd_kafka_mock_broker_set_down(cluster_, broker_id);
    else rd_kafka_mock_broker_set_up(cluster_, broker_id);
}

Producer::Producer(const std::string& brokers, const std::map<std::string, std::string>& properties,
                   std::function<void(const Delivery&)> on_delivery,
                   std::function<void(int)> on_brokers_up)
    : on_delivery_(std::move(on_delivery)), on_brokers_up_(std::move(on_brokers_up)) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", brokers);
    set(conf, "enable.idempotence", "true");
    set(conf, "acks", "all");
    set(conf, "message.timeout.ms", "0");  // retry until Kafka is back; the outbox bounds the backlog
    set(conf, "linger.ms", "2");
    set(conf, "compression.type", "lz4");
    set(conf, "client.id", "fieldbridge");
    set(conf, "statistics.interval.ms", "1000");  // readiness: are brokers up?
    for (const auto& [k, v] : properties) set(conf, k, v);
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* self) {
        Delivery d{m->_private, m->err, m->err ? rd_kafka_err2str(m->err) : "", m->partition,
                   static_cast<long long>(m->offset)};
        static_cast<Producer*>(self)->on_delivery_(d);
    });
    rd_kafka_conf_set_stats_cb(conf, [](rd_kafka_t*, char* json, size_t len, void* self) {
        auto& p = *static_cast<Producer*>(self);
        if (int up = brokers_up(json, len); up >= 0 && p.on_brokers_up_) p.on_brokers_up_(up);
        return 0;  // librdkafka frees the document
    });
    rd_kafka_conf_set_error_cb(conf, [](rd_kafka_t*, int err, const char* reason, void* self) {
        auto& p = *static_cast<Producer*>(self);
        if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN && p.on_brokers_up_) p.on_brokers_up_(0);
        spdlog::error("kafka: {}: {}", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)), reason);
    });
    char err[512];
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk_) throw KafkaError(std::string("kafka producer: ") + err);
}

Producer::~Producer() { rd_kafka_destroy(rk_); }

int Producer::poll(int timeout_ms) { return rd_kafka_poll(rk_, timeout_ms); }

std::string Producer::fatal_error() const {
    char err[512];
    if (rd_kafka_fatal_error(rk_, err, sizeof err) == RD_KAFKA_RESP_ERR_NO_ERROR) return {};
    return err;
}

}  // namespace fb::publish
