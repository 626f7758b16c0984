# Every third-party dependency, found once, from Debian packages.
# tools/install-deps.sh installs exactly these.

find_package(Threads REQUIRED)
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_package(RocksDB CONFIG REQUIRED)
find_package(prometheus-cpp CONFIG REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(GTest CONFIG REQUIRED)
find_package(benchmark CONFIG QUIET)
find_package(CLI11 CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
find_package(yaml-cpp CONFIG REQUIRED)
# libs/rpc checks a TLS key against its certificate before gRPC takes them.
find_package(OpenSSL REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
pkg_check_modules(UUID REQUIRED IMPORTED_TARGET uuid)
# The services' allocator (see changeledger_executable's SERVICE_ALLOCATOR).
pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)

find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
set(GRPC_PROTO_DIR /usr/share/grpc-proto CACHE PATH "grpc-proto's .proto files")
