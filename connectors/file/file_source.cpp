// The `file` source: claim a complete file by renaming it into processing/, decode and map it,
// commit its documents and its identity (name, size, SHA-256) in one transaction, then move it
// to done/ (or delete it); an undecodable file goes to failed/ with a .error.txt and a
// dead-letter entry. A file found in processing/ at start is finished when its identity is
// committed, processed otherwise: never read twice, never lost.
#include "connectors/file/file_source.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <openssl/evp.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "connectors/file/inbox.h"
#include "core/crash_point.h"
#include "core/ids.h"
#include "ingest/source_context.h"
#include "mapping/fixtures.h"

namespace fb::connectors::file {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

std::string sha256_hex(std::string_view bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) out += hex[digest[i] >> 4], out += hex[digest[i] & 15];
    return out;
}

class FileSource : public core::Source {
public:
    explicit FileSource(ingest::SourceContext& ctx)
        : ctx_(ctx),
          spec_(ctx.spec<Spec>()),
          taken_(ctx.counter("fieldbridge_files_total", "Files taken by file sources, by result", "result=\"taken\"")),
          done_(ctx.counter("fieldbridge_files_total", "Files taken by file sources, by result", "result=\"done\"")),
          failed_(ctx.counter("fieldbridge_files_total", "Files taken by file sources, by result", "result=\"failed\"")),
          scans_(ctx.counter("fieldbridge_file_scans_total", "Times a file source looked through its inbox")) {}

    ~FileSource() override { stop(); }

    void start() override {
        check_folders(spec_);
        inbox_ = std::make_unique<Inbox>(spec_);
        thread_ = std::thread([this] { run(); });
    }

    void stop() override {
        ctx_.stop();
        if (thread_.joinable()) thread_.join();
    }

private:
    void run();
    void watch();
    void recover();
    // Decodes, maps and commits one claimed file, then moves it on. False when it must be tried
    // again (the state store failed); it then stays in processing/.
    bool process(const fs::path& claimed, const std::string& name);
    void finish(const fs::path& claimed, const std::string& name, bool failed, const std::string& reason);
    bool commit_until_done(core::Batch batch);

    ingest::SourceContext& ctx_;
    const Spec& spec_;
    metrics::Counter &taken_, &done_, &failed_, &scans_;
    std::unique_ptr<Inbox> inbox_;
    std::thread thread_;
};

void FileSource::run() {
    pthread_setname_np(pthread_self(), "fb-file");
    // Nothing a file or the disk does may end this thread: a failure is reported and retried.
    for (int failures = 0; !ctx_.stopping();) {
        try {
            recover();
            watch();
            return;
        } catch (const std::exception& e) {
            spdlog::error("flow {}: file source: {}", ctx_.flow().name, e.what());
            ctx_.failing(e.what());
            ctx_.sleep_for(ctx_.retry().delay(++failures));
        }
    }
}

void FileSource::watch() {
    auto next_rescan = std::chrono::steady_clock::now();
    while (!ctx_.stopping()) {
        if (!ctx_.wait_for_room()) break;  // backpressure: the inbox waits while the outbox is full
        scans_.add();
        for (const auto& name : inbox_->complete_files()) {
            if (ctx_.stopping() || !ctx_.accepting()) break;
            std::error_code ec;
            auto claimed = move_into(fs::path(spec_.inbox) / name, spec_.processing, name, ec);
            if (ec) continue;  // gone (another instance took it), or not ours to move: next scan says
            core::crash_point("file.renamed");  // before the marker goes: recover() removes it
            if (spec_.complete == Spec::Complete::marker) fs::remove(fs::path(spec_.inbox) / (name + spec_.marker), ec);
            taken_.add();
            core::crash_point("file.claimed");
            if (!process(claimed, claimed.filename().string())) break;
        }
        next_rescan = std::chrono::steady_clock::now() + spec_.rescan;
        // Look again on an inotify event, when a settling file is due, or at the rescan.
        while (!ctx_.stopping()) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next_rescan - std::chrono::steady_clock::now());
            if (left.count() <= 0 || inbox_->wait(std::min(left, std::chrono::milliseconds(500)))) break;
        }
    }
}

void FileSource::recover() {
    std::error_code ec;
    std::vector<fs::path> left;
    for (const auto& e : fs::directory_iterator(spec_.processing, ec))
        if (e.is_regular_file(ec)) left.push_back(e.path());
    std::sort(left.begin(), left.end());
    for (const auto& path : left) {
        if (ctx_.stopping()) return;
        auto name = path.filename().string();
        spdlog::info("flow {}: {} was claimed before the restart; finishing it", ctx_.flow().name, name);
        // Killed between the claim and the marker's removal: a marker left behind would let the
        // ERP's next file of that name be taken while it is still being written. One beside a
        // new file of that name is the ERP's own and stays.
        auto inbox = fs::path(spec_.inbox);
        if (spec_.complete == Spec::Complete::marker && !fs::exists(inbox / name, ec))
            fs::remove(inbox / (name + spec_.marker), ec);
        if (!process(path, name)) return;
    }
}

bool FileSource::commit_until_done(core::Batch batch) {
    for (int failures = 0; !ctx_.stopping(); ) {
        auto copy = batch;
        auto outcomes = ctx_.commit(std::move(copy));
        bool error = std::any_of(outcomes.begin(), outcomes.end(),
                                 [](const auto& o) { return o.kind == ledger::Outcome::Kind::error; });
        if (!error) {
            ctx_.count(outcomes);
            ctx_.healthy();
            return true;
        }
        ctx_.failing("state store unavailable; the file waits in processing/");
        ctx_.sleep_for(ctx_.retry().delay(++failures));
    }
    return false;
}

bool FileSource::process(const fs::path& claimed, const std::string& name) {
    const auto& flow = ctx_.flow();
    std::error_code ec;
    auto size = fs::file_size(claimed, ec);
    std::string bytes, reason;
    auto over = [&](const std::string& size) {
        return "file of " + size + " bytes is over the limit of " + std::to_string(spec_.max_file_bytes) +
               " bytes (source.max_file_bytes)";
    };
    // At most one byte past the limit is read: a file still growing after its size was taken
    // (an ERP writing into processing/, a file system that lies) cannot fill the memory.
    if (ec) reason = "cannot read the file: " + ec.message();
    else if (size > spec_.max_file_bytes) reason = over(std::to_string(size));
    else if (!read_at_most(claimed, spec_.max_file_bytes + 1, bytes)) reason = "cannot read the file";
    else if (bytes.size() > spec_.max_file_bytes) reason = over("more than " + std::to_string(spec_.max_file_bytes));
    if (!reason.empty()) bytes.clear();
    auto hash = sha256_hex(bytes);
    // A file that was not read has no content hash: its record is its own (name and size), not
    // the empty file's, which a later empty export would take for its own.
    auto key = reason.empty() ? "file:" + hash
                              : "file:unread:" + sha256_hex(name + "\n" + std::to_string(size));
    const auto bytes_read = bytes.size();
    // Already committed (a restart between commit and move, or the same bytes again): finish.
    if (reason.empty())
        if (auto seen = ctx_.checkpoint(key)) {
            auto v = json::parse(*seen).as_object();
            bool was_failed = v["result"] == "failed";
            finish(claimed, name, was_failed, was_failed ? std::string(v["reason"].as_string()) : "");
            return true;
        }
    std::vector<json::value> docs;
    if (reason.empty()) {
        decode::Limits limits;  // the flow's limit, not the decoders' default 16 MiB
        limits.max_bytes = spec_.max_file_bytes;
        docs = mapping::decode_documents(std::move(bytes), name, ctx_.mapping(), spec_.format, spec_.charset, limits, reason);
    }
    core::Batch batch;
    if (!reason.empty()) {
        batch.submissions.push_back(ledger::decode_failure(
            flow.name, flow.document_type, name + ": " + reason,
            "file " + name + " (" + std::to_string(bytes_read) + " bytes), kept in " + spec_.failed));
    } else {
        // Decoded as `fieldbridge map` decodes (the mapping's input:, or the extension), so a
        // file becomes the same work orders as the offline tool shows.
        for (const auto& doc : docs)
            ledger::add_mapped(batch.submissions, flow, ctx_.config().kafka, ctx_.mapping(), doc,
                               json::serialize(doc));
    }
    json::object identity{{"name", name},
                          {"size", bytes_read},
                          {"sha256", hash},
                          {"documents", batch.submissions.size()},
                          {"result", reason.empty() ? "done" : "failed"},
                          {"taken_at", core::now_rfc3339()}};
    if (!reason.empty()) identity["reason"] = reason;
    batch.checkpoints.push_back({key, json::serialize(identity)});
    if (!commit_until_done(std::move(batch))) return false;
    core::crash_point("file.committed");
    finish(claimed, name, !reason.empty(), reason);
    return true;
}

void FileSource::finish(const fs::path& claimed, const std::string& name, bool failed,
                        const std::string& reason) {
    std::error_code ec;
    if (failed) {
        auto target = move_into(claimed, spec_.failed, name, ec);
        if (!ec) std::ofstream(target.string() + ".error.txt") << name << ": " << reason << "\n";
        failed_.add();
        spdlog::warn("flow {}: {} could not be decoded ({}); moved to {}", ctx_.flow().name, name,
                     reason, target.string());
    } else {
        if (spec_.delete_done) fs::remove(claimed, ec);
        else move_into(claimed, spec_.done, name, ec);
        done_.add();
    }
    if (ec) spdlog::error("flow {}: cannot move {} out of processing/: {}", ctx_.flow().name, name, ec.message());
}

std::unique_ptr<core::Source> make(ingest::SourceContext& ctx) { return std::make_unique<FileSource>(ctx); }

}  // namespace

const Connector connector{"file", &read_spec, &make};

}  // namespace fb::connectors::file
