# The installed face of the library: public headers (include/savedmodel/, the
# pimpl facade of src/savedmodel/api/), the generated version header, and the
# two libraries built from the runtime's objects.
#
# The shared library holds every object of the runtime (kernels included, so
# their static registration needs nothing from users) and exports only
# savedmodel::api (cmake/savedmodel.map). Its SONAME carries major.minor while
# the major version is 0: see "ABI policy" in CHANGELOG.md.

configure_file(${PROJECT_SOURCE_DIR}/cmake/version.h.in
               ${PROJECT_BINARY_DIR}/include/savedmodel/version.h @ONLY)
# Public headers are usable in-tree too (the facade compiles inside the runtime
# library; the CLI prints SAVEDMODEL_VERSION).
target_include_directories(savedmodel PUBLIC
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>)

set(SAVEDMODEL_DIST_DIR ${PROJECT_BINARY_DIR}/dist)  # apart from the runtime's own libsavedmodel.a
set(SAVEDMODEL_API_INCLUDES
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
set(SAVEDMODEL_MAP ${PROJECT_SOURCE_DIR}/cmake/savedmodel.map)

add_library(savedmodel_shared SHARED $<TARGET_OBJECTS:savedmodel> $<TARGET_OBJECTS:savedmodel_proto>)
target_include_directories(savedmodel_shared INTERFACE ${SAVEDMODEL_API_INCLUDES})
target_compile_features(savedmodel_shared INTERFACE cxx_std_17)
target_link_libraries(savedmodel_shared PRIVATE protobuf::libprotobuf Snappy::snappy ZLIB::ZLIB
                      ${FARMHASH_LIB} PkgConfig::RE2 ${DNNL_LIB} ${OPENMP_RUNTIME_LIB} Threads::Threads)
target_link_options(savedmodel_shared PRIVATE "LINKER:--version-script=${SAVEDMODEL_MAP}" "LINKER:--as-needed")
if(NOT SAVEDMODEL_SANITIZE AND NOT SAVEDMODEL_TSAN)  # clang leaves sanitizer runtimes to executables
  target_link_options(savedmodel_shared PRIVATE "LINKER:--no-undefined")
endif()
set_target_properties(savedmodel_shared PROPERTIES
  OUTPUT_NAME savedmodel EXPORT_NAME savedmodel
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}
  LIBRARY_OUTPUT_DIRECTORY ${SAVEDMODEL_DIST_DIR}
  LINK_DEPENDS ${SAVEDMODEL_MAP})
add_library(savedmodel::savedmodel ALIAS savedmodel_shared)

# One archive with the runtime and its protobuf messages, for static linking
# (savedmodel::static in the installed package links it whole).
add_library(savedmodel_static STATIC $<TARGET_OBJECTS:savedmodel> $<TARGET_OBJECTS:savedmodel_proto>)
target_include_directories(savedmodel_static INTERFACE ${SAVEDMODEL_API_INCLUDES})
target_compile_features(savedmodel_static INTERFACE cxx_std_17)
foreach(lib protobuf snappy z farmhash re2 dnnl gomp -pthread)  # by name: the installed package finds no targets
  target_link_libraries(savedmodel_static INTERFACE $<INSTALL_INTERFACE:${lib}>)
endforeach()
set_target_properties(savedmodel_static PROPERTIES
  OUTPUT_NAME savedmodel EXPORT_NAME savedmodel_static
  ARCHIVE_OUTPUT_DIRECTORY ${SAVEDMODEL_DIST_DIR})
