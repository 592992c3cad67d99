// The file source's folders: where they are (an inbox written with a trailing slash), that no
// two flows share one, and that moving a file into one never replaces a file already there.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>
#include <vector>

#include "config/config.h"
#include "connectors/file/inbox.h"
#include "connectors/file/spec.h"
#include "support/source_dir.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using fb::connectors::file::Spec;

namespace {

std::string flow(const std::string& name, const std::string& source) {
    return "  - name: " + name + "\n"
           "    source: { type: file, " + source + " }\n"
           "    mapping: mappings/yonyou-u8/dispatchlist-to-delivery.yaml\n";
}

fb::config::Config parse(const std::string& flows) {
    return fb::config::parse("state: { path: /tmp/fieldbridge-folders-test.db }\nflows:\n" + flows, "f.yaml", FB_SOURCE_DIR);
}

std::string error_of(const std::string& flows) {
    try {
        parse(flows);
    } catch (const std::exception& e) {
        return e.what();
    }
    return "no error";
}

const Spec& spec_of(const fb::config::Config& c, std::size_t i) {
    return dynamic_cast<const Spec&>(*c.flows.at(i).source.spec);
}

}  // namespace

// parent_path() of "/srv/export/inbox/" is the inbox itself: processing/, done/ and failed/
// were made inside the inbox.
TEST_CASE("an inbox written with a trailing slash has processing/, done/ and failed/ beside it, not in it") {
    auto c = parse(flow("dispatch", "inbox: /srv/export/inbox/"));
    const auto& s = spec_of(c, 0);
    CHECK(s.inbox == "/srv/export/inbox");
    CHECK(s.processing == "/srv/export/processing");
    CHECK(s.done == "/srv/export/done");
    CHECK(s.failed == "/srv/export/failed");
    auto d = parse(flow("dispatch", "inbox: /srv/export/./in//, done: /srv/archive/done/"));
    CHECK(spec_of(d, 0).inbox == "/srv/export/in");
    CHECK(spec_of(d, 0).processing == "/srv/export/processing");
    CHECK(spec_of(d, 0).done == "/srv/archive/done");
}

// Two flows moving files in one folder take each other's files: at a start, each recovers what
// the other had claimed in the processing/ both default to beside sibling inboxes.
TEST_CASE("two file flows whose folders overlap are a config error naming both flows") {
    // The README's German example as it was: sibling inboxes, one default processing/.
    auto why = error_of(flow("lieferscheine", "inbox: /srv/export/ls") + flow("lieferscheine-xml", "inbox: /srv/export/ls-xml"));
    CHECK_THAT(why, Catch::StartsWith("f.yaml:6:") &&
                        Catch::Contains("flows `lieferscheine` and `lieferscheine-xml` share folders") &&
                        Catch::Contains("`lieferscheine`'s processing /srv/export/processing is `lieferscheine-xml`'s "
                                        "processing /srv/export/processing"));
    // One flow's inbox inside another's done/.
    why = error_of(flow("a", "inbox: /srv/a/inbox") +
                   flow("b", "inbox: /srv/a/done/b, processing: /srv/b/processing, done: /srv/b/done, failed: /srv/b/failed"));
    CHECK_THAT(why, Catch::Contains("`a`'s done /srv/a/done contains `b`'s inbox /srv/a/done/b"));
    // A trailing slash or a `..` does not hide it.
    why = error_of(flow("a", "inbox: /srv/a/inbox") + flow("b", "inbox: /srv/b/inbox, failed: /srv/b/../a/failed/"));
    CHECK_THAT(why, Catch::Contains("`a`'s failed /srv/a/failed is `b`'s failed /srv/a/failed"));
    // The README's example as it is now: each flow's folders under its own parent.
    CHECK(error_of(flow("lieferscheine", "inbox: /srv/export/ls/inbox") +
                   flow("lieferscheine-xml", "inbox: /srv/export/ls-xml/inbox")) == "no error");
    // A name that merely starts the same is another folder.
    CHECK(error_of(flow("a", "inbox: /srv/x/inbox, done: /srv/done") +
                   flow("b", "inbox: /srv/y/inbox, done: /srv/done-b")) == "no error");
}

TEST_CASE("within one file flow, inbox, processing, done and failed are four folders") {
    CHECK_THAT(error_of(flow("a", "inbox: /srv/a/inbox, done: /srv/a/failed")),
               Catch::Contains("done and failed are both /srv/a/failed"));
    CHECK_THAT(error_of(flow("a", "inbox: /srv/a/inbox, processing: /srv/a/inbox/")),
               Catch::Contains("inbox and processing are both /srv/a/inbox"));
}

// free_name() then rename() let two claims of one name at the same moment both see it free; the
// second replaced the first, and a file was lost without a trace.
TEST_CASE("files moved into one folder under one name at the same moment all arrive: none replaces another") {
    fb::test::TempDir dir("file-move");
    fs::create_directories(dir.path() / "to");
    constexpr int threads = 8, each = 50;
    for (int t = 0; t < threads; ++t) {
        fs::create_directories(dir.path() / std::to_string(t));
        for (int i = 0; i < each; ++i)
            std::ofstream(dir.path() / std::to_string(t) / ("export-" + std::to_string(i) + ".csv"))
                << t << "/" << i;
    }
    std::atomic<int> errors{0};
    std::vector<std::thread> movers;
    for (int t = 0; t < threads; ++t)
        movers.emplace_back([&, t] {
            for (int i = 0; i < each; ++i) {
                std::error_code ec;
                auto to = fb::connectors::file::move_into(dir.path() / std::to_string(t) / ("export-" + std::to_string(i) + ".csv"),
                                                          dir.path() / "to", "export.csv", ec);
                if (ec || to.empty()) ++errors;
            }
        });
    for (auto& m : movers) m.join();
    CHECK(errors == 0);
    std::set<std::string> contents;
    for (const auto& e : fs::directory_iterator(dir.path() / "to")) {
        std::ifstream in(e.path());
        contents.insert(std::string(std::istreambuf_iterator<char>(in), {}));
    }
    CHECK(contents.size() == threads * each);
}

TEST_CASE("a file moved to a name already taken gets .1, .2…, and one that is gone is an error") {
    fb::test::TempDir dir("file-move-names");
    std::ofstream(dir.str("a.csv")) << "first";
    std::ofstream(dir.str("b.csv")) << "second";
    fs::create_directories(dir.path() / "done");
    std::error_code ec;
    CHECK(fb::connectors::file::move_into(dir.path() / "a.csv", dir.path() / "done", "export.csv", ec) ==
          dir.path() / "done" / "export.csv");
    CHECK(fb::connectors::file::move_into(dir.path() / "b.csv", dir.path() / "done", "export.csv", ec) ==
          dir.path() / "done" / "export.csv.1");
    CHECK(fb::connectors::file::move_into(dir.path() / "gone.csv", dir.path() / "done", "export.csv", ec).empty());
    CHECK(ec == std::errc::no_such_file_or_directory);
}
