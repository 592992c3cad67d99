// Whether the state store can take writes now, and the disk-full cycle: on a write refused for
// lack of space, release the reserve, checkpoint, refuse documents; once the volume has room
// again, take the reserve back and accept — no restart. Used by the intake thread only, except
// problem() and writable(), which any thread may call.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>

#include "config/config.h"
#include "metrics/metrics.h"
#include "store/database.h"
#include "store/volume.h"

namespace fb::ingest {

class StoreHealth {
public:
    StoreHealth(const config::StateConfig& config, metrics::Registry& metrics);

    // At start-up, after the state file opened: takes the reserve or starts refusing, saying why.
    void start(store::Database& db);
    // When the state file cannot even be opened for lack of space: frees the reserve left by
    // the last run; false when there was none.
    bool release_reserve_file();
    void commit_succeeded();
    void commit_failed(const std::exception& error, store::Database& db);
    // Refreshes the gauges; while full, resumes when the volume has room again; bounds a WAL a
    // reader kept from being reset.
    void tick(store::Database& db);

    bool full() const { return full_.load(); }
    bool writable() const { return !full_.load() && last_commit_ok_.load(); }
    std::string problem() const;  // empty when writable
    // Free bytes needed before taking the reserve back and accepting again.
    std::int64_t resume_at() const;

private:
    void enter_full(store::Database& db, const std::string& why);
    void set_problem(std::string text);
    std::string describe_volume() const;

    const config::StateConfig& config_;
    store::Reserve reserve_;
    std::atomic<bool> full_{false};
    std::atomic<bool> last_commit_ok_{true};
    mutable std::mutex mutex_;
    std::string problem_;
    metrics::Gauge& free_gauge_;
    metrics::Gauge& wal_gauge_;
    metrics::Gauge& writable_gauge_;
    metrics::Gauge& reserve_gauge_;
    metrics::Counter& failures_;
    metrics::Counter& full_events_;
};

}  // namespace fb::ingest
