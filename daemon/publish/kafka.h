// librdkafka, wrapped: the idempotent producer fieldbridge publishes with, and the embedded
// cluster (librdkafka's mock cluster, speaking the real wire protocol) for `brokers: embedded`.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace fb::publish {

class KafkaError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// An in-process Kafka cluster. Topics are created up front with the given partitions.
class EmbeddedCluster {
public:
    EmbeddedCluster(int brokers, int partitions, const std::vector<std::string>& topics);
    ~EmbeddedCluster();
    const std::string& bootstrap() const { return bootstrap_; }
    void set_broker_down(int broker_id, bool down);  // 1-based ids, for outage tests
    int brokers() const { return brokers_; }
    rd_kafka_mock_cluster_s* handle() const { return cluster_; }

private:
    rd_kafka_s* owner_ = nullptr;  // the mock cluster lives inside a client handle
    rd_kafka_mock_cluster_s* cluster_ = nullptr;
    std::string bootstrap_;
    int brokers_;
};

struct Delivery {
    void* opaque;
    int error;  // rd_kafka_resp_err_t; 0 = acknowledged by all in-sync replicas
    std::string error_text;
    int partition;
    long long offset;
};

// The idempotent producer: acks=all, infinite message timeout (an outage delays, never drops),
// delivery reports handed to `on_delivery` from poll(). `on_brokers_up` gets, also from poll(),
// how many brokers the client is connected to: from its statistics (every
// statistics.interval.ms, 1 s unless the properties say otherwise), and 0 at once when
// librdkafka reports all brokers down.
class Producer {
public:
    Producer(const std::string& brokers, const std::map<std::string, std::string>& properties,
             std::function<void(const Delivery&)> on_delivery,
             std::function<void(int)> on_brokers_up = {});
    ~Producer();
    rd_kafka_s* handle() const { return rk_; }
    int poll(int timeout_ms);
    // A fatal error (e.g. idempotence broken): the producer must stop. Empty when none.
    std::string fatal_error() const;

private:
    rd_kafka_s* rk_ = nullptr;
    std::function<void(const Delivery&)> on_delivery_;
    std::function<void(int)> on_brokers_up_;
};

}  // namespace fb::publish
