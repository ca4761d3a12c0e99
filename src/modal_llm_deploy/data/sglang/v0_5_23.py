"""SGLang 0.5.23 launch-server and compile_deep_gemm flags, generated from its real parser by
``python -m modal_llm_deploy.engine.gen_flags generate --version 0.5.23``. Do not edit: the test
test_shipped_flag_data_equals_the_real_parser regenerates it and fails on any difference.
A Python module holding JSON text (see modal_llm_deploy/sglang_flags.py for why).
"""

VERSION = "0.5.23"

JSON = r'''{
 "format": 1,
 "generated_by": "python -m modal_llm_deploy.engine.gen_flags generate",
 "options": {
  "abort-on-priority-when-disabled": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "abort_on_priority_when_disabled",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "admin-api-key": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "admin_api_key",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "allow-auto-truncate": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "allow_auto_truncate",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "allowed-media-domains": {
   "action": "_StoreAction",
   "aliases": [],
   "default": [],
   "dest": "allowed_media_domains",
   "nargs": "+",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "api-key": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "api_key",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "asr-max-buffer-seconds": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 60,
   "dest": "asr_max_buffer_seconds",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "asr-max-concurrent-sessions": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 32,
   "dest": "asr_max_concurrent_sessions",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "attention-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "triton",
    "torch_native",
    "flex_attention",
    "dsa",
    "nsa",
    "qsa",
    "dsv4",
    "compressed",
    "fa3",
    "fa4",
    "flashinfer",
    "llada2_cfg_flashinfer",
    "flashmla",
    "trtllm_mla",
    "cutedsl_mla",
    "tokenspeed_mla",
    "trtllm_mha",
    "hpc_ops",
    "minicpm_flashattn",
    "minicpm_flashinfer",
    "aiter",
    "wave",
    "intel_amx",
    "ascend",
    "intel_xpu"
   ],
   "default": null,
   "deprecated_choices": {
    "compressed": "dsv4",
    "nsa": "dsa",
    "tokenspeed_mla": "cutedsl_mla"
   },
   "dest": "attention_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "attn-cp-size": {
   "action": "_StoreAction",
   "aliases": [
    "attention-context-parallel-size"
   ],
   "default": 1,
   "dest": "attn_cp_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "attn-dp-size": {
   "action": "_StoreAction",
   "aliases": [
    "attention-data-parallel-size"
   ],
   "default": 1,
   "dest": "attn_dp_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "base-gpu-id": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 0,
   "dest": "base_gpu_id",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "batch-notify-size": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 16,
   "dest": "batch_notify_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "bf16-gemm-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "cutedsl",
    "gemv",
    "torch"
   ],
   "default": "auto",
   "dest": "bf16_gemm_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "boundary-reduction": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "ar",
    "rs",
    "rsv",
    "rs+rsv"
   ],
   "default": "auto",
   "dest": "boundary_reduction",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "bucket-e2e-request-latency": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "bucket_e2e_request_latency",
   "nargs": "+",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "float"
  },
  "bucket-inter-token-latency": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "bucket_inter_token_latency",
   "nargs": "+",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "float"
  },
  "bucket-time-to-first-token": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "bucket_time_to_first_token",
   "nargs": "+",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "float"
  },
  "c128-page-size": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 16,
   "dest": "c128_page_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "chat-template": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "chat_template",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "checkpoint-engine-wait-weights-before-ready": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "checkpoint_engine_wait_weights_before_ready",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "chunked-prefill-size": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "chunked_prefill_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "completion-template": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "completion_template",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "config": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "config",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "constrained-json-disable-any-whitespace": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "constrained_json_disable_any_whitespace",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "constrained-json-max-whitespace-cnt": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "constrained_json_max_whitespace_cnt",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "constrained-json-whitespace-pattern": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "constrained_json_whitespace_pattern",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "context-length": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "context_length",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "human_readable_int"
  },
  "cp-strategy": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "zigzag",
    "interleave"
   ],
   "default": null,
   "dest": "cp_strategy",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "cpu-offload-gb": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 0,
   "dest": "cpu_offload_gb",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "crash-dump-folder": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "crash_dump_folder",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "cuda-graph-backend-decode": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "full",
    "breakable",
    "disabled"
   ],
   "default": null,
   "dest": "cuda_graph_backend_decode",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "parse_cuda_graph_backend_arg"
  },
  "cuda-graph-backend-prefill": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "full",
    "breakable",
    "disabled"
   ],
   "default": null,
   "dest": "cuda_graph_backend_prefill",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "parse_cuda_graph_backend_arg"
  },
  "cuda-graph-bs-decode": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "cuda_graph_bs_decode",
   "nargs": "+",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "cuda-graph-bs-prefill": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "cuda_graph_bs_prefill",
   "nargs": "+",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "cuda-graph-config": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "cuda_graph_config",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "parse_cuda_graph_config_arg"
  },
  "cuda-graph-max-bs-decode": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "cuda_graph_max_bs_decode",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "cuda-graph-max-bs-prefill": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "cuda_graph_max_bs_prefill",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "cuda-graph-max-seq-len-prefill": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "cuda_graph_max_seq_len_prefill",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "cuda-graph-prefill-max-context": {
   "action": "_StoreAction",
   "aliases": [
    "context-bucket"
   ],
   "default": null,
   "dest": "cuda_graph_prefill_max_context",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "human_readable_int"
  },
  "custom-weight-loader": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "custom_weight_loader",
   "nargs": "*",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "dcp-comm-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "ag_rs",
    "a2a",
    "fi_a2a"
   ],
   "default": null,
   "dest": "dcp_comm_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "dcp-replicate-q-proj": {
   "action": "BooleanOptionalAction",
   "aliases": [],
   "default": null,
   "dest": "dcp_replicate_q_proj",
   "nargs": 0,
   "negation": "no-dcp-replicate-q-proj",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "dcp-size": {
   "action": "_StoreAction",
   "aliases": [
    "decode-context-parallel-size"
   ],
   "default": 1,
   "dest": "dcp_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "debug-cuda-graph": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "debug_cuda_graph",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "debug-tensor-dump-input-file": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "debug_tensor_dump_input_file",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "debug-tensor-dump-layers": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "debug_tensor_dump_layers",
   "nargs": "+",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "debug-tensor-dump-output-folder": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "debug_tensor_dump_output_folder",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "decode-attention-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "triton",
    "torch_native",
    "flex_attention",
    "dsa",
    "nsa",
    "qsa",
    "dsv4",
    "compressed",
    "fa3",
    "fa4",
    "flashinfer",
    "llada2_cfg_flashinfer",
    "flashmla",
    "trtllm_mla",
    "cutedsl_mla",
    "tokenspeed_mla",
    "trtllm_mha",
    "hpc_ops",
    "minicpm_flashattn",
    "minicpm_flashinfer",
    "aiter",
    "wave",
    "intel_amx",
    "ascend",
    "intel_xpu"
   ],
   "default": null,
   "deprecated_choices": {
    "compressed": "dsv4",
    "nsa": "dsa",
    "tokenspeed_mla": "cutedsl_mla"
   },
   "dest": "decode_attention_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "decode-log-interval": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 40,
   "dest": "decode_log_interval",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "decoupled-spec-bind-endpoint": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "decoupled_spec_bind_endpoint",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "decoupled-spec-connect-endpoints": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "decoupled_spec_connect_endpoints",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "json_list_type"
  },
  "decoupled-spec-rank": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "decoupled_spec_rank",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "decoupled-spec-role": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "null",
    "verifier",
    "drafter"
   ],
   "default": "null",
   "dest": "decoupled_spec_role",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "decrypted-config-file": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "decrypted_config_file",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "decrypted-draft-config-file": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "decrypted_draft_config_file",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "deepep-config": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "deepep_config",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "deepep-dispatcher-output-dtype": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "bf16",
    "fp8",
    "int8",
    "nvfp4"
   ],
   "default": "auto",
   "dest": "deepep_dispatcher_output_dtype",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "deepep-mode": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "normal",
    "low_latency"
   ],
   "default": "auto",
   "dest": "deepep_mode",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "deepep-v2-mode": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "direct",
    "hybrid"
   ],
   "default": "direct",
   "dest": "deepep_v2_mode",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "default-chat-template-kwargs": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "default_chat_template_kwargs",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "json"
  },
  "default-priority-value": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "default_priority_value",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "delete-ckpt-after-loading": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "delete_ckpt_after_loading",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "detokenizer-worker-num": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 1,
   "dest": "detokenizer_worker_num",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "device": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "device",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "disable-aiter-allreduce-fusion-in-decode": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "disable_aiter_allreduce_fusion_in_decode",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "disable-aiter-allreduce-fusion-in-prefill": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "disable_aiter_allreduce_fusion_in_prefill",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "disable-attn-tp-gather": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "disable_attn_tp_gather",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "disable-chunked-prefix-cache": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "disable_chunked_prefix_cache",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "disable-cuda-graph": {
   "action": "DeprecatedStoreTrueAction",
   "aliases": [],
   "default": false,
   "deprecated": {
    "marker": "DeprecatedStoreTrueAction",
    "replacement": "--cuda-graph-backend-{decode,prefill}=disabled"
   },
   "dest": "disable_cuda_graph",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "disable-cuda-graph-padding": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "disable_cuda_graph_padding",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "disable-custom-all-reduce": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "disable_custom_all_reduce",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "disable-decode-cuda-graph": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "disable_decode_cuda_graph",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "disable-fast-image-processor": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "deprecated": {
    "marker": "help text",
    "replacement": "--image-processor-backend=pil"
   },
   "dest": "disable_fast_image_processor",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "disable-flashinfer-autotune": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "disable_flashinfer_autotune",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "disable-flashinfer-cutlass-moe-fp4-allgather": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "disable_flashinfer_cutlass_moe_fp4_allgather",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "disable-hybrid-swa-memory": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "disable_hybrid_swa_memory",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "disable-outlines-disk-cache": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "disable_outlines_disk_cache",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "disable-overlap-schedule": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "disable_overlap_schedule",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "disable-prefill-cuda-graph": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "disable_prefill_cuda_graph",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "disable-priority-preemption": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "disable_priority_preemption",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "disable-radix-cache": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "disable_radix_cache",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "disable-shared-experts-fusion": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "disable_shared_experts_fusion",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "disable-tokenizer-batch-decode": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "disable_tokenizer_batch_decode",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "disaggregation-bootstrap-port": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 8998,
   "dest": "disaggregation_bootstrap_port",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "disaggregation-decode-allocation-policy": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "early",
    "prefill_complete"
   ],
   "default": "early",
   "dest": "disaggregation_decode_allocation_policy",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "disaggregation-decode-enable-offload-kvcache": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "disaggregation_decode_enable_offload_kvcache",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "disaggregation-decode-enable-radix-cache": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "disaggregation_decode_enable_radix_cache",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "disaggregation-decode-extra-slots": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "disaggregation_decode_extra_slots",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "disaggregation-decode-host-receive-threshold": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 1.0,
   "dest": "disaggregation_decode_host_receive_threshold",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "float"
  },
  "disaggregation-decode-polling-interval": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 1,
   "dest": "disaggregation_decode_polling_interval",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "disaggregation-decode-retraction-backup": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "cpu_tensor",
    "host_pool",
    "none"
   ],
   "default": null,
   "dest": "disaggregation_decode_retraction_backup",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "disaggregation-enable-kv-checksum": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "disaggregation_enable_kv_checksum",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "disaggregation-ib-device": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "disaggregation_ib_device",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "disaggregation-mode": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "null",
    "prefill",
    "decode"
   ],
   "default": "null",
   "dest": "disaggregation_mode",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "disaggregation-transfer-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "mooncake",
    "nixl",
    "ascend",
    "fake",
    "mori",
    "mooncake_tcp"
   ],
   "default": "mooncake",
   "dest": "disaggregation_transfer_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "dist-init-addr": {
   "action": "_StoreAction",
   "aliases": [
    "nccl-init-addr"
   ],
   "default": null,
   "dest": "dist_init_addr",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "dist-timeout": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "dist_timeout",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "dllm-algorithm": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "dllm_algorithm",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "dllm-algorithm-config": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "dllm_algorithm_config",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "dllm-fdfo": {
   "action": "BooleanOptionalAction",
   "aliases": [],
   "default": true,
   "dest": "dllm_fdfo",
   "nargs": 0,
   "negation": "no-dllm-fdfo",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "download-dir": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "download_dir",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "dp-size": {
   "action": "_StoreAction",
   "aliases": [
    "data-parallel-size"
   ],
   "default": 1,
   "dest": "dp_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "dsa-decode-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "flashmla_sparse",
    "flashmla_sparse_q8",
    "flashmla_kv",
    "flashmla_auto",
    "flashinfer_sparse_mla",
    "fa3",
    "tilelang",
    "triton",
    "aiter",
    "trtllm",
    "intel_xpu"
   ],
   "default": null,
   "dest": "dsa_decode_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "dsa-paged-mqa-logits-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "deepgemm",
    "cutedsl",
    "aiter"
   ],
   "default": "auto",
   "dest": "dsa_paged_mqa_logits_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "dsa-prefill-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "flashmla_sparse",
    "flashmla_sparse_q8",
    "flashmla_kv",
    "flashmla_auto",
    "flashinfer_sparse_mla",
    "triton_sparse_mla",
    "fa3",
    "tilelang",
    "triton",
    "aiter",
    "trtllm",
    "intel_xpu"
   ],
   "default": null,
   "dest": "dsa_prefill_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "dsa-topk-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "sgl-kernel",
    "torch",
    "flashinfer"
   ],
   "default": "sgl-kernel",
   "dest": "dsa_topk_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "dsa-triton-union": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    0,
    2,
    4
   ],
   "default": 0,
   "dest": "dsa_triton_union",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "dsv4-attn-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "flashmla",
    "flashmla_mega",
    "trtllm"
   ],
   "default": "auto",
   "dest": "dsv4_attn_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "dsv4-prefill-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "flashmla_sparse",
    "flashmla_sparse_q8"
   ],
   "default": "auto",
   "dest": "dsv4_prefill_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "dtype": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "half",
    "float16",
    "bfloat16",
    "float",
    "float32"
   ],
   "default": "auto",
   "dest": "dtype",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "dwdp-size": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 1,
   "dest": "dwdp_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "dynamic-batch-tokenizer-batch-size": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 32,
   "dest": "dynamic_batch_tokenizer_batch_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "dynamic-batch-tokenizer-batch-timeout": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 0.002,
   "dest": "dynamic_batch_tokenizer_batch_timeout",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "float"
  },
  "elastic-ep-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "none",
    "mooncake",
    "nixl"
   ],
   "default": null,
   "dest": "elastic_ep_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "elastic-ep-initial-size": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "elastic_ep_initial_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "elastic-ep-join-mode": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "scale",
    "recover"
   ],
   "default": null,
   "dest": "ep_join_mode",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "elastic-ep-join-rank-offset": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 0,
   "dest": "ep_join_rank_offset",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "elastic-ep-scale-timeout": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 600,
   "dest": "elastic_ep_scale_timeout",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "float"
  },
  "enable-adaptive-dispatch-to-encoder": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_adaptive_dispatch_to_encoder",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-aiter-allreduce-fusion": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_aiter_allreduce_fusion",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-amd-monokernel": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_amd_monokernel",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-attn-tp-input-scattered": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_attn_tp_input_scattered",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-broadcast-mm-inputs-process": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_broadcast_mm_inputs_process",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-cache-report": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_cache_report",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-cp-decode-attn-tp": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_cp_decode_attn_tp",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-cudagraph-gc": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_cudagraph_gc",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-custom-logit-processor": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_custom_logit_processor",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-decoder-swa-bounded-replay": {
   "action": "BooleanOptionalAction",
   "aliases": [],
   "default": null,
   "dest": "enable_decoder_swa_bounded_replay",
   "nargs": 0,
   "negation": "no-enable-decoder-swa-bounded-replay",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-deepseek-v4-fp4-indexer": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_deepseek_v4_fp4_indexer",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-dense-mlp-attn-tp": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_dense_mlp_attn_tp",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-deterministic-inference": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_deterministic_inference",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-dp-attention": {
   "action": "DeprecatedStoreTrueAction",
   "aliases": [],
   "default": false,
   "deprecated": {
    "marker": "DeprecatedStoreTrueAction",
    "replacement": "--attn-dp-size <dp-size>"
   },
   "dest": "enable_dp_attention",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-dp-attention-local-control-broadcast": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_dp_attention_local_control_broadcast",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-dp-lm-head": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_dp_lm_head",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-draft-weights-cpu-backup": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_draft_weights_cpu_backup",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-dsa-cache-layer-split": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_dsa_cache_layer_split",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-dsa-fused-indexer": {
   "action": "BooleanOptionalAction",
   "aliases": [],
   "default": null,
   "dest": "enable_dsa_fused_indexer",
   "nargs": 0,
   "negation": "no-enable-dsa-fused-indexer",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-dynamic-batch-tokenizer": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_dynamic_batch_tokenizer",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-dynamic-chunking": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_dynamic_chunking",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-elastic-expert-backup": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_elastic_expert_backup",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-encoder-swa-bounded-replay": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_encoder_swa_bounded_replay",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-eplb": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_eplb",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-flashinfer-allreduce-fusion": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "deprecated": {
    "marker": "help text",
    "replacement": "--flashinfer-allreduce-fusion-backend=auto"
   },
   "dest": "enable_flashinfer_allreduce_fusion",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-flexkv": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_flexkv",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-forward-pass-metrics": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_forward_pass_metrics",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-fp32-lm-head": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_fp32_lm_head",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-fused-moe-sum-all-reduce": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_fused_moe_sum_all_reduce",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-fused-qk-norm-rope": {
   "action": "BooleanOptionalAction",
   "aliases": [],
   "default": null,
   "dest": "enable_fused_qk_norm_rope",
   "nargs": 0,
   "negation": "no-enable-fused-qk-norm-rope",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-hierarchical-cache": {
   "action": "_StoreTrueAction",
   "aliases": [
    "enable-hicache"
   ],
   "default": false,
   "dest": "enable_hierarchical_cache",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-hisparse": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_hisparse",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-http-worker-reuseport": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_http_worker_reuseport",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-http2": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_http2",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-int8-mamba-checkpoint": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_int8_mamba_checkpoint",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-kv-cache-sharding": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_kv_cache_sharding",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-layernorm-sp": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_layernorm_sp",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-layerwise-nvtx-marker": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_layerwise_nvtx_marker",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-lean-attention": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": null,
   "dest": "enable_lean_attention",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-linear-replayssm": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_linear_replayssm",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-linear-replayssm-spec": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_linear_replayssm_spec",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-linker-mla-dedup": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_linker_mla_dedup",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-lmcache": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_lmcache",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-lora": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": null,
   "dest": "enable_lora",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-lora-overlap-loading": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": null,
   "dest": "enable_lora_overlap_loading",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-mamba-cache-stochastic-rounding": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_mamba_cache_stochastic_rounding",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-megamoe-for-layernorm-sp": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_megamoe_for_layernorm_sp",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-memory-saver": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_memory_saver",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-metrics": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_metrics",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-metrics-for-all-schedulers": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_metrics_for_all_schedulers",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-mfu-metrics": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_mfu_metrics",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-mis": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_mis",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-mixed-chunk": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_mixed_chunk",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-mm-global-cache": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_mm_global_cache",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-mscclpp": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_mscclpp",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-multi-layer-eagle": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_multi_layer_eagle",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-multimodal": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": null,
   "dest": "enable_multimodal",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-nccl-nvls": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_nccl_nvls",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-nvidia-megakernel": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_nvidia_megakernel",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-p2p-check": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_p2p_check",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-page-major-kv-layout": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_page_major_kv_layout",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-paged-experts": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_paged_experts",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-pd-role-switch": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_pd_role_switch",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-pdmux": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_pdmux",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-precise-embedding-interpolation": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_precise_embedding_interpolation",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-prefill-cp": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_prefill_cp",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-prefill-delayer": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_prefill_delayer",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-prefix-mm-cache": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_prefix_mm_cache",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-priority-scheduling": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_priority_scheduling",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-profile-cuda-graph": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_profile_cuda_graph",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-quant-communications": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_quant_communications",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-request-time-stats-logging": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_request_time_stats_logging",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-response-store": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_response_store",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-return-aux-hidden-states": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_return_aux_hidden_states",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-return-hidden-states": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_return_hidden_states",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-return-indexer-topk": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_return_indexer_topk",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-return-routed-experts": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_return_routed_experts",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-scattered-sconv": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_scattered_sconv",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-session-radix-cache": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_session_radix_cache",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-shared-experts-attn-tp": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_shared_experts_attn_tp",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-single-batch-overlap": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_single_batch_overlap",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-ssl-refresh": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_ssl_refresh",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-streaming-session": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_streaming_session",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-strict-thinking": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_strict_thinking",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-symm-mem": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_symm_mem",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-tf32-matmul": {
   "action": "BooleanOptionalAction",
   "aliases": [],
   "default": null,
   "dest": "enable_tf32_matmul",
   "nargs": 0,
   "negation": "no-enable-tf32-matmul",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-tokenizer-batch-encode": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_tokenizer_batch_encode",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-torch-compile": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_torch_compile",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-torch-compile-debug-mode": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_torch_compile_debug_mode",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-torch-symm-mem": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_torch_symm_mem",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-tp-lm-head-all-to-all": {
   "action": "BooleanOptionalAction",
   "aliases": [],
   "default": null,
   "dest": "enable_tp_lm_head_all_to_all",
   "nargs": 0,
   "negation": "no-enable-tp-lm-head-all-to-all",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-trace": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_trace",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-two-batch-overlap": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_two_batch_overlap",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-unified-cache-external-linker": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_unified_cache_external_linker",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-unified-memory": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_unified_memory",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-w4a4-mxfp4-megamoe": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_w4a4_mxfp4_megamoe",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-waterfill": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_waterfill",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-watermark": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_watermark",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enable-weights-cpu-backup": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enable_weights_cpu_backup",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "encoder-bootstrap-port": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 8997,
   "dest": "encoder_bootstrap_port",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "encoder-only": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "encoder_only",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "encoder-register-urls": {
   "action": "_StoreAction",
   "aliases": [],
   "default": [],
   "dest": "encoder_register_urls",
   "nargs": "+",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "encoder-transfer-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "zmq_to_scheduler",
    "zmq_to_tokenizer",
    "mooncake"
   ],
   "default": "auto",
   "dest": "encoder_transfer_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "encoder-urls": {
   "action": "_StoreAction",
   "aliases": [],
   "default": [],
   "dest": "encoder_urls",
   "nargs": "+",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "enforce-disable-flashinfer-allreduce-fusion": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enforce_disable_flashinfer_allreduce_fusion",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "enforce-shared-experts-fusion": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "enforce_shared_experts_fusion",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "engine-info-bootstrap-port": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 6789,
   "dest": "engine_info_bootstrap_port",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "ep-dispatch-algorithm": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "static",
    "dynamic",
    "fake",
    "lp"
   ],
   "default": null,
   "dest": "ep_dispatch_algorithm",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "ep-num-redundant-experts": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 0,
   "dest": "ep_num_redundant_experts",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "ep-size": {
   "action": "_StoreAction",
   "aliases": [
    "expert-parallel-size",
    "ep"
   ],
   "default": 1,
   "dest": "ep_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "eplb-algorithm": {
   "action": "_StoreAction",
   "aliases": [],
   "default": "auto",
   "dest": "eplb_algorithm",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "eplb-min-rebalancing-utilization-threshold": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 1.0,
   "dest": "eplb_min_rebalancing_utilization_threshold",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "float"
  },
  "eplb-rebalance-layers-per-chunk": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "eplb_rebalance_layers_per_chunk",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "eplb-rebalance-num-iterations": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 1000,
   "dest": "eplb_rebalance_num_iterations",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "expert-balancedness-report-mode": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "off",
    "server_log",
    "prometheus",
    "both"
   ],
   "default": "off",
   "dest": "expert_balancedness_report_mode",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "expert-distribution-recorder-buffer-size": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "expert_distribution_recorder_buffer_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "expert-distribution-recorder-mode": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "stat",
    "stat_approx",
    "per_pass",
    "per_token"
   ],
   "default": null,
   "dest": "expert_distribution_recorder_mode",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "experts-shared-outer-loras": {
   "action": "BooleanOptionalAction",
   "aliases": [],
   "default": null,
   "dest": "experts_shared_outer_loras",
   "nargs": 0,
   "negation": "no-experts-shared-outer-loras",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "export-metrics-to-file": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "export_metrics_to_file",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "export-metrics-to-file-dir": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "export_metrics_to_file_dir",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "extra-metric-labels": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "extra_metric_labels",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "json"
  },
  "fastapi-root-path": {
   "action": "_StoreAction",
   "aliases": [],
   "default": "",
   "dest": "fastapi_root_path",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "file-storage-path": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "file_storage_path",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "flashinfer-a2a-dispatch-type": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "bf16",
    "nvfp4",
    "mxfp8"
   ],
   "default": null,
   "dest": "flashinfer_a2a_dispatch_type",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "flashinfer-allreduce-fusion-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "trtllm",
    "mnnvl",
    "cutedsl"
   ],
   "default": null,
   "dest": "flashinfer_allreduce_fusion_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "flashinfer-autotune-skip-ops": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "flashinfer_autotune_skip_ops",
   "nargs": "+",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "flashinfer-mla-disable-ragged": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "flashinfer_mla_disable_ragged",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "flashinfer-mxfp4-moe-precision": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "default",
    "bf16",
    "fp8"
   ],
   "default": "default",
   "dest": "flashinfer_mxfp4_moe_precision",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "flexkv-config-file": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "flexkv_config_file",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "forward-hooks": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "forward_hooks",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "json_list_type"
  },
  "forward-pass-metrics-ipc-name": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "forward_pass_metrics_ipc_name",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "forward-pass-metrics-worker-id": {
   "action": "_StoreAction",
   "aliases": [],
   "default": "",
   "dest": "forward_pass_metrics_worker_id",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "fp4-gemm-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "flashinfer_cudnn",
    "flashinfer_cutedsl",
    "flashinfer_cutlass",
    "flashinfer_trtllm",
    "marlin"
   ],
   "default": "auto",
   "dest": "fp4_gemm_runner_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "fp8-gemm-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "deep_gemm",
    "flashinfer_trtllm",
    "flashinfer_cutlass",
    "flashinfer_deepgemm",
    "flashinfer_cutedsl",
    "cutlass",
    "triton",
    "aiter"
   ],
   "default": "auto",
   "dest": "fp8_gemm_runner_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "fuseep-mode": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    1,
    2
   ],
   "default": 2,
   "dest": "fuseep_mode",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "gated-launch-port": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "gated_launch_port",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "gc-threshold": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "gc_threshold",
   "nargs": "+",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "gc-warning-threshold-secs": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 0.0,
   "dest": "gc_warning_threshold_secs",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "float"
  },
  "generation-tokens-buckets": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "generation_tokens_buckets",
   "nargs": "+",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "gpu-id-step": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 1,
   "dest": "gpu_id_step",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "grammar-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "xgrammar",
    "outlines",
    "llguidance",
    "none"
   ],
   "default": null,
   "dest": "grammar_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "grpc-mode": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "deprecated": {
    "marker": "help text",
    "replacement": "--smg-grpc-mode"
   },
   "dest": "grpc_mode",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "grpc-port": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "grpc_port",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "grpc-response-timeout-secs": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 300,
   "dest": "grpc_response_timeout_secs",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "hf-chat-template-name": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "hf_chat_template_name",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "hicache-host-memory-fraction": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 0.8,
   "dest": "hicache_host_memory_fraction",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "float"
  },
  "hicache-host-memory-mode": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "cache",
    "buffer_only"
   ],
   "default": "cache",
   "dest": "hicache_host_memory_mode",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "hicache-io-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "direct",
    "kernel",
    "kernel_ascend"
   ],
   "default": "kernel",
   "dest": "hicache_io_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "hicache-mem-layout": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "layer_first",
    "page_first",
    "page_first_direct",
    "page_first_kv_split",
    "page_head"
   ],
   "default": "page_first",
   "dest": "hicache_mem_layout",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "hicache-ratio": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "hicache_ratio",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "float"
  },
  "hicache-size": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 0,
   "dest": "hicache_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "hicache-storage-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "file",
    "sim",
    "mooncake",
    "npu_memcache",
    "hf3fs",
    "nixl",
    "aibrix",
    "dynamic",
    "eic",
    "simm",
    "mori",
    "shm",
    "tensorcast",
    "seaweedfs"
   ],
   "default": null,
   "dest": "hicache_storage_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "hicache-storage-backend-extra-config": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "hicache_storage_backend_extra_config",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "hicache-storage-prefetch-policy": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "best_effort",
    "wait_complete",
    "timeout"
   ],
   "default": "timeout",
   "dest": "hicache_storage_prefetch_policy",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "hicache-storage-prefetch-retry-max-attempts": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 8,
   "dest": "hicache_storage_prefetch_retry_max_attempts",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "hicache-storage-prefetch-retry-poll-interval": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 8,
   "dest": "hicache_storage_prefetch_retry_poll_interval",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "hicache-write-policy": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "write_back",
    "write_through",
    "write_through_selective"
   ],
   "default": "write_through",
   "dest": "hicache_write_policy",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "hisparse-config": {
   "action": "_StoreAction",
   "aliases": [
    "hierarchical-sparse-attention-extra-config"
   ],
   "default": null,
   "dest": "hisparse_config",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "host": {
   "action": "_StoreAction",
   "aliases": [],
   "default": "127.0.0.1",
   "dest": "host",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "http2-initial-connection-window-size": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 1048576,
   "dest": "http2_initial_connection_window_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "http2-max-concurrent-streams": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 200,
   "dest": "http2_max_concurrent_streams",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "image-processor-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "torchvision",
    "pil"
   ],
   "default": "auto",
   "dest": "image_processor_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "incremental-streaming-output": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "incremental_streaming_output",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "init-expert-location": {
   "action": "_StoreAction",
   "aliases": [],
   "default": "trivial",
   "dest": "init_expert_location",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "int8-mamba-ckpt-size": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "int8_mamba_ckpt_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "is-embedding": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "is_embedding",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "json-model-override-args": {
   "action": "_StoreAction",
   "aliases": [],
   "default": "{}",
   "dest": "json_model_override_args",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "kt-cpuinfer": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "kt_cpuinfer",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "kt-max-deferred-experts-per-token": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "kt_max_deferred_experts_per_token",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "kt-method": {
   "action": "_StoreAction",
   "aliases": [],
   "default": "AMXINT4",
   "dest": "kt_method",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "kt-num-gpu-experts": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "kt_num_gpu_experts",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "kt-threadpool-count": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 2,
   "dest": "kt_threadpool_count",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "kt-weight-path": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "kt_weight_path",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "kv-cache-dtype": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "fp8_e5m2",
    "fp8_e4m3",
    "mxfp8",
    "bf16",
    "bfloat16",
    "nvfp4",
    "fp4_mx_block16"
   ],
   "default": "auto",
   "dest": "kv_cache_dtype",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "kv-canary": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "none",
    "log",
    "raise"
   ],
   "default": "none",
   "dest": "kv_canary",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "kv-canary-real-data": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "none",
    "partial",
    "all"
   ],
   "default": "none",
   "dest": "kv_canary_real_data",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "kv-canary-sweep-interval": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 0,
   "dest": "kv_canary_sweep_interval",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "kv-events-config": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "kv_events_config",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "language-model-only": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "language_model_only",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "language-only": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "language_only",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "limit-mm-data-per-request": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "limit_mm_data_per_request",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "json"
  },
  "linear-attn-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "triton",
    "cutedsl",
    "flashinfer",
    "flashkda",
    "nvidia_kda",
    "ptx_kda",
    "helion",
    "intel_xpu"
   ],
   "default": "triton",
   "dest": "linear_attn_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "linear-attn-decode-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "triton",
    "cutedsl",
    "flashinfer",
    "flashkda",
    "nvidia_kda",
    "ptx_kda",
    "helion",
    "intel_xpu"
   ],
   "default": null,
   "dest": "linear_attn_decode_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "linear-attn-prefill-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "triton",
    "cutedsl",
    "flashinfer",
    "flashkda",
    "nvidia_kda",
    "ptx_kda",
    "helion",
    "intel_xpu"
   ],
   "default": null,
   "dest": "linear_attn_prefill_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "linear-attn-verify-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "triton",
    "cutedsl",
    "flashinfer",
    "flashkda",
    "nvidia_kda",
    "ptx_kda",
    "helion",
    "intel_xpu",
    "nv_cutedsl"
   ],
   "default": null,
   "dest": "linear_attn_verify_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "linear-replayssm-cache-len": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 16,
   "dest": "linear_replayssm_cache_len",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "lmcache-config-file": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "lmcache_config_file",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "load-balance-method": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "round_robin",
    "follow_bootstrap_room",
    "total_requests",
    "total_tokens"
   ],
   "default": "auto",
   "dest": "load_balance_method",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "load-format": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "pt",
    "safetensors",
    "instanttensor",
    "npcache",
    "dummy",
    "sharded_state",
    "presharded",
    "gguf",
    "expert_pack",
    "bitsandbytes",
    "mistral",
    "layered",
    "flash_rl",
    "remote",
    "remote_instance",
    "fastsafetensors",
    "private",
    "runai_streamer"
   ],
   "default": "auto",
   "dest": "load_format",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "load-publish-endpoint": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "load_publish_endpoint",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "load-snapshot-publish-interval": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 15,
   "dest": "load_snapshot_publish_interval",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "log-level": {
   "action": "_StoreAction",
   "aliases": [],
   "default": "info",
   "dest": "log_level",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "log-level-http": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "log_level_http",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "log-requests": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "log_requests",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "log-requests-format": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "text",
    "json"
   ],
   "default": "text",
   "dest": "log_requests_format",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "log-requests-level": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    0,
    1,
    2,
    3
   ],
   "default": 2,
   "dest": "log_requests_level",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "log-requests-target": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "log_requests_target",
   "nargs": "+",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "lora-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "triton",
    "csgmv",
    "ascend",
    "torch_native",
    "triton_v2"
   ],
   "default": "csgmv",
   "dest": "lora_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "lora-drain-wait-threshold": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 0.0,
   "dest": "lora_drain_wait_threshold",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "float"
  },
  "lora-eviction-policy": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "lru",
    "fifo"
   ],
   "default": "lru",
   "dest": "lora_eviction_policy",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "lora-paths": {
   "action": "LoRAPathAction",
   "aliases": [],
   "default": null,
   "dest": "lora_paths",
   "nargs": "*",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "lora-strict-loading": {
   "action": "BooleanOptionalAction",
   "aliases": [],
   "default": false,
   "dest": "lora_strict_loading",
   "nargs": 0,
   "negation": "no-lora-strict-loading",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "lora-target-modules": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "q_proj",
    "k_proj",
    "v_proj",
    "o_proj",
    "q_a_proj",
    "kv_a_proj_with_mqa",
    "q_b_proj",
    "kv_b_proj",
    "wq_b",
    "wk",
    "weights_proj",
    "gate_proj",
    "up_proj",
    "down_proj",
    "qkv_proj",
    "gate_up_proj",
    "embed_tokens",
    "lm_head",
    "qkvr",
    "wo_ud",
    "all"
   ],
   "default": null,
   "dest": "lora_target_modules",
   "nargs": "*",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "lora-use-virtual-experts": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "lora_use_virtual_experts",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "mamba-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "triton",
    "flashinfer"
   ],
   "default": "triton",
   "dest": "mamba_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "mamba-cache-philox-rounds": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 0,
   "dest": "mamba_cache_philox_rounds",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "mamba-full-memory-ratio": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "mamba_full_memory_ratio",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "float"
  },
  "mamba-max-states-per-path": {
   "action": "_StoreAction",
   "aliases": [],
   "default": -1,
   "dest": "mamba_max_states_per_path",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "mamba-radix-cache-strategy": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "no_buffer",
    "extra_buffer",
    "extra_buffer_lazy"
   ],
   "default": "auto",
   "dest": "mamba_radix_cache_strategy",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "mamba-ssm-dtype": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "float32",
    "bfloat16",
    "float16"
   ],
   "default": null,
   "dest": "mamba_ssm_dtype",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "mamba-track-interval": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 256,
   "dest": "mamba_track_interval",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "max-ep-size": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "max_ep_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "max-loaded-loras": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "max_loaded_loras",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "max-lora-chunk-size": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    16,
    32,
    64,
    128
   ],
   "default": 16,
   "dest": "max_lora_chunk_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "max-lora-rank": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "max_lora_rank",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "max-loras-per-batch": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 8,
   "dest": "max_loras_per_batch",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "max-mamba-cache-size": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "max_mamba_cache_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "max-prefill-tokens": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 16384,
   "dest": "max_prefill_tokens",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "human_readable_int"
  },
  "max-queued-requests": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "max_queued_requests",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "max-running-requests": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "max_running_requests",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "max-total-tokens": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "max_total_tokens",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "human_readable_int"
  },
  "media-url-max-file-size-mb": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 64,
   "dest": "media_url_max_file_size_mb",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "mem-fraction-static": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "mem_fraction_static",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "float"
  },
  "min-free-slots-delay": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "min_free_slots_delay",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "mlx-enable-sampling": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "mlx_enable_sampling",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "mm-attention-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "sdpa",
    "fa3",
    "fa4",
    "triton_attn",
    "ascend_attn",
    "aiter_attn",
    "flashinfer_cudnn",
    "amx_attn",
    "xpu_attn"
   ],
   "default": null,
   "dest": "mm_attention_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "mm-enable-dp-encoder": {
   "action": "BooleanOptionalAction",
   "aliases": [],
   "default": null,
   "dest": "mm_enable_dp_encoder",
   "nargs": 0,
   "negation": "no-mm-enable-dp-encoder",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "mm-feature-transport": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "cpu",
    "cuda_ipc",
    "cuda_vmm"
   ],
   "default": null,
   "dest": "mm_feature_transport",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "mm-global-cache-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "mooncake"
   ],
   "default": "mooncake",
   "dest": "mm_global_cache_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "mm-io-worker-num": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 0,
   "dest": "mm_io_worker_num",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "mm-preprocess-cache-size-mb": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "mm_preprocess_cache_size_mb",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "mm-process-config": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "mm_process_config",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "json"
  },
  "mm-processor-worker-num": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 0,
   "dest": "mm_processor_worker_num",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "model-checksum": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "model_checksum",
   "nargs": "?",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "model-config-parser": {
   "action": "_StoreAction",
   "aliases": [],
   "default": "auto",
   "dest": "model_config_parser",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "model-impl": {
   "action": "_StoreAction",
   "aliases": [],
   "default": "auto",
   "dest": "model_impl",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "model-loader-extra-config": {
   "action": "_StoreAction",
   "aliases": [],
   "default": "{}",
   "dest": "model_loader_extra_config",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "model-path": {
   "action": "_StoreAction",
   "aliases": [
    "model"
   ],
   "default": null,
   "dest": "model_path",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "modelexpress-config": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "modelexpress_config",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "modelopt-checkpoint-restore-path": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "modelopt_checkpoint_restore_path",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "modelopt-checkpoint-save-path": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "modelopt_checkpoint_save_path",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "modelopt-export-path": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "modelopt_export_path",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "modelopt-quant": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "modelopt_quant",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "moe-a2a-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "none",
    "deepep",
    "mooncake",
    "nixl",
    "mori",
    "ascend_fuseep",
    "flashinfer",
    "megamoe",
    "deepep_v2",
    "pplx",
    "ascend_tp",
    "flashinfer_megamoe"
   ],
   "default": "none",
   "dest": "moe_a2a_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "moe-dense-tp-size": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "moe_dense_tp_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "moe-dp-size": {
   "action": "_StoreAction",
   "aliases": [
    "moe-data-parallel-size"
   ],
   "default": 1,
   "dest": "moe_dp_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "moe-runner-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "deep_gemm",
    "triton",
    "triton_kernel",
    "flashinfer_trtllm",
    "experimental_sgl_trtllm",
    "flashinfer_trtllm_routed",
    "flashinfer_cutlass",
    "flashinfer_mxfp4",
    "flashinfer_cutedsl",
    "flashinfer_megamoe",
    "cutlass",
    "aiter",
    "marlin",
    "humming",
    "experimental_sgl_marlin",
    "lora_cutedsl",
    "lora_triton",
    "lora_marlin",
    "hpc_ops",
    "megamoe",
    "intel_xpu"
   ],
   "default": "auto",
   "dest": "moe_runner_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "monokernel-backend": {
   "action": "DeprecatedStoreConstAction",
   "aliases": [],
   "choices": [
    "amd"
   ],
   "default": false,
   "deprecated": {
    "marker": "DeprecatedStoreConstAction",
    "replacement": "--enable-amd-monokernel"
   },
   "dest": "enable_amd_monokernel",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "mooncake-ib-device": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "mooncake_ib_device",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "msprobe-dump-config": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "msprobe_dump_config",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "nccl-port": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "nccl_port",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "nnodes": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 1,
   "dest": "nnodes",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "node-rank": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 0,
   "dest": "node_rank",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "num-continuous-decode-steps": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 1,
   "dest": "num_continuous_decode_steps",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "num-reserved-decode-tokens": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 512,
   "dest": "num_reserved_decode_tokens",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "numa-node": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "numa_node",
   "nargs": "+",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "offload-group-size": {
   "action": "_StoreAction",
   "aliases": [],
   "default": -1,
   "dest": "offload_group_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "offload-mode": {
   "action": "_StoreAction",
   "aliases": [],
   "default": "cpu",
   "dest": "offload_mode",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "offload-num-in-group": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 1,
   "dest": "offload_num_in_group",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "offload-prefetch-step": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 1,
   "dest": "offload_prefetch_step",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "optimistic-prefill-attempts": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 0,
   "dest": "optimistic_prefill_attempts",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "otlp-service-name": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "otlp_service_name",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "otlp-traces-endpoint": {
   "action": "_StoreAction",
   "aliases": [],
   "default": "localhost:4317",
   "dest": "otlp_traces_endpoint",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "page-size": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "page_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "paged-experts-num-resident": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "paged_experts_num_resident",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "pdmux-config-path": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "pdmux_config_path",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "ple-offload-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "pinned",
    "file"
   ],
   "default": "pinned",
   "dest": "ple_offload_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "ple-offload-dir": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "ple_offload_dir",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "ple-offload-embedding": {
   "action": "BooleanOptionalAction",
   "aliases": [],
   "default": null,
   "dest": "ple_offload_embedding",
   "nargs": 0,
   "negation": "no-ple-offload-embedding",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "port": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 30000,
   "dest": "port",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "pp-async-batch-depth": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 0,
   "dest": "pp_async_batch_depth",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "pp-max-micro-batch-size": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "pp_max_micro_batch_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "pp-size": {
   "action": "_StoreAction",
   "aliases": [
    "pipeline-parallel-size"
   ],
   "default": 1,
   "dest": "pp_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "pre-warm-nccl": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "pre_warm_nccl",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "preferred-sampling-params": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "preferred_sampling_params",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "json"
  },
  "prefill-attention-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "triton",
    "torch_native",
    "flex_attention",
    "dsa",
    "nsa",
    "qsa",
    "dsv4",
    "compressed",
    "fa3",
    "fa4",
    "flashinfer",
    "llada2_cfg_flashinfer",
    "flashmla",
    "trtllm_mla",
    "cutedsl_mla",
    "tokenspeed_mla",
    "trtllm_mha",
    "hpc_ops",
    "minicpm_flashattn",
    "minicpm_flashinfer",
    "aiter",
    "wave",
    "intel_amx",
    "ascend",
    "intel_xpu"
   ],
   "default": null,
   "deprecated_choices": {
    "compressed": "dsv4",
    "nsa": "dsa",
    "tokenspeed_mla": "cutedsl_mla"
   },
   "dest": "prefill_attention_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "prefill-decode-interval": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "prefill_decode_interval",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "prefill-decode-interval-min-bs": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 0,
   "dest": "prefill_decode_interval_min_bs",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "prefill-delayer-forward-passes-buckets": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "prefill_delayer_forward_passes_buckets",
   "nargs": "+",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "float"
  },
  "prefill-delayer-max-delay-ms": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "prefill_delayer_max_delay_ms",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "float"
  },
  "prefill-delayer-max-delay-passes": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 30,
   "dest": "prefill_delayer_max_delay_passes",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "prefill-delayer-queue-min-ratio": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "prefill_delayer_queue_min_ratio",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "float"
  },
  "prefill-delayer-token-usage-low-watermark": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "prefill_delayer_token_usage_low_watermark",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "float"
  },
  "prefill-delayer-wait-seconds-buckets": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "prefill_delayer_wait_seconds_buckets",
   "nargs": "+",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "float"
  },
  "prefill-kv-cache-dequant-dtype": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "nvfp4",
    "fp8_e4m3"
   ],
   "default": "auto",
   "dest": "prefill_kv_cache_dequant_dtype",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "prefill-max-requests": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "prefill_max_requests",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "prefill-only-disable-kv-cache": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "prefill_only_disable_kv_cache",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "priority-scheduling-preemption-threshold": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 10,
   "dest": "priority_scheduling_preemption_threshold",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "prompt-tokens-buckets": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "prompt_tokens_buckets",
   "nargs": "+",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "qsa-indexer-dtype": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "bfloat16",
    "fp8_e4m3"
   ],
   "default": "auto",
   "dest": "qsa_indexer_dtype",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "quantization": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "awq",
    "fp8",
    "mxfp8",
    "gptq",
    "gptq_marlin",
    "awq_marlin",
    "bitsandbytes",
    "gguf",
    "modelopt",
    "modelopt_fp8",
    "modelopt_fp4",
    "nvfp4_online",
    "modelopt_mixed",
    "petit_nvfp4",
    "w8a8_int8",
    "w8a8_fp8",
    "moe_wna16",
    "w4afp8",
    "mxfp4",
    "auto-round",
    "auto-round-int8",
    "compressed-tensors",
    "modelslim",
    "mxfp_w4a8",
    "quark",
    "quark_int4fp8_moe",
    "quark_mxfp4",
    "mlx_q4",
    "mlx_q8",
    "unquant",
    "humming"
   ],
   "default": null,
   "dest": "quantization",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "quantization-param-path": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "quantization_param_path",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "nullable_str"
  },
  "quantize-and-serve": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "quantize_and_serve",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "radix-cache-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "radix_cache_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "radix-eviction-policy": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "lru",
    "lfu",
    "slru",
    "priority",
    "tlru"
   ],
   "default": "lru",
   "dest": "radix_eviction_policy",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "radix-eviction-policy-config": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "radix_eviction_policy_config",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "json"
  },
  "random-seed": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "random_seed",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "reasoning-parser": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "apertus2509",
    "beam",
    "deepseek-r1",
    "deepseek-v3",
    "deepseek-v4",
    "deepseek-v41",
    "dots",
    "glm45",
    "ling3",
    "hunyuan",
    "gpt-oss",
    "k2_horizon",
    "kimi",
    "kimi_k2",
    "kimi_k3",
    "mimo",
    "muse",
    "poolside_v1",
    "qwen3",
    "qwen3-thinking",
    "minimax",
    "minimax-append-think",
    "minimax-m3",
    "nanbeige",
    "step3",
    "step3p5",
    "mistral",
    "nemotron_3",
    "granite_thinking_parser",
    "interns1",
    "gemma4",
    "inkling",
    "iquest_q1",
    "cohere_command4",
    "gigachat35",
    "response_template"
   ],
   "default": null,
   "dest": "reasoning_parser",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "remote-instance-weight-loader-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "transfer_engine",
    "nccl",
    "modelexpress"
   ],
   "default": "nccl",
   "dest": "remote_instance_weight_loader_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "remote-instance-weight-loader-seed-instance-ip": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "remote_instance_weight_loader_seed_instance_ip",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "remote-instance-weight-loader-seed-instance-service-port": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "remote_instance_weight_loader_seed_instance_service_port",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "remote-instance-weight-loader-send-weights-group-ports": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "remote_instance_weight_loader_send_weights_group_ports",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "json_list_type"
  },
  "remote-instance-weight-loader-start-seed-via-transfer-engine": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "remote_instance_weight_loader_start_seed_via_transfer_engine",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "retraction-policy": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "length",
    "priority"
   ],
   "default": "length",
   "dest": "retraction_policy",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "return-aux-hidden-state-layer-ids": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "return_aux_hidden_state_layer_ids",
   "nargs": "+",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "return-hidden-states-mode": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "last",
    "full"
   ],
   "default": null,
   "dest": "return_hidden_states_mode",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "return-input-ids": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "return_input_ids",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "return-output-ids": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "return_output_ids",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "revision": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "revision",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "rl-on-policy-target": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "fsdp"
   ],
   "default": null,
   "dest": "rl_on_policy_target",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "rl-quant-profile": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "rl_quant_profile",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "sampling-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "ascend",
    "flashinfer",
    "intel_xpu",
    "pytorch"
   ],
   "default": null,
   "dest": "sampling_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "sampling-defaults": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "openai",
    "model"
   ],
   "default": "model",
   "dest": "sampling_defaults",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "sampling-mask-max-tokens": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 4096,
   "dest": "sampling_mask_max_tokens",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "schedule-conservativeness": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 1.0,
   "dest": "schedule_conservativeness",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "float"
  },
  "schedule-low-priority-values-first": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "schedule_low_priority_values_first",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "schedule-policy": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "lpm",
    "random",
    "fcfs",
    "dfs-weight",
    "lof",
    "priority",
    "routing-key",
    "hrrn",
    "shortest-prefill-first"
   ],
   "default": "fcfs",
   "dest": "schedule_policy",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "scheduler-recv-interval": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 1,
   "dest": "scheduler_recv_interval",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "served-model-name": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "served_model_name",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "shared-experts-tp-size": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "shared_experts_tp_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "show-time-cost": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "show_time_cost",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "sidecar": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "sidecar",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "sidecar-args": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "sidecar_args",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "json_list_type"
  },
  "skip-server-warmup": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "skip_server_warmup",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "skip-tokenizer-init": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "skip_tokenizer_init",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "sleep-on-idle": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "sleep_on_idle",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "sm-group-num": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 8,
   "dest": "sm_group_num",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "smg-grpc-mode": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "smg_grpc_mode",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "smg-http-sidecar-port": {
   "action": "_StoreAction",
   "aliases": [
    "grpc-http-sidecar-port"
   ],
   "default": null,
   "dest": "smg_http_sidecar_port",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "soft-watchdog-timeout": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "soft_watchdog_timeout",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "float"
  },
  "spec-trace-dir": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "spec_trace_dir",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "speculative-accept-threshold-acc": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 1.0,
   "dest": "speculative_accept_threshold_acc",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "float"
  },
  "speculative-accept-threshold-single": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 1.0,
   "dest": "speculative_accept_threshold_single",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "float"
  },
  "speculative-adaptive": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "speculative_adaptive",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "speculative-adaptive-config": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "speculative_adaptive_config",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "speculative-algorithm": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "speculative_algorithm",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "speculative-attention-mode": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "prefill",
    "decode"
   ],
   "default": "prefill",
   "dest": "speculative_attention_mode",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "speculative-dflash-block-size": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "speculative_dflash_block_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "speculative-domino-candidate-pool-size": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 2048,
   "dest": "speculative_domino_candidate_pool_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "speculative-draft-attention-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "speculative_draft_attention_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "speculative-draft-kv-cache-dtype": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "fp8_e5m2",
    "fp8_e4m3",
    "bf16",
    "bfloat16"
   ],
   "default": null,
   "dest": "speculative_draft_kv_cache_dtype",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "speculative-draft-load-format": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "pt",
    "safetensors",
    "instanttensor",
    "npcache",
    "dummy",
    "sharded_state",
    "presharded",
    "gguf",
    "expert_pack",
    "bitsandbytes",
    "mistral",
    "layered",
    "flash_rl",
    "remote",
    "remote_instance",
    "fastsafetensors",
    "private",
    "runai_streamer"
   ],
   "default": null,
   "dest": "speculative_draft_load_format",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "speculative-draft-model-path": {
   "action": "_StoreAction",
   "aliases": [
    "speculative-draft-model"
   ],
   "default": null,
   "dest": "speculative_draft_model_path",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "speculative-draft-model-quantization": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "awq",
    "fp8",
    "mxfp8",
    "gptq",
    "gptq_marlin",
    "awq_marlin",
    "bitsandbytes",
    "gguf",
    "modelopt",
    "modelopt_fp8",
    "modelopt_fp4",
    "nvfp4_online",
    "modelopt_mixed",
    "petit_nvfp4",
    "w8a8_int8",
    "w8a8_fp8",
    "moe_wna16",
    "w4afp8",
    "mxfp4",
    "auto-round",
    "auto-round-int8",
    "compressed-tensors",
    "modelslim",
    "mxfp_w4a8",
    "quark",
    "quark_int4fp8_moe",
    "quark_mxfp4",
    "mlx_q4",
    "mlx_q8",
    "unquant",
    "humming"
   ],
   "default": null,
   "dest": "speculative_draft_model_quantization",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "speculative-draft-model-revision": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "speculative_draft_model_revision",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "speculative-draft-sink-size": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "speculative_draft_sink_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "speculative-draft-window-size": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "speculative_draft_window_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "speculative-dsa-topk-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "sgl-kernel",
    "torch",
    "flashinfer"
   ],
   "default": "sgl-kernel",
   "dest": "speculative_dsa_topk_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "speculative-dspark-align-verify-tokens-to-graph-tier": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "speculative_dspark_align_verify_tokens_to_graph_tier",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "speculative-dspark-block-size": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "speculative_dspark_block_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "speculative-dspark-confidence-sts-path": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "speculative_dspark_confidence_sts_path",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "speculative-dspark-sps-table-path": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "speculative_dspark_sps_table_path",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "speculative-eagle-topk": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "speculative_eagle_topk",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "speculative-enable-w4a4-mxfp4-megamoe": {
   "action": "BooleanOptionalAction",
   "aliases": [],
   "default": null,
   "dest": "speculative_enable_w4a4_mxfp4_megamoe",
   "nargs": 0,
   "negation": "no-speculative-enable-w4a4-mxfp4-megamoe",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "speculative-moe-a2a-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "none",
    "deepep",
    "mooncake",
    "nixl",
    "mori",
    "ascend_fuseep",
    "flashinfer",
    "megamoe",
    "deepep_v2",
    "pplx",
    "ascend_tp"
   ],
   "default": null,
   "dest": "speculative_moe_a2a_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "speculative-moe-runner-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "deep_gemm",
    "triton",
    "triton_kernel",
    "flashinfer_trtllm",
    "experimental_sgl_trtllm",
    "flashinfer_trtllm_routed",
    "flashinfer_cutlass",
    "flashinfer_mxfp4",
    "flashinfer_cutedsl",
    "flashinfer_megamoe",
    "cutlass",
    "aiter",
    "marlin",
    "humming",
    "experimental_sgl_marlin",
    "lora_cutedsl",
    "lora_triton",
    "lora_marlin",
    "hpc_ops",
    "megamoe",
    "intel_xpu"
   ],
   "default": null,
   "dest": "speculative_moe_runner_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "speculative-ngram-capacity": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 10000000,
   "dest": "speculative_ngram_capacity",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "speculative-ngram-external-corpus-max-tokens": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 10000000,
   "dest": "speculative_ngram_external_corpus_max_tokens",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "speculative-ngram-external-corpus-path": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "speculative_ngram_external_corpus_path",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "speculative-ngram-external-sam-budget": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 0,
   "dest": "speculative_ngram_external_sam_budget",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "speculative-ngram-match-type": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "BFS",
    "PROB"
   ],
   "default": "BFS",
   "dest": "speculative_ngram_match_type",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "speculative-ngram-max-bfs-breadth": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 10,
   "dest": "speculative_ngram_max_bfs_breadth",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "speculative-ngram-max-trie-depth": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 18,
   "dest": "speculative_ngram_max_trie_depth",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "speculative-ngram-min-bfs-breadth": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 1,
   "dest": "speculative_ngram_min_bfs_breadth",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "speculative-num-draft-tokens": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "speculative_num_draft_tokens",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "speculative-num-steps": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "speculative_num_steps",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "speculative-token-map": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "speculative_token_map",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "speculative-use-block-verification": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "speculative_use_block_verification",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "speculative-use-rejection-sampling": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "speculative_use_rejection_sampling",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "ssl-ca-certs": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "ssl_ca_certs",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "ssl-certfile": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "ssl_certfile",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "ssl-keyfile": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "ssl_keyfile",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "ssl-keyfile-password": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "ssl_keyfile_password",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "startup-weight-load-mode": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "serial",
    "overlap"
   ],
   "default": "serial",
   "dest": "startup_weight_load_mode",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "stream-interval": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 1,
   "dest": "stream_interval",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "stream-response-default-include-usage": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "stream_response_default_include_usage",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "strip-thinking-cache": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "strip_thinking_cache",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "swa-full-tokens-ratio": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "swa_full_tokens_ratio",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "float"
  },
  "swa-prefix-tails": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "swa_prefix_tails",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "tbo-token-distribution-threshold": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 0.48,
   "dest": "tbo_token_distribution_threshold",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "float"
  },
  "timeout": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 3600,
   "dest": "timeout",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm"
   ],
   "type": "int"
  },
  "tokenizer-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "huggingface",
    "fastokens"
   ],
   "default": "huggingface",
   "dest": "tokenizer_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "tokenizer-metrics-allowed-custom-labels": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "tokenizer_metrics_allowed_custom_labels",
   "nargs": "+",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "tokenizer-metrics-custom-labels-header": {
   "action": "_StoreAction",
   "aliases": [],
   "default": "x-custom-labels",
   "dest": "tokenizer_metrics_custom_labels_header",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "tokenizer-mode": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "slow"
   ],
   "default": "auto",
   "dest": "tokenizer_mode",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "tokenizer-path": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "tokenizer_path",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "tokenizer-worker-num": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 1,
   "dest": "tokenizer_worker_num",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "tool-call-parser": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "auto",
    "apertus2509",
    "beam",
    "cohere_command4",
    "deepseekv3",
    "deepseekv31",
    "deepseekv32",
    "deepseekv4",
    "deepseekv41",
    "dots",
    "glm",
    "glm45",
    "glm47",
    "gpt-oss",
    "k2_horizon",
    "kimi_k2",
    "kimi_k3",
    "lfm2",
    "ling3",
    "llama3",
    "mimo",
    "minicpm5",
    "mistral",
    "muse",
    "poolside_v1",
    "pythonic",
    "qwen",
    "qwen25",
    "qwen3_coder",
    "spark25",
    "step3",
    "step3p5",
    "minimax-m2",
    "minimax-m3",
    "nanbeige",
    "trinity",
    "interns1",
    "hermes",
    "hunyuan",
    "gigachat3",
    "gigachat35",
    "gemma4",
    "inkling",
    "iquest_q1",
    "response_template"
   ],
   "default": null,
   "dest": "tool_call_parser",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "tool-server": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "tool_server",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "torch-compile-max-bs": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 32,
   "dest": "torch_compile_max_bs",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "tp-size": {
   "action": "_StoreAction",
   "aliases": [
    "tensor-parallel-size"
   ],
   "default": 1,
   "dest": "tp_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "trace-modules": {
   "action": "_StoreAction",
   "aliases": [],
   "default": "request",
   "dest": "trace_modules",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "triton-attention-num-kv-splits": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 8,
   "dest": "triton_attention_num_kv_splits",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "triton-attention-reduce-in-fp32": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "triton_attention_reduce_in_fp32",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "triton-attention-split-tile-size": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "triton_attention_split_tile_size",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "trust-mm-content-hashes": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "trust_mm_content_hashes",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "trust-remote-code": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "trust_remote_code",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "trust-request-chat-template": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "trust_request_chat_template",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "unified-cache-external-linker-backend": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "mooncake",
    "mori",
    "dynamic"
   ],
   "default": "mooncake",
   "dest": "unified_cache_external_linker_backend",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "unified-cache-external-linker-config": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "unified_cache_external_linker_config",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "json"
  },
  "uno-lora-path": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "uno_lora_path",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "use-ray": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "use_ray",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "uvicorn-access-log-exclude-prefixes": {
   "action": "_StoreAction",
   "aliases": [],
   "default": [],
   "dest": "uvicorn_access_log_exclude_prefixes",
   "nargs": "*",
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "warmups": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "warmups",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "watchdog-timeout": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 300,
   "dest": "watchdog_timeout",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "float"
  },
  "watermark-config": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "watermark_config",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "weight-cache-mode": {
   "action": "_StoreAction",
   "aliases": [],
   "choices": [
    "off",
    "daemon",
    "client"
   ],
   "default": "off",
   "dest": "weight_cache_mode",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "weight-cache-socket": {
   "action": "_StoreAction",
   "aliases": [],
   "default": null,
   "dest": "weight_cache_socket",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  },
  "weight-cache-timeout": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 1800,
   "dest": "weight_cache_timeout",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "weight-loader-disable-mmap": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "weight_loader_disable_mmap",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "weight-loader-drop-cache-after-load": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "weight_loader_drop_cache_after_load",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "weight-loader-prefetch-checkpoints": {
   "action": "_StoreTrueAction",
   "aliases": [],
   "default": false,
   "dest": "weight_loader_prefetch_checkpoints",
   "nargs": 0,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": null
  },
  "weight-loader-prefetch-num-threads": {
   "action": "_StoreAction",
   "aliases": [],
   "default": 4,
   "dest": "weight_loader_prefetch_num_threads",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "int"
  },
  "weight-version": {
   "action": "_StoreAction",
   "aliases": [],
   "default": "default",
   "dest": "weight_version",
   "nargs": null,
   "parsers": [
    "compile_deep_gemm",
    "launch_server"
   ],
   "type": "str"
  }
 },
 "sglang_version": "0.5.23",
 "sources": [
  "sglang/srt/server_args.py: ServerArgs.add_cli_args (sglang.launch_server)",
  "sglang/compile_deep_gemm.py: CompileArgs.add_cli_args (sglang.compile_deep_gemm)",
  "sglang/srt/arg_groups/argparse_actions.py: Deprecated*Action (deprecated flags, new_flag=)",
  "help texts starting with 'Deprecated' (deprecated flags)",
  "sglang/srt/arg_groups/choices.py: '# Deprecated alias for' comments (deprecated values)"
 ]
}'''
