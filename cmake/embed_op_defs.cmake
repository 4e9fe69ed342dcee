# cmake -DPROTOC=protoc -DPROTO_DIR=dir -DINPUT=ops.pbtxt -DBINARY=ops.binpb
#       -DOUTPUT=file.cc -DSYMBOL=name -P embed_op_defs.cmake
# Encodes a text-format tensorflow.OpList to binary with protoc, then embeds it.
execute_process(
  COMMAND ${PROTOC} --encode=tensorflow.OpList -I ${PROTO_DIR} tensorflow/core/framework/op_def.proto
  INPUT_FILE ${INPUT} OUTPUT_FILE ${BINARY} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "protoc --encode of ${INPUT} failed: ${err}")
endif()
set(INPUT ${BINARY})
include(${CMAKE_CURRENT_LIST_DIR}/embed_binary.cmake)
