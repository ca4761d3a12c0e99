"""GLM-5.1-FP8 (zai-org) on 8×B200 and on 8×H200, served by SGLang 0.5.23.

Every flag below is spelled as SGLang 0.5.23's parser knows it (the tests parse both argvs
with that parser). The GLM-5.1 guides were written for 0.5.10; two of their flags no longer
exist: ``--nsa-prefill-backend``/``--nsa-decode-backend`` became ``--dsa-*-backend`` in 0.5.21,
and ``--attention-backend nsa`` is now a deprecated alias of ``dsa``.
"""

from modal_llm_deploy import Profile, hookimpl

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
    # A ~750 GB load from a volume takes 5–7 minutes; SGLang's default watchdog (300 s)
    # kills the server mid-load.
    "watchdog-timeout": 1200,
    "enable-metrics": True,  # Prometheus /metrics on the serving port (sglang: prefix)
    "tool-call-parser": "glm47",
    "reasoning-parser": "glm45",
    # The FP8 checkpoint ships no calibrated KV scales; an fp8 KV cache cost GLM-5.1 about
    # 19 points on AIME (sglang issue 22671). Keep the KV cache in BF16.
    "kv-cache-dtype": "bf16",
    # GLM-5.1's MTP layer as an EAGLE draft: ~20 ms → ~7.7 ms per output token on 8×B200.
    "speculative-algorithm": "EAGLE",
    "speculative-num-steps": 3,
    "speculative-eagle-topk": 1,
    "speculative-num-draft-tokens": 4,
    # DeepSeek-style sparse attention (DSA). "nsa" is the pre-0.5.21 alias.
    "attention-backend": "dsa",
}

MODEL = dict(
    repo_id="zai-org/GLM-5.1-FP8",
    revision=GLM51_FP8_REVISION,
    served_name="glm-5.1",
    trust_remote_code=True,
    # Weights, configs, tokenizer and chat template; not the README or images.
    allow_patterns=("*.safetensors", "*.json", "*.py", "*.jinja", "*.txt", "tokenizer*"),
    expected_size_gb=750,
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
    scaledown_window_s=900,  # a cold start is ~10 minutes: don't drop a container after 1 idle minute
    startup_timeout_s=1800,
    exit_grace_period_s=120,  # let in-flight generations finish on scale-down
)

def glm51_profile(name: str, description: str, app_name: str, deploy_script: str, gpu: str, flags: dict) -> Profile:
    """Everything but the GPU generation is shared: same weights, volumes, serving policy."""
    return Profile(
        name=name,
        description=description,
        app_name=app_name,
        deploy_script=deploy_script,
        model=MODEL,
        # 8 GPU workers + tokenizer/detokenizer/scheduler processes, and ~750 GB streaming
        # through the page cache while loading: Modal's default CPU/memory request is too small.
        hardware=dict(gpu=gpu, count=8, cpu=32, memory_mib=256 * 1024),
        engine=dict(
            sglang_version=SGLANG_VERSION,
            image=SGLANG_IMAGE,
            tensor_parallel_size=8,
            expert_parallel_size=1,
            flags={**COMMON_FLAGS, **flags},
        ),
        kernel_cache=KERNEL_CACHE,
        storage=STORAGE,
        serving=SERVING,
        secrets=dict(hf_token_secret="huggingface-secret", hf_token_env="HF_TOKEN"),
    )


GLM51_FP8_B200 = glm51_profile(
    "glm51_fp8",
    "GLM-5.1-FP8 on 8×B200, TP 8, EAGLE speculative decoding, BF16 KV cache",
    app_name="glm-5.1-production",
    deploy_script="examples/glm51_deploy.py",
    gpu="B200",
    flags={
        "max-running-requests": 48,
        # Blackwell-only kernels (TRT-LLM): sparse-attention prefill/decode, MoE runner,
        # and all-reduce fused with the following norm.
        "dsa-prefill-backend": "trtllm",
        "dsa-decode-backend": "trtllm",
        "moe-runner-backend": "flashinfer_trtllm",
        "enable-flashinfer-allreduce-fusion": True,
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
        # Hopper sparse-attention kernels (FlashMLA); the TRT-LLM ones are Blackwell-only.
        "dsa-prefill-backend": "flashmla_sparse",
        "dsa-decode-backend": "flashmla_kv",
    },
)


@hookimpl
def register_profiles(register):
    register(GLM51_FP8_B200)
    register(GLM51_FP8_H200)
