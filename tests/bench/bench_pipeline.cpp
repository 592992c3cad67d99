// Pipeline benchmark: fieldbridge against a bare idempotent librdkafka producer on the same
// embedded cluster, in one run, so the ratios hold on a noisy machine.
//
//   bench_pipeline [documents=100000] [synchronous=full|normal]
//
// 1. ceiling  — a bare producer (keyed, idempotent, acks=all) sends pre-mapped events;
// 2. batch    — NDJSON batches to the daemon → ledger + outbox committed → acknowledged by Kafka;
// 3. webhook  — single POSTs over 16 keep-alive connections, same acknowledgement;
// 4. latency  — POST → message visible to a consumer, at a paced 1,000 documents/s.
// The daemon runs as a child process so its peak RSS is its own.
#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "integration/daemon_process.h"
#include "integration/harness.h"
#include "mapping/mapping.h"
#include "publish/kafka.h"
#include "support/source_dir.h"

namespace json = boost::json;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using clock_type = std::chrono::steady_clock;
using fb::testing::read_file;

namespace {

const std::string mapping_path = std::string(FB_SOURCE_DIR) + "/mappings/generic-rest/shipment-to-delivery.yaml";

// Shipment i of a run: 1–20 lines, a distinct DocNo per run prefix.
std::string shipment(const json::object& base, const std::string& prefix, int i) {
    json::object d = base;
    d["DocNo"] = prefix + std::to_string(i);
    json::array lines;
    const auto& sample_lines = base.at("Lines").as_array();
    int n = 1 + (i * 7919) % 20;
    for (int l = 0; l < n; ++l) {
        auto line = sample_lines[l % 3].as_object();
        line["LineNo"] = l + 1;
        lines.push_back(line);
    }
    d["Lines"] = std::move(lines);
    return json::serialize(d);
}

double seconds_since(clock_type::time_point t) {
    return std::chrono::duration<double>(clock_type::now() - t).count();
}

long long high_watermarks(rd_kafka_t* rk, const std::string& topic, int partitions) {
    long long total = 0;
    for (int p = 0; p < partitions; ++p) {
        int64_t lo = 0, hi = 0;
        if (rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &lo, &hi, 5000) == 0) total += hi;
    }
    return total;
}

rd_kafka_t* make_client(rd_kafka_type_t type, const std::string& bootstrap,
                        std::map<std::string, std::string> props = {}) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[512];
    props["bootstrap.servers"] = bootstrap;
    props["log_level"] = "0";
    for (const auto& [k, v] : props) rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err);
    return rd_kafka_new(type, conf, err, sizeof err);
}

// Waits until the topic's high watermarks reach `target`; returns when they did.
clock_type::time_point wait_for_watermarks(rd_kafka_t* rk, const std::string& topic,
                                           long long target) {
    while (high_watermarks(rk, topic, 6) < target)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return clock_type::now();
}

class Connection {
public:
    explicit Connection(unsigned short port) : stream_(io_) {
        stream_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    }
    int post(const std::string& target, const std::string& body, const char* type) {
        bhttp::request<bhttp::string_body> req{bhttp::verb::post, target, 11};
        req.set(bhttp::field::host, "127.0.0.1");
        req.set(bhttp::field::content_type, type);
        req.keep_alive(true);
        req.body() = body;
        req.prepare_payload();
        bhttp::write(stream_, req);
        bhttp::response<bhttp::string_body> res;
        bhttp::read(stream_, buffer_, res);
        return res.result_int();
    }

private:
    boost::asio::io_context io_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
};

// Sends `count` messages at 1,000 a second from 4 threads (send(i) sends message i, whose key
// ends in `prefix` + i) and returns, sorted, the milliseconds until a consumer saw each one.
template <class Send>
std::vector<double> paced_latency(const std::string& bootstrap, const std::string& topic,
                                  const std::string& prefix, int count, Send send) {
    std::vector<clock_type::time_point> sent(count);
    std::vector<double> latency(count, -1);
    rd_kafka_t* consumer = make_client(RD_KAFKA_CONSUMER, bootstrap,
                                       {{"group.id", "bench-latency"}, {"fetch.wait.max.ms", "1"},
                                        {"enable.auto.commit", "false"}});
    rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(6);
    for (int p = 0; p < 6; ++p)
        rd_kafka_topic_partition_list_add(parts, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_END;
    rd_kafka_assign(consumer, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    std::atomic<bool> sending = true;
    std::thread reader([&] {
        int seen = 0;
        auto deadline = clock_type::now() + std::chrono::seconds(60);
        while (seen < count && clock_type::now() < deadline) {
            rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 100);
            if (!m) continue;
            if (!m->err) {
                std::string key(static_cast<const char*>(m->key), m->key_len);
                if (auto at = key.find(prefix); at != key.npos) {
                    int i = std::stoi(key.substr(at + prefix.size()));
                    if (latency[i] < 0) latency[i] = seconds_since(sent[i]) * 1000, ++seen;
                }
            }
            rd_kafka_message_destroy(m);
        }
    });
    std::vector<std::thread> clients;
    auto t0 = clock_type::now();
    for (int c = 0; c < 4; ++c)
        clients.emplace_back([&, c] {
            for (int i = c; i < count; i += 4) {
                std::this_thread::sleep_until(t0 + std::chrono::microseconds(1000 * i));
                sent[i] = clock_type::now();
                send(i);
            }
        });
    for (auto& t : clients) t.join();
    reader.join();
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    std::vector<double> got;
    for (double l : latency)
        if (l >= 0) got.push_back(l);
    std::sort(got.begin(), got.end());
    if (got.size() < static_cast<std::size_t>(count))
        throw std::runtime_error(std::to_string(count - got.size()) + " messages never seen on " + topic);
    return got;
}

// One sample's value from the daemon's /metrics (0 when absent).
double metric(unsigned short port, const std::string& name) {
    auto text = fb::testing::http_request(port, "GET", "/metrics").body;
    auto at = text.find("\n" + name + " ");
    return at == text.npos ? 0 : std::atof(text.c_str() + at + name.size() + 2);
}

// The daemon's commits over one phase: how many, how big, how long, and how busy the intake was.
struct CommitStats {
    unsigned short port;
    double commits = metric(port, "fieldbridge_commits_total");
    double seconds = metric(port, "fieldbridge_commit_seconds_sum");
    clock_type::time_point started = clock_type::now();
    std::string describe(double documents) const {
        double n = metric(port, "fieldbridge_commits_total") - commits;
        double s = metric(port, "fieldbridge_commit_seconds_sum") - seconds;
        char out[200];
        std::snprintf(out, sizeof out, "%.0f commits of %.1f documents, %.2f ms each; intake "
                      "committing %.0f%% of the time", n, documents / std::max(n, 1.0),
                      s * 1000 / std::max(n, 1.0), 100 * s / seconds_since(started));
        return out;
    }
};

long peak_rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    return 0;
}

}  // namespace

// The settings fieldbridge's producer uses (daemon/publish/kafka.cpp), for the reference clients.
const std::map<std::string, std::string> producer_settings{
    {"enable.idempotence", "true"}, {"acks", "all"}, {"linger.ms", "2"}, {"compression.type", "lz4"}};

int main(int argc, char** argv) {
    int documents = argc > 1 ? std::atoi(argv[1]) : 100000;
    std::string synchronous = argc > 2 ? argv[2] : "full";
    auto base = json::parse(fb::testing::sample("generic-rest/shipment-CK20261120-0042.json")).as_object();
    fb::publish::EmbeddedCluster kafka(3, 6, {"bench.ceiling", "bench.latency", "fsm.work-orders", "fsm.dead-letter"});
    std::printf("embedded cluster: 3 brokers, 6 partitions; %d documents of 1-20 lines; "
                "state.synchronous: %s\n", documents, synchronous.c_str());

    // 1. The ceiling: the same work-order events, pre-mapped, from a bare idempotent producer.
    auto mapping = fb::mapping::Mapping::load(mapping_path);
    std::vector<std::pair<std::string, std::string>> events;
    events.reserve(documents);
    for (int i = 0; i < documents; ++i) {
        auto r = mapping->map(json::parse(shipment(base, "CEIL-", i))).front();
        json::object wo = r.work_order;
        wo["id"] = "WO-delivery-" + r.document_id;
        json::object event{{"event_id", "00000000-0000-5000-8000-000000000000"},
                           {"type", "work_order.created"},
                           {"occurred_at", "2026-11-23T10:00:00.000Z"},
                           {"source", {{"flow", "delivery"}, {"document_type", "delivery"},
                                       {"document_id", r.document_id}, {"document_version", r.version}}},
                           {"work_order", wo}};
        events.emplace_back(std::string(wo["id"].as_string()), json::serialize(event));
    }
    double avg_bytes = 0;
    for (const auto& e : events) avg_bytes += e.second.size();
    avg_bytes /= documents;
    rd_kafka_t* producer = make_client(RD_KAFKA_PRODUCER, kafka.bootstrap(), producer_settings);
    // Connected and holding its idempotent producer id before the clock starts, as the daemon's is.
    rd_kafka_producev(producer, RD_KAFKA_V_TOPIC("bench.ceiling"), RD_KAFKA_V_KEY("warm-up", 7),
                      RD_KAFKA_V_END);
    rd_kafka_flush(producer, 10000);
    auto t0 = clock_type::now();
    for (const auto& [key, value] : events) {
        while (rd_kafka_producev(producer, RD_KAFKA_V_TOPIC("bench.ceiling"),
                                 RD_KAFKA_V_KEY(key.data(), key.size()),
                                 RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) ==
               RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(producer, 10);
        rd_kafka_poll(producer, 0);
    }
    rd_kafka_flush(producer, 120000);
    double ceiling = documents / seconds_since(t0);
    rd_kafka_destroy(producer);
    std::vector<std::string> reference_events;
    for (int i = 0; i < std::min(documents, 100); ++i) reference_events.push_back(events[i].second);
    events.clear();
    events.shrink_to_fit();
    std::printf("1. ceiling (bare idempotent producer, acks=all): %9.0f docs/s  (%.0f bytes/event)\n",
                ceiling, avg_bytes);

    // The daemon, as its own process, against the same cluster.
    auto state = fb::testing::temp_path("bench.db");
    auto config_path = state + ".yaml";
    std::ofstream(config_path) << "state: { path: " << state << ", synchronous: " << synchronous << " }\n"
                               << "kafka: { brokers: \"" << kafka.bootstrap() << "\" }\n"
                               << "http: { listen: 127.0.0.1:0, max_batch_body_bytes: 67108864 }\n"
                               << "outbox: { high_water: 200000, low_water: 100000 }\n"
                               << "flows:\n  - name: delivery\n    source: { type: webhook }\n"
                               << "    mapping: " << mapping_path << "\n";
    fb::testing::DaemonProcess daemon(config_path, state + ".log");
    daemon.start();
    rd_kafka_t* observer = make_client(RD_KAFKA_CONSUMER, kafka.bootstrap(), {{"group.id", "bench"}});

    // 2. The batch path: NDJSON, 500 documents per request, over 4 connections (a backfill).
    // Bodies are built before the clock starts, as the ceiling's events are: the clients' JSON
    // building would otherwise compete with the daemon for the same two cores.
    {
        std::vector<std::string> bodies;
        for (int i = 0; i < documents; i += 500) {
            std::string& body = bodies.emplace_back();
            for (int j = i; j < std::min(documents, i + 500); ++j)
                body += shipment(base, "BATCH-", j) + "\n";
        }
        std::atomic<std::size_t> next{0};
        CommitStats stats{daemon.port()};
        t0 = clock_type::now();
        std::vector<std::thread> clients;
        for (int c = 0; c < 4; ++c)
            clients.emplace_back([&] {
                Connection conn(daemon.port());
                for (std::size_t i; (i = next++) < bodies.size();)
                    if (conn.post("/webhooks/delivery", bodies[i], "application/x-ndjson") != 200)
                        throw std::runtime_error("batch refused");
            });
        for (auto& t : clients) t.join();
        double committed = seconds_since(t0);
        auto done = wait_for_watermarks(observer, "fsm.work-orders", documents);
        double rate = documents / std::chrono::duration<double>(done - t0).count();
        std::printf("2. batch path (NDJSON → committed → acked):    %9.0f docs/s  = %.2f × ceiling"
                    "  (all committed after %.1f s)\n   %s\n", rate, rate / ceiling, committed,
                    stats.describe(documents).c_str());
    }

    // 3. The webhook path: single POSTs over 16 keep-alive connections.
    {
        std::vector<std::string> bodies;
        for (int i = 0; i < documents; ++i) bodies.push_back(shipment(base, "HOOK-", i));
        std::atomic<int> next{0};
        CommitStats stats{daemon.port()};
        t0 = clock_type::now();
        std::vector<std::thread> clients;
        for (int c = 0; c < 16; ++c)
            clients.emplace_back([&] {
                Connection conn(daemon.port());
                for (int i; (i = next++) < documents;)
                    if (conn.post("/webhooks/delivery", bodies[i], "application/json") != 202)
                        throw std::runtime_error("post refused");
            });
        for (auto& t : clients) t.join();
        auto done = wait_for_watermarks(observer, "fsm.work-orders", 2ll * documents);
        double rate = documents / std::chrono::duration<double>(done - t0).count();
        std::printf("3. webhook path (16 connections, single POSTs): %9.0f docs/s  = %.2f × ceiling\n"
                    "   %s\n", rate, rate / ceiling, stats.describe(documents).c_str());
    }

    // 4. Latency at 1,000 docs/s: POST sent → the message visible to a consumer (which Kafka
    // allows only after acks=all). The reference: a bare producer with the daemon's settings
    // sending the pre-mapped events at the same pace, to the same cluster, seen by the same consumer.
    {
        const int count = 5000;
        auto ref_producer = make_client(RD_KAFKA_PRODUCER, kafka.bootstrap(), producer_settings);
        // Warm up as the daemon's producer is: connected, with its idempotent producer id.
        rd_kafka_producev(ref_producer, RD_KAFKA_V_TOPIC("bench.latency"), RD_KAFKA_V_KEY("warm-up", 7),
                          RD_KAFKA_V_END);
        rd_kafka_flush(ref_producer, 10000);
        auto reference = paced_latency(kafka.bootstrap(), "bench.latency", "REF-", count, [&](int i) {
            auto key = "WO-delivery-REF-" + std::to_string(i);
            const auto& value = reference_events[i % reference_events.size()];
            rd_kafka_producev(ref_producer, RD_KAFKA_V_TOPIC("bench.latency"),
                              RD_KAFKA_V_KEY(key.data(), key.size()),
                              RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            rd_kafka_poll(ref_producer, 0);
            return 0.0;
        });
        rd_kafka_flush(ref_producer, 10000);
        rd_kafka_destroy(ref_producer);
        CommitStats stats{daemon.port()};
        std::vector<std::unique_ptr<Connection>> conns;
        std::mutex conns_mutex;
        std::vector<double> answered(count);
        auto got = paced_latency(kafka.bootstrap(), "fsm.work-orders", "LAT-", count, [&](int i) {
            std::unique_ptr<Connection> conn;
            {
                std::lock_guard lock(conns_mutex);
                if (!conns.empty()) conn = std::move(conns.back()), conns.pop_back();
            }
            if (!conn) conn = std::make_unique<Connection>(daemon.port());
            auto body = shipment(base, "LAT-", i);
            auto t = clock_type::now();
            conn->post("/webhooks/delivery", body, "application/json");
            answered[i] = seconds_since(t) * 1000;
            std::lock_guard lock(conns_mutex);
            conns.push_back(std::move(conn));
            return 0.0;
        });
        std::sort(answered.begin(), answered.end());
        std::printf("4. latency at 1,000 docs/s, POST → consumer:  p50 %.1f ms, p99 %.1f ms, max %.1f ms"
                    " (%zu of %d seen)\n", got[got.size() / 2], got[got.size() * 99 / 100], got.back(),
                    got.size(), count);
        auto commits = stats.describe(count);
        std::printf("   of which POST → 202 (committed):  p50 %.1f ms, p99 %.1f ms\n   %s\n",
                    answered[count / 2], answered[count * 99 / 100], commits.c_str());
        std::printf("   reference, bare producer → consumer:  p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
                    reference[reference.size() / 2], reference[reference.size() * 99 / 100],
                    reference.back());
    }
    std::printf("daemon peak RSS: %.1f MB\n", peak_rss_kib(daemon.pid()) / 1024.0);
    daemon.terminate();
    rd_kafka_destroy(observer);
    for (auto suffix : {"", "-wal", "-shm", ".reserve", ".yaml", ".log"}) std::remove((state + suffix).c_str());
    return 0;
}
