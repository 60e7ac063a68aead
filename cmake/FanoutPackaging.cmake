# Debian packages from the build tree: `cpack -G DEB` (docs/packaging.md).
#   fanout        the runtime component, plus /etc/fanout (conffiles), the
#                 units in /lib/systemd/system, examples and docs
#   fanout-dev    the dev component (the plugin SDK), Depends: fanout (= version)
#   fanout-dbgsym the runtime's debug symbols, split out of the stripped binaries
#                 (packaging/strip_and_split_debug.cmake)
# The prefix component (example configuration and units naming the configured
# prefix) is not packaged. Whatever CMAKE_INSTALL_PREFIX the tree was
# configured with, the packages install under /usr: their units and default
# configuration are configured here for that layout.
set(FANOUT_DEB_RELEASE 1)
set(FANOUT_DEB_VERSION ${PROJECT_VERSION}-${FANOUT_DEB_RELEASE})
set(FANOUT_DEB_DIR ${CMAKE_BINARY_DIR}/packaging/deb)
set(FANOUT_DEB_SOURCE ${PROJECT_SOURCE_DIR}/packaging)
set(FANOUT_DEB_CONFFILES fanoutd.yaml post-command.yaml post-query.yaml)
set(FANOUT_DEB_COMPONENTS runtime dev dbgsym)
set(FANOUT_DEB_PACKAGES fanout fanout-dev fanout-dbgsym)

# Installed only when CPack (or `cmake --install --component runtime`) asks
# for the component by name, never by a plain `cmake --install`.
function(fanout_deb_install component)
  install(${ARGN} COMPONENT ${component} EXCLUDE_FROM_ALL)
endfunction()

fanout_configure_units(${FANOUT_DEB_DIR}/systemd /usr/bin /etc)
foreach(unit fanoutd post-command post-query)
  fanout_deb_install(runtime FILES ${FANOUT_DEB_DIR}/systemd/${unit}.service DESTINATION /lib/systemd/system)
endforeach()
set(conffiles)
foreach(conf IN LISTS FANOUT_DEB_CONFFILES)
  fanout_deb_install(runtime FILES ${FANOUT_DEB_SOURCE}/etc/${conf} DESTINATION /etc/fanout)
  string(APPEND conffiles "/etc/fanout/${conf}\n")
endforeach()
file(WRITE ${FANOUT_DEB_DIR}/control/conffiles "${conffiles}")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/config/ DESTINATION share/fanout/examples
  COMPONENT runtime EXCLUDE_FROM_ALL FILES_MATCHING PATTERN "*.yaml" PATTERN "*.lua")
fanout_deb_install(runtime FILES ${PROJECT_SOURCE_DIR}/docs/operations.md ${PROJECT_SOURCE_DIR}/docs/plugins.md
  ${PROJECT_SOURCE_DIR}/docs/lua.md ${PROJECT_SOURCE_DIR}/docs/events.md DESTINATION share/doc/fanout)
fanout_deb_install(runtime FILES ${PROJECT_SOURCE_DIR}/docs/packaging.md DESTINATION share/doc/fanout
  RENAME README.Debian)

# Each package's copyright and changelog.
fanout_gzip(${FANOUT_DEB_SOURCE}/changelog ${FANOUT_DEB_DIR}/changelog.Debian.gz)
foreach(component package IN ZIP_LISTS FANOUT_DEB_COMPONENTS FANOUT_DEB_PACKAGES)
  fanout_deb_install(${component} FILES ${FANOUT_DEB_SOURCE}/copyright ${FANOUT_DEB_DIR}/changelog.Debian.gz
    DESTINATION share/doc/${package})
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME fanout)
set(CPACK_PACKAGE_VENDOR "Fanout")
set(CPACK_PACKAGE_CONTACT "Fanout maintainers <maintainers@fanout.invalid>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL ${FANOUT_DEB_COMPONENTS})
set(CPACK_PRE_BUILD_SCRIPTS ${FANOUT_DEB_SOURCE}/strip_and_split_debug.cmake)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${FANOUT_DEB_RELEASE})
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME fanout)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION net)
# With what dpkg-shlibdeps finds; adduser and deb-systemd-helper for the
# maintainer scripts.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "adduser, init-system-helpers (>= 1.54~)")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA
  ${FANOUT_DEB_SOURCE}/debian/postinst ${FANOUT_DEB_SOURCE}/debian/prerm ${FANOUT_DEB_SOURCE}/debian/postrm
  ${FANOUT_DEB_DIR}/control/conffiles)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION "Kafka consumer daemon running plugins side by side
fanoutd runs many independent consumers, plugins, over the same Kafka
stream of post events, each in its own consumer group with its own thread
and metrics: a slow or failing plugin never stalls the others. Offsets are
stored only after a plugin finished an event (at least once); plugins with a
transactional store get exactly-once effects through their own checkpoints;
events that keep failing go to a dead-letter topic.

This package holds fanoutd, the Command API (post-command) and the Query API
(post-query) services, the shipped plugins (SQL read model, webhook
notifier, analytics, SQL projections from configuration, audit log), Lua
scripts, systemd units, and a default configuration in /etc/fanout. The
services are installed disabled: set the Kafka brokers first.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME fanout-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "fanout (= ${FANOUT_DEB_VERSION}), libsoci-dev, libpq-dev, libsqlite3-dev")
set(CPACK_DEBIAN_DEV_PACKAGE_RECOMMENDS "cmake (>= 3.25), g++ (>= 4:12)")
set(CPACK_DEBIAN_DEV_DESCRIPTION "plugin SDK for the Fanout consumer daemon
Headers, static libraries and the CMake package to build fanoutd plugins
out of tree: find_package(Fanout) gives the header-only plugin API
(Fanout::plugin_api), fanout_add_plugin() and the SQL projection library
(Fanout::sql_projection: SQLite and PostgreSQL connections, checkpoint
tables, migrations) for exactly-once projections. fanout/testing.hpp drives
a plugin in unit tests without Kafka.")

set(CPACK_DEBIAN_DBGSYM_PACKAGE_NAME fanout-dbgsym)
set(CPACK_DEBIAN_DBGSYM_PACKAGE_SECTION debug)
set(CPACK_DEBIAN_DBGSYM_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_DBGSYM_PACKAGE_DEPENDS "fanout (= ${FANOUT_DEB_VERSION})")
set(CPACK_DEBIAN_DBGSYM_DESCRIPTION "debug symbols for fanout
The debug information of fanoutd, post-command, post-query and the shipped
plugins, by build id under /usr/lib/debug/.build-id/, where gdb finds it.")

include(CPack)
