"""GLM-5.1-FP8 (zai-org) on 8×B200 and on 8×H200, served by SGLang 0.5.23.

Every flag below is spelled as SGLang 0.5.23's parser knows it (the tests parse both argvs
with that parser, and profile validation checks them against the shipped flag data). The
GLM-5.1 guides were written for 0.5.10; since then ``--nsa-prefill-backend``/
``--nsa-decode-backend`` became ``--dsa-*-backend`` (0.5.21), ``--attention-backend nsa`` became a
deprecated alias of ``dsa``, and ``--enable-flashinfer-allreduce-fusion`` was deprecated.

What SGLang 0.5.23 already does for this architecture (``GlmMoeDsaForCausalLM``), so the
profile does not repeat it (paths are inside the sglang package):

* ``--attention-backend dsa``: set when no attention backend is given
  (srt/arg_groups/model_overrides/deepseek_v2.py ``_deepseek_family_overrides``).
* FlashInfer all-reduce + RMSNorm fusion: switched on for this architecture on sm90 and sm100
  at TP > 1 without attention-DP (srt/arg_groups/overrides.py
  ``_flashinfer_allreduce_fusion_auto_enable``, ``_FLASHINFER_ALLREDUCE_FUSION_ARCHS``). The old
  ``--enable-flashinfer-allreduce-fusion`` switch is deprecated ("use
  --flashinfer-allreduce-fusion-backend=auto").
* EAGLE drafts with the model's own MTP layer: no draft model path; and with
  ``--speculative-algorithm EAGLE`` alone it chooses 3 steps, top-k 1, 4 draft tokens for this
  architecture (srt/arg_groups/speculative_hook.py ``_auto_choose_speculative_params``).

The DSA backends, per GPU generation, for a **bfloat16** KV cache (srt/arg_groups/overrides.py
``_dsa_split_backend_resolution``, non-HiSparse CUDA branch): prefill ``flashmla_sparse``;
decode ``trtllm`` when major >= 10 (B200), ``fa3`` below (H200). We write them out although they
equal SGLang's choice: the plan then shows what runs, the known-bad table can check them, and
a later SGLang whose default moves cannot change a pinned profile silently. Not ``flashmla_kv``
on H200: it is the fp8_e4m3 decode kernel, and with a bf16 cache it quantizes the whole
per-layer cache on every decode call (srt/layers/attention/dsa_backend.py, "inefficiently
quantize the whole cache"): slow, and exactly the FP8-KV accuracy loss bf16 is meant to avoid.
"""

from modal_llm_deploy import hookimpl

# Follow the repo's `main` branch: the first download resolves it to a commit and records that
# commit in the weights volume, and from then on compile, verify and serve use the recorded
# commit (a later download refuses if `main` moved, unless asked to update). We do not ship a
# commit sha here because none can be resolved against the hub from our offline build machines,
# and an unresolved sha is an invented one. To pin a commit up front:
# `--set model.revision=<40-hex sha>` (the CLI prints the sha `main` resolves to now).
GLM51_FP8_REVISION = "main"

SGLANG_VERSION = "0.5.23"
SGLANG_IMAGE = f"lmsysorg/sglang:v{SGLANG_VERSION}-cu130"

# Flags that do not depend on the GPU generation.
COMMON_FLAGS = {
    # Production values from the reference guide.
    "mem-fraction-static": 0.88,
    "max-prefill-tokens": 32768,
    # SGLang's scheduler watchdog (srt/utils/watchdog.py, armed in Scheduler.__init__ by
    # init_watch_dog_memory_saver_input_blocker, i.e. *after* the model is loaded) kills the
    # server with SIGQUIT when a forward batch makes no progress for this long ("Scheduler
    # watchdog timeout"); the weight load itself is not watched. What it must tolerate here: a
    # first batch that JIT-compiles kernels missing from the cache (SGLang's own warning says
    # DeepGEMM warmup takes "typically 10-20 mins") and long 32k-token prefills of a 750B
    # model. The default 300 s would kill such a batch; 1200 s is the GLM recipes' value.
    "watchdog-timeout": 1200,
    "enable-metrics": True,  # Prometheus /metrics on the serving port (sglang: prefix)
    "tool-call-parser": "glm47",
    "reasoning-parser": "glm45",
    # The FP8 checkpoint ships no calibrated KV scales; an fp8 KV cache cost GLM-5.1 about
    # 19 points on AIME (sglang issue 22671). Keep the KV cache in BF16 - and say so: with
    # "auto" SGLang picks fp8_e4m3 on sm100 (srt/arg_groups/overrides.py
    # _dsa_kv_cache_dtype_default). known_bad.py refuses an FP8 KV cache for this model.
    "kv-cache-dtype": "bf16",
    # GLM-5.1's MTP layer as an EAGLE draft: ~20 ms → ~7.7 ms per output token on 8×B200.
    # Steps/top-k/draft tokens are left to SGLang: with none of them set it picks (3, 1, 4)
    # for GlmMoeDsaForCausalLM (srt/arg_groups/speculative_hook.py
    # _auto_choose_speculative_params), the values of the published EAGLE figures.
    "speculative-algorithm": "EAGLE",
    # Both DSA backends are bf16 kernels on both generations (see the module docstring);
    # prefill flashmla_sparse is SGLang's bf16 default for sm90 and sm100
    # (srt/arg_groups/overrides.py _dsa_split_backend_resolution).
    "dsa-prefill-backend": "flashmla_sparse",
}

MODEL = dict(
    repo_id="zai-org/GLM-5.1-FP8",
    revision=GLM51_FP8_REVISION,
    served_name="glm-5.1",
    trust_remote_code=True,
    # Weights, configs, tokenizer and chat template; not the README or images.
    allow_patterns=("*.safetensors", "*.json", "*.py", "*.jinja", "*.txt", "tokenizer*"),
    expected_size_gb=750,
    # config.json num_attention_heads; not readable offline before the download. 64 is what SGLang
    # 0.5.23's own code says of this model family (srt/layers/attention/dsa_backend.py: "GLM-5 64
    # heads / TP8 = 8"), GLM-5.1 being the same GlmMoeDsaForCausalLM architecture. Used by `plan`
    # for heads per rank and the DSA kernels' padding (modal_llm_deploy/engine/dsa_padding.py).
    num_attention_heads=64,
)

STORAGE = dict(
    weights_volume="glm51-model-weights",
    weights_mount="/models",
    # One cache volume for every GPU generation: kernels live under a key directory derived
    # from (arch, SGLang version, revision, parallelism), so sm100 and sm90 never meet.
    cache_volume="glm51-deepgemm-cache",
    cache_mount="/deepgemm-cache",
)

KERNEL_CACHE = dict(deepgemm=True, marker_name=".compiled-GLM-5.1-FP8", compile_timeout_s=3600)

SERVING = dict(
    port=8000,
    api_key_secret="glm51-api-key",
    api_key_env="API_KEY",
    min_containers=0,  # scale to zero: 8×B200 idle costs $50/hour
    max_containers=3,
    scaledown_window_s=900,  # a cold start is ~14 minutes: don't drop a container after 1 idle minute
    startup_timeout_s=1800,
    exit_grace_period_s=120,  # let in-flight generations finish on scale-down
)

# The accuracy gate (modal-llm-deploy eval, docs/accuracy.md).
ACCURACY = dict(
    # Quick tier: SGLang's own GSM8K gate for its DSA + MTP (EAGLE) server fixture, the same
    # architecture family (DSA sparse attention + MTP draft; example model DeepSeek-V3.2):
    # sglang 0.5.23 sglang/test/server_fixtures/dsa_mtp_fixture.py DsaMtpEvalConfigDefaults
    # (gsm8k_accuracy_thres 0.925 "measured on the FP8 variants", 500 questions, 20 shots) run
    # through sglang/test/kits/eval_accuracy_kit.py GSM8KMixin's run_eval backend (completion
    # API, max_tokens 512, greedy). A floor for the family, not a GLM-5.1 measurement: record
    # GLM-5.1's own score with `eval --record-reference` on a known-good deployment.
    quick=dict(
        eval="gsm8k", examples=500, num_shots=20, api="completion", max_tokens=512,
        min_score=0.925, source_kind="floor", source_examples=500,
        source="sglang 0.5.23 sglang/test/server_fixtures/dsa_mtp_fixture.py (DSA+MTP family floor, "
               "GSM8K 500 questions, 20-shot, completion API)",
    ),
    # Thorough tier: GPQA through sgl-eval (hours). 86.2 is GLM-5.1-FP8's official GPQA-Diamond
    # score as quoted in sglang issue 22671 (an FP8 KV cache scored 71.2 there); how many
    # samples the official figure averages is not stated, so its own error is not counted.
    # Sampling and length as in sglang PR 30546's reasoning runs on GLM-5.x (sgl-eval
    # --max-tokens 65536 --temperature 1.0 --top-p 0.95). sgl-eval 0.1.3's "gpqa" is GPQA Diamond
    # (198 questions) with 8 repeats by default (sgl_eval/evals/_registry.py); one repeat keeps
    # the run to hours (SE 0.0245 at 198, far below the 15-point FP8-KV loss it must catch);
    # --set accuracy.thorough.repeats=8 for sgl-eval's pass@1 over 8.
    thorough=dict(
        eval="gpqa", examples=198, api="chat", max_tokens=65536, temperature=1.0, top_p=0.95,
        min_score=0.862, source_kind="reference",
        source="GLM-5.1-FP8 official GPQA-Diamond 86.2, as quoted in sglang issue 22671",
    ),
)


def glm51_profile(name: str, description: str, app_name: str, deploy_script: str, gpu: str, flags: dict,
                  nodes: int = 1, serving: dict | None = None, env: dict | None = None) -> dict:
    """Everything but the GPU generation is shared: same weights, volumes, serving policy.

    Plain data, validated by the registry one profile at a time (modal_llm_deploy's
    profile/plugins.py): a mistake in one of them sets that one aside, the others keep working.
    """
    return dict(
        name=name,
        description=description,
        app_name=app_name,
        deploy_script=deploy_script,
        model=MODEL,
        # 8 GPU workers + tokenizer/detokenizer/scheduler processes, and ~750 GB streaming
        # through the page cache while loading: Modal's default CPU/memory request is too small.
        hardware=dict(gpu=gpu, count=8, nodes=nodes, cpu=32, memory_mib=256 * 1024),
        engine=dict(
            sglang_version=SGLANG_VERSION,
            image=SGLANG_IMAGE,
            tensor_parallel_size=8,  # one TP group per node; more nodes are pipeline stages (pp-size)
            expert_parallel_size=1,
            # The class SGLang dispatches on (config.json architectures[0]); known-bad
            # combinations for this model family match on it (modal_llm_deploy/engine/known_bad.py).
            architecture="GlmMoeDsaForCausalLM",
            flags={**COMMON_FLAGS, **flags},
            env=env or {},
        ),
        kernel_cache=KERNEL_CACHE,
        storage=STORAGE,
        serving={**SERVING, **(serving or {})},
        secrets=dict(hf_token_secret="huggingface-secret", hf_token_env="HF_TOKEN"),
        accuracy=ACCURACY,
    )


GLM51_FP8_B200 = glm51_profile(
    "glm51_fp8",
    "GLM-5.1-FP8 on 8×B200, TP 8, EAGLE speculative decoding, BF16 KV cache",
    app_name="glm-5.1-production",
    deploy_script="examples/glm51_deploy.py",
    gpu="B200",
    flags={
        "max-running-requests": 48,
        # bf16 KV decode on sm100: trtllm (SGLang's own choice for major >= 10,
        # srt/arg_groups/overrides.py _dsa_split_backend_resolution). Blackwell-only.
        "dsa-decode-backend": "trtllm",
        # The TRT-LLM MoE runner (Blackwell-only). Equal to what SGLang picks on sm100 for an
        # fp8 DeepSeek-family checkpoint (overrides.py _deepseek_moe_quant_resolution), but that
        # choice reads the checkpoint's quantization_config, which we cannot see offline: stated.
        "moe-runner-backend": "flashinfer_trtllm",
    },
)

# Same model on 8×H200: the same weights volume (no second 750 GB download); its kernels live
# under an sm90 key in the shared cache volume.
GLM51_FP8_H200 = glm51_profile(
    "glm51_fp8_h200",
    "GLM-5.1-FP8 on 8×H200 (Hopper backends), TP 8, EAGLE, BF16 KV cache",
    app_name="glm-5.1-h200",
    deploy_script="examples/glm51_h200_deploy.py",
    gpu="H200",
    flags={
        # 141 GB per GPU instead of 180: after ~94 GB of weights per GPU the KV cache is
        # about half of B200's, so fewer requests fit in one batch.
        "max-running-requests": 32,
        # bf16 KV decode on sm90: fa3, SGLang's own choice below major 10
        # (srt/arg_groups/overrides.py _dsa_split_backend_resolution) and one of the two
        # bfloat16 decode backends dsa_backend.py names ("tilelang or fa3 for bfloat16").
        # NOT flashmla_kv: that is the fp8_e4m3 kernel (see the module docstring).
        "dsa-decode-backend": "fa3",
    },
)


# Same model on 2 nodes × 8×H100 (80 GB): ~750 GB does not fit on one 8×H100 node (93.75 GB of
# weights per GPU > 80 GB) but does on 16 GPUs: 750/16 = 46.9 GB per GPU; with
# mem-fraction-static 0.88 the static pool is 70.4 GB, leaving ~23.5 GB per GPU for the KV cache
# (topology.py checks this at plan time). A Modal cluster of 2 containers (modal.clustered(size=2,
# rdma=True)) and SGLang --nnodes 2. Same weights volume as the other GLM profiles; its kernels
# under their own sm90 ...-tp8-...-nodes2 key.
#
# Layout: pipeline parallelism, one stage per node (--pp-size 2), TP 8 inside each node. Chosen
# against the layouts SGLang 0.5.23 offers this model across nodes (modal_llm_deploy/engine/layout.py
# has the sources), cross-node traffic first, padding second:
# * TP 16: every layer's TP all-reduce crosses the network (and FlashInfer's all-reduce fusion
#   stays off: srt/arg_groups/overrides.py enables it only for nnodes == 1 or sm100); 64 heads / 16
#   = 4 per rank, which flashmla_sparse pads to 64 (16×) on sm90 (srt/layers/attention/dsa_backend.py).
# * attention DP 2 over TP 16: attention inside a node (8 heads per rank), but the MoE layers stay
#   TP/EP over all 16 ranks, so hidden states still cross nodes every layer; attention weights held
#   twice.
# * PP 2 × TP 8: all-reduces stay on NVLink; only the stage boundary's activations cross, once per
#   forward; 8 heads per rank padded to 64 (8×), as on one 8×H200 node. SGLang turns the overlap
#   schedule off for PP (overrides.py _pipeline_parallel_overlap_disable). EAGLE with PP needs
#   SGLANG_ENABLE_PP_SPEC=1 (srt/arg_groups/validation_hook.py check_pipeline_parallel_compat;
#   "Experimental" in srt/environ.py) and then no attention DP, no --speculative-adaptive, no
#   disaggregation. MLA's latent KV cache is not split over TP ranks, and each stage holds only
#   its own layers' cache, so per-GPU KV memory holds more tokens than at TP 16 (not measured).
# The old layout is one override away (`--set engine.tensor_parallel_size=16 --set
# engine.flags.pp-size=1`); `plan` then warns and names this one.
GLM51_FP8_H100X2 = glm51_profile(
    "glm51_fp8_h100x2",
    "GLM-5.1-FP8 on 2 nodes × 8×H100 (Hopper backends), PP 2 × TP 8 (a stage per node), EAGLE, BF16 KV cache",
    app_name="glm-5.1-h100x2",
    deploy_script="examples/glm51_h100x2_deploy.py",
    gpu="H100",
    nodes=2,
    flags={
        "pp-size": 2,
        # KV cache per GPU ~23.5 GB against H200's ~30 GB: scale H200's batch of 32 down
        # (not measured; see the layout note above for why PP may hold more tokens).
        "max-running-requests": 24,
        # Hopper, bf16 KV: the H200 profile's decode backend (see there).
        "dsa-decode-backend": "fa3",
    },
    # EAGLE (COMMON_FLAGS) with pipeline parallelism: refused at start-up without it (see above).
    env={"SGLANG_ENABLE_PP_SPEC": "1"},
    # Modal counts containers, and one replica is 2: min/max must be multiples of 2
    # (modal 1.6.4 _functions.py). 4 = at most two 16-GPU replicas.
    serving=dict(max_containers=4),
)


@hookimpl
def register_profiles(register):
    register(GLM51_FP8_B200)
    register(GLM51_FP8_H200)
    register(GLM51_FP8_H100X2)
