# Miru: one image for every role (`miru run slack`, `miru worker`, `miru serve-api`).
#
# Two stages: `build` installs the project into a virtual environment with the compilers some
# wheels may need; `runtime` copies only that environment onto a slim base with the system
# packages Miru calls at run time (Tesseract, the CJK font for receipt charts). It runs as an
# unprivileged user; models are cached in the /models volume (HF_HOME), data in /data.
#
#   docker build -t miru .                                  # CPU build of torch
#   docker build -t miru:cuda \
#     --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128 .   # CUDA variant
#   docker run --gpus all ... miru:cuda worker              # needs the NVIDIA container toolkit
#
# The CUDA variant only matters for MIRU_VLM_BACKEND=transformers on a GPU; with a shared vLLM
# server (docker-compose.yml, profile "vllm") workers stay on the CPU image.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/miru
ENV PATH=/opt/miru/bin:$PATH PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# constraints.txt pins every dependency to the versions the tests passed with (`make lock`).
COPY constraints.txt ./
# torch first, alone, from its own index (CPU unless TORCH_INDEX_URL says otherwise): a bare
# `torch` from PyPI is a multi-GB CUDA build. Its dependencies come with the project below, at
# the pinned versions.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
RUN pip install --no-deps torch==2.13.0 --index-url "${TORCH_INDEX_URL}"
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY safety ./safety
COPY config ./config
RUN pip install -c constraints.txt . && pip check

FROM ${PYTHON_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-jpn fonts-noto-cjk \
      libgl1 libglib2.0-0 \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 miru \
 && mkdir -p /data /models && chown miru:miru /data /models
COPY --from=build /opt/miru /opt/miru
ENV PATH=/opt/miru/bin:$PATH \
    MIRU_DATA_DIR=/data MIRU_AUDIT_PATH=/data/audit.jsonl HF_HOME=/models \
    PYTHONUNBUFFERED=1
USER miru
WORKDIR /home/miru
VOLUME ["/data", "/models"]
EXPOSE 3000 8080 9100
ENTRYPOINT ["miru"]
# Miru listens on 127.0.0.1 unless told otherwise; in the container, every interface
CMD ["run", "slack", "--http", "--host", "0.0.0.0", "--port", "3000"]
