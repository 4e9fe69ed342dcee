# Install rules and the CMake/pkg-config packages.
#
# Conventions for every installed part of the project (the C API library
# follows them too):
#   - directories from GNUInstallDirs (CMAKE_INSTALL_BINDIR, _LIBDIR, _INCLUDEDIR);
#   - component "runtime": what a program needs to run (CLI, shared libraries);
#     component "dev": headers, static archives, the .so link, CMake and
#     pkg-config files. They become the .deb packages savedmodel and
#     savedmodel-dev (cmake/debian_package.cmake);
#   - CMake targets go into the export set savedmodelTargets, namespace
#     savedmodel::, installed with the package config in
#     ${CMAKE_INSTALL_LIBDIR}/cmake/savedmodel.
include(CMakePackageConfigHelpers)

# Installing (and cpack, which installs first) never builds: scripts/setup has
# built everything, and scripts/test-packaging builds what it installs.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

set(SAVEDMODEL_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/savedmodel)

install(TARGETS savedmodel_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(TARGETS savedmodel_shared savedmodel_static EXPORT savedmodelTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/savedmodel ${PROJECT_BINARY_DIR}/include/savedmodel
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev FILES_MATCHING PATTERN "*.h")

install(EXPORT savedmodelTargets NAMESPACE savedmodel:: DESTINATION ${SAVEDMODEL_CMAKE_DIR}
        COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/savedmodelConfig.cmake.in
  ${PROJECT_BINARY_DIR}/savedmodelConfig.cmake INSTALL_DESTINATION ${SAVEDMODEL_CMAKE_DIR})
# 0.x minor releases may break the API (CHANGELOG.md), so 0.1 accepts only 0.1.*.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/savedmodelConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/savedmodelConfig.cmake ${PROJECT_BINARY_DIR}/savedmodelConfigVersion.cmake
        DESTINATION ${SAVEDMODEL_CMAKE_DIR} COMPONENT dev)

# pkg-config: relative to the .pc file, so the tree can be installed anywhere.
file(RELATIVE_PATH SAVEDMODEL_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" SAVEDMODEL_PC_TO_PREFIX "${SAVEDMODEL_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/savedmodel.pc.in ${PROJECT_BINARY_DIR}/savedmodel.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/savedmodel.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
        COMPONENT dev)
