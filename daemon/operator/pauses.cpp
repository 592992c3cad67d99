#include "operator/pauses.h"

#include <spdlog/spdlog.h>

#include "core/ids.h"
#include "store/database.h"

namespace fb::operator_page {

namespace {

std::string parts(bool intake, bool writeback) {
    return intake && writeback ? "intake and writeback" : intake ? "intake" : "writeback";
}

}  // namespace

Pauses::Pauses(const config::Config& config) : config_(config) {
    store::Database db(config.state.path, store::Database::Mode::read_only);
    store::Statement all(db.handle(), "SELECT flow, intake, writeback, reason, since FROM flow_pauses");
    while (all.step()) {
        Pause p{all.integer(1) != 0, all.integer(2) != 0, std::string(all.text(3)), std::string(all.text(4))};
        std::string flow(all.text(0));
        if (p.any()) {
            spdlog::warn("flow {}: {} paused by the operator since {} ({})", flow,
                         parts(p.intake, p.writeback), p.since,
                         p.reason.empty() ? "no reason given" : p.reason);
            pauses_[flow] = std::move(p);
        }
    }
}

Pause Pauses::get(const std::string& flow) const {
    std::lock_guard lock(mutex_);
    auto it = pauses_.find(flow);
    return it == pauses_.end() ? Pause{} : it->second;
}

std::map<std::string, Pause> Pauses::snapshot() const {
    std::lock_guard lock(mutex_);
    return pauses_;
}

Pause Pauses::change(const std::string& flow, bool on, bool intake, bool writeback,
                     const std::string& reason) {
    std::vector<Listener> listeners;
    Pause next;
    {
        std::lock_guard lock(mutex_);  // one change at a time: the file and the map agree
        auto before = pauses_.count(flow) ? pauses_.at(flow) : Pause{};
        next = before;
        if (intake) next.intake = on;
        if (writeback) next.writeback = on;
        if (on && !before.any()) next.since = core::now_rfc3339();
        if (on && !reason.empty()) next.reason = reason;
        if (!next.any()) next = Pause{};
        store::Database db(config_.state.path, store::Database::Mode::read_write, config_.state.synchronous,
                           config_.state.wal_max_bytes);
        if (next.any()) {
            store::Statement put(db.handle(),
                                 "INSERT INTO flow_pauses (flow, intake, writeback, reason, since) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (flow) DO UPDATE SET "
                                 "intake = ?2, writeback = ?3, reason = ?4, since = ?5");
            put.bind(1, flow).bind(2, std::int64_t{next.intake}).bind(3, std::int64_t{next.writeback}).bind(4, next.reason).bind(5, next.since);
            put.step();
            pauses_[flow] = next;
        } else {
            store::Statement drop(db.handle(), "DELETE FROM flow_pauses WHERE flow = ?1");
            drop.bind(1, flow);
            drop.step();
            pauses_.erase(flow);
        }
        listeners = listeners_;
    }
    spdlog::warn("flow {}: the operator {} {}; intake {}, writeback {}{}", flow,
                 on ? "paused" : "resumed", parts(intake, writeback), next.intake ? "paused" : "running",
                 next.writeback ? "paused" : "running", next.reason.empty() ? "" : " (" + next.reason + ")");
    for (auto& l : listeners) l(flow, next);
    return next;
}

void Pauses::on_change(Listener listener) {
    std::lock_guard lock(mutex_);
    listeners_.push_back(std::move(listener));
}

}  // namespace fb::operator_page
