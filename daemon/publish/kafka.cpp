#include "publish/kafka.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <spdlog/spdlog.h>

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
                   std::function<void(const Delivery&)> on_delivery)
    : on_delivery_(std::move(on_delivery)) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", brokers);
    set(conf, "enable.idempotence", "true");
    set(conf, "acks", "all");
    set(conf, "message.timeout.ms", "0");  // retry until Kafka is back; the outbox bounds the backlog
    set(conf, "linger.ms", "2");
    set(conf, "compression.type", "lz4");
    set(conf, "client.id", "fieldbridge");
    for (const auto& [k, v] : properties) set(conf, k, v);
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* self) {
        Delivery d{m->_private, m->err, m->err ? rd_kafka_err2str(m->err) : "", m->partition,
                   static_cast<long long>(m->offset)};
        static_cast<Producer*>(self)->on_delivery_(d);
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
