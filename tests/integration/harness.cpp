#include "harness.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include "support/source_dir.h"

namespace fb::testing {
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string sample(const std::string& relative) {
    return read_file(std::string(FB_SOURCE_DIR) + "/tests/fixtures/samples/" + relative);
}


boost::json::value HttpReply::json() const { return boost::json::parse(body); }

HttpReply http_request(unsigned short port, const std::string& method, const std::string& target,
                       const std::string& body, const std::map<std::string, std::string>& headers) {
    boost::asio::io_context io;
    beast::tcp_stream stream(io);
    stream.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.set(bhttp::field::content_type, "application/json");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    bhttp::write(stream, req);
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64u << 20);
    bhttp::read(stream, buffer, parser);
    auto res = parser.release();
    HttpReply reply{static_cast<int>(res.result_int()), res.body(), {}};
    for (const auto& f : res) reply.headers[std::string(f.name_string())] = std::string(f.value());
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return reply;
}

namespace {

rd_kafka_t* make_consumer(const std::string& bootstrap,
                          const std::map<std::string, std::string>& extra = {}) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[512];
    for (const auto& [k, v] : extra) rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", "fieldbridge-tests", err, sizeof err);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) throw std::runtime_error(err);
    return rk;
}

std::vector<Message> read_topic(const std::string& bootstrap, const std::string& topic) {
    rd_kafka_t* rk = make_consumer(bootstrap);
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_topic_t* t = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    if (rd_kafka_metadata(rk, 0, t, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        throw std::runtime_error("no metadata for " + topic);
    rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(8);
    std::map<int, long long> ends;
    for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
        int p = md->topics[0].partitions[i].id;
        int64_t lo = 0, hi = 0;
        rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &lo, &hi, 10000);
        if (hi > lo) {
            ends[p] = hi;
            rd_kafka_topic_partition_list_add(parts, topic.c_str(), p)->offset = lo;
        }
    }
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(t);
    std::vector<Message> out;
    if (parts->cnt > 0) {
        rd_kafka_assign(rk, parts);
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (!ends.empty() && std::chrono::steady_clock::now() < deadline) {
            rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 200);
            if (!m) continue;
            if (!m->err) {
                Message msg{std::string(static_cast<const char*>(m->key), m->key_len),
                            std::string(static_cast<const char*>(m->payload), m->len),
                            m->partition, m->offset, {}};
                rd_kafka_headers_t* hdrs = nullptr;
                if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
                    const char* name;
                    const void* value;
                    size_t size;
                    for (size_t i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &value, &size); ++i)
                        msg.headers[name] = std::string(static_cast<const char*>(value), size);
                }
                if (auto it = ends.find(m->partition); it != ends.end() && m->offset + 1 >= it->second)
                    ends.erase(it);
                out.push_back(std::move(msg));
            }
            rd_kafka_message_destroy(m);
        }
    }
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return out;
}

}  // namespace

std::vector<Message> consume_all(const std::string& bootstrap, const std::string& topic) {
    return read_topic(bootstrap, topic);
}

std::vector<Message> consume_at_least(const std::string& bootstrap, const std::string& topic,
                                      std::size_t count, int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        auto got = read_topic(bootstrap, topic);
        if (got.size() >= count || std::chrono::steady_clock::now() > deadline) return got;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

struct TopicWatcher::State {
    rd_kafka_t* consumer;
    std::atomic<bool> stop{false};
    mutable std::mutex mutex;
    std::set<std::string> ids;
};

TopicWatcher::TopicWatcher(const std::string& bootstrap, const std::string& topic)
    : state_(std::make_unique<State>()) {
    state_->consumer = make_consumer(bootstrap, {{"fetch.wait.max.ms", "5"}});
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_topic_t* t = rd_kafka_topic_new(state_->consumer, topic.c_str(), nullptr);
    if (rd_kafka_metadata(state_->consumer, 0, t, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        throw std::runtime_error("no metadata for " + topic);
    rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(8);
    for (int i = 0; i < md->topics[0].partition_cnt; ++i)
        rd_kafka_topic_partition_list_add(parts, topic.c_str(), md->topics[0].partitions[i].id)
            ->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(t);
    rd_kafka_assign(state_->consumer, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    thread_ = std::thread([s = state_.get()] {
        while (!s->stop) {
            rd_kafka_message_t* m = rd_kafka_consumer_poll(s->consumer, 50);
            if (!m) continue;
            const void* value;
            size_t size;
            rd_kafka_headers_t* hdrs = nullptr;
            if (!m->err && rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
                rd_kafka_header_get_last(hdrs, "ce_id", &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR) {
                std::lock_guard lock(s->mutex);
                s->ids.emplace(static_cast<const char*>(value), size);
            }
            rd_kafka_message_destroy(m);
        }
    });
}

TopicWatcher::~TopicWatcher() {
    state_->stop = true;
    thread_.join();
    rd_kafka_consumer_close(state_->consumer);
    rd_kafka_destroy(state_->consumer);
}

std::set<std::string> TopicWatcher::event_ids() const {
    std::lock_guard lock(state_->mutex);
    return state_->ids;
}

config::Config test_config(const std::string& state_path, const std::string& brokers,
                           const std::string& extra_yaml) {
    // A 4 MiB reserve rather than the default 64: tests run side by side in /tmp.
    std::string text = "state: { path: " + state_path + ", synchronous: normal, "
                       "wal_max_bytes: 4194304, reserve_bytes: 4194304 }\n" +
                       "kafka: { brokers: \"" + brokers + "\" }\n" +
                       "http: { listen: 127.0.0.1:0, max_body_bytes: 65536 }\n" + extra_yaml +
                       "flows:\n"
                       "  - name: delivery\n"
                       "    document_type: shipment\n"
                       "    source: { type: webhook }\n"
                       "    mapping: mappings/generic-rest/shipment-to-delivery.yaml\n";
    return config::parse(text, "test.yaml", FB_SOURCE_DIR);
}

RunningApp::RunningApp(config::Config config)
    : app_(std::make_unique<app::App>(std::move(config))), thread_([this] { app_->run(); }) {}

RunningApp::~RunningApp() {
    app_->stop();
    thread_.join();
    app_.reset();
}

std::string page_mapping(const std::string& documents) {
    return "name: page\nkey: $.No\ndocuments: \"" + documents +
           "\"\nwork_order:\n  type: delivery\n  source_ref: $.No\n  customer: { name: c }\n"
           "  address: { text: a }\n";
}

}  // namespace fb::testing
