// The intake: the one thread that writes the state file. Documents from every source are grouped
// into one transaction (ledger rows + outbox rows), committed, and only then acknowledged to their
// source. Delivery reports from the publisher are marked in the same thread, riding along with
// the next documents' transaction; alone they wait up to 200 ms or 1,000 rows, so that marking
// does not cost a sync of its own per report (a mark lost to a crash only re-sends an event,
// under the same event id).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "config/config.h"
#include "core/source.h"
#include "ingest/store_health.h"
#include "ledger/ledger.h"
#include "metrics/metrics.h"
#include "store/database.h"

namespace fb::ingest {

struct SentRow {
    std::int64_t id;
    std::int32_t partition;
    std::int64_t offset;
};

class Intake {
public:
    using Done = std::function<void(std::vector<ledger::Outcome>)>;

    Intake(const config::Config& config, metrics::Registry& metrics);
    ~Intake();

    // Thread-safe. `done` runs on the intake thread after the commit (or the failure). The
    // source's checkpoints (its acknowledgement point: a cursor, a file's identity) are written
    // for `flow` in the same transaction as the submissions. With no submissions, `done` gets
    // no outcomes, or one of kind `error` when the transaction failed.
    void submit(std::vector<ledger::Submission> submissions, Done done, std::string flow = {},
                std::vector<core::Checkpoint> checkpoints = {});
    void mark_sent(std::vector<SentRow> rows);
    // Called after each commit that added outbox rows (the publisher's wake-up).
    void on_commit(std::function<void()> wake) { wake_ = std::move(wake); }

    // Unsent outbox rows; above the high-water mark intake refuses until below the low-water mark.
    std::int64_t outbox_depth() const { return depth_.load(); }
    bool over_high_water();
    // Why the state store cannot take documents now (the volume is full, the last commit
    // failed); empty when it can.
    std::string store_problem() const { return health_.problem(); }
    bool accepting() { return !over_high_water() && health_.writable(); }

    void stop();  // commits what is queued, then joins

private:
    struct Pending {
        std::vector<ledger::Submission> submissions;
        Done done;
        std::string flow;
        std::vector<core::Checkpoint> checkpoints;
    };
    void run();
    void keep_marks(std::vector<SentRow> marks);  // after a failed transaction: for the next one

    const config::Config& config_;
    metrics::Registry& metrics_;
    StoreHealth health_;
    // Opened (and migrated) by the constructor, so a bad state file fails the start, loudly;
    // used only by the intake thread afterwards.
    std::unique_ptr<store::Database> db_;
    std::function<void()> wake_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<Pending> queue_;
    std::vector<SentRow> sent_queue_;
    std::chrono::steady_clock::time_point sent_since_;  // when sent_queue_ became non-empty
    bool stopping_ = false;
    std::atomic<std::int64_t> depth_{0};
    std::atomic<bool> over_high_water_{false};
    metrics::Gauge& depth_gauge_;
    metrics::Histogram& commit_seconds_;
    metrics::Counter& commits_;
    std::thread thread_;  // last: starts after everything above exists
};

}  // namespace fb::ingest
