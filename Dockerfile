# Miru: one image for gateways and workers (`miru run slack`, `miru worker`).
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-jpn fonts-noto-cjk \
      libgl1 libglib2.0-0 \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 miru
WORKDIR /app

# constraints.txt pins every dependency to the versions the tests passed with (`make lock`).
COPY constraints.txt ./
# CPU build of torch first, alone (its own index carries torch, not every pinned dependency);
# for a GPU image, install the matching CUDA build of the same version instead. Its dependencies
# come with the project below, at the pinned versions.
RUN pip install --no-cache-dir --no-deps torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY safety ./safety
COPY config ./config
RUN pip install --no-cache-dir -c constraints.txt . && pip check

USER miru
ENV MIRU_DATA_DIR=/data MIRU_AUDIT_PATH=/data/audit.jsonl HF_HOME=/models
VOLUME ["/data", "/models"]
EXPOSE 3000
ENTRYPOINT ["miru"]
CMD ["run", "slack", "--http", "--port", "3000"]
