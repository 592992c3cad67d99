// SQLite state store: one connection per thread that uses it, WAL mode, versioned migrations,
// prepared statements. Errors throw StoreError with SQLite's message.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <mutex>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace fb::store {

class StoreError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
    StoreError(const std::string& what, bool no_space) : std::runtime_error(what), no_space_(no_space) {}
    // The write failed for lack of room on the state volume (SQLITE_FULL or ENOSPC).
    bool no_space() const { return no_space_; }

private:
    bool no_space_ = false;
};

class Statement {
public:
    Statement(sqlite3* db, std::string_view sql);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, std::int64_t value);
    Statement& bind_null(int index);
    Statement& bind_blob(int index, std::string_view bytes);
    bool step();  // true while a row is available; resets itself when done
    void reset();

    std::int64_t integer(int column) const;
    std::string_view text(int column) const;
    bool is_null(int column) const;
    bool is_blob(int column) const;  // text() gives a blob's bytes too

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

class Database {
public:
    enum class Mode { read_write, read_only };
    // Opens (creating and migrating when read_write) the state file. `synchronous` is
    // "full" or "normal" (see README: what each guarantees). The WAL is checkpointed when it
    // reaches `wal_max_bytes` and cut back to that size after a checkpoint.
    Database(const std::string& path, Mode mode = Mode::read_write,
             std::string_view synchronous = "full", std::int64_t wal_max_bytes = 16 << 20);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    void exec(std::string_view sql);
    sqlite3* handle() const { return db_; }
    std::int64_t last_insert_id() const;
    int changes() const;  // rows changed by the last statement
    int schema_version();
    // Copies the whole WAL into the database and truncates it to 0 bytes; false (with the
    // reason in `error`) when a reader or a full disk prevents it.
    bool checkpoint(std::string* error = nullptr);

    // BEGIN IMMEDIATE … COMMIT; rolls back when destroyed uncommitted. The writers of one state
    // file in this process (intake, relay, status consumer, writeback workers, admin API) queue
    // on one lock before BEGIN: SQLite's busy handler polls with growing sleeps, and under load a
    // writer could miss every free moment for its whole busy timeout ("database is locked").
    class Transaction {
    public:
        explicit Transaction(Database& db);
        ~Transaction();
        void commit();

    private:
        Database& db_;
        std::unique_lock<std::recursive_mutex> writer_;
        bool done_ = false;
    };

private:
    void configure(Mode mode, std::string_view synchronous, std::int64_t wal_max_bytes);
    void migrate();
    sqlite3* db_ = nullptr;
    std::recursive_mutex* writers_ = nullptr;  // this file's writer lock, shared in the process
};

}  // namespace fb::store
