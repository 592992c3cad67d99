#include "status/send.h"

#include <boost/json/parse.hpp>
#include <librdkafka/rdkafka.h>

#include <fstream>
#include <sstream>

#include "publish/kafka.h"

namespace fb::status {

int send_status_events(const config::Config& config, const std::string& brokers,
                       const std::vector<std::string>& files, std::ostream& out) {
    auto bootstrap = brokers.empty() ? config.kafka.brokers : brokers;
    if (bootstrap == "embedded") {
        out << "the config's Kafka is embedded in the daemon: pass --brokers with the address it logged\n";
        return 1;
    }
    int failures = 0;
    publish::Producer producer(bootstrap, config.kafka.properties, [&](const publish::Delivery& d) {
        if (d.error) {
            ++failures;
            out << "not delivered: " << d.error_text << "\n";
        }
    });
    for (const auto& f : files) {
        std::ifstream in(f, std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        boost::system::error_code ec;
        auto v = boost::json::parse(text.str(), ec);
        if (ec || !v.is_object() || !v.as_object().contains("work_order_id") ||
            !v.at("work_order_id").is_string()) {
            out << f << ": not a status event (JSON with a work_order_id)\n";
            ++failures;
            continue;
        }
        std::string key(v.at("work_order_id").as_string());
        auto payload = text.str();
        auto err = rd_kafka_producev(producer.handle(), RD_KAFKA_V_TOPIC(config.kafka.topics.status.c_str()),
                                     RD_KAFKA_V_KEY(key.data(), key.size()),
                                     RD_KAFKA_V_VALUE(payload.data(), payload.size()),
                                     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (err) {
            out << f << ": " << rd_kafka_err2str(err) << "\n";
            ++failures;
            continue;
        }
        out << f << " → " << config.kafka.topics.status << " (key " << key << ")\n";
    }
    rd_kafka_flush(producer.handle(), 30000);
    producer.poll(0);
    return failures ? 1 : 0;
}

}  // namespace fb::status
