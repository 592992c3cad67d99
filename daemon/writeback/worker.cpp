#include "writeback/worker.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <pthread.h>
#include <strings.h>
#include <spdlog/spdlog.h>

#include "connectors/file_export/file_export_sink.h"
#include "connectors/http_sink/http_sink.h"
#include "core/ids.h"
#include "core/pack.h"
#include "core/stored_json.h"

namespace fb::writeback {
namespace json = boost::json;
using std::chrono::milliseconds;

std::unique_ptr<core::ErpSink> make_sink(const config::SinkConfig& config) {
    if (config.type == "file_export") return std::make_unique<connectors::FileExportSink>(config);
    if (config.type == "http" || config.type == "jsonrpc")
        return std::make_unique<connectors::http_sink::HttpSink>(
            std::dynamic_pointer_cast<const connectors::http_sink::Spec>(config.spec));
    throw std::invalid_argument("writeback sink type `" + config.type + "` is not built in");
}

struct Worker::Row {
    std::int64_t id = 0;
    std::string work_order_id, key, last_error, last_answer;
    json::array requests;
    json::array answers;  // of the confirmed steps, when the plan keeps them
    int step = 0, attempts = 0, verify_failures = 0;
    bool done = false;  // its last step's success marked it done
    std::int64_t created_at = 0;
    json::object context;
};

Worker::Worker(const config::Config& config, std::shared_ptr<const Plan> plan,
               std::unique_ptr<core::ErpSink> sink, metrics::Registry& metrics, bool held)
    : config_(config),
      plan_(std::move(plan)),
      settings_(plan_->flow->writeback),
      sink_(std::move(sink)),
      metrics_(metrics),
      held_(held),
      depth_(metrics.gauge("fieldbridge_writeback_queue_depth", "Writebacks waiting for the ERP",
                           "flow=\"" + plan_->flow->name + "\"")),
      oldest_(metrics.gauge("fieldbridge_writeback_oldest_pending_seconds",
                            "Age of the oldest writeback pending ERP confirmation",
                            "flow=\"" + plan_->flow->name + "\"")),
      dead_(metrics.counter("fieldbridge_writeback_dead_letters_total",
                            "Writebacks moved to the dead-letter queue",
                            "flow=\"" + plan_->flow->name + "\"")),
      thread_([this] { run(); }) {}

Worker::~Worker() { stop(); }

void Worker::wake() {
    {
        std::lock_guard lock(mutex_);
        woken_ = true;
    }
    cv_.notify_one();
}

void Worker::hold(bool held) {
    {
        std::lock_guard lock(mutex_);
        held_ = held;
        woken_ = true;
    }
    cv_.notify_one();
}

void Worker::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_one();
    sink_->stop();  // a request the ERP holds does not hold the shutdown for writeback.timeout
    if (thread_.joinable()) thread_.join();
}

milliseconds Worker::backoff(int attempts) {
    // Exponential with jitter in [ceiling/2, ceiling]: retries of many documents spread out.
    double ceiling = static_cast<double>(settings_.backoff_initial.count());
    for (int i = 1; i < attempts && ceiling < settings_.backoff_max.count(); ++i) ceiling *= 2;
    ceiling = std::min(ceiling, static_cast<double>(settings_.backoff_max.count()));
    std::uniform_real_distribution<double> jitter(ceiling / 2, ceiling);
    return milliseconds(static_cast<std::int64_t>(jitter(random_)));
}

Breaker& Worker::breaker(const std::string& endpoint) {
    auto it = breakers_.find(endpoint);
    if (it == breakers_.end())
        it = breakers_.emplace(endpoint, Breaker(settings_.breaker_failures, settings_.breaker_cooldown)).first;
    return it->second;
}

void Worker::record_attempt(store::Database& db, const Row& row, const core::ErpRequest& request,
                            const std::string& endpoint, const core::ErpAnswer& answer,
                            const std::string& result, const std::string& reason) {
    store::Statement insert(db.handle(),
                            "INSERT INTO writeback_attempts (writeback_id, at, endpoint, request, "
                            "http_status, result, answer, kind, reason) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)");
    auto at = core::now_rfc3339();
    for (const auto& step : answer.steps) {  // the sink's own requests before it, masked by the sink
        insert.bind(1, row.id).bind(2, at).bind(3, endpoint).bind(4, plan_->mask(step.request));
        if (step.status) insert.bind(5, std::int64_t{step.status});
        else insert.bind_null(5);
        insert.bind(6, step.result).bind(7, plan_->mask(step.answer)).bind(8, step.kind).bind_null(9).step();
        insert.reset();
    }
    insert.bind(1, row.id).bind(2, at).bind(3, endpoint);
    insert.bind(4, plan_->mask(request.method + " " + request.url +
                               (answer.sent_with.empty() ? "" : " (" + answer.sent_with + ")")));
    if (answer.transport == core::ErpAnswer::Transport::answered) insert.bind(5, std::int64_t{answer.status});
    else insert.bind_null(5);
    insert.bind(6, result).bind(7, answer_summary(answer)).bind_null(8);
    if (reason.empty()) insert.bind_null(9);
    else insert.bind(9, reason);
    insert.step();
    metrics_.counter("fieldbridge_writeback_attempts_total", "Writeback requests sent, by result",
                     "flow=\"" + plan_->flow->name + "\",endpoint=\"" + endpoint + "\",result=\"" +
                         result + "\"").add();
}

// After the dead-letter entry is committed: counted, and said where an operator reads the log.
void Worker::dead_lettered(const Row& row, const std::string& reason) {
    dead_.add();
    spdlog::warn("writeback for flow {}: work order {} dead-lettered: {}", plan_->flow->name,
                 row.work_order_id, reason);
}

void Worker::schedule(store::Database& db, Row& row, milliseconds delay, const std::string& error) {
    store::Statement later(db.handle(),
                           "UPDATE writebacks SET next_attempt_at = ?2, attempts = ?3, step = ?4, "
                           "verify_failures = ?5, last_error = ?6 WHERE id = ?1");
    later.bind(1, row.id).bind(2, core::now_unix_ms() + delay.count()).bind(3, std::int64_t{row.attempts});
    later.bind(4, std::int64_t{row.step}).bind(5, std::int64_t{row.verify_failures});
    later.bind(6, error).step();
    if (plan_->keeps_answers) {  // a conflict or an unverified read-back went back a few steps
        store::Statement keep(db.handle(), "UPDATE writebacks SET answers = ?2 WHERE id = ?1");
        keep.bind(1, row.id).bind_blob(2, core::pack(json::serialize(row.answers))).step();
    }
}

// The answer of a confirmed step, for the requests after it (`$.previous`, `$.steps`): stored
// in the caller's transaction, with the step it confirms, so a restart re-maps from the same.
void Worker::keep_answer(store::Database& db, Row& row, json::value answer) {
    if (!plan_->keeps_answers) return;
    row.answers.push_back(std::move(answer));
    store::Statement keep(db.handle(), "UPDATE writebacks SET answers = ?2 WHERE id = ?1");
    keep.bind(1, row.id).bind_blob(2, core::pack(json::serialize(row.answers))).step();
}

void Worker::fail_mapping(store::Database& db, Row& row, const std::string& reason) {
    store::Database::Transaction tx(db);
    auto masked = plan_->mask(reason);
    dead_letter(db, config_.kafka.topics, row.id, masked, row.last_answer);
    tx.commit();
    dead_lettered(row, masked);
}

// One request of the sequence (or the read-back); true when it succeeded and the next may go.
bool Worker::send_step(store::Database& db, Row& row, const json::object& r,
                       const mapping::Mapping* rules, const json::object& context,
                       bool verification) {
    core::ErpRequest request;
    request.method = r.at("method").as_string();
    request.url = r.at("url").as_string();
    request.idempotency_key = row.key;
    bool keyed = false;
    if (auto h = r.if_contains("headers"); h && h->is_object())
        for (const auto& kv : h->get_object()) {
            std::string name(kv.key());
            keyed |= name.size() == 15 && strncasecmp(name.c_str(), "idempotency-key", 15) == 0;
            request.headers.emplace_back(name, kv.value().is_string()
                                                   ? std::string(kv.value().get_string())
                                                   : json::serialize(kv.value()));
        }
    if (!keyed && !verification) request.headers.emplace_back("Idempotency-Key", row.key);
    if (auto b = r.if_contains("body"); b && !b->is_null())
        request.body = b->is_string() ? std::string(b->get_string()) : json::serialize(*b);

    auto endpoint = sink_->endpoint(request);
    auto& br = breaker(endpoint);
    auto gauge = [&] {
        metrics_.gauge("fieldbridge_writeback_breaker_state",
                       "Per ERP endpoint: 0 closed, 1 open, 2 half-open (probing)",
                       "flow=\"" + plan_->flow->name + "\",endpoint=\"" + endpoint + "\"")
            .set(static_cast<int>(br.state()));
    };
    auto now = Breaker::Clock::now();
    const bool allowed = br.allow(now);
    const auto before = br.state();  // closed, or half-open for the probe
    if (!allowed) {
        // Not an attempt: the row waits for the breaker's probe, its age still counting.
        store::Database::Transaction tx(db);
        auto wait = std::chrono::duration_cast<milliseconds>(br.open_until() - now);
        schedule(db, row, std::max(wait, milliseconds(0)),
                 row.last_error.empty() ? "waiting: the circuit breaker for " + endpoint + " is open"
                                        : row.last_error);
        tx.commit();
        return false;
    }
    auto answer = sink_->send(request, settings_.timeout);
    auto verdict = classify(answer, rules, context);
    if (answer.body_over_limit && verdict.kind == Verdict::Kind::success &&
        (verification || plan_->keeps_answers || strcasecmp(request.method.c_str(), "GET") == 0)) {
        // A body something reads (the read-back, the requests after it) cannot be taken as read.
        verdict.kind = Verdict::Kind::permanent;
        verdict.reason = std::string("the answer's body is over the sink's max_body_bytes and ") +
                         (verification ? "the read-back" : "what follows") + " reads it: raise max_body_bytes, then replay; " +
                         answer_summary(answer, 300);
    }
    verdict.reason = plan_->mask(std::move(verdict.reason));  // a classify rule's error may quote a var
    std::string result = to_string(verdict.kind);
    // A read-back that is refused or does not hold: the change is not (yet) there.
    if (verification && verdict.kind == Verdict::Kind::permanent) result = "unverified";
    auto summary = answer_summary(answer);

    store::Database::Transaction tx(db);
    record_attempt(db, row, request, endpoint, answer, result, verdict.reason);
    ++row.attempts;
    std::string dead_reason;
    switch (verdict.kind) {
        case Verdict::Kind::success: {
            br.success();
            if (!verification) {
                auto response = response_json(answer);
                response.at("headers").as_object().erase("set-cookie");  // session cookies stay out
                keep_answer(db, row, json::object{
                    {"mapping", rules ? json::value(rules->name()) : json::value(nullptr)},
                    {"request", {{"method", request.method}, {"url", plan_->mask(request.url)}}},
                    {"response", std::move(response)}});
                ++row.step;
            }
            // The last request (or the read-back) confirmed: done in the same transaction, one
            // commit (and fsync) per writeback instead of two.
            row.done = verification || (row.step >= static_cast<int>(row.requests.size()) && !plan_->verify);
            store::Statement ok(db.handle(),
                                "UPDATE writebacks SET step = ?2, attempts = ?3, last_answer = ?4, "
                                "last_error = NULL, state = CASE WHEN ?5 THEN 'done' ELSE state END, "
                                "done_at = CASE WHEN ?5 THEN ?6 ELSE done_at END WHERE id = ?1");
            ok.bind(1, row.id).bind(2, std::int64_t{row.step}).bind(3, std::int64_t{row.attempts});
            ok.bind(4, summary).bind(5, std::int64_t{row.done ? 1 : 0}).bind(6, core::now_unix_ms()).step();
            tx.commit();
            gauge();
            log_breaker(endpoint, before, br, "");
            return true;
        }
        case Verdict::Kind::conflict:
            // The ERP answered: the endpoint is fine. The sink re-reads the ETag on the next send.
            br.success();
            if (plan_->keeps_answers && !verification) {
                // What the write was built from is stale: read again, from the last read
                // (GET) before it, and map what follows from the new answer.
                for (auto j = static_cast<int>(row.answers.size()) - 1; j >= 0; --j) {
                    const auto& a = row.answers[static_cast<std::size_t>(j)];
                    if (a.is_object() && a.at("request").at("method") == "GET") {
                        row.step = j;
                        row.answers.resize(static_cast<std::size_t>(j));  // stored by schedule()
                        break;
                    }
                }
            }
            schedule(db, row, settings_.backoff_initial, "conflict: " + verdict.reason);
            break;
        case Verdict::Kind::retry: {
            br.failure(Breaker::Clock::now());  // the cooldown runs from the failure, not from the send (a timeout)
            auto delay = verdict.retry_after.count() >= 0
                             ? std::min(verdict.retry_after, settings_.backoff_max)
                             : backoff(row.attempts);
            schedule(db, row, delay, verdict.reason);
            break;
        }
        case Verdict::Kind::permanent:
            if (answer.status != 0) br.success();  // the ERP answered; a request refused before it (a bad URL) proves nothing
            if (result == "unverified" && ++row.verify_failures < settings_.verify_attempts) {
                row.step = 0;  // send the writes again (same idempotency key), then read back again
                row.answers.clear();
                schedule(db, row, backoff(row.verify_failures), "not verified: " + verdict.reason);
            } else {
                auto reason = plan_->mask(result == "unverified"
                                              ? "ERP did not apply the change (read-back " + request.method +
                                                    " " + request.url + "): " + verdict.reason
                                              : "ERP refused " + request.method + " " + request.url + ": " +
                                                    verdict.reason);
                store::Statement tried(db.handle(), "UPDATE writebacks SET attempts = ?2 WHERE id = ?1");
                tried.bind(1, row.id).bind(2, std::int64_t{row.attempts}).step();  // the trace's attempt_count
                dead_letter(db, config_.kafka.topics, row.id, reason, summary);
                dead_reason = reason;
            }
            break;
    }
    tx.commit();
    gauge();
    log_breaker(endpoint, before, br, verdict.reason);
    if (!dead_reason.empty()) dead_lettered(row, dead_reason);
    return false;
}

// An ERP endpoint that stops answering, and answers again, is in the log once each: not each
// failed probe of a long outage (those are at debug), nor every attempt.
void Worker::log_breaker(const std::string& endpoint, Breaker::State before, const Breaker& br,
                         const std::string& reason) {
    using S = Breaker::State;
    if (before == br.state()) return;
    auto flow = plan_->flow->name;
    if (br.state() == S::closed)
        spdlog::info("writeback for flow {}: {} answers again, its circuit breaker is closed", flow, endpoint);
    else if (before == S::closed)
        spdlog::warn("writeback for flow {}: {} failed {} times in a row, its circuit breaker is open: "
                     "its writebacks wait {} ms, then one probes it; last: {}",
                     flow, endpoint, settings_.breaker_failures, settings_.breaker_cooldown.count(), reason);
    else
        spdlog::debug("writeback for flow {}: the probe of {} failed, its circuit breaker is open again: {}",
                      flow, endpoint, reason);
}

void Worker::process(store::Database& db, Row& row) {
    auto age = core::now_unix_ms() - row.created_at;
    // Past the age limit after at least one try: a writeback held by the operator's pause for
    // longer than max_age is still tried once after the resume.
    if (row.attempts > 0 && age > settings_.max_age.count()) {
        store::Database::Transaction tx(db);
        dead_letter(db, config_.kafka.topics, row.id,
                    "not confirmed by the ERP within writeback.retry.max_age (" +
                        std::to_string(row.attempts) + " attempts); last: " + row.last_error,
                    row.last_answer);
        tx.commit();
        dead_lettered(row, "not confirmed within writeback.retry.max_age; last: " + row.last_error);
        return;
    }
    while (row.step < static_cast<int>(row.requests.size())) {
        const auto& r = row.requests[static_cast<std::size_t>(row.step)].as_object();
        auto index = r.contains("mapping") ? static_cast<std::size_t>(r.at("mapping").to_number<std::int64_t>())
                                           : static_cast<std::size_t>(row.step);
        const mapping::Mapping* rules =
            index < plan_->requests.size() ? plan_->requests[index].get() : nullptr;
        auto context = plan_->with_vars(plan_->keeps_answers ? send_context(row.context, row.answers) : row.context);
        auto skip = [&] {  // a request whose `when` said no keeps its place in $.previous
            store::Database::Transaction tx(db);
            keep_answer(db, row, nullptr);
            ++row.step;
            store::Statement next(db.handle(), "UPDATE writebacks SET step = ?2 WHERE id = ?1");
            next.bind(1, row.id).bind(2, std::int64_t{row.step}).step();
            tx.commit();
        };
        if (r.contains("skipped")) {
            skip();
            continue;
        }
        if (!r.contains("at_send")) {
            if (!send_step(db, row, r, rules, context, false)) return;
            continue;
        }
        if (!rules) return fail_mapping(db, row, "writeback request " + std::to_string(row.step + 1) +
                                                     ": its mapping is no longer in the flow's config");
        // Mapped now, from the stored context, the stored answers before it and the vars.
        auto mapped = rules->map_request(context);
        if (mapped.kind == mapping::MapResult::Kind::failed)
            return fail_mapping(db, row, "writeback mapping failed: " + rules->file() + ": " +
                                             (mapped.error ? mapped.error->message() : std::string("?")));
        if (mapped.kind == mapping::MapResult::Kind::filtered) {
            skip();
            continue;
        }
        if (!send_step(db, row, mapped.to_json(), rules, context, false)) return;
    }
    if (plan_->verify) {
        auto context = plan_->with_vars(plan_->keeps_answers ? send_context(row.context, row.answers) : row.context);
        auto check = plan_->verify->map_request(context);
        if (check.kind == mapping::MapResult::Kind::failed)
            return fail_mapping(db, row, "verification mapping failed: " +
                                             (check.error ? check.error->message() : std::string("?")));
        if (check.kind == mapping::MapResult::Kind::mapped &&
            !send_step(db, row, check.to_json(), plan_->verify.get(), context, true))
            return;
    }
    if (row.done) return;  // marked with its last step's answer
    store::Database::Transaction tx(db);
    store::Statement done(db.handle(),
                          "UPDATE writebacks SET state = 'done', done_at = ?2 WHERE id = ?1");
    done.bind(1, row.id).bind(2, core::now_unix_ms()).step();
    tx.commit();
}

void Worker::refresh_gauges(store::Database& db) {
    store::Statement q(db.handle(),
                       "SELECT count(*), min(created_at) FROM writebacks WHERE flow = ?1 AND "
                       "state = 'pending'");
    q.bind(1, plan_->flow->name);
    if (q.step()) {
        depth_.set(q.integer(0));
        oldest_.set(q.is_null(1) ? 0 : (core::now_unix_ms() - q.integer(1)) / 1000);
        q.reset();
    }
}

std::string Worker::problem() const {
    std::lock_guard lock(mutex_);
    return problem_;
}

void Worker::run() {
    pthread_setname_np(pthread_self(), "fb-writeback");
    std::unique_ptr<store::Database> db;
    try {
        db = std::make_unique<store::Database>(config_.state.path, store::Database::Mode::read_write,
                                               config_.state.synchronous, config_.state.wal_max_bytes);
    } catch (const std::exception& e) {
        spdlog::error("writeback worker for flow {} cannot open the state file: {}",
                      plan_->flow->name, e.what());
        std::lock_guard lock(mutex_);
        problem_ = std::string("cannot open the state file: ") + e.what();
        return;
    }
    constexpr int page = 20;
    // One work order's writebacks reach the ERP in the order of its transitions: `completed`
    // waits while `arrived` backs off (else `arrived` could land last and move the document
    // back). Other work orders go on; a dead-lettered one no longer holds those after it.
    const std::string first_of_its_work_order =
        "NOT EXISTS (SELECT 1 FROM writebacks e WHERE e.work_order_id = w.work_order_id AND "
        "e.flow = w.flow AND e.state = 'pending' AND e.id < w.id)";
    store::Statement due(db->handle(),
                         "SELECT id, work_order_id, idempotency_key, requests, step, attempts, "
                         "verify_failures, created_at, context, coalesce(last_error, ''), "
                         "coalesce(last_answer, ''), answers FROM writebacks w WHERE flow = ?1 AND state = "
                         "'pending' AND next_attempt_at <= ?2 AND " + first_of_its_work_order +
                         " ORDER BY next_attempt_at, id LIMIT 20");
    store::Statement next(db->handle(),
                          "SELECT min(next_attempt_at) FROM writebacks w WHERE flow = ?1 AND state = "
                          "'pending' AND " + first_of_its_work_order);
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            cv_.wait(lock, [&] { return !held_ || stopping_; });
            if (stopping_) return;
        }
        std::vector<Row> rows;
        bool broken = false;
        try {
            due.bind(1, plan_->flow->name).bind(2, core::now_unix_ms());
            while (due.step()) {
                Row r;
                r.id = due.integer(0);
                r.work_order_id = due.text(1);
                r.key = due.text(2);
                r.requests = core::parse_stored(due.text(3)).as_array();
                r.step = static_cast<int>(due.integer(4));
                r.attempts = static_cast<int>(due.integer(5));
                r.verify_failures = static_cast<int>(due.integer(6));
                r.created_at = due.integer(7);
                r.context = core::unpack_stored(due.text(8)).as_object();
                r.last_error = due.text(9);
                r.last_answer = due.text(10);
                if (!due.is_null(11)) r.answers = core::unpack_stored(due.text(11)).as_array();
                rows.push_back(std::move(r));
            }
            for (auto& r : rows) {
                {
                    std::lock_guard lock(mutex_);
                    if (stopping_) return;
                    if (held_) break;  // paused: the rest of the page waits for the resume
                }
                process(*db, r);
            }
            refresh_gauges(*db);
        } catch (const std::exception& e) {
            due.reset();
            broken = true;  // the state file is busy or broken: try again in a second
            spdlog::error("writeback worker for flow {}: {}", plan_->flow->name, e.what());
        }
        if (!broken && static_cast<int>(rows.size()) == page) continue;  // more are due
        milliseconds wait(1000);
        try {
            next.bind(1, plan_->flow->name);
            if (!broken && next.step() && !next.is_null(0))
                wait = std::clamp(milliseconds(next.integer(0) - core::now_unix_ms()), milliseconds(0),
                                  milliseconds(1000));
            next.reset();
        } catch (const std::exception&) {
            next.reset();
        }
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, wait, [&] { return woken_ || stopping_; });
        if (stopping_) return;
        woken_ = false;
    }
}

}  // namespace fb::writeback
