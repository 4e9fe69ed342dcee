#!/bin/sh
# The container's entry point, as tensorflow/serving's tf_serving_entrypoint.sh:
# one model from MODEL_NAME under MODEL_BASE_PATH, flags given to `docker run`
# appended (a later --model_config_file replaces the single model). exec, so
# the server is PID 1's process and receives SIGTERM itself.
set -e
exec /usr/local/bin/savedmodel serve --port=8500 --rest_api_port=8501 \
  --model_name="${MODEL_NAME}" --model_base_path="${MODEL_BASE_PATH}/${MODEL_NAME}" "$@"
