// The poll loop: page after page, each page's documents and the cursor it moves to committed in
// one transaction before the next page is asked for; failures retried with backoff (honouring
// Retry-After) without moving the cursor; paused while the outbox is over its high-water mark.
#include "connectors/http_poll/http_poll.h"

#include <boost/json/serialize.hpp>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "connectors/http_poll/json_path.h"
#include "connectors/http_poll/poller.h"
#include "core/crash_point.h"
#include "core/ids.h"
#include "ingest/source_context.h"

namespace fb::connectors::http_poll {
namespace json = boost::json;

namespace {

std::int64_t now_ms() { return core::now_unix_ms(); }

// A page after the first that fails this many times in a row ends the poll: its next link or
// token is paging state the ERP keeps, and it expires (OData's $skiptoken, Salesforce's
// nextRecordsUrl), so asking again with it may never succeed. The next poll starts from the
// committed cursor (committed page by page), which loses nothing.
constexpr int later_page_tries = 3;

class PollSource : public core::Source {
public:
    explicit PollSource(ingest::SourceContext& ctx)
        : ctx_(ctx),
          spec_(ctx.spec<Spec>()),
          poller_(spec_),
          polls_(ctx.counter("fieldbridge_source_polls_total", "Polls started")),
          pages_(ctx.counter("fieldbridge_source_pages_total", "Pages fetched and committed")),
          records_(ctx.counter("fieldbridge_source_records_total", "Records read from the ERP")),
          logins_(ctx.counter("fieldbridge_source_logins_total", "Session logins")),
          details_none_(ctx.counter("fieldbridge_source_details_none_total",
                                    "Detail answers that matched the detail's empty_answer: (read as no value)")),
          lag_(ctx.gauge("fieldbridge_source_lag_seconds", "Now minus the cursor's time")),
          last_success_(ctx.gauge("fieldbridge_source_last_success_timestamp_seconds",
                                  "When a poll last completed (unix seconds)")) {}
    ~PollSource() override { stop(); }

    void start() override {
        poller_.stop_when([this] { return ctx_.stopping(); });
        thread_ = std::thread([this] { run(); });
    }
    void stop() override {
        ctx_.stop();
        if (thread_.joinable()) thread_.join();
    }

private:
    void run();
    // One poll; true when it should be followed at once (catch-up).
    bool poll();
    bool commit(const Page& page, const Cursor& next);
    void hold_back_last_group(Page& page, boost::json::array& carry);
    void count_error(const char* kind);
    bool start_again(const Page& page);
    Cursor stored_cursor();
    bool restart_from_cursor(std::size_t number);
    void completed();  // a poll read to its end (or to max_pages)

    ingest::SourceContext& ctx_;
    const Spec& spec_;
    Poller poller_;
    Cursor cursor_;
    int failures_ = 0;
    int shifts_ = 0;  // polls in a row started again because the ERP's rows moved
    // A poll was ended by a later page failing: the source stays failing until a poll reads to
    // its end, not only to its first page again.
    bool cut_short_ = false;
    // This poll read records of which none had a readable cursor time: the cursor cannot move
    // and every poll reads them again; said in /readyz, not only in the log.
    std::string cursor_stuck_;
    std::uint64_t logins_seen_ = 0;
    // The empty detail answers already logged and counted: a record in the overlap window is
    // read again each poll, and its deleted thirdparty is one warning, not one a poll.
    std::set<std::string> details_none_seen_;
    metrics::Counter &polls_, &pages_, &records_, &logins_, &details_none_;
    metrics::Gauge &lag_, &last_success_;
    std::thread thread_;
};

void PollSource::run() {
    pthread_setname_np(pthread_self(), "fb-poll");
    bool started = false;
    // Nothing the ERP or the disk does may end this thread: a failure is reported and retried.
    for (int failures = 0; !ctx_.stopping();) {
        try {
            if (!started) {
                cursor_ = stored_cursor();
                started = true;
            }
            if (!ctx_.wait_for_room()) break;
            bool again = poll();
            failures = 0;
            if (!again && !ctx_.sleep_for(spec_.every)) break;
        } catch (const std::exception& e) {
            spdlog::error("flow {}: poll source: {}", ctx_.flow().name, e.what());
            ctx_.failing(e.what());
            ctx_.sleep_for(ctx_.retry().delay(++failures));
        }
    }
}

// The committed cursor, or cursor.initial before the first commit. A stored cursor that does not
// parse fails the source (retried, /readyz degraded, the error logged) rather than starting over
// from `initial`: that would re-read the ERP's whole history, or skip what lies between.
Cursor PollSource::stored_cursor() {
    auto stored = ctx_.checkpoint("cursor");
    if (!stored) return Cursor::initial(spec_.cursor);
    auto parsed = Cursor::from_json(*stored);
    if (!parsed)
        throw std::runtime_error("the stored cursor `" + stored->substr(0, 200) +
                                 "` does not parse: not polling rather than starting again from cursor.initial; "
                                 "delete it (source_state, key `cursor`) to start from there");
    return *parsed;
}

void PollSource::count_error(const char* kind) {
    ctx_.counter("fieldbridge_source_errors_total", "Failed requests, by kind",
                 std::string("kind=\"") + kind + "\"")
        .add();
}

bool PollSource::poll() {
    polls_.add();
    cursor_stuck_.clear();  // of this poll only
    const Cursor start = cursor_;  // every page of one poll asks from the same place
    PageState state;
    std::size_t pages = 0;
    json::array carry;  // group_rows: the last document's rows, waiting for the rest of them
    int page_failures = 0;  // of the page in hand
    for (;;) {
        if (!ctx_.wait_for_room()) return false;  // backpressure: the ERP waits, nothing is lost
        auto page = poller_.fetch(start, state, now_ms());
        if (auto l = poller_.logins(); l > logins_seen_) logins_.add(l - logins_seen_), logins_seen_ = l;
        if (page.error != Page::Error::none) {
            if (ctx_.stopping()) return false;  // cut short by the shutdown: not the ERP's failure
            count_error(to_string(page.error));
            ctx_.failing(page.reason);
            spdlog::warn("flow {}: poll failed ({}): {}", ctx_.flow().name, to_string(page.error), page.reason);
            // The same page again, later; the cursor stays where the last commit left it.
            if (!ctx_.sleep_for(ctx_.retry().delay(++failures_, page.retry_after))) return false;
            if (pages > 0 && ++page_failures >= later_page_tries) return restart_from_cursor(pages + 1);
            continue;
        }
        if (page.shifted) return start_again(page);
        failures_ = 0;
        page_failures = 0;
        records_.add(page.records.size());
        for (const auto& none : page.details_none) {
            if (details_none_seen_.size() >= 10000) details_none_seen_.clear();  // bounded; at worst said again
            if (!details_none_seen_.insert(none).second) continue;
            details_none_.add();
            spdlog::warn("flow {}: {}", ctx_.flow().name, none);
        }
        if (spec_.group_rows) hold_back_last_group(page, carry);
        std::size_t unreadable = 0;
        auto next = advance(cursor_, page.records, spec_.cursor, now_ms() - spec_.cursor.settle.count(), unreadable);
        if (unreadable)
            spdlog::warn("flow {}: {} record(s) without a readable {} — the cursor ignores them",
                         ctx_.flow().name, unreadable, spec_.cursor.time);
        if (unreadable && unreadable == page.records.size()) {
            count_error("cursor");
            cursor_stuck_ = "none of the " + std::to_string(unreadable) + " records of a page has a readable " +
                            spec_.cursor.time + (spec_.cursor.time_fallback.empty() ? "" : " or " + spec_.cursor.time_fallback) +
                            ": the cursor cannot move past them and every poll reads them again; is cursor.time the "
                            "path in a record (its key as the answer spells it)?";
        }
        if (!commit(page, next)) return false;
        core::crash_point("poll.committed");
        if (!cut_short_ && cursor_stuck_.empty()) ctx_.healthy();
        pages_.add();
        cursor_ = next;
        lag_.set((now_ms() - cursor_.time_ms) / 1000);
        if (!page.next) break;
        if (++pages >= spec_.max_pages) {
            completed();
            return spec_.catch_up;  // cut short: more is waiting
        }
        state = *page.next;
    }
    completed();
    return false;
}

// The pages committed so far stand; the rest is asked again from the cursor they stored (every
// record not yet read is at or after it). An ERP whose rows move on every page, or that ignores
// the offset, would have the poll start again forever: past a few times it is a failure.
bool PollSource::start_again(const Page& page) {
    constexpr int tolerated = 3;
    if (++shifts_ <= tolerated) {
        spdlog::info("flow {}: {}; the poll starts again from the stored cursor", ctx_.flow().name, page.reason);
        return true;
    }
    count_error("shifted");
    auto reason = page.reason + " (" + std::to_string(shifts_) + " polls in a row; does the ERP sort by the cursor and honour the offset?)";
    ctx_.failing(reason);
    spdlog::warn("flow {}: {}", ctx_.flow().name, reason);
    return ctx_.sleep_for(ctx_.retry().delay(shifts_ - tolerated));
}

// Ends a poll whose page `number` kept failing; true: the next poll follows at once (it has
// waited the backoff already), from the committed cursor, with a new first page.
bool PollSource::restart_from_cursor(std::size_t number) {
    spdlog::warn("flow {}: page {} failed {} times in a row: its next link or token may have expired; "
                 "the next poll starts again from the committed cursor",
                 ctx_.flow().name, number, later_page_tries);
    cut_short_ = true;
    return true;
}

void PollSource::completed() {
    cut_short_ = false;
    shifts_ = 0;
    if (cursor_stuck_.empty()) {
        ctx_.healthy();
    } else {
        ctx_.failing(cursor_stuck_);  // the records are taken in; the source is not well
        cursor_stuck_.clear();
    }
    last_success_.set(now_ms() / 1000);
}

// Prepends the rows carried from the previous page; when more pages follow, the rows of the
// page's last document move to `carry` (they may continue on the next page).
void PollSource::hold_back_last_group(Page& page, json::array& carry) {
    json::array rows = std::move(carry);
    carry = {};
    for (auto& r : page.records) rows.push_back(std::move(r));
    if (page.next && !rows.empty()) {
        const auto* last = find_path(rows.back(), spec_.cursor.id);
        auto id = last ? text_of(*last) : std::string();
        std::size_t cut = rows.size();
        while (cut > 0) {
            const auto* v = find_path(rows[cut - 1], spec_.cursor.id);
            if ((v ? text_of(*v) : std::string()) != id) break;
            --cut;
        }
        if (cut > 0)  // a page that is one document only waits whole
            for (std::size_t i = cut; i < rows.size(); ++i) carry.push_back(std::move(rows[i]));
        if (cut > 0) rows.resize(cut);
        else carry = std::move(rows), rows = {};
    }
    page.records = std::move(rows);
}

bool PollSource::commit(const Page& page, const Cursor& next) {
    const auto& flow = ctx_.flow();
    core::Batch batch;
    // The page's records go to the mapping as one list, so `columns:` and `group_by` can turn
    // rows into documents (Kingdee: one row per line item).
    const json::value input = spec_.map_answer ? page.body : json::value(page.records);
    if (!page.records.empty() || (spec_.map_answer && !page.empty_answer))  // `empty_answer:` maps nothing
        ledger::add_mapped(batch.submissions, flow, ctx_.config().kafka, ctx_.mapping(), input,
                           json::serialize(input));
    batch.checkpoints.push_back({"cursor", next.to_json()});
    for (int failures = 0; !ctx_.stopping();) {
        auto outcomes = ctx_.commit(batch);
        bool error = std::any_of(outcomes.begin(), outcomes.end(),
                                 [](const auto& o) { return o.kind == ledger::Outcome::Kind::error; });
        if (!error) {
            ctx_.count(outcomes);
            return true;
        }
        ctx_.failing("state store unavailable; the page will be committed when it is back");
        ctx_.sleep_for(ctx_.retry().delay(++failures));
    }
    return false;
}

std::shared_ptr<const core::SourceSpec> read(config::Section& s, const std::string& base_dir) {
    return read_spec(s, base_dir);
}

std::unique_ptr<core::Source> make(ingest::SourceContext& ctx) { return std::make_unique<PollSource>(ctx); }

}  // namespace

const Connector connector{"http_poll", &read, &make};

}  // namespace fb::connectors::http_poll
