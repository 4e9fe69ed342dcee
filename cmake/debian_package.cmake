# Debian packages through CPack (cpack -G DEB in the build directory):
#   savedmodel      the CLI and the shared library (component runtime); its
#                   Depends are computed by dpkg-shlibdeps from what the
#                   binaries link, so new runtime libraries need no edit here;
#   savedmodel-dev  headers, static archive, CMake and pkg-config files
#                   (component dev), depending on the exact savedmodel version.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME savedmodel)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR savedmodel)
set(CPACK_PACKAGE_CONTACT "savedmodel maintainers <savedmodel@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Load, run, train and serve TensorFlow SavedModels without TensorFlow")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME savedmodel)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
# A shlibs file (and the ldconfig trigger) so packages built against the
# library depend on this SONAME.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
# "=": the package is not named after the SONAME, so a later savedmodel
# package need not hold libsavedmodel.so.0.1; dependants pin the version.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY "=")
# Debian runs ldconfig through a trigger (CPack's own postinst calls it directly).
file(WRITE ${PROJECT_BINARY_DIR}/debian/runtime/triggers "activate-noawait ldconfig\n")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA ${PROJECT_BINARY_DIR}/debian/runtime/triggers)
# The summary line comes from CPACK_PACKAGE_DESCRIPTION_SUMMARY.
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION
  "The savedmodel command (saved_model_cli's show, run, scan and freeze_model,
training and the model server) and the shared library libsavedmodel.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME savedmodel-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# Only static linking needs these; the shared library's users need none.
set(CPACK_DEBIAN_DEV_PACKAGE_SUGGESTS
    "libprotobuf-dev, libsnappy-dev, zlib1g-dev, libfarmhash-dev, libre2-dev, libdnnl-dev")
set(CPACK_DEBIAN_DEV_DESCRIPTION
  "Headers, static library, CMake and pkg-config files: build programs
against libsavedmodel with find_package(savedmodel) or pkg-config savedmodel.")

include(CPack)
cpack_add_component(runtime DISPLAY_NAME "CLI and shared library")
cpack_add_component(dev DISPLAY_NAME "Development files" DEPENDS runtime)
