#include "publish/relay.h"

#include <librdkafka/rdkafka.h>
#include <poll.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <system_error>

#include "core/ids.h"
#include "core/pack.h"
#include "store/database.h"

namespace fb::publish {
namespace {
// librdkafka holds a copy of every message in flight: this bounds that memory (~10 MB at 2.6 kB)
// while leaving each partition enough to fill its batches.
constexpr std::int64_t max_in_flight = 4000;
constexpr int page = 1000;

std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}
}  // namespace

Relay::Relay(const config::Config& config, const std::string& brokers, ingest::Intake& intake,
             metrics::Registry& metrics)
    : config_(config),
      intake_(intake),
      metrics_(metrics),
      db_(std::make_unique<store::Database>(config.state.path, store::Database::Mode::read_only)),
      event_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      statistics_on_(!config.kafka.properties.count("statistics.interval.ms") ||
                     config.kafka.properties.at("statistics.interval.ms") != "0"),
      producer_(brokers, config.kafka.properties, [this](const Delivery& d) { on_delivery(d); },
                [this](int up) {
                    if (up > 0 && brokers_up_.load() == 0) spdlog::info("kafka: {} broker(s) up", up);
                    brokers_up_ = up;
                }),
      published_(metrics.counter("fieldbridge_published_total",
                                 "Outbox rows acknowledged by Kafka (acks=all)")),
      failed_(metrics.counter("fieldbridge_publish_failures_total",
                              "Outbox rows Kafka refused permanently")),
      latency_(metrics.histogram("fieldbridge_publish_latency_seconds",
                                 "From outbox commit to Kafka acknowledgement")),
      brokers_gauge_(metrics.gauge("fieldbridge_kafka_brokers_up",
                                   "Kafka brokers the producer is connected to")),
      reachable_gauge_(metrics.gauge("fieldbridge_kafka_reachable",
                                     "1 when a broker is up and delivery reports are not stalled")),
      in_flight_gauge_(metrics.gauge("fieldbridge_publish_in_flight",
                                     "Messages handed to Kafka and not yet acknowledged")),
      thread_([this] {
          try {
              run();
          } catch (const std::exception& e) {
              spdlog::critical("publisher stopped: {}", e.what());
              healthy_ = false;
          }
      }) {}

Relay::~Relay() {
    stop();
    // The eventfd closes before the producer is destroyed: librdkafka must stop writing to it.
    rd_kafka_queue_t* reports = rd_kafka_queue_get_main(producer_.handle());
    rd_kafka_queue_io_event_enable(reports, -1, nullptr, 0);
    rd_kafka_queue_destroy(reports);
    ::close(event_fd_);
}

void Relay::wake() {
    wake_ = true;
    signal();
}

void Relay::signal() {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(event_fd_, &one, sizeof one);
}

std::string Relay::last_error() const {
    std::lock_guard lock(error_mutex_);
    return last_error_;
}

std::string Relay::kafka_problem() const {
    if (!healthy_) return "publishing stopped: " + last_error();
    std::string problem;
    int up = brokers_up_.load();
    if (up == 0) problem = "no Kafka broker is up";
    else if (up < 0 && statistics_on_) problem = "not connected to Kafka yet";
    if (auto n = in_flight_.load(); n > 0) {
        auto silent = steady_ms() - last_progress_ms_.load();
        if (silent > config_.kafka.delivery_stall.count())
            problem += (problem.empty() ? "" : "; ") + std::to_string(n) +
                       " messages in flight and no delivery report for " +
                       std::to_string(silent / 1000) + " s";
    }
    return problem;
}

void Relay::stop() {
    stopping_ = true;
    signal();
    if (thread_.joinable()) thread_.join();
}

void Relay::on_delivery(const Delivery& d) {
    --in_flight_;
    last_progress_ms_ = steady_ms();
    auto id = reinterpret_cast<std::intptr_t>(d.opaque);
    if (auto it = committed_at_.find(id); it != committed_at_.end()) {
        latency_.observe((core::now_unix_ms() - it->second) / 1000.0);
        committed_at_.erase(it);
    }
    if (d.error == 0) {
        acked_.push_back({id, d.partition, d.offset});
        published_.add();
        return;
    }
    // With an infinite message timeout only permanent errors arrive here (too large, not
    // authorised). The row stays unsent, so it is retried at the next start and is visible in
    // the outbox depth; the operator sees why in the log, the metric and /readyz.
    failed_.add();
    spdlog::error("kafka refused outbox row {}: {}", id, d.error_text);
    std::lock_guard lock(error_mutex_);
    last_error_ = "outbox row " + std::to_string(id) + ": " + d.error_text;
}

// Produces the next page of unsent rows after `cursor`; returns how many rows it read.
int Relay::produce_page(store::Statement& next, std::int64_t& cursor) {
    rd_kafka_t* rk = producer_.handle();
    next.bind(1, cursor).bind(2, std::int64_t{page});
    int rows = 0;
    while (next.step()) {
        ++rows;
        auto id = next.integer(0);
        std::string topic(next.text(1)), source = "fieldbridge/" + std::string(next.text(5));
        auto key = next.text(2);
        std::string unpacked;
        auto payload = next.text(7);
        if (next.is_blob(7)) try {
            payload = unpacked = core::unpack(payload);
        } catch (const std::exception& e) {  // a damaged row must not stop the others
            cursor = id;
            ++in_flight_;  // on_delivery counts it back
            on_delivery({reinterpret_cast<void*>(static_cast<std::intptr_t>(id)),
                         RD_KAFKA_RESP_ERR__BAD_MSG, e.what(), -1, -1});
            continue;
        }
        auto event_id = next.text(3), type = next.text(4), time = next.text(6);
        rd_kafka_headers_t* headers = rd_kafka_headers_new(6);
        auto header = [&](const char* name, std::string_view v) {
            rd_kafka_header_add(headers, name, -1, v.data(), static_cast<ssize_t>(v.size()));
        };
        header("ce_specversion", "1.0");
        header("ce_id", event_id);
        header("ce_type", type);
        header("ce_source", source);
        header("ce_time", time);
        header("content-type", "application/json");
        committed_at_[id] = next.integer(8);
        if (in_flight_++ == 0) last_progress_ms_ = steady_ms();  // Kafka owes us from now
        for (;;) {
            auto err = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(topic.c_str()),
                RD_KAFKA_V_KEY(key.data(), key.size()),
                RD_KAFKA_V_VALUE(const_cast<char*>(payload.data()), payload.size()),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
                RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::intptr_t>(id))),
                RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_headers_destroy(headers);
                on_delivery({reinterpret_cast<void*>(static_cast<std::intptr_t>(id)),
                             err, rd_kafka_err2str(err), -1, -1});
                break;
            }
            producer_.poll(50);  // the local queue is full: let deliveries drain it
        }
        cursor = id;
    }
    return rows;
}

void Relay::run() {
    pthread_setname_np(pthread_self(), "fb-relay");  // visible in top -H and perf
    if (event_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
    store::Statement next(db_->handle(),
                          "SELECT o.id, topic, key, event_id, event_type, flow, occurred_at, "
                          "payload, created_at FROM outbox o JOIN outbox_payload p ON p.id = o.id "
                          "WHERE o.id > ?1 AND sent_at IS NULL ORDER BY o.id LIMIT ?2");
    std::int64_t cursor = 0;
    rd_kafka_t* rk = producer_.handle();
    // The thread sleeps on one eventfd, written by wake() after a commit and by librdkafka when
    // delivery reports arrive: a committed row is produced at once, not at the next poll tick.
    static const std::uint64_t one = 1;
    rd_kafka_queue_t* reports = rd_kafka_queue_get_main(rk);
    rd_kafka_queue_io_event_enable(reports, event_fd_, &one, sizeof one);
    rd_kafka_queue_destroy(reports);
    auto last_look = std::chrono::steady_clock::now();
    while (!stopping_) {
        // Rows written by another process (`dead-letter replay`) are found within a second.
        if (auto now = std::chrono::steady_clock::now(); now - last_look > std::chrono::seconds(1)) {
            wake_ = true;
            last_look = now;
        }
        // Delivery reports first: they free room under the in-flight limit.
        producer_.poll(0);
        if (!acked_.empty()) intake_.mark_sent(std::move(acked_)), acked_.clear();
        if (in_flight_ < max_in_flight && wake_.exchange(false)) {
            if (produce_page(next, cursor) == page) wake_ = true;  // more are waiting
        }
        // Sleep unless there is more to read and room for it; a wake-up kept at the in-flight
        // limit is acted on once a delivery report (which writes the eventfd) frees room.
        if (!(wake_ && in_flight_ < max_in_flight)) {
            pollfd p{event_fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) > 0) {
                std::uint64_t n;
                [[maybe_unused]] auto r = ::read(event_fd_, &n, sizeof n);
            }
        }
        brokers_gauge_.set(std::max(brokers_up_.load(), 0));
        in_flight_gauge_.set(in_flight_);
        reachable_gauge_.set(healthy_ && kafka_problem().empty() ? 1 : 0);
        if (auto fatal = producer_.fatal_error(); !fatal.empty()) {
            spdlog::critical("kafka producer fatal error, publishing stopped: {}", fatal);
            healthy_ = false;
            std::lock_guard lock(error_mutex_);
            last_error_ = fatal;
            break;
        }
    }
    // Drain: rows committed before the stop are produced too, and what Kafka acknowledges by the
    // deadline is marked; the rest is re-sent at the next start.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (healthy_ && in_flight_ < max_in_flight && std::chrono::steady_clock::now() < deadline &&
           produce_page(next, cursor) == page) {
    }
    while (in_flight_ > 0 && std::chrono::steady_clock::now() < deadline) producer_.poll(50);
    if (!acked_.empty()) intake_.mark_sent(std::move(acked_));
}

}  // namespace fb::publish
