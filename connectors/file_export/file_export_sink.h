// The file-export sink, for ERPs that import files: each writeback request becomes one file (its
// `url` is the file name) in the export folder, as JSON or CSV in the charset the ERP imports,
// written atomically (a temporary file, fsync, rename), so the ERP never reads half a file.
// A GET request reads a file back (the read-back of `writeback.verify`).
#pragma once

#include <string>

#include "config/config.h"
#include "core/sink.h"

namespace fb::connectors {

class FileExportSink : public core::ErpSink {
public:
    explicit FileExportSink(const config::SinkConfig& config);  // creates the folder if missing
    std::string endpoint(const core::ErpRequest&) const override { return "file:" + folder_; }
    // 201 when the file is in place; 400/422 for a request that can never be written (a bad
    // name, a body the format cannot hold, a character the charset lacks); a connection error
    // when the folder is missing or the disk refuses (retried: the operator can fix it).
    core::ErpAnswer send(const core::ErpRequest& request, std::chrono::milliseconds timeout) override;

private:
    core::ErpAnswer read_back(const std::string& name) const;
    std::string folder_, format_, charset_, csv_rows_;
};

// The CSV text of a request body (exposed for tests): one row per element of `rows_field` when
// the body has that array (each with the body's other top-level fields), else one row. Nested
// objects become `a.b` columns; lists of values are joined with `|`. Throws std::invalid_argument.
std::string body_to_csv(const std::string& json_body, const std::string& rows_field);

// `charset` → UTF-8, for reading a file back; throws std::invalid_argument.
std::string decode_charset(const std::string& bytes, const std::string& charset);

// UTF-8 → `charset` (glibc iconv). Throws std::invalid_argument naming the first character the
// charset cannot hold.
std::string encode_charset(const std::string& utf8, const std::string& charset);

}  // namespace fb::connectors
