"""The reference for benchmarks/bench_import.py: GLM-5.1-FP8 on Modal written by hand, the way
Modal's own examples do it — the same 4 units (download, compile, verify, server), images,
volumes, secrets and options as ``examples/glm51_deploy.py`` builds, with no library.

Its bodies are minimal (imports inside the functions, as a careful hand-written script does):
what is measured is the cost of *building the app* when Modal imports the script.
"""

import subprocess

import modal

app = modal.App("glm-5.1-production")

download_image = (
    modal.Image.debian_slim(python_version="3.12")
    .uv_pip_install("huggingface-hub<2.5,>=2.4", "hf-xet>=1.1")
    .env({"HF_XET_HIGH_PERFORMANCE": "1"})
)
sglang_image = modal.Image.from_registry("lmsysorg/sglang:v0.5.23-cu130").entrypoint([])

weights = modal.Volume.from_name("glm51-model-weights", create_if_missing=True)
kernels = modal.Volume.from_name("glm51-deepgemm-cache", create_if_missing=True)
KEY = "sm100-sglang0.5.23-glm-5.1-fp8-tp8-ep1"
SGLANG_ENV = {"HF_HUB_OFFLINE": "1", "SGLANG_CACHE_DIR": f"/deepgemm-cache/{KEY}",
              "SGLANG_DG_CACHE_DIR": f"/deepgemm-cache/{KEY}/deep_gemm"}
ARGV = ["python3", "-m", "sglang.launch_server", "--model-path", "/models/GLM-5.1-FP8", "--served-model-name",
        "glm-5.1", "--host", "0.0.0.0", "--port", "8000", "--trust-remote-code", "--tp-size", "8", "--ep-size", "1",
        "--mem-fraction-static", "0.88", "--max-prefill-tokens", "32768", "--watchdog-timeout", "1200",
        "--enable-metrics", "--tool-call-parser", "glm47", "--reasoning-parser", "glm45", "--kv-cache-dtype", "bf16",
        "--speculative-algorithm", "EAGLE", "--speculative-num-steps", "3", "--speculative-eagle-topk", "1",
        "--speculative-num-draft-tokens", "4", "--attention-backend", "dsa", "--max-running-requests", "48",
        "--dsa-prefill-backend", "trtllm", "--dsa-decode-backend", "trtllm",
        "--moe-runner-backend", "flashinfer_trtllm"]


@app.function(image=download_image, volumes={"/models": weights}, secrets=[modal.Secret.from_name("huggingface-secret")],
              cpu=8.0, memory=16384, timeout=21600, max_containers=1)
def download_model() -> None:
    from huggingface_hub import snapshot_download

    snapshot_download("zai-org/GLM-5.1-FP8", local_dir="/models/GLM-5.1-FP8", max_workers=8)
    weights.commit()


@app.function(image=sglang_image, gpu="B200:8", cpu=32.0, memory=262144, timeout=4755, max_containers=1, env=SGLANG_ENV,
              volumes={"/models": weights.with_mount_options(read_only=True), "/deepgemm-cache": kernels})
def compile_deepgemm(force: bool = False) -> None:
    subprocess.run(["python3", "-m", "sglang.compile_deep_gemm", *ARGV[3:], "--timeout", "3600"], check=True)
    kernels.commit()


@app.function(image=download_image, cpu=4.0, memory=4096, timeout=3600, env={"HF_HUB_OFFLINE": "1"},
              volumes={"/models": weights.with_mount_options(read_only=True),
                       "/deepgemm-cache": kernels.with_mount_options(read_only=True)})
def verify_setup(deep: bool = False) -> None:
    import pathlib

    assert any(pathlib.Path("/models/GLM-5.1-FP8").glob("*.safetensors"))


@app.server(image=sglang_image, gpu="B200:8", cpu=32.0, memory=262144, env=SGLANG_ENV,
            secrets=[modal.Secret.from_name("glm51-api-key")],
            volumes={"/models": weights.with_mount_options(read_only=True),
                     "/deepgemm-cache": kernels.with_mount_options(read_only=True)},
            port=8000, startup_timeout=1800, exit_grace_period=120, min_containers=0, max_containers=3,
            scaledown_window=900, max_concurrency=60, target_concurrency=36, routing_region="us-east",
            unauthenticated=True, name="server")
class Server:
    @modal.enter()
    def start(self) -> None:
        import os

        self.proc = subprocess.Popen([*ARGV, "--api-key", os.environ["API_KEY"]])

    @modal.exit()
    def stop(self) -> None:
        self.proc.terminate()


@app.local_entrypoint()
def setup(deep_verify: bool = False, force_compile: bool = False) -> None:
    download_model.remote()
    compile_deepgemm.remote(force=force_compile)
    verify_setup.remote(deep=deep_verify)
