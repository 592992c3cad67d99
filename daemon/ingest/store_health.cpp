#include "ingest/store_health.h"

#include <spdlog/spdlog.h>

namespace fb::ingest {

StoreHealth::StoreHealth(const config::StateConfig& config, metrics::Registry& metrics)
    : config_(config),
      reserve_(config.path + ".reserve", config.reserve_bytes),
      free_gauge_(metrics.gauge("fieldbridge_state_free_bytes",
                                "Bytes free on the volume holding the state file")),
      wal_gauge_(metrics.gauge("fieldbridge_state_wal_bytes", "Size of the state file's WAL")),
      writable_gauge_(metrics.gauge("fieldbridge_state_store_writable",
                                    "1 when the last commit succeeded and the volume is not full")),
      reserve_gauge_(metrics.gauge("fieldbridge_state_reserve_bytes",
                                   "Bytes held in the reserve file (0 while released)")),
      failures_(metrics.counter("fieldbridge_commit_failures_total",
                                "Transactions of the intake that failed and were rolled back")),
      full_events_(metrics.counter("fieldbridge_state_full_total",
                                   "Times the state volume filled and intake stopped accepting")) {}

std::int64_t StoreHealth::resume_at() const {
    // Room for the reserve, a full WAL, and another reserve's worth: resuming on less would
    // refill the disk at once.
    return 2 * config_.reserve_bytes + config_.wal_max_bytes;
}

std::string StoreHealth::describe_volume() const {
    return "the state volume (" + store::folder_of(config_.path) + ") has " +
           std::to_string(store::free_bytes(config_.path)) + " bytes free";
}

void StoreHealth::start(store::Database& db) {
    std::string error;
    if (!db.checkpoint(&error))  // a WAL left by the last run is returned to the volume first
        spdlog::warn("state store: checkpoint at start-up failed: {}", error);
    // Full at start-up: no room for the reserve, or, with it, none for a full WAL.
    if (!reserve_.take())
        enter_full(db, "at start-up, no room for the " + std::to_string(reserve_.bytes()) +
                           "-byte reserve " + reserve_.path());
    else if (store::free_bytes(config_.path) < config_.wal_max_bytes)
        enter_full(db, "at start-up, less room than one WAL of " +
                           std::to_string(config_.wal_max_bytes) + " bytes");
    tick(db);
}

bool StoreHealth::release_reserve_file() {
    bool existed = store::file_bytes(reserve_.path()) > 0;
    reserve_.release();
    return existed;
}

void StoreHealth::commit_succeeded() {
    if (!last_commit_ok_.exchange(true) && !full_) {
        spdlog::info("state store: commits succeed again");
        set_problem({});
    }
}

void StoreHealth::commit_failed(const std::exception& error, store::Database& db) {
    failures_.add();
    last_commit_ok_ = false;
    auto* store_error = dynamic_cast<const store::StoreError*>(&error);
    if (store_error && store_error->no_space()) {
        if (!full_) enter_full(db, std::string("(") + error.what() + ")");
    } else if (!full_) {
        set_problem(std::string("the last commit failed: ") + error.what());
    }
}

void StoreHealth::enter_full(store::Database& db, const std::string& why) {
    full_events_.add();
    full_ = true;
    bool had_reserve = reserve_.held() && reserve_.bytes() > 0;
    reserve_.release();  // the room the checkpoint and the marks below need
    std::string error;
    bool checkpointed = db.checkpoint(&error);
    auto text = "state volume full " + why + ": " + describe_volume() + "; " +
                (had_reserve ? "reserve released, " : "no reserve held, ") +
                (checkpointed ? "WAL checkpointed" : "checkpoint failed: " + error) +
                "; refusing documents until " + std::to_string(resume_at()) + " bytes are free";
    spdlog::error("{}", text);
    set_problem(text);
    tick(db);
}

void StoreHealth::tick(store::Database& db) {
    auto free = store::free_bytes(config_.path);
    auto wal = store::file_bytes(config_.path + "-wal");
    free_gauge_.set(free);
    wal_gauge_.set(wal);
    if (full_ && free >= resume_at()) {
        std::string error;
        if (reserve_.take() && (wal == 0 || db.checkpoint(&error))) {
            spdlog::info("state volume has room again ({} bytes free): reserve taken, accepting", free);
            full_ = false;
            last_commit_ok_ = true;
            set_problem({});
        }
    } else if (full_ && wal > config_.wal_max_bytes) {
        std::string error;  // the checkpoint at the failure met a reader: try again
        if (db.checkpoint(&error)) spdlog::info("state store: WAL of {} bytes checkpointed", wal);
    } else if (!full_ && wal > 2 * config_.wal_max_bytes) {
        // A reader kept the automatic checkpoint from resetting the WAL: force it once it is done.
        std::string error;
        if (!db.checkpoint(&error)) spdlog::warn("state store: WAL of {} bytes, checkpoint: {}", wal, error);
    }
    reserve_gauge_.set(reserve_.held() ? reserve_.bytes() : 0);
    writable_gauge_.set(writable() ? 1 : 0);
}

void StoreHealth::set_problem(std::string text) {
    std::lock_guard lock(mutex_);
    problem_ = std::move(text);
}

std::string StoreHealth::problem() const {
    std::lock_guard lock(mutex_);
    if (problem_.empty() && !writable()) return "the last commit failed";
    return problem_;
}

}  // namespace fb::ingest
