#include "ingest/intake.h"

#include <spdlog/spdlog.h>

#include <pthread.h>

#include <chrono>

#include "core/ids.h"
#include "store/database.h"

namespace fb::ingest {
namespace {

// A state file that cannot be opened for lack of space is retried once with the reserve the
// last run left released; failing that, it says so with the volume's free space instead of
// SQLite's bare "database or disk is full". Then takes the reserve (or starts refusing).
std::unique_ptr<store::Database> open_state(const config::StateConfig& state, StoreHealth& health) {
    for (int attempt = 0;; ++attempt) try {
            auto db = std::make_unique<store::Database>(
                state.path, store::Database::Mode::read_write, state.synchronous,
                state.wal_max_bytes);
            health.start(*db);
            return db;
        } catch (const store::StoreError& e) {
            if (!e.no_space()) throw;
            if (attempt == 0 && health.release_reserve_file()) {
                spdlog::error("state store: {}; the reserve released to open it", e.what());
                continue;
            }
            throw store::StoreError("cannot open the state file " + state.path + ": " + e.what() +
                                        "; the state volume (" + store::folder_of(state.path) +
                                        ") has " + std::to_string(store::free_bytes(state.path)) +
                                        " bytes free: free some space and start again",
                                    true);
        }
}

}  // namespace

Intake::Intake(const config::Config& config, metrics::Registry& metrics)
    : config_(config),
      metrics_(metrics),
      health_(config.state, metrics),
      db_(open_state(config.state, health_)),
      depth_gauge_(metrics.gauge("fieldbridge_outbox_depth", "Outbox rows not yet acknowledged by Kafka")),
      commit_seconds_(metrics.histogram("fieldbridge_commit_seconds",
                                        "Time to commit one group of documents to the state file")),
      commits_(metrics.counter("fieldbridge_commits_total", "Transactions committed by the intake")),
      thread_([this] { run(); }) {
    // For alert rules that compare the depth with it (deploy/prometheus/alerts.yml).
    metrics.gauge("fieldbridge_outbox_high_water", "Outbox depth at which intake refuses documents")
        .set(static_cast<std::int64_t>(config.outbox.high_water));
}

Intake::~Intake() { stop(); }

void Intake::submit(std::vector<ledger::Submission> submissions, Done done, std::string flow,
                    std::vector<core::Checkpoint> checkpoints) {
    {
        std::lock_guard lock(mutex_);
        queue_.push_back({std::move(submissions), std::move(done), std::move(flow),
                          std::move(checkpoints)});
    }
    cv_.notify_one();
}

namespace {
constexpr std::size_t marks_per_commit = 1000;
constexpr auto marks_max_wait = std::chrono::milliseconds(200);
}  // namespace

void Intake::mark_sent(std::vector<SentRow> rows) {
    bool wake;  // the first marks set the intake's 200 ms deadline; 1,000 are due at once
    {
        std::lock_guard lock(mutex_);
        bool first = sent_queue_.empty();
        if (first) sent_since_ = std::chrono::steady_clock::now();
        sent_queue_.insert(sent_queue_.end(), rows.begin(), rows.end());
        wake = first || sent_queue_.size() >= marks_per_commit;
    }
    if (wake) cv_.notify_one();
}

bool Intake::over_high_water() {
    auto depth = depth_.load();
    if (depth >= static_cast<std::int64_t>(config_.outbox.high_water)) over_high_water_ = true;
    else if (depth <= static_cast<std::int64_t>(config_.outbox.low_water)) over_high_water_ = false;
    return over_high_water_;
}

void Intake::keep_marks(std::vector<SentRow> marks) {
    if (marks.empty()) return;
    std::lock_guard lock(mutex_);
    // The relay has moved past these rows: dropped, they would stay unsent until the next start
    // and be published again then. Marking is idempotent, so a retry is always safe.
    sent_since_ = std::chrono::steady_clock::now();  // the retry waits 200 ms, not a tight loop
    sent_queue_.insert(sent_queue_.begin(), marks.begin(), marks.end());
}

void Intake::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void Intake::run() {
    pthread_setname_np(pthread_self(), "fb-intake");  // visible in top -H and perf
    store::Database& db = *db_;
    ledger::Ledger ledger(db, config_.kafka.topics);
    store::Statement mark(db.handle(),
                          "UPDATE outbox SET sent_at = ?2, partition = ?3, offset = ?4 "
                          "WHERE id = ?1 AND sent_at IS NULL");
    store::Statement drop_payload(db.handle(), "DELETE FROM outbox_payload WHERE id = ?1");
    store::Statement prune(db.handle(),
                           "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE sent_at "
                           "IS NOT NULL AND sent_at < ?1 LIMIT 5000)");
    store::Statement save_checkpoint(
        db.handle(),
        "INSERT INTO source_state (flow, key, value, updated_at) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (flow, key) DO UPDATE SET value = ?3, updated_at = ?4");
    store::Statement count_unsent(db.handle(), "SELECT count(*) FROM outbox WHERE sent_at IS NULL");
    auto recount = [&] {  // also counts rows other processes (`dead-letter replay`) wrote
        count_unsent.step();
        depth_ = count_unsent.integer(0);
        count_unsent.reset();
        depth_gauge_.set(depth_);
    };
    recount();
    auto last_prune = std::chrono::steady_clock::now();
    auto& documents = metrics_.counter("fieldbridge_documents_committed_total",
                                       "Documents recorded by the ledger");
    for (;;) {
        std::vector<Pending> batch;
        std::vector<SentRow> sent;
        bool last_round = false;
        {
            std::unique_lock lock(mutex_);
            auto marks_due = [&] {
                return sent_queue_.size() >= marks_per_commit ||
                       (!sent_queue_.empty() &&
                        std::chrono::steady_clock::now() - sent_since_ >= marks_max_wait);
            };
            // Wait for documents, due marks, or the housekeeping tick (every 0.5 s at most while
            // the volume is full, to see space come back soon), whichever is first.
            auto every = config_.outbox.housekeeping_every;
            if (health_.full()) every = std::min<std::chrono::milliseconds>(every, std::chrono::milliseconds(500));
            auto tick = std::chrono::steady_clock::now() + every;
            while (!stopping_ && queue_.empty() && !marks_due()) {
                auto until = sent_queue_.empty() ? tick : std::min(tick, sent_since_ + marks_max_wait);
                if (cv_.wait_until(lock, until) == std::cv_status::timeout && until == tick) break;
            }
            if (stopping_ && queue_.empty() && sent_queue_.empty()) break;
            bool take_marks = stopping_ || !queue_.empty() || marks_due();
            // Take whole submissions up to max_batch documents (at least one).
            std::size_t taken = 0, n = 0;
            while (n < queue_.size() && (n == 0 || taken + queue_[n].submissions.size() <=
                                                       config_.outbox.max_batch))
                taken += queue_[n++].submissions.size();
            batch.assign(std::make_move_iterator(queue_.begin()),
                         std::make_move_iterator(queue_.begin() + n));
            queue_.erase(queue_.begin(), queue_.begin() + n);
            if (take_marks) sent.swap(sent_queue_);
            last_round = stopping_;
        }
        health_.tick(db);  // while full: resumes here once the volume has room again
        std::vector<std::vector<ledger::Outcome>> outcomes(batch.size());
        // On a full volume documents are refused without a try (each try would fail, and take
        // the marks with it); marks still commit, in the room the released reserve left.
        bool refuse = health_.full();
        auto fail_batch = [&](const std::string& reason) {
            for (std::size_t i = 0; i < batch.size(); ++i) {
                // A batch of checkpoints only (a page of known records) answers one error.
                outcomes[i].assign(std::max<std::size_t>(batch[i].submissions.size(), 1),
                                   ledger::Outcome{ledger::Outcome::Kind::error});
                for (auto& o : outcomes[i]) o.reason = reason;
            }
        };
        if (refuse) fail_batch("state volume full");
        // Every few seconds: prune sent rows past retention, recount the outbox.
        bool housekeeping =
            std::chrono::steady_clock::now() - last_prune > config_.outbox.housekeeping_every;
        if (batch.empty() && sent.empty() && !housekeeping) continue;
        if (housekeeping) last_prune = std::chrono::steady_clock::now();
        auto started = std::chrono::steady_clock::now();
        std::int64_t added = 0, removed = 0;
        try {
            store::Database::Transaction tx(db);
            for (std::size_t i = 0; i < batch.size() && !refuse; ++i) {
                for (const auto& s : batch[i].submissions) {
                    outcomes[i].push_back(ledger.record(s));
                    added += outcomes[i].back().outbox_rows;
                }
                for (const auto& c : batch[i].checkpoints)
                    save_checkpoint.bind(1, batch[i].flow).bind(2, c.key).bind(3, c.value)
                        .bind(4, core::now_rfc3339()).step();
            }
            auto now_ms = core::now_unix_ms();
            for (const auto& row : sent) {
                mark.bind(1, row.id).bind(2, now_ms).bind(3, row.partition).bind(4, row.offset);
                mark.step();
                if (db.changes() == 0) continue;  // already marked (a re-sent duplicate)
                ++removed;
                drop_payload.bind(1, row.id).step();
            }
            if (housekeeping) {
                auto cutoff = now_ms - config_.outbox.retention.count() * 1000;
                prune.bind(1, cutoff).step();
            }
            tx.commit();
            health_.commit_succeeded();
            if (housekeeping) recount(), added = removed = 0;
        } catch (const std::exception& e) {
            spdlog::error("state store: transaction of {} submissions and {} marks failed: {}",
                          refuse ? 0 : batch.size(), sent.size(), e.what());
            if (!refuse) fail_batch("state store unavailable");
            added = removed = 0;
            if (last_round && !sent.empty())  // retrying at stop could last for ever
                spdlog::warn("{} delivery marks not recorded; those events are sent again at the "
                             "next start, under the same event ids", sent.size());
            else
                keep_marks(std::move(sent));
            health_.commit_failed(e, db);
        }
        commits_.add();
        commit_seconds_.observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        depth_ += added - removed;
        depth_gauge_.set(depth_);
        for (std::size_t i = 0; i < batch.size(); ++i) {
            documents.add(batch[i].submissions.size());
            batch[i].done(std::move(outcomes[i]));
        }
        if (added > 0 && wake_) wake_();
    }
}

}  // namespace fb::ingest
