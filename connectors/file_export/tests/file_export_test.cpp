#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "connectors/file_export/file_export_sink.h"
#include "mapping/mapping.h"
#include "support/source_dir.h"

namespace fs = std::filesystem;
using fb::connectors::FileExportSink;

namespace {

struct TempDir {
    fs::path path;
    explicit TempDir(const std::string& name)
        : path(fs::temp_directory_path() / ("fieldbridge-export-" + std::to_string(::getpid()) + "-" + name)) {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
};

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

fb::config::SinkConfig sink_config(const fs::path& folder, std::string format = "json",
                                   std::string charset = "UTF-8") {
    fb::config::SinkConfig c;
    c.type = "file_export";
    c.folder = folder.string();
    c.format = std::move(format);
    c.charset = std::move(charset);
    return c;
}

fb::core::ErpRequest put(std::string name, std::string body) {
    return {"PUT", std::move(name), {}, std::move(body), "key-1"};
}

}  // namespace

TEST_CASE("file_export: a request becomes one file, named by its url, and nothing else is left behind") {
    TempDir dir("json");
    FileExportSink sink(sink_config(dir.path));
    auto a = sink.send(put("CK-1-completed.json", R"({"DocNo":"CK-1","Result":"delivered"})"),
                       std::chrono::seconds(1));
    CHECK(a.status == 201);
    CHECK(read(dir.path / "CK-1-completed.json") == "{\"DocNo\":\"CK-1\",\"Result\":\"delivered\"}\n");
    int files = 0;
    for ([[maybe_unused]] const auto& f : fs::directory_iterator(dir.path)) ++files;
    CHECK(files == 1);  // the temporary file was renamed, not copied
    CHECK(sink.endpoint(put("x", "")) == "file:" + dir.path.string());
}

TEST_CASE("file_export: CSV rows per line in GBK, as a Chinese ERP imports them") {
    TempDir dir("csv");
    auto config = sink_config(dir.path, "csv", "GBK");
    config.csv_rows = "Lines";
    FileExportSink sink(config);
    auto body = R"({"DocNo":"CK-1","Driver":"刘师傅","Lines":[{"LineNo":1,"DeliveredQty":1},{"LineNo":2,"DeliveredQty":0.5}],"Photos":["a.jpg","b.jpg"]})";
    REQUIRE(sink.send(put("CK-1.csv", body), std::chrono::seconds(1)).status == 201);
    auto expected = fb::connectors::encode_charset(
        "DocNo,Driver,Photos,LineNo,DeliveredQty\r\nCK-1,刘师傅,a.jpg|b.jpg,1,1\r\nCK-1,刘师傅,a.jpg|b.jpg,2,5E-1\r\n", "GBK");
    auto got = read(dir.path / "CK-1.csv");
    // Boost.JSON writes 0.5 as 5E-1; the rows and the encoding are what matter here.
    CHECK(got.substr(0, got.find("\r\n")) == expected.substr(0, expected.find("\r\n")));
    CHECK(got.find(fb::connectors::encode_charset("刘师傅", "GBK")) != std::string::npos);
    CHECK(got.find("刘师傅") == std::string::npos);  // not UTF-8 any more
}

TEST_CASE("file_export: values with commas and quotes are quoted") {
    CHECK(fb::connectors::body_to_csv(R"({"a":"x,y","b":"say \"hi\""})", "") ==
          "a,b\r\n\"x,y\",\"say \"\"hi\"\"\"\r\n");
}

TEST_CASE("file_export: what can never be written is refused with the reason, and a missing folder is retried") {
    TempDir dir("refuse");
    FileExportSink ascii(sink_config(dir.path, "json", "ASCII"));
    auto a = ascii.send(put("CK-1.json", R"({"Driver":"刘师傅"})"), std::chrono::seconds(1));
    CHECK(a.status == 422);
    CHECK_THAT(a.body, Catch::Contains("cannot be written in ASCII"));
    FileExportSink sink(sink_config(dir.path));
    for (auto bad : {"../etc/passwd", ".hidden", "a/b.json", ""}) {
        auto r = sink.send(put(bad, "{}"), std::chrono::seconds(1));
        CHECK(r.status == 400);
    }
    FileExportSink gone(sink_config(dir.path / "missing"));  // made at start …
    fs::remove(dir.path / "missing");                        // … and gone later
    auto g = gone.send(put("CK-1.json", "{}"), std::chrono::seconds(1));
    CHECK(g.transport == fb::core::ErpAnswer::Transport::connection_error);
    CHECK_THAT(g.error, Catch::Contains("missing"));
}

TEST_CASE("file_export: the Yonyou U8 sign-off mapping becomes the GBK CSV U8 imports, one row per line") {
    TempDir dir("u8");
    auto mapping = fb::mapping::Mapping::load(FB_SOURCE_DIR + "/mappings/yonyou-u8/dispatchlist-signoff.yaml");
    auto context = boost::json::parse(read(FB_SOURCE_DIR + "/mappings/yonyou-u8/tests/dispatchlist-signoff/"
                                                         "FH2026112000118-short.input.json")).as_object();
    auto request = mapping->map_request(context);
    REQUIRE(request.kind == fb::mapping::MapResult::Kind::mapped);
    auto config = sink_config(dir.path, "csv", "GBK");
    config.csv_rows = "明细";
    FileExportSink sink(config);
    REQUIRE(sink.send(put(request.url, boost::json::serialize(request.body)), std::chrono::seconds(1)).status == 201);
    auto text = fb::connectors::decode_charset(read(dir.path / request.url), "GBK");
    CHECK(text ==
          "发货单号,签收状态,签收时间,签收人,司机,行号,实发数量\r\n"
          "FH2026112000118,已签收,2026-11-21 10:12:00,赵工,赵师傅,1,1\r\n"
          "FH2026112000118,已签收,2026-11-21 10:12:00,赵工,赵师傅,2,1\r\n");
    // And read back, as `verify:` does.
    fb::core::ErpRequest get{"GET", request.url, {}, "", "k"};
    auto back = sink.send(get, std::chrono::seconds(1));
    CHECK(back.status == 200);
    CHECK(back.body == text);
    CHECK(sink.send({"GET", "nothing.csv", {}, "", "k"}, std::chrono::seconds(1)).status == 404);
}
