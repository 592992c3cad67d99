# Writes the operator's page (daemon/operator/page/*.html|js|css) into one C++ file, so the binary
# serves it without files beside it.
file(GLOB page_files "${PAGE_DIR}/*.html" "${PAGE_DIR}/*.js" "${PAGE_DIR}/*.css")
set(body "#include <string_view>\n#include \"operator/admin_api.h\"\nnamespace fb::operator_page {\nstd::string_view page_file(std::string_view name) {\n")
foreach(f IN LISTS page_files)
  get_filename_component(n "${f}" NAME)
  file(READ "${f}" text)
  string(APPEND body "    if (name == \"${n}\") return R\"~~~(${text})~~~\";\n")
endforeach()
string(APPEND body "    return {};\n}\n}  // namespace fb::operator_page\n")
file(WRITE "${OUT}.tmp" "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
