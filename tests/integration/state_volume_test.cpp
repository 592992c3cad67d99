// A full state volume (a small tmpfs the test mounts): refusal with Retry-After, readiness that
// names the state store, recovery without a restart, nothing acknowledged lost; and a start-up
// on a full volume.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <set>

#include "harness.h"
#include "publish/kafka.h"
#include "store/volume.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

// A tmpfs of `bytes` mounted on a fresh folder, unmounted and removed when destroyed.
class SmallVolume {
public:
    explicit SmallVolume(std::size_t bytes) {
        auto pattern = (std::filesystem::temp_directory_path() / "fieldbridge-volume-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) return;
        path_ = pattern;
        auto options = "size=" + std::to_string(bytes);
        if (::mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str()) == 0) mounted_ = true;
        else error_ = std::strerror(errno);
    }
    ~SmallVolume() {
        if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
        if (!path_.empty()) ::rmdir(path_.c_str());
    }
    bool mounted() const { return mounted_; }
    const std::string& error() const { return error_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_, error_;
    bool mounted_ = false;
};

// Junk written until the volume refuses more; removed when destroyed (or by remove()).
class Junk {
public:
    explicit Junk(std::string path) : path_(std::move(path)) {
        int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        REQUIRE(fd >= 0);
        std::string block(64 * 1024, 'x');
        for (;;) {  // by progress: until the filesystem says it is full
            auto n = ::write(fd, block.data(), block.size());
            if (n <= 0) break;
            bytes_ += n;
        }
        ::close(fd);
    }
    ~Junk() { remove(); }
    void remove() { ::unlink(path_.c_str()); }
    std::size_t bytes() const { return bytes_; }

private:
    std::string path_;
    std::size_t bytes_ = 0;
};

std::string shipment(const std::string& doc_no) {
    auto d = json::parse(sample("generic-rest/shipment-CK20261120-0042.json")).as_object();
    d["DocNo"] = doc_no;
    return json::serialize(d);
}

// Polls `done` every 50 ms until it holds or `seconds` pass.
bool wait_until(const std::function<bool()>& done, int seconds = 60) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
}

bool failing(const HttpReply& ready, const std::string& check) {
    if (ready.status != 503) return false;
    for (const auto& f : ready.json().at("failing").as_array())
        if (f.is_string() && f.as_string() == check) return true;
    return false;
}

fb::config::Config volume_config(const SmallVolume& volume, const std::string& brokers) {
    auto config = test_config(volume.file("state.db"), brokers);
    config.state.wal_max_bytes = 256 << 10;
    config.state.reserve_bytes = 1 << 20;
    return config;
}

}  // namespace

TEST_CASE("a full state volume: 503 with Retry-After, /readyz names the state store, and once space "
          "is freed the daemon accepts again without a restart and loses nothing acknowledged") {
    SmallVolume volume(8 << 20);
    if (!volume.mounted()) {
        WARN("skipped: cannot mount a tmpfs (" << volume.error() << "); run the tests as root");
        return;
    }
    fb::publish::EmbeddedCluster kafka(1, 2, {"fsm.work-orders", "fsm.dead-letter"});
    auto config = volume_config(volume, kafka.bootstrap());
    RunningApp daemon(config);
    auto post = [&](const std::string& id) {
        return http_request(daemon.port(), "POST", "/webhooks/delivery", shipment(id));
    };
    auto ready = [&] { return http_request(daemon.port(), "GET", "/readyz"); };
    REQUIRE(wait_until([&] { return ready().status == 200; }));
    CHECK(fb::store::file_bytes(volume.file("state.db.reserve")) == 1 << 20);

    std::set<std::string> acknowledged;
    for (int i = 0; i < 20; ++i) {
        REQUIRE(post("BEFORE-" + std::to_string(i)).status == 202);
        acknowledged.insert("WO-delivery-BEFORE-" + std::to_string(i));
    }
    Junk junk(volume.file("junk"));
    INFO("junk filled " << junk.bytes() << " bytes");
    HttpReply refused;
    for (int i = 0; i < 20000 && refused.status == 0; ++i) {  // until the daemon refuses
        auto reply = post("FULL-" + std::to_string(i));
        if (reply.status == 202) acknowledged.insert("WO-delivery-FULL-" + std::to_string(i));
        else refused = reply;
    }
    REQUIRE(refused.status == 503);
    CHECK(refused.headers.count("Retry-After"));
    CHECK_THAT(refused.body, Catch::Contains("state store unavailable"));
    auto again = post("WHILE-FULL");
    CHECK(again.status == 503);
    CHECK(again.headers.count("Retry-After"));

    auto not_ready = ready();
    REQUIRE(failing(not_ready, "state_store"));
    auto detail = std::string(
        not_ready.json().at("checks").at("state_store").at("detail").as_string());
    CHECK_THAT(detail, Catch::Contains("state volume full"));
    CHECK_THAT(detail, Catch::Contains("bytes free"));
    CHECK(not_ready.json().at("accepting") == false);
    CHECK(http_request(daemon.port(), "GET", "/healthz").status == 200);
    auto metrics = http_request(daemon.port(), "GET", "/metrics").body;
    CHECK_THAT(metrics, Catch::Contains("fieldbridge_state_store_writable 0"));
    CHECK_THAT(metrics, Catch::Contains("fieldbridge_state_wal_bytes "));
    CHECK_THAT(metrics, Catch::Contains("fieldbridge_state_free_bytes "));
    // The released reserve let the WAL be checkpointed and cut back.
    CHECK(fb::store::file_bytes(volume.file("state.db-wal")) <= config.state.wal_max_bytes);

    junk.remove();
    int status = 0;
    REQUIRE(wait_until([&] { return (status = post("AFTER-1").status) != 503; }));
    CHECK(status == 202);
    acknowledged.insert("WO-delivery-AFTER-1");
    REQUIRE(wait_until([&] { return ready().status == 200; }));
    CHECK(fb::store::file_bytes(volume.file("state.db.reserve")) == 1 << 20);

    auto messages = consume_at_least(kafka.bootstrap(), "fsm.work-orders", acknowledged.size(), 60000);
    std::set<std::string> published;
    for (const auto& m : messages) published.insert(m.key);
    for (const auto& key : acknowledged) CHECK(published.count(key));
    CHECK(wait_until([&] { return ready().json().at("outbox_depth") == 0; }));
}

TEST_CASE("a start on a full state volume says so, refuses, and accepts once space is freed, "
          "without another restart") {
    SmallVolume volume(8 << 20);
    if (!volume.mounted()) {
        WARN("skipped: cannot mount a tmpfs (" << volume.error() << "); run the tests as root");
        return;
    }
    fb::publish::EmbeddedCluster kafka(1, 2, {"fsm.work-orders", "fsm.dead-letter"});
    auto config = volume_config(volume, kafka.bootstrap());
    {
        Junk junk(volume.file("junk"));  // a new state file cannot even be created
        CHECK_THROWS_WITH(RunningApp(config),
                          Catch::Contains("state.db") && Catch::Contains("bytes free"));
    }
    for (auto suffix : {"", "-wal", "-shm", ".reserve"})
        std::filesystem::remove(volume.file("state.db") + suffix);
    {
        RunningApp daemon(config);
        REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", shipment("FIRST")).status == 202);
    }
    Junk junk(volume.file("junk"));  // the disk filled while the daemon was stopped
    RunningApp daemon(config);
    auto ready = http_request(daemon.port(), "GET", "/readyz");
    REQUIRE(failing(ready, "state_store"));
    auto detail = std::string(ready.json().at("checks").at("state_store").at("detail").as_string());
    CHECK_THAT(detail, Catch::Contains("state volume full at start-up") &&
                           Catch::Contains("bytes free"));
    auto refused = http_request(daemon.port(), "POST", "/webhooks/delivery", shipment("SECOND"));
    CHECK(refused.status == 503);
    CHECK(refused.headers.count("Retry-After"));

    junk.remove();
    int status = 0;
    REQUIRE(wait_until([&] {
        return (status = http_request(daemon.port(), "POST", "/webhooks/delivery",
                                      shipment("SECOND")).status) != 503;
    }));
    CHECK(status == 202);
    auto messages = consume_at_least(kafka.bootstrap(), "fsm.work-orders", 2, 60000);
    std::set<std::string> keys;
    for (const auto& m : messages) keys.insert(m.key);
    CHECK(keys == std::set<std::string>{"WO-delivery-FIRST", "WO-delivery-SECOND"});
}
