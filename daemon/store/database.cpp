#include "store/database.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <map>
#include <memory>
#include <mutex>

namespace fb::store {
namespace {

bool no_space(sqlite3* db, int rc) {
    return (rc & 0xff) == SQLITE_FULL ||
           (db && (rc & 0xff) == SQLITE_IOERR && sqlite3_system_errno(db) == ENOSPC);
}

void check(sqlite3* db, int rc, std::string_view what) {
    if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return;
    throw StoreError(std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)),
                     no_space(db, rc));
}

// Each entry moves the schema from version i to i+1. Never edit one that has shipped; add one.
constexpr std::array migrations{
    R"sql(
    CREATE TABLE documents (
        flow          TEXT NOT NULL,
        document_id   TEXT NOT NULL,
        version       TEXT NOT NULL,
        content_hash  TEXT NOT NULL,
        work_order_id TEXT NOT NULL,
        state         TEXT NOT NULL,          -- open | cancelled
        fields        TEXT NOT NULL,          -- "field=hash" per work-order field, for change sets
        first_seen_at TEXT NOT NULL,
        updated_at    TEXT NOT NULL,
        PRIMARY KEY (flow, document_id)
    ) WITHOUT ROWID;
    CREATE TABLE outbox (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        topic         TEXT NOT NULL,
        key           TEXT NOT NULL,
        event_id      TEXT NOT NULL,
        event_type    TEXT NOT NULL,
        flow          TEXT NOT NULL,
        document_id   TEXT NOT NULL,
        occurred_at   TEXT NOT NULL,
        payload       TEXT NOT NULL,
        created_at    INTEGER NOT NULL,       -- unix ms
        sent_at       INTEGER,                -- unix ms, set only by a delivery report
        partition     INTEGER,
        offset        INTEGER
    );
    CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
    CREATE INDEX outbox_document ON outbox (flow, document_id);
    CREATE TABLE dead_letter (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        flow          TEXT NOT NULL,
        stage         TEXT NOT NULL,          -- decode | map | validate | publish
        document_id   TEXT NOT NULL,
        reason        TEXT NOT NULL,
        input         TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        replayed_at   TEXT
    );
    )sql",
    // Payloads move to their own table, deleted when Kafka acknowledges the event: marking a row
    // sent then rewrites a small row instead of a page-sized one, and sent payloads free their
    // pages at once instead of at the next prune.
    R"sql(
    CREATE TABLE outbox_payload (
        id            INTEGER PRIMARY KEY,    -- = outbox.id; present while the event is unsent
        payload       BLOB NOT NULL           -- core::pack() of the event (TEXT if from schema 1)
    );
    INSERT INTO outbox_payload (id, payload) SELECT id, payload FROM outbox WHERE sent_at IS NULL;
    ALTER TABLE outbox DROP COLUMN payload;
    -- The prune finds sent rows past retention without reading the whole table every time.
    CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;
    )sql",
    // Versions have an order: the sortable key of the recorded version (NULL for rows written
    // before, which the ledger re-reads from `version`), and the stale arrivals an operator sees
    // in the trace.
    R"sql(
    ALTER TABLE documents ADD COLUMN version_key TEXT;
    ALTER TABLE documents ADD COLUMN stale_arrivals INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE documents ADD COLUMN last_stale_version TEXT;
    ALTER TABLE documents ADD COLUMN last_stale_at TEXT;
    )sql",
    // Closing the loop: each work order's state, the platform's status events, the last version
    // of each open ERP document (for writeback mappings) and the durable writeback queue.
    R"sql(
    CREATE TABLE work_orders (
        work_order_id TEXT PRIMARY KEY,
        flow          TEXT NOT NULL,
        document_id   TEXT NOT NULL,
        state         TEXT NOT NULL,          -- the lifecycle state (created, accepted, ...)
        erp_state     TEXT NOT NULL,          -- open | cancelled: what the ERP last said
        conflict      TEXT,                   -- the last conflict between ERP and platform
        closed_at     INTEGER,                -- unix ms when the state became terminal
        updated_at    TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX work_orders_conflict ON work_orders (flow) WHERE conflict IS NOT NULL;
    CREATE INDEX work_orders_closed ON work_orders (closed_at) WHERE closed_at IS NOT NULL;
    -- Work orders published before this version start their life where it begins.
    INSERT INTO work_orders (work_order_id, flow, document_id, state, erp_state, updated_at)
        SELECT work_order_id, flow, document_id, 'created', state, updated_at FROM documents;
    CREATE TABLE work_order_documents (
        work_order_id TEXT PRIMARY KEY,
        version       TEXT NOT NULL,
        document      BLOB NOT NULL,          -- core::pack() of the ERP document as mapped
        work_order    BLOB NOT NULL           -- core::pack() of the work order as published
    ) WITHOUT ROWID;
    CREATE TABLE status_events (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        work_order_id TEXT NOT NULL,
        event_id      TEXT NOT NULL,
        status        TEXT NOT NULL,
        occurred_at   TEXT NOT NULL,
        outcome       TEXT NOT NULL,          -- applied | duplicate | late | rejected | conflict | erp_updated | erp_cancelled
        from_state    TEXT,
        to_state      TEXT,
        reason        TEXT,
        partition     INTEGER,
        offset        INTEGER,
        received_at   TEXT NOT NULL
    );
    CREATE INDEX status_events_work_order ON status_events (work_order_id, id);
    CREATE INDEX status_events_event ON status_events (event_id);
    CREATE TABLE writebacks (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        flow            TEXT NOT NULL,
        work_order_id   TEXT NOT NULL,
        document_id     TEXT NOT NULL,
        transition      TEXT NOT NULL,        -- "arrived→completed"
        idempotency_key TEXT NOT NULL UNIQUE, -- per (work order, transition)
        context         BLOB NOT NULL,        -- core::pack() of {event, work_order, document, writeback}
        requests        TEXT NOT NULL,        -- the mapped requests, a JSON array, sent in order
        state           TEXT NOT NULL,        -- pending | done | dead
        step            INTEGER NOT NULL DEFAULT 0,  -- requests already answered with success
        attempts        INTEGER NOT NULL DEFAULT 0,
        verify_failures INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,     -- unix ms
        created_at      INTEGER NOT NULL,     -- unix ms; past writeback.retry.max_age → dead
        done_at         INTEGER,
        last_error      TEXT,
        last_answer     TEXT,
        dead_letter_id  INTEGER               -- set while dead-lettered
    );
    CREATE INDEX writebacks_due ON writebacks (flow, next_attempt_at) WHERE state = 'pending';
    CREATE INDEX writebacks_work_order ON writebacks (work_order_id);
    CREATE TABLE writeback_attempts (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        writeback_id  INTEGER NOT NULL,
        at            TEXT NOT NULL,
        endpoint      TEXT NOT NULL,
        request       TEXT NOT NULL,          -- "POST https://erp/…", never headers (secrets)
        http_status   INTEGER,
        result        TEXT NOT NULL,          -- success | retry | conflict | permanent | unverified
        answer        TEXT                    -- the ERP's answer, cut at 4 KiB
    );
    CREATE INDEX writeback_attempts_writeback ON writeback_attempts (writeback_id, id);
    )sql",
    // Sources' acknowledgement points, written in the same transaction as their documents: a
    // poll cursor, the identity of each file taken (so a restart never re-reads one).
    R"sql(
    CREATE TABLE source_state (
        flow          TEXT NOT NULL,
        key           TEXT NOT NULL,          -- "cursor", "file:<content hash>", …
        value         TEXT NOT NULL,          -- the source's own JSON
        updated_at    TEXT NOT NULL,
        PRIMARY KEY (flow, key)
    ) WITHOUT ROWID;
    )sql",
    // The same bad document arriving again (an ERP retrying it, a poll re-reading its overlap
    // window) is one open entry that counts its arrivals, not one entry per arrival.
    R"sql(
    ALTER TABLE dead_letter ADD COLUMN repeats INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE dead_letter ADD COLUMN last_seen_at TEXT;
    CREATE INDEX dead_letter_document ON dead_letter (flow, document_id);
    )sql",
    // A writeback sequence whose later requests read earlier answers (read, then write): the
    // answers of its confirmed steps, LZ4-packed JSON, written with the step they confirm.
    R"sql(
    ALTER TABLE writebacks ADD COLUMN answers BLOB;
    )sql",
    // The operator's pauses of a flow's intake or writeback (operator/pauses.h): one row per
    // paused flow, none once it runs again.
    R"sql(
    CREATE TABLE flow_pauses (
        flow          TEXT PRIMARY KEY,
        intake        INTEGER NOT NULL,
        writeback     INTEGER NOT NULL,
        reason        TEXT NOT NULL,
        since         TEXT NOT NULL
    ) WITHOUT ROWID;
    )sql",
    // Each writeback attempt's reason (the verdict's: `classify: conflict; …`), and the sink's own
    // requests before it as rows of their own, so the trace shows why and what was sent.
    R"sql(
    ALTER TABLE writeback_attempts ADD COLUMN kind TEXT;    -- NULL: the request; login | csrf_fetch | csrf_expired | etag_read
    ALTER TABLE writeback_attempts ADD COLUMN reason TEXT;
    )sql",
};

// One writer lock per state file (by its absolute name), for every connection in the process.
std::recursive_mutex& writer_lock(const std::string& file) {
    static std::mutex guard;
    static std::map<std::string, std::unique_ptr<std::recursive_mutex>> locks;
    std::lock_guard lock(guard);
    auto& slot = locks[file];
    if (!slot) slot = std::make_unique<std::recursive_mutex>();
    return *slot;
}

}  // namespace

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
    check(db_, sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                  SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr),
          "prepare");
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, std::string_view text) {
    check(db_, sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                                 SQLITE_TRANSIENT),
          "bind");
    return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
    check(db_, sqlite3_bind_int64(stmt_, index, value), "bind");
    return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
    check(db_, sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()),
                                 SQLITE_TRANSIENT),
          "bind");
    return *this;
}

Statement& Statement::bind_null(int index) {
    check(db_, sqlite3_bind_null(stmt_, index), "bind");
    return *this;
}

bool Statement::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    sqlite3_reset(stmt_);
    check(db_, rc, "step");
    return false;
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string_view Statement::text(int column) const {
    auto p = is_blob(column) ? static_cast<const char*>(sqlite3_column_blob(stmt_, column))
                             : reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return p ? std::string_view(p, sqlite3_column_bytes(stmt_, column)) : std::string_view();
}

bool Statement::is_blob(int column) const {
    return sqlite3_column_type(stmt_, column) == SQLITE_BLOB;
}

bool Statement::is_null(int column) const {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Database::Database(const std::string& path, Mode mode, std::string_view synchronous,
                   std::int64_t wal_max_bytes) {
    int flags = mode == Mode::read_only ? SQLITE_OPEN_READONLY
                                        : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        throw StoreError("cannot open state file " + path + ": " + msg);
    }
    sqlite3_extended_result_codes(db_, 1);  // tells a full disk from other I/O errors
    sqlite3_busy_timeout(db_, 5000);
    writers_ = &writer_lock(sqlite3_db_filename(db_, "main"));
    try {
        configure(mode, synchronous, wal_max_bytes);
    } catch (...) {  // the destructor does not run for a constructor that throws
        sqlite3_close_v2(db_);
        throw;
    }
}

void Database::configure(Mode mode, std::string_view synchronous, std::int64_t wal_max_bytes) {
    exec("PRAGMA cache_size=-8192");  // 8 MiB of pages per connection
    if (mode == Mode::read_write) {
        // A new state file gets 8 KiB pages: three outbox payloads share a page, so a commit
        // writes fewer WAL frames (two syscalls each). Existing files keep their page size.
        exec("PRAGMA page_size=8192");
        exec("PRAGMA journal_mode=WAL");
        exec(std::string("PRAGMA synchronous=") + (synchronous == "normal" ? "NORMAL" : "FULL"));
        exec("PRAGMA foreign_keys=ON");
        // The WAL is bounded in bytes, whatever the page size: on a small or nearly full volume
        // an unbounded WAL is what fills the disk (at 8 KiB pages, 5,000 pages were 40 MB).
        // journal_size_limit cuts the file back after each checkpoint so the space is returned.
        Statement page_size(db_, "PRAGMA page_size");
        page_size.step();
        auto bytes_per_page = std::max<std::int64_t>(page_size.integer(0), 512);
        page_size.reset();
        auto pages = std::max<std::int64_t>(wal_max_bytes / bytes_per_page, 16);
        exec("PRAGMA wal_autocheckpoint=" + std::to_string(pages));
        exec("PRAGMA journal_size_limit=" + std::to_string(wal_max_bytes));
        migrate();
    }
}

Database::~Database() { sqlite3_close_v2(db_); }

void Database::exec(std::string_view sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        int code = sqlite3_extended_errcode(db_);
        throw StoreError("sqlite: " + msg, no_space(db_, code) || no_space(db_, rc));
    }
}

bool Database::checkpoint(std::string* error) {
    int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
    if (rc == SQLITE_OK) return true;
    if (error) *error = sqlite3_errmsg(db_);
    return false;
}

std::int64_t Database::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }

int Database::changes() const { return sqlite3_changes(db_); }

int Database::schema_version() {
    Statement s(db_, "PRAGMA user_version");
    s.step();
    int v = static_cast<int>(s.integer(0));
    s.reset();
    return v;
}

void Database::migrate() {
    int version = schema_version();
    if (version > static_cast<int>(migrations.size()))
        throw StoreError("state file has schema version " + std::to_string(version) +
                         ", newer than this fieldbridge knows (" +
                         std::to_string(migrations.size()) + ")");
    for (auto v = static_cast<std::size_t>(version); v < migrations.size(); ++v) {
        Transaction tx(*this);
        exec(migrations[v]);
        exec("PRAGMA user_version=" + std::to_string(v + 1));
        tx.commit();
    }
}

Database::Transaction::Transaction(Database& db) : db_(db), writer_(*db.writers_) {
    db_.exec("BEGIN IMMEDIATE");
}

Database::Transaction::~Transaction() {
    if (!done_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Database::Transaction::commit() {
    db_.exec("COMMIT");
    done_ = true;
    writer_.unlock();
}

}  // namespace fb::store
