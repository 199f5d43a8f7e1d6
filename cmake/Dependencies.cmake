# Locates every dependency once, as imported targets the subdirectories link against.
# All of them come from Debian 12 packages installed by `make deps`.

# FAISS's CMake config expects OpenMP to be found first (DEPENDENCIES.md §1).
find_package(OpenMP REQUIRED)
find_package(faiss REQUIRED)
find_package(Catch2 2 REQUIRED)
find_package(benchmark QUIET)
find_package(OpenSSL REQUIRED)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
pkg_check_modules(UV REQUIRED IMPORTED_TARGET libuv)
pkg_check_modules(RAFT IMPORTED_TARGET raft)

# libpg_query ships no .pc or CMake file. Its protobuf runtime is inside the library,
# so -lprotobuf-c must NOT be linked (DEPENDENCIES.md §3).
find_library(PG_QUERY_LIB NAMES libpg_query.a pg_query REQUIRED)
find_path(PG_QUERY_INCLUDE pg_query.h REQUIRED)
add_library(jade::pg_query INTERFACE IMPORTED)
target_link_libraries(jade::pg_query INTERFACE ${PG_QUERY_LIB} Threads::Threads)
target_include_directories(jade::pg_query INTERFACE ${PG_QUERY_INCLUDE})

# PostgreSQL 15 server headers and install locations, from the system pg_config.
set(PG_CONFIG /usr/lib/postgresql/15/bin/pg_config CACHE FILEPATH "pg_config of the target PostgreSQL")
foreach(what includedir-server pkglibdir sharedir bindir)
  string(REPLACE "-" "_" var "PG_${what}")
  string(TOUPPER "${var}" var)
  execute_process(COMMAND ${PG_CONFIG} --${what} OUTPUT_VARIABLE ${var} OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${PG_CONFIG} --${what} failed: install postgresql-server-dev-15 (make deps)")
  endif()
endforeach()

# FAISS: prefer the AVX2 build of Debian's own 1.7.3 source (scripts/build_faiss_avx2.sh),
# cached outside the clone; fall back to Debian's generic libfaiss.a.
set(JADE_FAISS_CACHE /var/cache/jadevector/faiss-1.7.3-avx2 CACHE PATH "where the AVX2 FAISS archive is cached")
add_library(jade::faiss INTERFACE IMPORTED)
if(JADE_USE_AVX2_FAISS AND EXISTS ${JADE_FAISS_CACHE}/libfaiss_avx2.a)
  message(STATUS "FAISS: AVX2 build ${JADE_FAISS_CACHE}/libfaiss_avx2.a")
  get_target_property(faiss_inc faiss INTERFACE_INCLUDE_DIRECTORIES)
  target_include_directories(jade::faiss INTERFACE ${faiss_inc})
  target_link_libraries(jade::faiss INTERFACE ${JADE_FAISS_CACHE}/libfaiss_avx2.a OpenMP::OpenMP_CXX
                        blas lapack)
  target_compile_definitions(jade::faiss INTERFACE JADE_FAISS_AVX2=1)
  set(JADE_FAISS_FLAVOR "faiss-1.7.3-avx2")
else()
  message(STATUS "FAISS: Debian generic build (libfaiss.a)")
  target_link_libraries(jade::faiss INTERFACE faiss)
  set(JADE_FAISS_FLAVOR "faiss-1.7.3-generic")
endif()

set(JADE_WARNINGS -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers)
if(JADE_SANITIZE)
  set(JADE_SANITIZE_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer)
endif()
