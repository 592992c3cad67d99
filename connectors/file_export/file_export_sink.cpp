#include "connectors/file_export/file_export_sink.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fcntl.h>
#include <iconv.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace fb::connectors {
namespace json = boost::json;

namespace {

core::ErpAnswer refused(int status, std::string reason) {
    core::ErpAnswer a;
    a.status = status;
    a.body = json::serialize(json::object{{"error", reason}});
    return a;
}

core::ErpAnswer io_error(const std::string& what, const std::string& path) {
    core::ErpAnswer a;
    a.transport = core::ErpAnswer::Transport::connection_error;
    a.error = what + " " + path + ": " + std::strerror(errno);
    return a;
}

std::string name_problem(const std::string& name) {
    if (name.empty()) return "the request's url (the file name) is empty";
    if (name.size() > 200) return "the file name is longer than 200 bytes";
    if (name.front() == '.') return "the file name `" + name + "` starts with a dot";
    for (char c : name)
        if (c == '/' || c == '\\' || c == '\0' || static_cast<unsigned char>(c) < 0x20)
            return "the file name `" + name + "` holds a path separator or a control character";
    return "";
}

std::string cell(const json::value& v) {
    if (v.is_string()) return std::string(v.get_string());
    if (v.is_null()) return "";
    if (v.is_array()) {
        std::string out;
        for (const auto& e : v.get_array()) {
            if (!e.is_primitive()) return json::serialize(v);
            out += (out.empty() ? "" : "|") + cell(e);
        }
        return out;
    }
    return json::serialize(v);
}

void flatten(const json::object& o, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& row, const std::string& skip) {
    for (const auto& kv : o) {
        std::string key = prefix + std::string(kv.key());
        if (prefix.empty() && key == skip) continue;
        if (kv.value().is_object()) flatten(kv.value().get_object(), key + ".", row, skip);
        else row.emplace_back(key, cell(kv.value()));
    }
}

std::string quote(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

bool write_all(int fd, const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

std::string body_to_csv(const std::string& json_body, const std::string& rows_field) {
    boost::system::error_code ec;
    auto v = json::parse(json_body, ec);
    if (ec || !v.is_object()) throw std::invalid_argument("a CSV export needs a JSON object body");
    const auto& body = v.get_object();
    std::vector<std::pair<std::string, std::string>> common;
    flatten(body, "", common, rows_field);
    std::vector<std::vector<std::pair<std::string, std::string>>> rows;
    auto it = rows_field.empty() ? body.end() : body.find(rows_field);
    if (it != body.end() && it->value().is_array()) {
        for (const auto& e : it->value().get_array()) {
            auto row = common;
            if (e.is_object()) flatten(e.get_object(), "", row, "");
            else row.emplace_back(rows_field, cell(e));
            rows.push_back(std::move(row));
        }
    } else {
        rows.push_back(std::move(common));
    }
    std::vector<std::string> columns;
    for (const auto& r : rows)
        for (const auto& [k, _] : r)
            if (std::find(columns.begin(), columns.end(), k) == columns.end()) columns.push_back(k);
    std::string out;
    for (std::size_t i = 0; i < columns.size(); ++i) out += (i ? "," : "") + quote(columns[i]);
    out += "\r\n";
    for (const auto& r : rows) {
        for (std::size_t i = 0; i < columns.size(); ++i) {
            std::string value;
            for (const auto& [k, v] : r)
                if (k == columns[i]) value = v;
            out += (i ? "," : "") + quote(value);
        }
        out += "\r\n";
    }
    return out;
}

std::string encode_charset(const std::string& utf8, const std::string& charset) {
    if (charset == "UTF-8" || charset == "utf-8" || charset == "UTF8") return utf8;
    iconv_t cd = iconv_open(charset.c_str(), "UTF-8");
    if (cd == reinterpret_cast<iconv_t>(-1))
        throw std::invalid_argument("charset `" + charset + "` is not known to iconv");
    std::string out(utf8.size() * 4 + 16, '\0');
    char* in = const_cast<char*>(utf8.data());  // iconv's signature; it does not write to it
    std::size_t in_left = utf8.size(), out_left = out.size();
    char* to = out.data();
    std::size_t rc = iconv(cd, &in, &in_left, &to, &out_left);
    iconv_close(cd);
    if (rc == static_cast<std::size_t>(-1)) {
        auto offset = static_cast<std::size_t>(in - utf8.data());
        throw std::invalid_argument("the text at byte " + std::to_string(offset) + " (`" +
                                    utf8.substr(offset, 4) + "`…) cannot be written in " + charset);
    }
    out.resize(out.size() - out_left);
    return out;
}

std::string decode_charset(const std::string& bytes, const std::string& charset) {
    if (charset == "UTF-8" || charset == "utf-8" || charset == "UTF8") return bytes;
    iconv_t cd = iconv_open("UTF-8", charset.c_str());
    if (cd == reinterpret_cast<iconv_t>(-1))
        throw std::invalid_argument("charset `" + charset + "` is not known to iconv");
    std::string out(bytes.size() * 4 + 16, '\0');
    char* in = const_cast<char*>(bytes.data());
    std::size_t in_left = bytes.size(), out_left = out.size();
    char* to = out.data();
    std::size_t rc = iconv(cd, &in, &in_left, &to, &out_left);
    iconv_close(cd);
    if (rc == static_cast<std::size_t>(-1))
        throw std::invalid_argument("the file is not valid " + charset);
    out.resize(out.size() - out_left);
    return out;
}

FileExportSink::FileExportSink(const config::SinkConfig& config)
    : folder_(config.folder),
      format_(config.format),
      charset_(config.charset),
      csv_rows_(config.csv_rows) {
    // Made once at start for convenience; if it disappears later, sends fail and are retried.
    std::error_code ec;
    std::filesystem::create_directories(folder_, ec);
}

// A GET reads the file back (for `verify:`): 200 with its bytes as UTF-8, or 404.
core::ErpAnswer FileExportSink::read_back(const std::string& name) const {
    std::ifstream in(folder_ + "/" + name, std::ios::binary);
    if (!in) return refused(404, "no file " + name + " in the export folder");
    std::string bytes;
    bytes.resize(16u << 20);  // an import file larger than this is not ours to check
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    bytes.resize(static_cast<std::size_t>(in.gcount()));
    core::ErpAnswer a;
    a.status = 200;
    try {
        a.body = decode_charset(bytes, charset_);
    } catch (const std::invalid_argument& e) {
        return refused(422, e.what());
    }
    return a;
}

core::ErpAnswer FileExportSink::send(const core::ErpRequest& request, std::chrono::milliseconds) {
    if (auto problem = name_problem(request.url); !problem.empty()) return refused(400, problem);
    if (request.method == "GET") return read_back(request.url);
    std::string bytes;
    try {
        bytes = format_ == "csv" ? body_to_csv(request.body, csv_rows_) : request.body + "\n";
        bytes = encode_charset(bytes, charset_);
    } catch (const std::invalid_argument& e) {
        return refused(422, e.what());
    }
    auto path = folder_ + "/" + request.url;
    auto temp = folder_ + "/." + request.url + ".tmp";
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return io_error("cannot create", temp);
    bool ok = write_all(fd, bytes) && ::fsync(fd) == 0;
    int saved = errno;
    ::close(fd);
    if (!ok) {
        errno = saved;
        auto a = io_error("cannot write", temp);
        ::unlink(temp.c_str());
        return a;
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) return io_error("cannot rename into", path);
    // The rename itself is durable only once the folder is synced.
    if (int dir = ::open(folder_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
    core::ErpAnswer a;
    a.status = 201;
    a.body = json::serialize(json::object{{"file", path}, {"bytes", bytes.size()}});
    return a;
}

}  // namespace fb::connectors
