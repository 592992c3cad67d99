// Status-path benchmark ("the way back"): the daemon consuming status events, applying their
// transitions and sending the completion writebacks, against a bare librdkafka consumer reading
// the same events from the same topic, in one run, so the ratio holds on a noisy machine.
//
//   bench_status [work_orders=5000] [kafka.property=value …]   (the daemon's kafka.properties)
//
// M work orders are created first (NDJSON batches to the daemon's webhook); then 4·M valid
// status events (accepted, en_route, arrived, completed with proof and per-line quantities, as
// the samples) are produced, keyed by work order id, and the clock runs until the daemon's
// consumer group has committed every event's offset (which it does only after the event's effect
// is committed), and until the loopback ERP (a Beast server answering 200 at once) has received
// the M completion writebacks. The daemon runs as a child process (perf-able: FB_BENCH_PERF=file
// records it with `perf record -g` during the measured phase).
#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <mutex>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>

#include "integration/daemon_process.h"
#include "integration/harness.h"
#include "publish/kafka.h"
#include "support/loopback_server.h"
#include "support/source_dir.h"

namespace json = boost::json;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using clock_type = std::chrono::steady_clock;

extern char** environ;

namespace {

constexpr int partitions = 6;
const std::string status_topic = "fsm.work-order-status";
const std::string group = "fieldbridge-bench";
const std::string mapping_path = std::string(FB_SOURCE_DIR) + "/mappings/generic-rest/shipment-to-delivery.yaml";
const std::string writeback_path = std::string(FB_SOURCE_DIR) + "/mappings/generic-rest/delivery-completion.yaml";

double seconds_since(clock_type::time_point t) {
    return std::chrono::duration<double>(clock_type::now() - t).count();
}

rd_kafka_t* make_client(rd_kafka_type_t type, const std::string& bootstrap,
                        std::map<std::string, std::string> props = {}) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[512];
    props["bootstrap.servers"] = bootstrap;
    props["log_level"] = "0";
    for (const auto& [k, v] : props)
        if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
            throw std::runtime_error(err);
    auto* rk = rd_kafka_new(type, conf, err, sizeof err);
    if (!rk) throw std::runtime_error(err);
    return rk;
}

rd_kafka_topic_partition_list_t* all_partitions(int64_t offset) {
    auto* parts = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(parts, status_topic.c_str(), p)->offset = offset;
    return parts;
}

// Offsets the daemon's group has committed on the status topic, summed (a committed offset is
// the next one to read, so the sum reaches the event count when every event is committed).
long long committed(rd_kafka_t* rk) {
    auto* parts = all_partitions(RD_KAFKA_OFFSET_INVALID);
    long long total = 0;
    if (rd_kafka_committed(rk, parts, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR)
        for (int i = 0; i < parts->cnt; ++i)
            if (parts->elems[i].offset > 0) total += parts->elems[i].offset;
    rd_kafka_topic_partition_list_destroy(parts);
    return total;
}

// Shipment i: 3 lines, as the sample (the completion reports a quantity per line).
std::string shipment(const json::object& base, int i) {
    json::object d = base;
    d["DocNo"] = "ST-" + std::to_string(i);
    auto lines = base.at("Lines").as_array();
    lines.resize(3);
    d["Lines"] = std::move(lines);
    return json::serialize(d);
}

// The four events of work order i, from the samples, with their ids made unique.
std::vector<std::string> events_of(const std::vector<json::object>& samples, int i) {
    std::vector<std::string> out;
    for (std::size_t s = 0; s < samples.size(); ++s) {
        auto e = samples[s];
        e["work_order_id"] = "WO-delivery-ST-" + std::to_string(i);
        e["event_id"] = "00000000-0000-4000-8000-" + std::to_string(100000000000ll + i * 10ll + static_cast<long long>(s));
        out.push_back(json::serialize(e));
    }
    return out;
}

int post_batch(unsigned short port, const std::string& body) {
    boost::asio::io_context io;
    beast::tcp_stream stream(io);
    stream.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/webhooks/delivery", 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.set(bhttp::field::content_type, "application/x-ndjson");
    req.body() = body;
    req.prepare_payload();
    bhttp::write(stream, req);
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> res;
    bhttp::read(stream, buffer, res);
    return res.result_int();
}

// `perf record -g -p pid -o file` while the measured phase runs, when FB_BENCH_PERF names a file.
struct Perf {
    pid_t pid = -1;
    explicit Perf(pid_t target) {
        const char* out = std::getenv("FB_BENCH_PERF");
        if (!out || !*out) return;
        std::string p = std::to_string(target);
        std::vector<std::string> args{"perf", "record", "-g", "-F", "499", "-p", p, "-o", out};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        if (posix_spawnp(&pid, "perf", nullptr, nullptr, argv.data(), environ) != 0) pid = -1;
        else std::this_thread::sleep_for(std::chrono::milliseconds(500));  // attached before the clock
    }
    ~Perf() {
        if (pid <= 0) return;
        kill(pid, SIGINT);
        int status = 0;
        waitpid(pid, &status, 0);
    }
};

}  // namespace

int main(int argc, char** argv) {
    const int orders = argc > 1 ? std::atoi(argv[1]) : 5000;
    const long long events_total = 4ll * orders;
    auto base = json::parse(fb::testing::sample("generic-rest/shipment-CK20261120-0042.json")).as_object();
    std::vector<json::object> samples;
    for (const char* f : {"1-accepted.json", "2-en-route.json", "3-arrived.json", "4-completed.json"})
        samples.push_back(json::parse(fb::testing::sample(std::string("status-events/") + f)).as_object());

    // The loopback ERP: answers every writeback 200 at once and counts the distinct keys.
    std::mutex erp_mutex;
    std::set<std::string> keys;
    std::atomic<long long> received{0}, distinct{0};
    clock_type::time_point last_writeback;  // when the last work order's first writeback landed
    fb::test::LoopbackServer erp([&](const fb::test::Request& req) -> std::optional<fb::test::Response> {
        std::lock_guard lock(erp_mutex);
        ++received;
        if (keys.insert(std::string(req["Idempotency-Key"])).second) {
            last_writeback = clock_type::now();
            ++distinct;
        }
        return fb::test::reply(200, R"({"ok":true})");
    });

    fb::publish::EmbeddedCluster kafka(1, partitions, {"fsm.work-orders", status_topic, "fsm.dead-letter"});
    std::string properties;  // more arguments: the daemon's kafka.properties, key=value
    for (int a = 2; a < argc; ++a) {
        std::string kv = argv[a];
        auto eq = kv.find('=');
        if (eq == kv.npos) continue;
        properties += (properties.empty() ? ", properties: { " : ", ") + ("\"" + kv.substr(0, eq) + "\": \"" + kv.substr(eq + 1) + "\"");
    }
    if (!properties.empty()) properties += " }";
    auto state = fb::testing::temp_path("bench-status.db");
    auto config_path = state + ".yaml";
    std::ofstream(config_path) << "state: { path: " << state << " }\n"
                               << "kafka: { brokers: \"" << kafka.bootstrap() << "\"" << properties << " }\n"
                               << "http: { listen: 127.0.0.1:0, max_batch_body_bytes: 67108864 }\n"
                               << "status: { group_id: " << group << " }\n"
                               << "flows:\n  - name: delivery\n    source: { type: webhook }\n"
                               << "    mapping: " << mapping_path << "\n"
                               << "    writeback:\n      mapping: " << writeback_path << "\n"
                               << "      sink: { type: http, base_url: \"" << erp.url("") << "\" }\n";
    fb::testing::DaemonProcess daemon(config_path, state + ".log");
    daemon.start();

    // The work orders, created and committed before the clock starts.
    for (int i = 0; i < orders; i += 500) {
        std::string body;
        for (int j = i; j < std::min(orders, i + 500); ++j) body += shipment(base, j) + "\n";
        if (post_batch(daemon.port(), body) != 200) throw std::runtime_error("batch refused");
    }
    std::vector<std::pair<std::string, std::string>> events;  // key, value
    events.reserve(static_cast<std::size_t>(events_total));
    for (int i = 0; i < orders; ++i)
        for (auto& e : events_of(samples, i)) events.emplace_back("WO-delivery-ST-" + std::to_string(i), std::move(e));
    double avg_bytes = 0;
    for (const auto& e : events) avg_bytes += static_cast<double>(e.second.size());
    avg_bytes /= static_cast<double>(events.size());
    std::printf("embedded cluster: 1 broker, %d partitions; %d work orders, %lld status events "
                "(%.0f bytes each), writeback to a loopback ERP\n", partitions, orders, events_total, avg_bytes);

    rd_kafka_t* producer = make_client(RD_KAFKA_PRODUCER, kafka.bootstrap(),
                                       {{"enable.idempotence", "true"}, {"acks", "all"}, {"linger.ms", "5"}});
    rd_kafka_t* observer = make_client(RD_KAFKA_CONSUMER, kafka.bootstrap(), {{"group.id", group}});

    // 1. The daemon: produced → applied (offset committed after its effect) → written back.
    double applied_rate = 0, writeback_rate = 0, produced_in = 0;
    {
        Perf perf(daemon.pid());
        auto t0 = clock_type::now();
        for (const auto& [key, value] : events) {
            while (rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(status_topic.c_str()),
                                     RD_KAFKA_V_KEY(key.data(), key.size()),
                                     RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) ==
                   RD_KAFKA_RESP_ERR__QUEUE_FULL)
                rd_kafka_poll(producer, 10);
            rd_kafka_poll(producer, 0);
        }
        rd_kafka_flush(producer, 120000);
        produced_in = seconds_since(t0);
        auto deadline = clock_type::now() + std::chrono::minutes(30);
        while (committed(observer) < events_total && clock_type::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        double applied_in = seconds_since(t0);
        while (distinct.load() < orders && clock_type::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        std::lock_guard lock(erp_mutex);
        applied_rate = static_cast<double>(events_total) / applied_in;
        writeback_rate = orders / std::chrono::duration<double>(last_writeback - t0).count();
        std::printf("1. daemon: %lld events produced in %.2f s; all offsets committed after %.2f s\n",
                    events_total, produced_in, applied_in);
        if (static_cast<int>(keys.size()) != orders)
            std::printf("   WARNING: the ERP received writebacks under %zu keys, expected %d\n", keys.size(), orders);
        std::printf("   the ERP received %lld requests for %zu work orders (a resend keeps its key)\n",
                    received.load(), keys.size());
    }
    std::printf("   status events applied:  %9.0f events/s\n   writebacks landed:      %9.0f writebacks/s\n",
                applied_rate, writeback_rate);

    // 2. The reference: a bare consumer reading the same events from the same topic.
    double reference = 0;
    {
        rd_kafka_t* consumer = make_client(RD_KAFKA_CONSUMER, kafka.bootstrap(),
                                           {{"group.id", "bench-reference"}, {"enable.auto.commit", "false"}});
        auto* parts = all_partitions(RD_KAFKA_OFFSET_BEGINNING);
        auto t0 = clock_type::now();
        rd_kafka_assign(consumer, parts);
        rd_kafka_topic_partition_list_destroy(parts);
        long long seen = 0;
        auto deadline = clock_type::now() + std::chrono::minutes(5);
        while (seen < events_total && clock_type::now() < deadline) {
            rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 100);
            if (!m) continue;
            if (!m->err) ++seen;
            rd_kafka_message_destroy(m);
        }
        reference = static_cast<double>(seen) / seconds_since(t0);
        rd_kafka_consumer_close(consumer);
        rd_kafka_destroy(consumer);
    }
    std::printf("2. reference, bare consumer (same topic):  %9.0f events/s\n", reference);
    std::printf("ratio, daemon applied / bare consumer:     %9.3f\n", applied_rate / reference);

    daemon.terminate();
    {  // what the daemon complained about (a resend is explained there)
        std::ifstream log(state + ".log");
        std::map<std::string, int> lines;
        for (std::string line; std::getline(log, line);) {  // "<time> <level> <message>"
            auto level = line.find(' ');
            auto message = level == line.npos ? line.npos : line.find(' ', level + 1);
            if (message == line.npos) continue;
            auto name = line.substr(level + 1, message - level - 1);
            if (name == "warning" || name == "error") ++lines[" " + name + ": " + line.substr(message + 1, 100)];
        }
        for (const auto& [text, n] : lines) std::printf("   daemon log, %d×:%s\n", n, text.c_str());
    }
    rd_kafka_destroy(observer);
    rd_kafka_destroy(producer);
    if (std::getenv("FB_BENCH_KEEP")) std::printf("kept: %s (and .yaml, .log)\n", state.c_str());
    else
        for (auto suffix : {"", "-wal", "-shm", ".reserve", ".yaml", ".log"}) std::remove((state + suffix).c_str());
    return 0;
}
