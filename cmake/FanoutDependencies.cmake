# Every third-party dependency comes from Debian packages (tools/install-deps.sh).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS filesystem)
find_package(yaml-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(RapidJSON QUIET)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
pkg_check_modules(LUA REQUIRED IMPORTED_TARGET lua5.4)
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)

find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
find_path(RAPIDJSON_INCLUDE_DIR rapidjson/document.h REQUIRED)

# rapidjson is header-only; one interface target for it.
add_library(fanout_rapidjson INTERFACE)
target_include_directories(fanout_rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIR})
target_compile_definitions(fanout_rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1)

# SOCI (Debian ships no CMake package): core + the two backends we support.
find_library(SOCI_CORE_LIBRARY soci_core REQUIRED)
find_library(SOCI_SQLITE3_LIBRARY soci_sqlite3 REQUIRED)
find_library(SOCI_POSTGRESQL_LIBRARY soci_postgresql REQUIRED)
find_package(PostgreSQL REQUIRED)
find_package(SQLite3 REQUIRED)
# Exported with the plugin SDK as Fanout::soci (fanout_sql_projection's
# dependency): installed, it names the libraries for the linker to find.
add_library(fanout_soci INTERFACE)
target_link_libraries(fanout_soci INTERFACE
  "$<BUILD_INTERFACE:${SOCI_CORE_LIBRARY};${SOCI_SQLITE3_LIBRARY};${SOCI_POSTGRESQL_LIBRARY}>"
  "$<INSTALL_INTERFACE:soci_core;soci_sqlite3;soci_postgresql>"
  PostgreSQL::PostgreSQL SQLite::SQLite3)
target_include_directories(fanout_soci SYSTEM INTERFACE ${PostgreSQL_INCLUDE_DIRS})
set_target_properties(fanout_soci PROPERTIES EXPORT_NAME soci)

# cpp-httplib for the HTTP services and the admin endpoint.
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
