#include "ingest/source_context.h"

#include <future>

#include "core/ids.h"
#include "store/database.h"

namespace fb::ingest {

void SourceHealth::ok(const std::string& flow) {
    std::lock_guard lock(mutex_);
    state_[flow] = State{};
}

void SourceHealth::failing(const std::string& flow, const std::string& reason) {
    std::lock_guard lock(mutex_);
    auto& s = state_[flow];
    if (s.ok) s.since = core::now_rfc3339();  // the first failure's time is what an operator needs
    s.ok = false;
    s.reason = reason.substr(0, 300);
}

std::map<std::string, std::string> SourceHealth::snapshot() const {
    std::lock_guard lock(mutex_);
    std::map<std::string, std::string> out;
    for (const auto& [flow, s] : state_)
        out[flow] = s.ok ? "ok" : "failing since " + s.since + ": " + s.reason;
    return out;
}

bool SourceHealth::all_ok() const {
    std::lock_guard lock(mutex_);
    for (const auto& [flow, s] : state_)
        if (!s.ok) return false;
    return true;
}

SourceContext::SourceContext(const config::Config& config, const config::FlowConfig& flow,
                             std::shared_ptr<const mapping::Mapping> mapping, Intake& intake,
                             metrics::Registry& metrics, SourceHealth& health,
                             EndpointRegistry& endpoints, boost::asio::thread_pool& workers)
    : config_(config),
      flow_(flow),
      mapping_(std::move(mapping)),
      intake_(intake),
      metrics_(metrics),
      health_(health),
      endpoints_(endpoints),
      workers_(workers) {
    paused_ = &counter("fieldbridge_source_paused_total",
                       "Times the source paused because the outbox was over its high-water mark");
    health_.ok(flow_.name);
}

std::string SourceContext::labels(const std::string& extra) const {
    return "flow=\"" + flow_.name + "\",connector=\"" + flow_.source.type + "\"" +
           (extra.empty() ? "" : "," + extra);
}

metrics::Counter& SourceContext::counter(const std::string& name, const std::string& help,
                                         const std::string& extra) {
    return metrics_.counter(name, help, labels(extra));
}

metrics::Gauge& SourceContext::gauge(const std::string& name, const std::string& help,
                                     const std::string& extra) {
    return metrics_.gauge(name, help, labels(extra));
}

void SourceContext::count(const std::vector<ledger::Outcome>& outcomes) {
    for (const auto& o : outcomes)
        metrics_
            .counter("fieldbridge_documents_total", "Documents taken in, by flow and outcome",
                     "flow=\"" + flow_.name + "\",outcome=\"" + ledger::to_string(o.kind) + "\"")
            .add();
}

void SourceContext::submit(core::Batch batch, Intake::Done done) {
    intake_.submit(std::move(batch.submissions), std::move(done), flow_.name,
                   std::move(batch.checkpoints));
}

std::vector<ledger::Outcome> SourceContext::commit(core::Batch batch) {
    std::promise<std::vector<ledger::Outcome>> committed;
    auto result = committed.get_future();
    submit(std::move(batch), [&](std::vector<ledger::Outcome> o) { committed.set_value(std::move(o)); });
    return result.get();
}

std::optional<std::string> SourceContext::checkpoint(const std::string& key) {
    if (!reader_)
        reader_ = std::make_unique<store::Database>(config_.state.path, store::Database::Mode::read_only);
    store::Statement find(reader_->handle(),
                          "SELECT value FROM source_state WHERE flow = ?1 AND key = ?2");
    find.bind(1, flow_.name).bind(2, key);
    if (!find.step()) return std::nullopt;
    std::string v(find.text(0));
    find.reset();
    return v;
}

bool SourceContext::wait_for_room() {
    // The operator's pause ends with set_paused(false), which wakes this wait.
    while (paused_by_operator_)
        if (!sleep_for(std::chrono::seconds(1))) return false;
    if (intake_.accepting()) return !stopping_;
    paused_->add();
    // The outbox drains at Kafka's pace: look again every 100 ms (or at once on stop).
    while (!intake_.accepting())
        if (!sleep_for(std::chrono::milliseconds(100))) return false;
    return !stopping_;
}

void SourceContext::set_paused(bool paused) {
    // Only a pause that ends wakes the source: the "not paused" every flow gets at start must not
    // cut its first wait short (a retry inside a login's backoff, a second poll at once).
    if (paused_by_operator_.exchange(paused) && !paused) wake();
}

bool SourceContext::sleep_for(std::chrono::milliseconds d) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, d, [&] { return stopping_.load() || woken_; });
    woken_ = false;
    return !stopping_;
}

void SourceContext::wake() {
    {
        std::lock_guard lock(mutex_);
        woken_ = true;
    }
    cv_.notify_all();
}

void SourceContext::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
}

}  // namespace fb::ingest
