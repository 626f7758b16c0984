# changeledger_proto_library(NAME PROTOS a.proto ... [GRPC] [DEPS ...])
# Generates C++ (and, with GRPC, service stubs) for .proto files under
# ${PROJECT_SOURCE_DIR}/proto into the build tree, as library
# changeledger::<NAME>. Imports resolve against proto/ and grpc-proto.

function(changeledger_proto_library name)
  cmake_parse_arguments(ARG "GRPC" "" "PROTOS;DEPS" ${ARGN})
  set(proto_root ${PROJECT_SOURCE_DIR}/proto)
  set(out_dir ${PROJECT_BINARY_DIR}/gen)
  file(MAKE_DIRECTORY ${out_dir})
  set(sources)
  foreach(proto IN LISTS ARG_PROTOS)
    get_filename_component(abs ${proto} ABSOLUTE)
    file(RELATIVE_PATH rel ${proto_root} ${abs})
    string(REGEX REPLACE "\\.proto$" "" base ${rel})
    set(outs ${out_dir}/${base}.pb.cc ${out_dir}/${base}.pb.h)
    set(plugin_args)
    if(ARG_GRPC)
      list(APPEND outs ${out_dir}/${base}.grpc.pb.cc ${out_dir}/${base}.grpc.pb.h)
      set(plugin_args --grpc_out=${out_dir} --plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN})
    endif()
    add_custom_command(
      OUTPUT ${outs}
      COMMAND protobuf::protoc
      ARGS --cpp_out=${out_dir} ${plugin_args}
           -I ${proto_root} -I ${GRPC_PROTO_DIR} -I ${Protobuf_INCLUDE_DIRS}
           ${abs}
      DEPENDS ${abs} protobuf::protoc
      COMMENT "protoc ${rel}"
      VERBATIM)
    list(APPEND sources ${out_dir}/${base}.pb.cc)
    if(ARG_GRPC)
      list(APPEND sources ${out_dir}/${base}.grpc.pb.cc)
    endif()
  endforeach()
  set(target changeledger_${name})
  add_library(${target} STATIC ${sources})
  add_library(changeledger::${name} ALIAS ${target})
  target_include_directories(${target} SYSTEM PUBLIC ${out_dir})
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf ${ARG_DEPS})
  if(ARG_GRPC)
    target_link_libraries(${target} PUBLIC gRPC::grpc++)
  endif()
endfunction()
